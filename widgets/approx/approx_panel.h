#pragma once
// The Approximate tab: the second road to efficient attention, seen as matrices and measured as errors. Pick a
// method (linear, Performer, Linformer, Nyströmformer) and its parameters; it runs on Gaussian inputs of a chosen
// logit scale (or a sentence's synthetic embeddings) beside exact softmax attention, and three heatmaps show the
// exact weights, the method's effective weights Â and their difference on a diverging scale (negative entries of
// Â show there as blue). The measures sit beside uniform attention's, the yardstick unstructured inputs need.
// Below, two sweeps: the error as the budget doubles, and time against n with the crossover against full
// attention. Everything runs on one TaskRunner, cancellable; a request the engine refuses shows one line and
// changes nothing.

#include <QMap>
#include <QWidget>

#include <memory>

#include "engine/approx/approx_measure.h"
#include "widgets/shared/palettes.h"
#include "widgets/shared/view_tab.h"

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace attnscope {

class BudgetChart;
class HeatmapView;
class ScalingChart;
class TaskRunner;

class ApproxPanel : public QWidget, public ViewTab {
  Q_OBJECT
 public:
  explicit ApproxPanel(QWidget* parent = nullptr);
  ~ApproxPanel() override;

  /// Measures the current choice now (otherwise it runs shortly after a change, or when the tab is first shown).
  void measure();
  void sweepBudget();
  void sweepTime();
  void cancel();
  void setColorPalette(Palette palette) override;
  /// The three maps as one figure, the method and its measures above them.
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error) override;
  QString viewName() const override { return QStringLiteral("approx"); }
  bool showsLeftPattern() const override { return false; }
  QString exportName() const override;
  /// Runs on Q, K and V read from .npy files ([n, d] or [heads, n, d]); their headers are checked here, before
  /// anything is read, and a refusal is shown in one line (false) with the inputs unchanged.
  bool setNpyInputs(const QString& q, const QString& k, const QString& v);

  /// The method chosen and its parameters as the editors show them (for the Real attention tab's What it costs).
  std::pair<std::string, std::vector<std::pair<std::string, std::string>>> choice() const;

  // For tests and the main window.
  QComboBox* methodBox() const { return method_; }
  QWidget* editor(const QString& param) const { return editors_.value(param); }
  QSpinBox* nBox() const { return n_; }
  QSpinBox* dimBox() const { return dim_; }
  QDoubleSpinBox* scaleBox() const { return scale_; }
  QComboBox* inputsBox() const { return inputs_; }
  QComboBox* sweepLimit() const { return sweepLimit_; }
  QPushButton* budgetButton() const { return budgetSweep_; }
  QPushButton* timeButton() const { return timeSweep_; }
  QPushButton* cancelButton() const { return cancel_; }
  HeatmapView* exactView() const { return exact_; }
  HeatmapView* approxView() const { return approx_; }
  HeatmapView* differenceView() const { return diff_; }
  BudgetChart* budgetChart() const { return budget_; }
  ScalingChart* timeChart() const { return time_; }
  TaskRunner* runner() const { return runner_; }
  QString measuresText() const;
  QString errorText() const;
  /// The last measured report (null before the first).
  const ApproxReport* lastReport() const { return last_.get(); }

 signals:
  /// A measurement's pictures and figures are shown.
  void measured();

 protected:
  void showEvent(QShowEvent* event) override;

 protected:
  QList<HeatmapView*> exportedMaps() const override { return {exact_, approx_, diff_}; }

 private:
  struct Request;
  void buildControls();
  void buildViews();
  void rebuildEditors();
  void changed();
  /// The current choice, checked before anything is allocated; empty (with the message shown) when refused.
  std::shared_ptr<const Request> request(bool wantWeights);
  void showError(const QString& message);
  void setBusy(bool busy, const QString& what);

  QComboBox* method_ = nullptr;
  QFormLayout* form_ = nullptr;        ///< the method and its parameters
  QFormLayout* inputsForm_ = nullptr;  ///< n, d and the inputs
  QWidget* paramsBox_ = nullptr;
  QMap<QString, QWidget*> editors_;
  QMap<QString, QString> edited_;  ///< "method/param" → the value the user set, kept across rebuilds
  QSpinBox* n_ = nullptr;
  QSpinBox* dim_ = nullptr;
  QComboBox* inputs_ = nullptr;
  QDoubleSpinBox* scale_ = nullptr;
  QLineEdit* text_ = nullptr;
  QPushButton* files_ = nullptr;  ///< chooses the three .npy files
  QStringList npy_;               ///< Q, K, V paths once chosen
  QLabel* error_ = nullptr;
  QLabel* measures_ = nullptr;
  QPushButton* budgetSweep_ = nullptr;
  QPushButton* timeSweep_ = nullptr;
  QComboBox* sweepLimit_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QProgressBar* progress_ = nullptr;
  HeatmapView* exact_ = nullptr;
  HeatmapView* approx_ = nullptr;
  HeatmapView* diff_ = nullptr;
  BudgetChart* budget_ = nullptr;
  ScalingChart* time_ = nullptr;
  TaskRunner* runner_ = nullptr;
  std::unique_ptr<ApproxReport> last_;
  QString lastCaption_;
  int stepsDone_ = 0, stepsTotal_ = 0;  ///< of the sweep under way, for its progress line
  QString task_;                        ///< what the runner is doing: "measure", "budget" or "time"
  bool stale_ = true;                   ///< the choice changed while the tab was hidden (or it was never measured)
  bool quiet_ = false;                  ///< while editors are rebuilt
};

}  // namespace attnscope

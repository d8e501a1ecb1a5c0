#pragma once
// The Model tab: a model as a stack of layers — opened from a config.json (or one of the shipped configs), typed
// in short form ("window radius=2 ×5, full"), or edited layer by layer — with one small heatmap per layer (click to
// open it in the matrix view), the receptive field through the stack, a path that names the layer of each hop,
// and what every layer costs. Work runs on a TaskRunner; a file that cannot be read changes nothing and says why.

#include <QWidget>

#include <memory>
#include <optional>

#include "engine/io/json.h"
#include "engine/models/model_report.h"
#include "engine/models/stack_source.h"
#include "widgets/shared/view_tab.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QSpinBox;
class QTableWidget;
class QHBoxLayout;

namespace attnscope {

class CostChart;
class StackReachChart;
class TaskRunner;

/// What the tab shows once a stack is analysed (shared with the path worker).
struct ModelView {
  std::shared_ptr<const ModelReport> report;
  std::vector<CostPoint> curve;
  std::vector<std::vector<float>> thumbnails;  ///< per layer, side² with side = min(n, kThumbSide), the union of heads
  static constexpr int kThumbSide = 64;
};

class ModelPanel : public QWidget, public ViewTab {
  Q_OBJECT
 public:
  explicit ModelPanel(QWidget* parent = nullptr);
  ~ModelPanel() override;

  /// Reads a config.json (a file, or a ":/models/…" resource); a bad one changes nothing, shows its message inline
  /// and returns false.
  bool openConfig(const QString& path);
  bool openStack(const QString& path);
  bool saveStack(const QString& path, QString* error) const;
  /// Applies a short form ("window radius=2 ×5, full"); false and an inline message when it is wrong.
  bool applyShortForm(const QString& text);
  /// Appends a layer (the pattern chosen on the left).
  void appendLayer(const StackLayer& layer);
  /// The stack being shown (its n after any padding).
  const LayerStack& stack() const { return stack_; }
  /// The last analysis, or null while none has arrived.
  std::shared_ptr<const ModelView> view() const { return view_; }
  QString message() const;
  bool busy() const;
  /// Writes the tab's figure (the receptive field and the cost chart under a caption); false and `error` on failure.
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error) override;
  QString viewName() const override { return QStringLiteral("model"); }
  bool showsLeftPattern() const override { return false; }
  /// The layers' thumbnails are drawn in `palette`.
  void setColorPalette(Palette palette) override;
  QString exportName() const override;
  int exportColumns() const override { return 2; }

 signals:
  /// A layer's thumbnail was clicked: show that layer's pattern at the stack's n.
  void openLayer(const QString& pattern, const QList<QPair<QString, QString>>& params, Index n);
  /// "Add the pattern on the left" was pressed.
  void addCurrentPatternRequested();
  /// An analysis has arrived (tests wait for it).
  void analysed();

 protected:
  QList<HeatmapView*> exportedMaps() const override { return {}; }

 private:
  void buildControls();
  void buildViews();
  bool setStack(LayerStack stack, const QString& source);
  void fromConfig();
  /// The config `name` as the command line's options would give it: --global from the field, --mode from the box.
  StackSource configSource(const QString& name) const;
  void analyse();
  void showView(std::shared_ptr<const ModelView> view);
  void showLayers();
  void showPath();
  void fail(const QString& message);
  void editLayers(const std::function<void(std::vector<StackLayer>&, int&)>& edit);

  LayerStack stack_;
  std::optional<JsonValue> config_;  ///< when the stack comes from a config: re-read when n changes
  QString configName_;
  Palette palette_ = Palette::Viridis;
  std::shared_ptr<const ModelView> view_;
  TaskRunner* runner_ = nullptr;
  TaskRunner* pathRunner_ = nullptr;

  QComboBox* model_ = nullptr;
  QSpinBox* n_ = nullptr;
  QComboBox* precision_ = nullptr;
  QComboBox* mode_ = nullptr;
  QLineEdit* globals_ = nullptr;
  QLineEdit* shortForm_ = nullptr;
  QLabel* message_ = nullptr;
  QLabel* derivation_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QScrollArea* stripArea_ = nullptr;
  QWidget* strip_ = nullptr;
  QHBoxLayout* stripLayout_ = nullptr;
  QListWidget* layers_ = nullptr;
  StackReachChart* reach_ = nullptr;
  CostChart* cost_ = nullptr;
  QTableWidget* table_ = nullptr;
  QLabel* totals_ = nullptr;
  QSpinBox* pathFrom_ = nullptr;
  QSpinBox* pathTo_ = nullptr;
  QLabel* path_ = nullptr;
  bool error_ = false;
  bool nChosen_ = false;  ///< the user has set n (until then a config opens at 4,096 tokens)
};

}  // namespace attnscope

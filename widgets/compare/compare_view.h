#pragma once
// Side by side: the chosen pattern (A) next to full attention or a second pattern (B) with its own controls, on
// the same n. Zoom and pan are linked; a difference view colours the cells only in A, only in B and in both; a
// line gives both counts and their ratio. The whole comparison exports as one figure.

#include <QWidget>

#include <memory>

#include "engine/util/progress.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/shared/task_runner.h"
#include "widgets/shared/palettes.h"
#include "widgets/shared/view_tab.h"

class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QVBoxLayout;

namespace attnscope {

class HeatmapView;
class PatternControls;

/// Two masks on the same tokens, ready to draw: computed off the GUI thread by compareResults().
struct SideBySide {
  std::shared_ptr<const MaskResult> a;
  std::shared_ptr<const MaskResult> b;          ///< null: full attention
  std::shared_ptr<const MaskPicture> pictureB;  ///< b's picture, or all ones for full attention
  /// Per head: 0 in neither, 1 only in A, 2 only in B, 3 in both. Above 1,024 tokens, each tile shows which of
  /// the last three holds most of its cells (0 if none).
  std::shared_ptr<const MaskPicture> difference;
  QString nameA, nameB;
  double cellsA = 0, cellsB = 0;  ///< active cells summed over the heads compared
  QString titleB;
};

/// Difference picture values.
enum DifferenceCell { kInNeither = 0, kOnlyA = 1, kOnlyB = 2, kInBoth = 3 };

/// Compares `a` with `b` (null: full attention, never built as a mask). Throws Error when the head counts do not
/// fit (equal, or one of them 1) or n differs; Cancelled when asked.
SideBySide compareResults(std::shared_ptr<const MaskResult> a, std::shared_ptr<const MaskResult> b,
                          const Progress& progress = {});

/// "full: 65,536 cells; window+global: 5,890 cells, 11.1× fewer".
QString countsLine(const SideBySide& s);

class CompareView : public QWidget, public ViewTab {
  Q_OBJECT
 public:
  enum class Show { SideBySide, Difference };

  explicit CompareView(QWidget* parent = nullptr);
  ~CompareView() override;

  /// The main pattern's newest result (A). B follows its n and sentence.
  void setPrimary(std::shared_ptr<const MaskResult> a);
  /// Compare with full attention (true, the default) or with the pattern in B's controls.
  void setAgainstFull(bool full);
  bool againstFull() const;
  void setShow(Show show);
  void setHead(int head);
  void setColorPalette(Palette palette) override;
  /// Shows `s` at once (the command line and tests; the GUI gets it from its worker).
  void setComparison(SideBySide s);

  const SideBySide* comparison() const { return shown_.get(); }
  QString countsText() const;
  PatternControls* controlsB() const { return controlsB_; }
  HeatmapView* viewA() const { return viewA_; }
  HeatmapView* viewB() const { return viewB_; }
  HeatmapView* differenceView() const { return difference_; }
  QComboBox* againstBox() const { return against_; }
  QComboBox* showBox() const { return show_; }
  bool busy() const;

  /// The comparison as one figure: the counts line above both heatmaps (or the difference view).
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error) override;
  QString viewName() const override { return QStringLiteral("compare"); }
  bool showsLeftPattern() const override { return true; }
  QString exportName() const override;

 protected:
  void showEvent(QShowEvent* event) override;

 signals:
  /// A new comparison is on screen.
  void updated();
  void failed(const QString& message);
  void exportRequested();

 protected:
  QList<HeatmapView*> exportedMaps() const override;

 private:
  // Setup steps, in the constructor's order.
  void buildBar(QVBoxLayout* layout);
  void buildViews(QVBoxLayout* layout);
  void connectWork();
  void requestB();
  void recompute();
  void showComparison();

  QComboBox* against_ = nullptr;
  QComboBox* show_ = nullptr;
  QPushButton* export_ = nullptr;
  QLabel* counts_ = nullptr;
  QLabel* message_ = nullptr;
  QWidget* sideB_ = nullptr;
  PatternControls* controlsB_ = nullptr;
  QStackedWidget* pages_ = nullptr;
  HeatmapView* viewA_ = nullptr;
  HeatmapView* viewB_ = nullptr;
  HeatmapView* difference_ = nullptr;
  MaskController* controllerB_ = nullptr;
  std::shared_ptr<const MaskResult> a_, b_;
  std::unique_ptr<SideBySide> shown_;
  int head_ = 0;
  bool bInitialised_ = false;
  bool stale_ = false;  ///< A changed while the view was hidden: compared when it is next shown
  TaskRunner* runner_;
};

}  // namespace attnscope

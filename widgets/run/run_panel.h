#pragma once
// The live compute run: Run computes attention for the pattern and for full attention on the same inputs in a
// worker thread. The two heatmaps fill in block-row by block-row as the kernels finish them — the sparse run only
// touches its active cells, full attention fills everything — with the timers running beside them. At the end:
// the softmax weights (masked cells grey), the times, the speed-up, the attention mass kept and the output error,
// and a line in the session's run log. Below, a scaling sweep plots time against n on log-log axes.

#include <QElapsedTimer>
#include <QWidget>

#include <memory>

#include "widgets/run/attention_runner.h"
#include "widgets/shared/palettes.h"
#include "widgets/shared/view_tab.h"

class QComboBox;
class QVBoxLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace attnscope {

class HeatmapView;
class ScalingChart;

class RunPanel : public QWidget, public ViewTab {
  Q_OBJECT
 public:
  explicit RunPanel(QWidget* parent = nullptr);
  ~RunPanel() override;

  /// The pattern to run (the newest result of the main window).
  void setResult(std::shared_ptr<const MaskResult> result);
  void setHead(int head);
  void setColorPalette(Palette palette) override;

  void run();
  void sweep();
  void cancel();

  AttentionRunner* runner() const { return runner_; }
  QPushButton* runButton() const { return run_; }
  QPushButton* cancelButton() const { return cancel_; }
  QPushButton* sweepButton() const { return sweep_; }
  QComboBox* sweepLimit() const { return sweepLimit_; }
  QComboBox* inputsBox() const { return inputs_; }
  QSpinBox* dimBox() const { return dim_; }
  HeatmapView* patternView() const { return patternView_; }
  HeatmapView* fullView() const { return fullView_; }
  ScalingChart* chart() const { return chart_; }
  QTableWidget* log() const { return log_; }
  QString resultsText() const;
  /// Both maps as one figure, with the run's figures above them.
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error) override;
  QString viewName() const override { return QStringLiteral("run"); }
  bool showsLeftPattern() const override { return true; }
  QString exportName() const override;
  QString timersText() const;
  /// The last finished run (null before the first).
  const RunResult* lastResult() const { return last_.get(); }

 protected:
  void showEvent(QShowEvent* event) override;

 protected:
  QList<HeatmapView*> exportedMaps() const override { return {patternView_, fullView_}; }

 private:
  // Setup steps, in the constructor's order.
  void buildControlBar(QVBoxLayout* layout);
  void buildMaps(QVBoxLayout* layout);
  void buildResults(QVBoxLayout* layout);
  void connectRunner();
  void startFill();
  void onTick(int stage, const std::vector<double>& milliseconds, const std::vector<RowsDone>& rows);
  void onFinished(const RunResult& result);
  void showWeights();
  void showPreview();
  void setRunning(bool running);

  QPushButton* run_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QComboBox* inputs_ = nullptr;
  QSpinBox* dim_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* timers_ = nullptr;
  QLabel* results_ = nullptr;
  HeatmapView* patternView_ = nullptr;
  HeatmapView* fullView_ = nullptr;
  QTableWidget* log_ = nullptr;
  QPushButton* sweep_ = nullptr;
  QComboBox* sweepLimit_ = nullptr;
  ScalingChart* chart_ = nullptr;
  AttentionRunner* runner_ = nullptr;
  std::shared_ptr<const MaskResult> result_;   ///< the pattern now chosen
  std::shared_ptr<const MaskResult> running_;  ///< the pattern of the run in progress
  std::unique_ptr<RunResult> last_;
  int head_ = 0;
  int runs_ = 0;
  int sweepDone_ = 0, sweepTotal_ = 0;  ///< sizes of the sweep under way, for its progress line
  bool sweeping_ = false;
  bool previewStale_ = false;  ///< the pattern changed while the tab was hidden
  // The filling pictures: per run (0 pattern, 1 full) the picture, and per picture row how many of its token rows
  // are done.
  std::shared_ptr<MaskPicture> fill_[2];
  std::vector<int> rowsDone_[2];
  std::vector<float> fillMask_;  ///< the pattern's map at the filling maps' size
  int fillHead_ = 0;
  bool fillChanged_ = false;
  QElapsedTimer sinceRedraw_;
  QElapsedTimer cancelClock_;
};

}  // namespace attnscope

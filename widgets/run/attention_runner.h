#pragma once
// Runs attention for the GUI off its thread through a TaskRunner: one comparison of the pattern against full
// attention (with the rows each run has finished, so the view can fill in as it goes), or a scaling sweep. One job
// at a time; cancel() stops it within one block of rows.

#include <QObject>
#include <QString>

#include <memory>
#include <vector>

#include "widgets/shared/gui_limits.h"
#include "engine/attention/attention_compare.h"
#include "engine/attention/scaling_sweep.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/shared/task_runner.h"

class QTimer;

namespace attnscope {

struct RunRequest {
  std::shared_ptr<const MaskResult> mask;  ///< the pattern, as the window shows it
  Index dim = 64;
  bool fromSentence = false;  ///< synthetic embeddings of the sentence's tokens, else Gaussian vectors
  std::uint64_t seed = 0;
};

struct RunResult {
  RunRequest request;
  Comparison comparison;
  int heads = 0;
  QString inputs;  ///< "Gaussian, seed 0" or "sentence (synthetic embeddings)"
  /// Up to kMaxPictureSide tokens: per head, each run's softmax weights; NaN where the pattern masks the cell.
  std::shared_ptr<const MaskPicture> weightsPattern, weightsFull;
  float minWeight = 0, maxWeight = 0;  ///< smallest positive and largest weight over both
};

/// Rows [begin, end) of `head` finished in the pattern's run (full = false) or full attention's.
struct RowsDone {
  bool full;
  int head;
  Index begin, end;
};

/// The inputs a run uses (also what the tests compare against).
AttentionInputs runInputs(const RunRequest& request, int heads, const Progress& progress = {});

class AttentionRunner : public QObject {
  Q_OBJECT
 public:
  explicit AttentionRunner(QObject* parent = nullptr);
  ~AttentionRunner() override;  // cancels and waits

  /// Starts a comparison; false (and nothing happens) while another job runs.
  bool run(const RunRequest& request);
  /// Starts a sweep of the pattern in `choice` from options.minN to options.maxN.
  bool sweep(const PatternChoice& choice, const ScalingOptions& options);
  void cancel();
  bool busy() const;

 signals:
  void started();
  void progress(double fraction);
  /// About 30 times a second while a comparison runs: the stage (0 pattern, 1 full, 2 mass kept and weights), the
  /// milliseconds each stage up to it has taken (the current one so far), and the rows finished since the last tick.
  void tick(int stage, const std::vector<double>& milliseconds, const std::vector<RowsDone>& rows);
  void finished(const RunResult& result);
  void sweepPoint(const ScalingPoint& point);
  void sweepFinished(const std::vector<ScalingPoint>& points);
  void cancelled();
  void failed(const QString& message);

 private:
  struct Job;
  bool start(std::shared_ptr<Job> job, TaskRunner::Work work);
  void poll();
  void end();
  TaskRunner* runner_;
  std::shared_ptr<Job> job_;  ///< the comparison's live state (stage clocks, finished rows), read by poll()
  QTimer* timer_ = nullptr;
};

}  // namespace attnscope

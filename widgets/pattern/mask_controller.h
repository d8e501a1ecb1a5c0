#pragma once
// Builds what the window shows — mask, statistics, pictures, then reachability — off the GUI thread through a
// TaskRunner, in two steps so that the picture never waits for the reachability figures: reachability starts
// 150 ms after the picture arrives (a timer on the GUI thread), unless a newer request came first. A new request
// cancels the one in flight; only the newest result is delivered.

#include <QObject>
#include <QStringList>

#include <atomic>
#include <memory>
#include <optional>

#include "widgets/shared/gui_limits.h"
#include "engine/inputs/attention_inputs.h"
#include "engine/masks/mask_stats.h"
#include "engine/reach/reachability.h"
#include "widgets/shared/mask_picture.h"
#include "widgets/pattern/pattern_choice.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {

struct MaskResult {
  PatternChoice choice;
  QString title;  ///< "pattern, n = N" and, on a second line, every parameter value: for the heatmap and exports
  std::shared_ptr<const SparseMask> mask;
  MaskStats stats;
  std::optional<ReachSummary> reach;        ///< when affordable (see kGuiReachCells)
  std::shared_ptr<const ReachGraph> graph;  ///< the same: answers shortest paths (its transpose is built)
  /// All-pairs hop distances up to kMaxPictureSide tokens: hops from query (row) to key (column), NaN for never.
  std::shared_ptr<const MaskPicture> hopPicture;
  QStringList notes;
  QStringList tokens;                                ///< from the sentence, when its token count is n
  std::shared_ptr<const MaskPicture> picture;        ///< token mask
  std::shared_ptr<const MaskPicture> layoutPicture;  ///< block layout, for block families
  double milliseconds = 0;
};

/// The whole computation, synchronous: what the controller runs in a worker, and what `attnscope-cli render` and
/// the tests call directly. Throws Error (bad input) or Cancelled.
MaskResult computeMaskResult(const PatternChoice& choice, const Progress& progress = {}, bool reachability = true);
/// The sentence's tokens when they are exactly n (they label the axes and feed a data-dependent pattern), else none.
std::vector<std::string> choiceTokens(const PatternChoice& choice);
/// The attention inputs a data-dependent pattern is made from (the sentence's, or seeded synthetic ones), as the
/// picture is; none for the other patterns. Throws Error for an unknown pattern name.
std::optional<AttentionInputs> choiceInputs(const PatternChoice& choice);
/// Adds reachability to a result (when its mask is small enough, see kGuiReachCells).
void addReachability(MaskResult& result, const Progress& progress = {});

class MaskController : public QObject {
  Q_OBJECT
 public:
  /// How long reachability waits after the picture for a newer request (a dragged slider never starts it).
  static constexpr int kReachDelayMs = 150;

  explicit MaskController(QObject* parent = nullptr);

  void request(const PatternChoice& choice);
  /// Off: only the picture and counts are computed (ready() is the last signal of a request).
  void setReachability(bool on) { reachability_ = on; }
  void cancel();
  bool busy() const;

 signals:
  void started();
  /// The picture and the counts, as soon as they exist.
  void ready(std::shared_ptr<const MaskResult> result);
  /// The same result with reachability added, a moment later (when it is affordable).
  void reachabilityReady(std::shared_ptr<const MaskResult> result);
  void failed(const QString& message);
  /// cancel() stopped the request: no result follows.
  void cancelled();
  void progress(double fraction);

 private:
  TaskRunner* runner_;
  bool reachability_ = true;
};

}  // namespace attnscope

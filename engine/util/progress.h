#pragma once
// Progress and cancellation without any GUI types: the GUI and the command line wrap these callbacks.

#include <atomic>
#include <functional>

#include "engine/util/error.h"

namespace attnscope {

/// Callbacks a long engine call uses. Both are optional and are only ever called on the caller's thread.
struct Progress {
  /// Receives the fraction done, 0..1.
  std::function<void(double)> onProgress;
  /// Returns true when the caller wants the computation to stop.
  std::function<bool()> isCancelled;
  /// Optional, and the one exception to "caller's thread only": a flag that any worker thread may read, so that
  /// long work stops inside a block of rows as well as between blocks. Point it at the flag isCancelled reads.
  const std::atomic<bool>* stopFlag = nullptr;

  void report(double fraction) const {
    if (onProgress) onProgress(fraction);
  }
  bool cancelled() const { return stopRequested() || (isCancelled && isCancelled()); }
  /// The stop flag alone: safe on any thread.
  bool stopRequested() const { return stopFlag && stopFlag->load(std::memory_order_relaxed); }
  /// The same callbacks for one stage of a longer computation: fractions 0 … 1 of the stage are reported as
  /// from … to of the whole. The returned object refers to this one, which must outlive it.
  Progress part(double from, double to) const {
    Progress p = *this;
    if (onProgress) p.onProgress = [this, from, to](double f) { onProgress(from + (to - from) * f); };
    return p;
  }
  /// Throws Cancelled when the caller asked to stop.
  void throwIfCancelled() const {
    if (cancelled()) throw Cancelled();
  }
};

}  // namespace attnscope

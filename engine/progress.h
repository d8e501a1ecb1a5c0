#pragma once
// Progress and cancellation without any GUI types: the GUI and the command line wrap these callbacks.

#include <functional>

#include "engine/error.h"

namespace attnscope {

/// Callbacks a long engine call uses. Both are optional and are only ever called on the caller's thread.
struct Progress {
  /// Receives the fraction done, 0..1.
  std::function<void(double)> onProgress;
  /// Returns true when the caller wants the computation to stop.
  std::function<bool()> isCancelled;

  void report(double fraction) const {
    if (onProgress) onProgress(fraction);
  }
  bool cancelled() const { return isCancelled && isCancelled(); }
  /// Throws Cancelled when the caller asked to stop.
  void throwIfCancelled() const {
    if (cancelled()) throw Cancelled();
  }
};

}  // namespace attnscope

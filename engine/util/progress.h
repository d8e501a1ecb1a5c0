#pragma once
// Progress and cancellation without any GUI types: the GUI and the command line wrap these.
//
// There is one way to stop: a CancellationToken (after colmap's util/cancellation.h), an atomic flag that the
// owner sets and every worker thread polls between chunks of work. There is no second path.

#include <atomic>
#include <functional>
#include <memory>

#include "engine/util/error.h"

namespace attnscope {

/// A shared stop flag. Copies refer to the same flag; any thread may read it and any thread may set it. A token
/// made by default has its own flag, which nobody else holds until the token is copied.
class CancellationToken {
 public:
  CancellationToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  /// Asks every holder of this token to stop. It cannot be taken back.
  void cancel() const { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_->load(std::memory_order_relaxed); }
  /// Throws Cancelled once cancel() has been called.
  void throwIfCancelled() const {
    if (cancelled()) throw Cancelled();
  }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

/// What a long engine call is given: where to report how far it got, and the token that stops it.
struct Progress {
  /// Receives the fraction done, 0..1. It may be called from any thread that finishes a piece of work, but never
  /// from two at once, and the fractions one call reports never decrease.
  std::function<void(double)> onProgress;
  /// Polled by every worker thread between chunks (and inside long tile loops).
  CancellationToken token;

  void report(double fraction) const {
    if (onProgress) onProgress(fraction);
  }
  bool cancelled() const { return token.cancelled(); }
  /// Throws Cancelled when the token was cancelled.
  void throwIfCancelled() const { token.throwIfCancelled(); }
  /// The same token and reports for one stage of a longer computation: fractions 0 … 1 of the stage are reported
  /// as from … to of the whole.
  Progress part(double from, double to) const {
    Progress p = *this;
    if (onProgress) p.onProgress = [whole = onProgress, from, to](double f) { whole(from + (to - from) * f); };
    return p;
  }
};

}  // namespace attnscope

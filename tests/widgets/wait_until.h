#pragma once
// Waiting in widget tests: for a condition, never for a fixed time.
#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QTest>

#include <functional>

namespace attnscope {

/// Processes events until `condition` holds, then once more; false if it still does not hold after `timeoutMs`.
/// The timeout only ends a test that hangs: it is generous, so that a machine under load, a sanitizer build or one
/// core still passes. No test measures speed with it.
inline bool waitUntil(const std::function<bool()>& condition, int timeoutMs = 120000) {
  const QDeadlineTimer deadline(timeoutMs);
  while (!condition()) {
    if (deadline.hasExpired()) return false;
    QTest::qWait(5);
  }
  QCoreApplication::processEvents();
  return true;
}

}  // namespace attnscope

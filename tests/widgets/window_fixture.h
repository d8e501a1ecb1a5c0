#pragma once
// The fixture every window test starts from: a fresh main window (no saved session) showing its first result.
#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTest>

#include <memory>

#include "app/main_window.h"
#include "widgets/mask_controller.h"
#include "widgets/task_runner.h"

namespace attnscope {

// Waits until the controller has finished the current request (result with reachability, or failure).
inline bool waitForResult(MainWindow& w) {
  QSignalSpy done(w.controller(), &MaskController::reachabilityReady);
  QSignalSpy failed(w.controller(), &MaskController::failed);
  for (int i = 0; i < 400 && done.isEmpty() && failed.isEmpty(); ++i) QTest::qWait(25);
  QCoreApplication::processEvents();
  return !done.isEmpty() || !failed.isEmpty();
}

// Waits until no background task of the window (mask, reachability, paths, hop profiles, comparisons, runs) is
// current: every TaskRunner below it is idle.
inline bool waitForBackground(QObject& root) {
  for (int i = 0; i < 800; ++i) {
    bool busy = false;
    for (const TaskRunner* r : root.findChildren<TaskRunner*>()) busy = busy || r->busy();
    if (!busy) {
      QCoreApplication::processEvents();
      return true;
    }
    QTest::qWait(10);
  }
  return false;
}

class MainWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    window_ = std::make_unique<MainWindow>(/*restore=*/false);
    window_->resize(1300, 850);
    window_->show();
    // The first result (window of 5 at n = 16) may already be on its way; wait for its reachability too.
    for (int i = 0; i < 400 && (!window_->result() || !window_->result()->reach); ++i) QTest::qWait(25);
    ASSERT_TRUE(window_->result());
    ASSERT_TRUE(window_->result()->reach);
  }
  MainWindow& w() { return *window_; }
  std::unique_ptr<MainWindow> window_;
};


}  // namespace attnscope

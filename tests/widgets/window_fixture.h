#pragma once
// The fixture every window test starts from: a fresh main window (no saved session) showing its first result.
#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTest>

#include <cstdlib>
#include <memory>

#include <QSpinBox>

#include "app/main_window.h"
#include "widgets/compare/compare_view.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/matrix/hop_profile_view.h"
#include "widgets/pattern/path_panel.h"
#include "widgets/pattern/pattern_controls.h"
#include "widgets/run/run_panel.h"
#include "widgets/pattern/stats_panel.h"
#include "widgets/pattern/mask_controller.h"
#include "tests/widgets/wait_until.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {

// A part of the window found by its object name, as a user's script or an accessibility tool would find it.
template <typename T>
T* part(const QObject& root, const char* name) {
  T* found = root.findChild<T*>(QString::fromUtf8(name));
  if (!found) ADD_FAILURE() << "the window has no " << name;
  return found;
}

// Whether a map is laid out on screen: the centre of cell (query, key) lies inside its plot and maps back to that
// cell, or within `slack` cells of it where cells are smaller than a pixel.
inline bool laidOut(HeatmapView* map, Index query, Index key, Index slack = 0) {
  const QPoint at = map->cellCenter(query, key);
  if (!map->plotWidget()->rect().contains(at)) return false;
  const auto [q, k] = map->cellAt(at);
  return std::abs(q - query) <= slack && std::abs(k - key) <= slack;
}

// Waits until the controller has finished the current request (result with reachability, or failure).
inline bool waitForResult(MainWindow& w) {
  auto* controller = part<MaskController>(w, "maskController");
  QSignalSpy done(controller, &MaskController::reachabilityReady);
  QSignalSpy failed(controller, &MaskController::failed);
  return waitUntil([&] { return !done.isEmpty() || !failed.isEmpty(); });
}

// Waits until no background task of the window (mask, reachability, paths, hop profiles, comparisons, runs) is
// current: every TaskRunner below it is idle.
inline bool waitForBackground(QObject& root) {
  return waitUntil([&] {
    for (const TaskRunner* r : root.findChildren<TaskRunner*>())
      if (r->busy()) return false;
    return true;
  });
}

class MainWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    window_ = std::make_unique<MainWindow>(/*restore=*/false);
    window_->resize(1300, 850);
    window_->show();
    // The first result (window of 5 at n = 16) may already be on its way; wait for its reachability too.
    ASSERT_TRUE(waitUntil([&] { return window_->result() && window_->result()->reach; }));
    ASSERT_TRUE(window_->result());
    ASSERT_TRUE(window_->result()->reach);
  }
  MainWindow& w() { return *window_; }
  // The window's parts, by object name.
  PatternControls* controls() { return part<PatternControls>(w(), "patternControls"); }
  HeatmapView* heatmap() { return part<HeatmapView>(w(), "heatmap"); }
  HeatmapView* hopMap() { return part<HeatmapView>(w(), "hopMap"); }
  HopProfileView* hopProfile() { return part<HopProfileView>(w(), "hopProfile"); }
  QSpinBox* hopQuery() { return part<QSpinBox>(w(), "hopQuery"); }
  StatsPanel* statsPanel() { return part<StatsPanel>(w(), "statsPanel"); }
  PathPanel* pathPanel() { return part<PathPanel>(w(), "pathPanel"); }
  CompareView* compareView() { return part<CompareView>(w(), "compare"); }
  RunPanel* runPanel() { return part<RunPanel>(w(), "run"); }
  std::unique_ptr<MainWindow> window_;
};

}  // namespace attnscope

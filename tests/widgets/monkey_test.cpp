// A monkey drives the real window: thousands of random clicks, key presses and wheel turns on whatever widget is
// visible, preset loads (good and bad) and tab switches. Afterwards the window must be alive and responsive: the
// event loop answers at once, and a known pattern still computes the right picture. Any dialog that opens (export,
// open preset, about) is closed by a timer, as a user would close it.
#include <gtest/gtest.h>

#include <QAbstractButton>
#include <QApplication>
#include <QElapsedTimer>
#include <QMenu>
#include <QMenuBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QWheelEvent>

#include <random>

#include "tests/widgets/window_fixture.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/pattern/pattern_controls.h"

namespace attnscope {
namespace {

// Widgets a monkey may touch: visible, enabled, not menus (their actions are reached through keys instead).
std::vector<QWidget*> targets(QWidget& root) {
  std::vector<QWidget*> out;
  for (QWidget* w : root.findChildren<QWidget*>()) {
    if (!w->isVisible() || !w->isEnabled() || w->width() < 2 || w->height() < 2) continue;
    if (qobject_cast<QMenuBar*>(w) || qobject_cast<QMenu*>(w)) continue;
    out.push_back(w);
  }
  return out;
}

TEST_F(MainWindowTest, AMonkeyCannotBreakIt) {
  // A few thousand in the Release build; the sanitizer run asks for fewer (ATTNSCOPE_MONKEY_ACTIONS), as each is
  // several times slower there.
  const int kActions = qEnvironmentVariableIsSet("ATTNSCOPE_MONKEY_ACTIONS")
                           ? qEnvironmentVariableIntValue("ATTNSCOPE_MONKEY_ACTIONS")
                           : 2000;
  const unsigned seed = 20261129;
  std::mt19937 rng(seed);
  SCOPED_TRACE("monkey seed " + std::to_string(seed));
  auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };

  // Dialogs opened by a click (export, presets, about) are closed again, as a user would.
  QTimer closer;
  QObject::connect(&closer, &QTimer::timeout, [] {
    if (QWidget* modal = QApplication::activeModalWidget()) modal->close();
    if (QWidget* popup = QApplication::activePopupWidget()) popup->close();
  });
  closer.start(20);

  QTemporaryDir dir;
  const QString bad = dir.filePath(QStringLiteral("bad.json"));
  {
    QFile f(bad);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(R"({"family": "window", "n": 3, "params": {"radius": 999999999999}})");
  }
  const auto presets = builtInPresets();
  auto* tabs = w().findChild<QTabWidget*>();
  ASSERT_NE(tabs, nullptr);
  const int keys[] = {Qt::Key_Up,        Qt::Key_Down,     Qt::Key_Left,  Qt::Key_Right,  Qt::Key_Home, Qt::Key_End,
                      Qt::Key_PageUp,    Qt::Key_PageDown, Qt::Key_Enter, Qt::Key_Escape, Qt::Key_Tab,  Qt::Key_Space,
                      Qt::Key_Backspace, Qt::Key_Delete,   Qt::Key_0,     Qt::Key_1,      Qt::Key_2,    Qt::Key_7,
                      Qt::Key_9,         Qt::Key_R,        Qt::Key_Minus, Qt::Key_Plus,   Qt::Key_Comma};

  for (int action = 0; action < kActions; ++action) {
    const int what = pick(100);
    if (what < 3) {
      w().loadPreset(presets[pick(int(presets.size()))]);
    } else if (what < 4) {
      w().openPresetFile(bad);
    } else if (what < 8) {
      tabs->setCurrentIndex(pick(tabs->count()));
    } else {
      const auto all = targets(w());
      if (all.empty()) continue;
      QWidget* target = all[pick(int(all.size()))];
      const QPoint at(pick(target->width()), pick(target->height()));
      if (what < 55) {
        const Qt::KeyboardModifiers mods = pick(5) == 0 ? Qt::ShiftModifier : Qt::NoModifier;
        QTest::mouseClick(target, pick(6) == 0 ? Qt::RightButton : Qt::LeftButton, mods, at);
      } else if (what < 90) {
        target->setFocus();
        QTest::keyClick(target, Qt::Key(keys[pick(int(std::size(keys)))]));
      } else {
        QWheelEvent wheel(QPointF(at), QPointF(target->mapToGlobal(at)), QPoint(), QPoint(0, pick(2) ? 120 : -120),
                          Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(target, &wheel);
      }
    }
    if (action % 10 == 0) QCoreApplication::processEvents();
  }
  closer.stop();

  // Alive: the event loop answers a queued call at once.
  QElapsedTimer answer;
  answer.start();
  bool answered = false;
  QTimer::singleShot(0, [&] { answered = true; });
  ASSERT_TRUE(waitUntil([&] { return answered; }));
  // Whatever the monkey started (a run, a sweep) stops when cancelled: every runner is idle soon after.
  for (TaskRunner* runner : w().findChildren<TaskRunner*>()) runner->cancel();
  ASSERT_TRUE(waitForBackground(w()));
  // Responsive: a known pattern still gives the known picture and counts.
  PatternChoice window;
  window.pattern = QStringLiteral("window");
  window.params = {{QStringLiteral("radius"), QStringLiteral("2")}};
  window.n = 16;
  w().setPatternChoice(window);
  ASSERT_TRUE(waitForResult(w()));
  ASSERT_TRUE(waitForBackground(w()));
  ASSERT_TRUE(w().result());
  EXPECT_EQ(w().result()->stats.nnz, 74);  // 16 rows of a window of 5, less 6 cut at the ends
  EXPECT_EQ(heatmap()->tokens(), 16);
}

}  // namespace
}  // namespace attnscope

// The one runner: how each ending reaches the widget, cancellation, newest-wins, delays, and destruction.
#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <chrono>
#include <memory>
#include <new>
#include <stdexcept>
#include <random>
#include <thread>
#include <vector>

#include "engine/util/error.h"
#include "tests/widgets/wait_until.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {
namespace {

// Work that runs until it is told to stop (checking the stop flag as engine loops do).
std::function<void()> untilStopped(const TaskRunner::Context& context) {
  for (;;) {
    context.progress().throwIfCancelled();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

bool waitIdle(const TaskRunner& runner) {
  return waitUntil([&] { return !runner.busy(); });
}

TEST(TaskRunner, AResultIsHandedOverOnTheGuiThreadThenFinished) {
  TaskRunner runner;
  QSignalSpy finished(&runner, &TaskRunner::finished);
  int value = 0;
  std::thread::id workThread, handThread;
  runner.start([&](const TaskRunner::Context&) -> std::function<void()> {
    workThread = std::this_thread::get_id();
    return [&] {
      handThread = std::this_thread::get_id();
      value = 42;
    };
  });
  ASSERT_TRUE(waitIdle(runner));
  EXPECT_EQ(value, 42);
  EXPECT_EQ(finished.count(), 1);
  EXPECT_NE(workThread, std::this_thread::get_id());
  EXPECT_EQ(handThread, std::this_thread::get_id());
}

TEST(TaskRunner, EveryKindOfFailureIsOneMessage) {
  struct Case {
    std::function<void()> fail;
    QString expected;
  };
  const Case cases[] = {
      {[] { throw Error("n = 17 is not allowed"); }, QStringLiteral("n = 17 is not allowed")},
      {[] { throw std::bad_alloc(); },
       QStringLiteral("out of memory: choose a smaller n, fewer heads or a sparser pattern")},
      {[] { throw std::out_of_range("vector::at"); },
       QStringLiteral("internal error (vector::at); please report what you did")},
      {[] { throw 7; }, QStringLiteral("internal error of an unknown kind; please report what you did")},
  };
  for (const Case& c : cases) {
    TaskRunner runner;
    QSignalSpy failed(&runner, &TaskRunner::failed);
    QSignalSpy finished(&runner, &TaskRunner::finished);
    runner.start([&](const TaskRunner::Context&) -> std::function<void()> {
      c.fail();
      return {};
    });
    // Even an immediate failure is never emitted from inside start(): the caller can connect first.
    EXPECT_EQ(failed.count(), 0);
    ASSERT_TRUE(waitIdle(runner));
    ASSERT_EQ(failed.count(), 1);
    EXPECT_EQ(failed.at(0).at(0).toString(), c.expected);
    EXPECT_EQ(finished.count(), 0);
  }
}

TEST(TaskRunner, AFailingHandOverIsAFailureNotACrash) {
  TaskRunner runner;
  QSignalSpy failed(&runner, &TaskRunner::failed);
  runner.start([](const TaskRunner::Context&) -> std::function<void()> {
    return [] { throw Error("the token list is longer than n"); };
  });
  ASSERT_TRUE(waitIdle(runner));
  ASSERT_EQ(failed.count(), 1);
  EXPECT_EQ(failed.at(0).at(0).toString(), QStringLiteral("the token list is longer than n"));
}

TEST(TaskRunner, CancelEndsWithCancelledAndNoResult) {
  TaskRunner runner;
  QSignalSpy cancelled(&runner, &TaskRunner::cancelled);
  QSignalSpy finished(&runner, &TaskRunner::finished);
  runner.start(untilStopped);
  QTest::qWait(30);
  EXPECT_TRUE(runner.busy());
  runner.cancel();
  ASSERT_TRUE(waitIdle(runner));
  EXPECT_EQ(cancelled.count(), 1);
  EXPECT_EQ(finished.count(), 0);
}

TEST(TaskRunner, TheNewestRequestWinsAndTheReplacedOneEndsCancelled) {
  TaskRunner runner;
  QSignalSpy started(&runner, &TaskRunner::started);
  QSignalSpy finished(&runner, &TaskRunner::finished);
  QSignalSpy cancelled(&runner, &TaskRunner::cancelled);
  std::atomic<bool> firstStopped{false};
  int delivered = 0;
  runner.start([&](const TaskRunner::Context& c) -> std::function<void()> {
    try {
      untilStopped(c);
    } catch (const Cancelled&) {
      firstStopped = true;
      throw;
    }
    return [&] { delivered = 1; };
  });
  // The first one ends with cancelled() at once, before the second's started(), and its work is told to stop.
  std::vector<QString> order;
  QObject::connect(&runner, &TaskRunner::cancelled, [&] { order.push_back(QStringLiteral("cancelled")); });
  QObject::connect(&runner, &TaskRunner::started, [&] { order.push_back(QStringLiteral("started")); });
  runner.start([&](const TaskRunner::Context&) -> std::function<void()> { return [&] { delivered = 2; }; });
  EXPECT_EQ(order, (std::vector<QString>{QStringLiteral("cancelled"), QStringLiteral("started")}));
  ASSERT_TRUE(waitIdle(runner));
  ASSERT_TRUE(waitUntil([&] { return firstStopped.load(); }));
  QCoreApplication::processEvents();  // the first task's own ending, queued after it stopped, is dropped
  EXPECT_EQ(delivered, 2);
  EXPECT_EQ(started.count(), 2);
  EXPECT_EQ(finished.count(), 1);
  EXPECT_EQ(cancelled.count(), 1);
}

TEST(TaskRunner, CancellingAPendingStartEndsItCancelled) {
  TaskRunner runner;
  QSignalSpy started(&runner, &TaskRunner::started);
  QSignalSpy cancelled(&runner, &TaskRunner::cancelled);
  QSignalSpy finished(&runner, &TaskRunner::finished);
  std::atomic<int> runs{0};
  runner.startAfter(60000, [&](const TaskRunner::Context&) -> std::function<void()> {
    ++runs;
    return {};
  });
  EXPECT_EQ(started.count(), 1);
  EXPECT_TRUE(runner.busy());
  runner.cancel();
  EXPECT_EQ(cancelled.count(), 1);  // at once: a widget busy since started() is idle again
  EXPECT_FALSE(runner.busy());
  // A pending start replaced by another ends the same way, and only the newest work runs.
  runner.startAfter(60000, [&](const TaskRunner::Context&) -> std::function<void()> {
    runs += 10;
    return {};
  });
  runner.start([&](const TaskRunner::Context&) -> std::function<void()> {
    runs += 100;
    return {};
  });
  EXPECT_EQ(cancelled.count(), 2);
  ASSERT_TRUE(waitIdle(runner));
  EXPECT_EQ(runs.load(), 100);
  EXPECT_EQ(started.count(), 3);
  EXPECT_EQ(finished.count(), 1);
}

// Any sequence of starts, delayed starts, refused starts and cancels: every start that was not refused ends in
// exactly one of finished, cancelled or failed, and never two.
TEST(TaskRunner, EveryStartEndsExactlyOnce) {
  TaskRunner runner;
  int started = 0, ended = 0, open = 0;
  bool twice = false;
  QObject::connect(&runner, &TaskRunner::started, [&] {
    ++started;
    if (++open > 1) twice = true;  // a start before the previous one ended
  });
  auto ending = [&] {
    ++ended;
    if (--open < 0) twice = true;  // an ending with nothing open
  };
  QObject::connect(&runner, &TaskRunner::finished, ending);
  QObject::connect(&runner, &TaskRunner::cancelled, ending);
  QObject::connect(&runner, &TaskRunner::failed, ending);
  std::mt19937 random(21);
  auto quick = [](const TaskRunner::Context&) -> std::function<void()> { return [] {}; };
  auto failing = [](const TaskRunner::Context&) -> std::function<void()> { throw Error("no"); };
  for (int step = 0; step < 300; ++step) {
    switch (random() % 6) {
      case 0: runner.start(quick); break;
      case 1: runner.start(untilStopped); break;
      case 2: runner.start(failing, TaskRunner::Policy::RefuseWhileBusy); break;
      case 3: runner.startAfter(int(random() % 5), quick); break;
      case 4: runner.cancel(); break;
      case 5: QTest::qWait(int(random() % 3)); break;
    }
    ASSERT_FALSE(twice) << "step " << step;
  }
  runner.cancel();
  ASSERT_TRUE(waitIdle(runner));
  QCoreApplication::processEvents();
  EXPECT_FALSE(twice);
  EXPECT_EQ(open, 0);
  EXPECT_EQ(started, ended);
  EXPECT_GT(started, 100);
}

TEST(TaskRunner, RefuseWhileBusyKeepsTheRunningTask) {
  TaskRunner runner;
  runner.start(untilStopped, TaskRunner::Policy::RefuseWhileBusy);
  EXPECT_FALSE(runner.start([](const TaskRunner::Context&) -> std::function<void()> { return {}; },
                            TaskRunner::Policy::RefuseWhileBusy));
  runner.cancel();
  ASSERT_TRUE(waitIdle(runner));
}

TEST(TaskRunner, StartAfterWaitsOnTheGuiThreadAndABurstRunsOnce) {
  TaskRunner runner;
  QSignalSpy started(&runner, &TaskRunner::started);
  QSignalSpy cancelled(&runner, &TaskRunner::cancelled);
  QSignalSpy finished(&runner, &TaskRunner::finished);
  std::atomic<int> runs{0};
  auto work = [&](const TaskRunner::Context&) -> std::function<void()> {
    ++runs;
    return {};
  };
  for (int i = 0; i < 5; ++i) runner.startAfter(60, work);
  EXPECT_TRUE(runner.busy());
  EXPECT_EQ(started.count(), 5);    // each request is a start ...
  EXPECT_EQ(cancelled.count(), 4);  // ... and each replaced one ended at once
  EXPECT_EQ(runs.load(), 0);        // nothing reached the pool yet
  ASSERT_TRUE(waitIdle(runner));
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(finished.count(), 1);
}

TEST(TaskRunner, DestroyingTheRunnerStopsAndWaitsForItsWork) {
  std::atomic<bool> stopped{false};
  bool delivered = false;
  {
    TaskRunner runner;
    runner.start([&](const TaskRunner::Context& c) -> std::function<void()> {
      try {
        untilStopped(c);
      } catch (const Cancelled&) {
        stopped = true;
        throw;
      }
      return [&] { delivered = true; };
    });
    QTest::qWait(20);
  }
  EXPECT_TRUE(stopped);  // the destructor waited for the work to stop
  QTest::qWait(30);
  EXPECT_FALSE(delivered);
}

}  // namespace
}  // namespace attnscope

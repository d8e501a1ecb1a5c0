// The one runner: how each ending reaches the widget, cancellation, newest-wins, delays, and destruction.
#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTest>

#include <atomic>
#include <chrono>
#include <memory>
#include <new>
#include <stdexcept>
#include <thread>

#include "engine/util/error.h"
#include "widgets/task_runner.h"

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
  for (int i = 0; i < 500 && runner.busy(); ++i) QTest::qWait(10);
  return !runner.busy();
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
      {[] { throw std::bad_alloc(); }, QStringLiteral("out of memory: choose a smaller n, fewer heads or a sparser pattern")},
      {[] { throw std::out_of_range("vector::at"); }, QStringLiteral("internal error (vector::at); please report what you did")},
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

TEST(TaskRunner, TheNewestRequestWins) {
  TaskRunner runner;
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
  QTest::qWait(20);
  runner.start([&](const TaskRunner::Context&) -> std::function<void()> { return [&] { delivered = 2; }; });
  ASSERT_TRUE(waitIdle(runner));
  QTest::qWait(50);  // the first task's ending, if it said anything, has arrived by now
  EXPECT_TRUE(firstStopped);
  EXPECT_EQ(delivered, 2);
  EXPECT_EQ(finished.count(), 1);
  EXPECT_EQ(cancelled.count(), 0);  // the superseded task ends silently
}

TEST(TaskRunner, RefuseWhileBusyKeepsTheRunningTask) {
  TaskRunner runner;
  runner.start(untilStopped, TaskRunner::Policy::RefuseWhileBusy);
  EXPECT_FALSE(runner.start([](const TaskRunner::Context&) -> std::function<void()> { return {}; },
                            TaskRunner::Policy::RefuseWhileBusy));
  runner.cancel();
  ASSERT_TRUE(waitIdle(runner));
}

TEST(TaskRunner, StartAfterWaitsOnTheGuiThreadAndABurstStartsOnce) {
  TaskRunner runner;
  QSignalSpy started(&runner, &TaskRunner::started);
  int runs = 0;
  auto work = [&](const TaskRunner::Context&) -> std::function<void()> { return [&] { ++runs; }; };
  for (int i = 0; i < 5; ++i) runner.startAfter(60, work);
  EXPECT_TRUE(runner.busy());
  EXPECT_EQ(started.count(), 0);
  ASSERT_TRUE(waitIdle(runner));
  EXPECT_EQ(started.count(), 1);
  EXPECT_EQ(runs, 1);
  runner.startAfter(60, work);
  runner.cancel();  // a pending delay is dropped
  QTest::qWait(120);
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(runner.busy());
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

#include "widgets/task_runner.h"

#include <QFuture>
#include <QPointer>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <new>

#include "engine/util/error.h"

namespace attnscope {

struct TaskRunner::Task {
  std::atomic<bool> stop{false};
  QFuture<void> work;  ///< the pool thread's part: what the destructor waits for
};

void TaskRunner::end(const std::shared_ptr<Task>& task, const Outcome& outcome) {
  if (current_ != task) return;  // superseded or cancelled by a newer start: the newer task speaks
  current_.reset();
  switch (outcome.kind) {
    case Outcome::Done:
      try {
        if (outcome.deliver) outcome.deliver();
      } catch (...) {  // slots never throw: a failing hand-over is a failure like any other
        emit failed(messageOf(std::current_exception()));
        return;
      }
      emit finished();
      return;
    case Outcome::Stopped: emit cancelled(); return;
    case Outcome::Failed: emit failed(outcome.message); return;
  }
}

void TaskRunner::Context::post(std::function<void()> fn) const { post_(std::move(fn)); }

TaskRunner::TaskRunner(QObject* parent) : QObject(parent), delay_(new QTimer(this)) {
  delay_->setSingleShot(true);
  connect(delay_, &QTimer::timeout, this, [this] {
    Work work = std::move(delayed_);
    delayed_ = nullptr;
    if (work) start(std::move(work));
  });
}

TaskRunner::~TaskRunner() {
  for (auto& task : running_) task->stop = true;
  for (auto& task : running_) task->work.waitForFinished();
}

bool TaskRunner::busy() const { return current_ != nullptr || delay_->isActive(); }

void TaskRunner::cancel() {
  delay_->stop();
  delayed_ = nullptr;
  if (current_) current_->stop = true;
}

QString TaskRunner::messageOf(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return QString::fromStdString(e.what());
  } catch (const std::bad_alloc&) {
    return QStringLiteral("out of memory: choose a smaller n, fewer heads or a sparser pattern");
  } catch (const std::exception& e) {
    return QStringLiteral("internal error (%1); please report what you did").arg(QString::fromStdString(e.what()));
  } catch (...) {
    return QStringLiteral("internal error of an unknown kind; please report what you did");
  }
}

void TaskRunner::startAfter(int ms, Work work) {
  if (current_) current_->stop = true;
  current_.reset();
  delayed_ = std::move(work);
  delay_->start(ms);
}

bool TaskRunner::start(Work work, Policy policy) {
  if (current_ && policy == Policy::RefuseWhileBusy) return false;
  delay_->stop();
  delayed_ = nullptr;
  if (current_) current_->stop = true;  // newest wins: the old task stops at its next check and says nothing
  std::erase_if(running_, [](const std::shared_ptr<Task>& t) { return t->work.isFinished(); });
  auto task = std::make_shared<Task>();
  current_ = task;
  running_.push_back(task);
  emit started();

  QPointer<TaskRunner> self(this);
  Context context;
  context.progress_.stopFlag = &task->stop;  // the task outlives its work: the runner waits for it
  context.progress_.isCancelled = [task] { return task->stop.load(); };
  context.progress_.onProgress = [self, task](double f) {
    QMetaObject::invokeMethod(self, [self, task, f] {
      if (self && self->current_ == task) emit self->progress(f);
    }, Qt::QueuedConnection);
  };
  context.post_ = [self, task](std::function<void()> fn) {
    QMetaObject::invokeMethod(self, [self, task, fn = std::move(fn)] {
      if (self && self->current_ == task) fn();
    }, Qt::QueuedConnection);
  };

  // The ending always travels as a queued call to the GUI thread, even when the work fails at once: never a
  // signal from inside start(), and nothing at all once the runner is gone.
  task->work = QtConcurrent::run([self, task, work = std::move(work), context] {
    Outcome outcome;
    try {
      outcome.deliver = work(context);
    } catch (const Cancelled&) {
      outcome.kind = Outcome::Stopped;
    } catch (...) {
      outcome.kind = Outcome::Failed;
      outcome.message = messageOf(std::current_exception());
    }
    QMetaObject::invokeMethod(self, [self, task, outcome = std::move(outcome)] {
      if (self) self->end(task, outcome);
    }, Qt::QueuedConnection);
  });
  return true;
}

}  // namespace attnscope

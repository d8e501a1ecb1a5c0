#include "widgets/shared/task_runner.h"

#include <QFuture>
#include <QPointer>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <new>

#include "engine/util/error.h"

namespace attnscope {

struct TaskRunner::Task {
  CancellationToken token;
  QFuture<void> work;  ///< the pool thread's part: what the destructor waits for (none while pending)
};

void TaskRunner::end(const std::shared_ptr<Task>& task, const Outcome& outcome) {
  if (current_ != task) return;  // it ended already: cancelled, or replaced by a newer start
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
    if (current_ && work) launch(current_, std::move(work));
  });
}

TaskRunner::~TaskRunner() {
  for (auto& task : running_) task->token.cancel();
  for (auto& task : running_) task->work.waitForFinished();
}

bool TaskRunner::busy() const { return current_ != nullptr; }

void TaskRunner::cancelCurrent() {
  delay_->stop();
  delayed_ = nullptr;
  if (!current_) return;
  const std::shared_ptr<Task> task = std::move(current_);
  current_.reset();
  task->token.cancel();  // its work stops at its next check; whatever it still returns is dropped in end()
  emit cancelled();
}

void TaskRunner::cancel() { cancelCurrent(); }

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

std::shared_ptr<TaskRunner::Task> TaskRunner::begin() {
  cancelCurrent();
  std::erase_if(running_, [](const std::shared_ptr<Task>& t) { return t->work.isFinished(); });
  current_ = std::make_shared<Task>();
  emit started();
  return current_;
}

void TaskRunner::startAfter(int ms, Work work) {
  begin();
  delayed_ = std::move(work);
  delay_->start(ms);
}

bool TaskRunner::start(Work work, Policy policy) {
  if (current_ && policy == Policy::RefuseWhileBusy) return false;
  launch(begin(), std::move(work));
  return true;
}

void TaskRunner::launch(const std::shared_ptr<Task>& task, Work work) {
  running_.push_back(task);
  QPointer<TaskRunner> self(this);
  Context context;
  context.progress_.token = task->token;
  context.progress_.onProgress = [self, task](double f) {  // any worker thread: queued to the GUI thread
    QMetaObject::invokeMethod(
        self,
        [self, task, f] {
          if (self && self->current_ == task) emit self->progress(f);
        },
        Qt::QueuedConnection);
  };
  context.post_ = [self, task](std::function<void()> fn) {
    QMetaObject::invokeMethod(
        self,
        [self, task, fn = std::move(fn)] {
          if (self && self->current_ == task) fn();
        },
        Qt::QueuedConnection);
  };

  // The ending always travels as a queued call to the GUI thread, even when the work fails at once: never a
  // signal from inside start(), and nothing at all once the runner is gone.
  task->work = QtConcurrent::run([self, task, work = std::move(work), context] {
    Outcome outcome;
    try {
      outcome.deliver = work(context);
      if (task->token.cancelled()) outcome = {Outcome::Stopped, {}, {}};  // asked to stop: no result, whatever came
    } catch (const Cancelled&) {
      outcome.kind = Outcome::Stopped;
    } catch (...) {
      outcome.kind = Outcome::Failed;
      outcome.message = messageOf(std::current_exception());
    }
    QMetaObject::invokeMethod(
        self,
        [self, task, outcome = std::move(outcome)] {
          if (self) self->end(task, outcome);
        },
        Qt::QueuedConnection);
  });
}

}  // namespace attnscope

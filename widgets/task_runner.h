#pragma once
// The one way background work leaves the GUI thread and comes back (after Qt's qtconcurrent examples: work in
// QtConcurrent::run, its ending handed to the GUI thread as a queued call on this object).
//
// - A task runs on the global thread pool and gets a Context: a Progress whose stop flag any worker thread may
//   read, and post(), which hands a function to the GUI thread if the task is still the current one.
// - Newest wins: starting a task cancels the one in flight (ReplaceRunning), or is refused while one runs
//   (RefuseWhileBusy). Only the current task's results and endings reach the widget.
// - One rule for errors: every ending of the current task is one signal on the GUI thread — finished() after its
//   result was handed over, cancelled(), or failed(message) with the engine's message (out of memory and any other
//   exception are worded too) — so a progress bar is always taken down.
// - No sleeping in pool threads: a delay is startAfter(), a single-shot QTimer on the GUI thread.
// - The destructor cancels every task it started and waits for them.

#include <QObject>
#include <QString>

#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "engine/util/progress.h"

class QTimer;

namespace attnscope {

class TaskRunner : public QObject {
  Q_OBJECT
 public:
  /// What a task sees on its worker thread.
  class Context {
   public:
    const Progress& progress() const { return progress_; }
    /// Runs `fn` on the GUI thread, unless a newer task (or cancel()) has come first by then.
    void post(std::function<void()> fn) const;

   private:
    friend class TaskRunner;
    Progress progress_;
    std::function<void(std::function<void()>)> post_;
  };
  /// The work, on a pool thread: returns what to do with its result on the GUI thread (it runs only while the
  /// task is still current, just before finished()). Throw Error for bad input, Cancelled when asked to stop.
  using Work = std::function<std::function<void()>(const Context&)>;

  enum class Policy { ReplaceRunning, RefuseWhileBusy };

  explicit TaskRunner(QObject* parent = nullptr);
  ~TaskRunner() override;

  /// Starts `work`; false (and nothing happens) when the policy refuses. Emits started().
  bool start(Work work, Policy policy = Policy::ReplaceRunning);
  /// Starts `work` after `ms` milliseconds without another start() or cancel(): a GUI-thread timer, so a burst of
  /// requests (a dragged slider) never reaches the pool. Until then busy() is true.
  void startAfter(int ms, Work work);
  /// Asks the current task to stop (it ends with cancelled()); a pending startAfter() is dropped.
  void cancel();
  /// Whether a task is current (running, or waiting in startAfter()).
  bool busy() const;

  /// The same wording every runner ending uses, for an exception caught elsewhere at the boundary.
  static QString messageOf(std::exception_ptr error);

 signals:
  void started();
  void progress(double fraction);
  void finished();
  void cancelled();
  void failed(const QString& message);

 private:
  struct Task;
  /// How a task ended, carried from the pool thread to the GUI thread.
  struct Outcome {
    enum Kind { Done, Stopped, Failed } kind = Done;
    QString message;
    std::function<void()> deliver;
  };
  void end(const std::shared_ptr<Task>& task, const Outcome& outcome);
  std::shared_ptr<Task> current_;
  std::vector<std::shared_ptr<Task>> running_;
  QTimer* delay_ = nullptr;
  Work delayed_;
};

}  // namespace attnscope

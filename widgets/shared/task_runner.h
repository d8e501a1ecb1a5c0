#pragma once
// The one way background work leaves the GUI thread and comes back (after Qt's qtconcurrent examples: work in
// QtConcurrent::run, its ending handed to the GUI thread as a queued call on this object).
//
// - A task runs on the global thread pool and gets a Context: a Progress carrying the task's CancellationToken
//   (every engine call the task makes is given it), and post(), which hands a function to the GUI thread if the
//   task is still the current one.
// - Every start (start() that is not refused, and startAfter()) emits started() and then exactly one ending on
//   the GUI thread: finished() after its result was handed over, cancelled(), or failed(message) with the
//   engine's message (out of memory and any other exception are worded too). So a widget that shows a busy state
//   on started() always takes it down.
// - Newest wins: starting a task while another is current (running, or waiting in startAfter()) ends that one
//   with cancelled() at once, before the new started(); its work is told to stop through its token, and whatever
//   it still returns is dropped. RefuseWhileBusy refuses a start instead while a task runs. cancel() does the same
//   for the current task.
// - No sleeping in pool threads: a delay is startAfter(), a single-shot QTimer on the GUI thread.
// - The destructor cancels every task it started and waits for them (it emits nothing).

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

  /// Starts `work`; false (and nothing happens) when the policy refuses. Emits cancelled() for a task it replaces,
  /// then started().
  bool start(Work work, Policy policy = Policy::ReplaceRunning);
  /// Starts `work` after `ms` milliseconds without another start() or cancel(): a GUI-thread timer, so a burst of
  /// requests (a dragged slider) never reaches the pool. Emits cancelled() for a task it replaces, then started();
  /// until the work ends, busy() is true.
  void startAfter(int ms, Work work);
  /// Stops the current task, running or waiting in startAfter(): it ends with cancelled() at once.
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
  /// Ends the current task, if any, with cancelled(): its token is cancelled and its later ending dropped.
  void cancelCurrent();
  /// Makes a new current task (ending the previous one) and emits started().
  std::shared_ptr<Task> begin();
  void launch(const std::shared_ptr<Task>& task, Work work);
  std::shared_ptr<Task> current_;
  std::vector<std::shared_ptr<Task>> running_;
  QTimer* delay_ = nullptr;
  Work delayed_;  ///< the work of current_ while it waits in startAfter()
};

}  // namespace attnscope

#include "widgets/attention_runner.h"

#include <QFuture>
#include <QPointer>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>

#include "engine/attention/attention_inputs.h"
#include "engine/util/error.h"

namespace attnscope {

namespace {

using Clock = std::chrono::steady_clock;

// Per head, an n × n picture of a run's weights; cells the pattern leaves out are NaN (drawn grey).
std::shared_ptr<MaskPicture> weightsPicture(const SparseWeights& w, int heads, float& lo, float& hi) {
  auto p = std::make_shared<MaskPicture>();
  const Index n = w.mask.n();
  p->n = n;
  p->side = static_cast<int>(n);
  for (int h = 0; h < heads; ++h) {
    std::vector<float> values(static_cast<std::size_t>(n * n), std::numeric_limits<float>::quiet_NaN());
    const int mh = w.maskHead(h);
    const CsrRows& rows = w.mask.headRows(mh);
    for (Index q = 0; q < n; ++q) {
      const auto keys = w.mask.row(mh, q);
      const float* v = w.values[h].data() + rows.offsets[q];
      for (std::size_t t = 0; t < keys.size(); ++t) {
        values[static_cast<std::size_t>(q * n + keys[t])] = v[t];
        if (v[t] > 0) lo = std::min(lo, v[t]);
        hi = std::max(hi, v[t]);
      }
    }
    p->heads.push_back(std::move(values));
  }
  return p;
}

}  // namespace

AttentionInputs runInputs(const RunRequest& request, int heads, const Progress& progress) {
  const MaskResult& m = *request.mask;
  if (request.fromSentence && !m.tokens.isEmpty())
    return textInputs(m.choice.text.toStdString(), heads, request.dim, request.seed);
  return syntheticInputs(heads, m.choice.n, request.dim, request.seed, progress);
}

struct AttentionRunner::Job {
  std::atomic<bool> cancelled{false};
  std::atomic<int> stage{-1};
  std::atomic<std::int64_t> stageStart[3] = {0, 0, 0};  ///< steady-clock ticks at which each stage began
  std::mutex mutex;
  std::vector<RowsDone> pending;
  QFuture<void> future;
  bool comparison = false;
  /// The computation, on the worker thread; it returns how to announce its result on the GUI thread.
  std::function<std::function<void(AttentionRunner*)>(std::shared_ptr<Job>, QPointer<AttentionRunner>)> work;

  Progress progress(QPointer<AttentionRunner> self, std::shared_ptr<Job> job) {
    Progress p;
    p.isCancelled = [job] { return job->cancelled.load(); };
    p.stopFlag = &job->cancelled;  // the job outlives the work
    p.onProgress = [self, job](double f) {
      QMetaObject::invokeMethod(self, [self, job, f] {
        if (self && self->job_ == job) emit self->progress(f);
      }, Qt::QueuedConnection);
    };
    return p;
  }
};

AttentionRunner::AttentionRunner(QObject* parent) : QObject(parent), timer_(new QTimer(this)) {
  timer_->setInterval(33);
  connect(timer_, &QTimer::timeout, this, &AttentionRunner::poll);
}

AttentionRunner::~AttentionRunner() {
  if (job_) {
    job_->cancelled = true;
    job_->future.waitForFinished();
  }
}

bool AttentionRunner::busy() const { return job_ != nullptr; }

void AttentionRunner::cancel() {
  if (job_) job_->cancelled = true;
}

void AttentionRunner::poll() {
  if (!job_ || !job_->comparison) return;
  std::vector<RowsDone> rows;
  {
    std::lock_guard lock(job_->mutex);
    rows.swap(job_->pending);
  }
  const int stage = job_->stage.load();
  std::vector<double> ms;
  for (int s = 0; s <= stage; ++s) {
    const Clock::duration end = s < stage ? Clock::duration(job_->stageStart[s + 1].load()) : Clock::now().time_since_epoch();
    ms.push_back(std::chrono::duration<double, std::milli>(end - Clock::duration(job_->stageStart[s].load())).count());
  }
  emit tick(stage, ms, rows);
}

bool AttentionRunner::start(std::shared_ptr<Job> job) {
  if (job_) return false;
  job_ = job;
  emit started();
  if (job->comparison) timer_->start();
  QPointer<AttentionRunner> self(this);
  job->future = QtConcurrent::run([self, job] {
    // Every ending is handed to the GUI thread, which drains the last rows and then says how it ended.
    auto finish = [self, job](std::function<void(AttentionRunner*)> say) {
      QMetaObject::invokeMethod(self, [self, job, say] {
        if (!self || self->job_ != job) return;
        self->poll();
        self->timer_->stop();
        self->job_.reset();
        say(self);
      }, Qt::QueuedConnection);
    };
    try {
      finish(job->work(job, self));
    } catch (const Cancelled&) {
      finish([](AttentionRunner* r) { emit r->cancelled(); });
    } catch (const std::bad_alloc&) {
      finish([](AttentionRunner* r) {
        emit r->failed(QStringLiteral("out of memory: choose a smaller n, fewer heads or a smaller dim"));
      });
    } catch (const std::exception& e) {
      const QString message = QString::fromStdString(e.what());
      finish([message](AttentionRunner* r) { emit r->failed(message); });
    }
  });
  return true;
}

bool AttentionRunner::run(const RunRequest& request) {
  if (job_ || !request.mask || !request.mask->mask) return false;
  auto job = std::make_shared<Job>();
  job->comparison = true;
  job->work = [request](std::shared_ptr<Job> job, QPointer<AttentionRunner> self) -> std::function<void(AttentionRunner*)> {
    const SparseMask& mask = *request.mask->mask;
    const int heads = mask.heads();
    RunResult result;
    result.request = request;
    result.heads = heads;
    Progress progress = job->progress(self, job);
    progress.onProgress = nullptr;  // making the inputs is quick: the bar is for the runs
    const AttentionInputs inputs = runInputs(request, heads, progress);
    result.inputs = request.fromSentence && !request.mask->tokens.isEmpty()
                        ? QStringLiteral("sentence (synthetic embeddings)")
                        : QStringLiteral("Gaussian, seed %1").arg(request.seed);
    CompareHooks hooks;
    hooks.wantWeights = mask.n() <= kMaxPictureSide;
    hooks.repeatBelowMs = 20;
    hooks.onStage = [job](int stage) {
      job->stageStart[stage] = Clock::now().time_since_epoch().count();
      job->stage = stage;
    };
    hooks.onRows = [job](bool full, int head, Index b, Index e) {
      std::lock_guard lock(job->mutex);
      job->pending.push_back({full, head, b, e});
    };
    AttentionOutput pattern, full;
    result.comparison = compareWithFull(inputs, mask, job->progress(self, job), &pattern, &full, hooks);
    if (pattern.weights && full.weights) {
      float lo = std::numeric_limits<float>::infinity(), hi = 0;
      result.weightsPattern = weightsPicture(*pattern.weights, heads, lo, hi);
      result.weightsFull = weightsPicture(*full.weights, heads, lo, hi);
      result.minWeight = std::isfinite(lo) ? lo : 0.0f;
      result.maxWeight = hi;
    }
    return [result](AttentionRunner* r) { emit r->finished(result); };
  };
  return start(job);
}

bool AttentionRunner::sweep(const PatternChoice& choice, const ScalingOptions& options) {
  if (job_) return false;
  auto job = std::make_shared<Job>();
  job->work = [choice, options](std::shared_ptr<Job> job,
                                QPointer<AttentionRunner> self) -> std::function<void(AttentionRunner*)> {
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& [k, v] : choice.params) params.emplace_back(k.toStdString(), v.toStdString());
    const auto points = scalingSweep(PatternSpec::parse(choice.pattern.toStdString()), params, options,
                                     [self, job](const ScalingPoint& p) {
                                       QMetaObject::invokeMethod(self, [self, job, p] {
                                         if (self && self->job_ == job) emit self->sweepPoint(p);
                                       }, Qt::QueuedConnection);
                                     },
                                     job->progress(self, job));
    return [points](AttentionRunner* r) { emit r->sweepFinished(points); };
  };
  return start(job);
}

}  // namespace attnscope

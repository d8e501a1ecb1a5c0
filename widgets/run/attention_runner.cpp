#include "widgets/run/attention_runner.h"

#include <QTimer>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>

#include "engine/inputs/attention_inputs.h"
#include "engine/util/error.h"
#include "widgets/shared/gui_limits.h"

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
  std::atomic<int> stage{-1};
  std::atomic<std::int64_t> stageStart[3] = {0, 0, 0};  ///< steady-clock ticks at which each stage began
  std::mutex mutex;
  std::vector<RowsDone> pending;
  bool comparison = false;
};

AttentionRunner::AttentionRunner(QObject* parent)
    : QObject(parent), runner_(new TaskRunner(this)), timer_(new QTimer(this)) {
  timer_->setInterval(33);
  connect(timer_, &QTimer::timeout, this, &AttentionRunner::poll);
  connect(runner_, &TaskRunner::started, this, &AttentionRunner::started);
  connect(runner_, &TaskRunner::progress, this, &AttentionRunner::progress);
  // Every ending drains the last rows first, then says how it ended (finished/sweepFinished come from the result).
  connect(runner_, &TaskRunner::cancelled, this, [this] {
    end();
    emit cancelled();
  });
  connect(runner_, &TaskRunner::failed, this, [this](const QString& message) {
    end();
    emit failed(message);
  });
}

AttentionRunner::~AttentionRunner() = default;  // the TaskRunner child cancels and waits

bool AttentionRunner::busy() const { return runner_->busy(); }

void AttentionRunner::cancel() { runner_->cancel(); }

void AttentionRunner::end() {
  poll();
  timer_->stop();
  job_.reset();
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
    const Clock::duration end =
        s < stage ? Clock::duration(job_->stageStart[s + 1].load()) : Clock::now().time_since_epoch();
    ms.push_back(std::chrono::duration<double, std::milli>(end - Clock::duration(job_->stageStart[s].load())).count());
  }
  emit tick(stage, ms, rows);
}

bool AttentionRunner::start(std::shared_ptr<Job> job, TaskRunner::Work work) {
  if (runner_->busy()) return false;
  job_ = std::move(job);
  if (job_->comparison) timer_->start();
  return runner_->start(std::move(work), TaskRunner::Policy::RefuseWhileBusy);
}

bool AttentionRunner::run(const RunRequest& request) {
  if (runner_->busy() || !request.mask || !request.mask->mask) return false;
  auto job = std::make_shared<Job>();
  job->comparison = true;
  return start(job, [this, request, job](const TaskRunner::Context& context) -> std::function<void()> {
    const SparseMask& mask = *request.mask->mask;
    const int heads = mask.heads();
    RunResult result;
    result.request = request;
    result.heads = heads;
    Progress quiet = context.progress();
    quiet.onProgress = nullptr;  // making the inputs is quick: the bar is for the runs
    const AttentionInputs inputs = runInputs(request, heads, quiet);
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
    result.comparison = compareWithFull(inputs, mask, context.progress(), &pattern, &full, hooks);
    if (pattern.weights && full.weights) {
      float lo = std::numeric_limits<float>::infinity(), hi = 0;
      result.weightsPattern = weightsPicture(*pattern.weights, heads, lo, hi);
      result.weightsFull = weightsPicture(*full.weights, heads, lo, hi);
      result.minWeight = std::isfinite(lo) ? lo : 0.0f;
      result.maxWeight = hi;
    }
    return [this, result] {
      end();
      emit finished(result);
    };
  });
}

bool AttentionRunner::sweep(const PatternChoice& choice, const ScalingOptions& options) {
  if (runner_->busy()) return false;
  return start(std::make_shared<Job>(),
               [this, choice, options](const TaskRunner::Context& context) -> std::function<void()> {
                 const auto points = scalingSweep(
                     PatternSpec::parse(choice.pattern.toStdString()), choice.paramTexts(), options,
                     [this, &context](const ScalingPoint& p) { context.post([this, p] { emit sweepPoint(p); }); },
                     context.progress());
                 return [this, points] {
                   end();
                   emit sweepFinished(points);
                 };
               });
}

}  // namespace attnscope

#include "widgets/mask_controller.h"

#include <QFuture>
#include <QLocale>
#include <QPointer>
#include <QThread>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <limits>

#include "engine/attention/attention_inputs.h"
#include "engine/util/error.h"
#include "engine/masks/pattern_registry.h"

namespace attnscope {

MaskResult computeMaskResult(const PatternChoice& choice, const Progress& progress, bool reachability) {
  const auto start = std::chrono::steady_clock::now();
  MaskResult r;
  r.choice = choice;
  const PatternSpec spec = PatternSpec::parse(choice.pattern.toStdString());
  std::vector<std::pair<std::string, std::string>> texts;
  for (const auto& [k, v] : choice.params) texts.emplace_back(k.toStdString(), v.toStdString());
  const ParamSet values = spec.resolve(texts);
  QStringList shown;
  for (const ParamSpec& p : spec.params())
    shown << QString::fromStdString(p.name + "=" + formatParam(values.values().at(p.name)));
  r.title = choice.pattern + QStringLiteral(", n = ") + QLocale(QLocale::English).toString(static_cast<qlonglong>(choice.n));
  if (!shown.isEmpty()) r.title += QLatin1Char('\n') + shown.join(QStringLiteral(", "));
  const std::vector<std::string> tokens = choice.text.trimmed().isEmpty() ? std::vector<std::string>{}
                                                                         : tokenize(choice.text.toStdString());
  if (static_cast<Index>(tokens.size()) == choice.n)
    for (const auto& t : tokens) r.tokens << QString::fromStdString(t);
  std::optional<AttentionInputs> inputs;
  if (spec.needsInputs())
    inputs = r.tokens.isEmpty() ? syntheticInputs(1, choice.n, 64, 0) : textInputs(choice.text.toStdString(), 1, 64, 0);
  const auto pattern = spec.make(values, choice.n, inputs ? &*inputs : nullptr);
  for (const auto& note : pattern->notes()) r.notes << QString::fromStdString(note);
  auto mask = std::make_shared<SparseMask>(buildMask(*pattern, {}, progress));
  r.stats = computeStats(*mask);
  progress.throwIfCancelled();
  r.picture = std::make_shared<MaskPicture>(makePicture(*mask));
  if (mask->hasBlockLayout()) r.layoutPicture = std::make_shared<MaskPicture>(makePicture(*mask, true));
  progress.throwIfCancelled();
  r.mask = std::move(mask);
  r.milliseconds = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (reachability) addReachability(r, progress);
  return r;
}

void addReachability(MaskResult& r, const Progress& progress) {
  if (!r.mask || r.stats.nnz > kGuiReachCells) return;
  ReachOptions options;
  options.maxAllPairsWork = kGuiAllPairsWork;
  options.maxSampleWork = kGuiSampleWork;
  const Index n = r.mask->n();
  options.wantMatrix = n <= kMaxPictureSide;
  options.maxMatrixTokens = kMaxPictureSide;
  auto graph = std::make_shared<ReachGraph>(*r.mask);
  graph->backward();  // built here, off the GUI thread, so a path query is one search
  ReachSummary reach = analyzeReachability(*graph, options, progress);
  if (!reach.distances.empty()) {
    auto hops = std::make_shared<MaskPicture>();
    hops->n = n;
    hops->side = static_cast<int>(n);
    std::vector<float> values(static_cast<std::size_t>(n * n));
    for (std::size_t i = 0; i < values.size(); ++i)
      values[i] = reach.distances[i] == kUnreachable ? std::numeric_limits<float>::quiet_NaN() : float(reach.distances[i]);
    hops->heads.push_back(std::move(values));
    r.hopPicture = std::move(hops);
    reach.distances = {};  // the picture holds them now
  }
  r.reach = std::move(reach);
  r.graph = std::move(graph);
}

struct MaskController::Job {
  std::atomic<bool> cancelled{false};
  QFuture<void> future;
};

MaskController::MaskController(QObject* parent) : QObject(parent) {}

MaskController::~MaskController() {
  for (auto& job : running_) job->cancelled = true;
  for (auto& job : running_) job->future.waitForFinished();
}

void MaskController::cancel() {
  if (current_) current_->cancelled = true;
  current_.reset();
}

bool MaskController::busy() const { return current_ != nullptr; }

void MaskController::request(const PatternChoice& choice) {
  cancel();
  auto job = std::make_shared<Job>();
  current_ = job;
  // Forget finished jobs.
  std::erase_if(running_, [](const std::shared_ptr<Job>& j) { return j->future.isFinished(); });
  running_.push_back(job);
  emit started();
  QPointer<MaskController> self(this);
  job->future = QtConcurrent::run([self, job, choice, reach = reachability_] {
    Progress progress;
    progress.isCancelled = [job] { return job->cancelled.load(); };
    progress.stopFlag = &job->cancelled;
    progress.onProgress = [self, job](double f) {
      QMetaObject::invokeMethod(self, [self, job, f] {
        if (self && self->current_ == job) emit self->progress(f);
      }, Qt::QueuedConnection);
    };
    try {
      auto result = std::make_shared<MaskResult>(computeMaskResult(choice, progress, /*reachability=*/false));
      std::shared_ptr<const MaskResult> first = std::make_shared<const MaskResult>(*result);
      QMetaObject::invokeMethod(self, [self, job, first, reach] {
        if (!self || self->current_ != job) return;  // a newer request wins
        if (!reach) self->current_.reset();
        emit self->ready(first);
      }, Qt::QueuedConnection);
      if (!reach) return;
      // Reachability waits for 150 ms without a newer request: while a slider is dragged it never starts, so the
      // cores stay free for the pictures.
      for (int waited = 0; waited < 150; waited += 10) {
        progress.throwIfCancelled();
        QThread::msleep(10);
      }
      addReachability(*result, progress);
      std::shared_ptr<const MaskResult> full = std::move(result);
      QMetaObject::invokeMethod(self, [self, job, full] {
        if (!self || self->current_ != job) return;
        self->current_.reset();
        emit self->reachabilityReady(full);
      }, Qt::QueuedConnection);
    } catch (const Cancelled&) {
    } catch (const Error& e) {
      const QString message = QString::fromStdString(e.what());
      QMetaObject::invokeMethod(self, [self, job, message] {
        if (!self || self->current_ != job) return;
        self->current_.reset();
        emit self->failed(message);
      }, Qt::QueuedConnection);
    } catch (const std::bad_alloc&) {
      QMetaObject::invokeMethod(self, [self, job] {
        if (!self || self->current_ != job) return;
        self->current_.reset();
        emit self->failed(QStringLiteral("out of memory: choose a smaller n or a sparser pattern"));
      }, Qt::QueuedConnection);
    }
  });
}

}  // namespace attnscope

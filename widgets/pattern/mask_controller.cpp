#include "widgets/pattern/mask_controller.h"

#include <QLocale>

#include <chrono>
#include <limits>

#include "engine/inputs/attention_inputs.h"
#include "engine/util/error.h"
#include "engine/patterns/pattern_registry.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/gui_limits.h"

namespace attnscope {

std::vector<std::string> choiceTokens(const PatternChoice& choice) {
  std::vector<std::string> tokens =
      choice.text.trimmed().isEmpty() ? std::vector<std::string>{} : tokenize(choice.text.toStdString());
  if (static_cast<Index>(tokens.size()) != choice.n) tokens.clear();
  return tokens;
}

std::optional<AttentionInputs> choiceInputs(const PatternChoice& choice) {
  if (!PatternSpec::parse(choice.pattern.toStdString()).needsInputs()) return std::nullopt;
  return choiceTokens(choice).empty() ? syntheticInputs(1, choice.n, 64, 0)
                                      : textInputs(choice.text.toStdString(), 1, 64, 0);
}

MaskResult computeMaskResult(const PatternChoice& choice, const Progress& progress, bool reachability) {
  const auto start = std::chrono::steady_clock::now();
  MaskResult r;
  r.choice = choice;
  const CheckedPattern checked = checkChoice(choice);  // the one check of the request, before anything is made
  const PatternSpec& spec = checked.spec();
  QStringList shown;
  for (const ParamSpec& p : spec.params())
    shown << QString::fromStdString(p.name + "=" + formatParam(checked.values().values().at(p.name)));
  r.title = choice.pattern + QStringLiteral(", n = ") + countText(choice.n);
  if (!shown.isEmpty()) r.title += QLatin1Char('\n') + shown.join(QStringLiteral(", "));
  const std::vector<std::string> tokens = choiceTokens(choice);
  for (const auto& t : tokens) r.tokens << QString::fromStdString(t);
  const std::optional<AttentionInputs> inputs = choiceInputs(choice);
  const double share = checked.makeShare();
  const auto pattern = checked.make(inputs ? &*inputs : nullptr, progress.part(0.0, share));
  for (const auto& note : pattern->notes()) r.notes << QString::fromStdString(note);
  auto mask = std::make_shared<SparseMask>(buildMask(*pattern, {}, progress.part(share, 1.0)));
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
      values[i] =
          reach.distances[i] == kUnreachable ? std::numeric_limits<float>::quiet_NaN() : float(reach.distances[i]);
    hops->heads.push_back(std::move(values));
    r.hopPicture = std::move(hops);
    reach.distances = {};  // the picture holds them now
  }
  r.reach = std::move(reach);
  r.graph = std::move(graph);
}

MaskController::MaskController(QObject* parent) : QObject(parent), runner_(new TaskRunner(this)) {
  connect(runner_, &TaskRunner::progress, this, &MaskController::progress);
  connect(runner_, &TaskRunner::failed, this, &MaskController::failed);
  connect(runner_, &TaskRunner::cancelled, this, &MaskController::cancelled);
}

void MaskController::cancel() { runner_->cancel(); }

bool MaskController::busy() const { return runner_->busy(); }

void MaskController::request(const PatternChoice& choice) {
  const bool reach = reachability_;
  runner_->start([this, choice, reach](const TaskRunner::Context& context) -> std::function<void()> {
    auto result = std::make_shared<MaskResult>(computeMaskResult(choice, context.progress(), /*reachability=*/false));
    return [this, result, reach] {
      emit ready(std::make_shared<const MaskResult>(*result));
      if (!reach) return;
      runner_->startAfter(kReachDelayMs, [this, result](const TaskRunner::Context& context) -> std::function<void()> {
        addReachability(*result, context.progress());
        return [this, result] { emit reachabilityReady(result); };
      });
    };
  });
  emit started();  // after the start, which ended any task it replaced with cancelled()
}

}  // namespace attnscope

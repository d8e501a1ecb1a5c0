// attnscope-cli compress: the other road to a cheaper model (issue 25). The model's linear layers are compressed in a
// copy — pruned by magnitude, each weight matrix by itself (--prune l1=A, PyTorch's l1_unstructured) or all ranked
// together (--prune global=A, global_unstructured), again when the option repeats; then held in half precision
// (--precision fp16|bf16, with --mixed computed in it too) or quantized to int8 as quantize_dynamic does
// (--quantize int8); --save writes the result in its checkpoint's form — and both run on the text: what the answers
// keep (top-1 agreement, KL, perplexity, drift), how far each head's attention moved (Jensen–Shannon divergence of its
// rows), the weights' bytes and each pass's time.
#include <QJsonArray>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "app/cli/cli_common.h"
#include "engine/compression/compare_models.h"
#include "engine/compression/compress.h"
#include "engine/compression/save.h"
#include "engine/quantization/dynamic_int8.h"
#include "engine/runtime/inference.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

// What `compress` was asked; Check() says the first thing wrong with it.
struct CompressArgs {
  ModelTextOptions::Values input;
  std::vector<PruneStep> prune;
  int pruneHeads = 0;
  std::string headScore = "output-norm", quantize, precision, save;
  bool mixed = false, json = false;

  std::string Check() const {
    if (const std::string problem = input.check(); !problem.empty()) return problem;
    if (headScore != "output-norm" && headScore != "entropy")
      return "--head-score '" + attnscope::quoted(headScore) +
             "' is not allowed: expected output-norm (what a head adds to the residual stream) or entropy";
    if (!quantize.empty() && quantize != "int8")
      return "--quantize '" + attnscope::quoted(quantize) +
             "' is not allowed: expected int8 (quantize_dynamic with qint8)";
    if (!precision.empty() && precision != "fp16" && precision != "bf16" && precision != "fp32")
      return "--precision '" + attnscope::quoted(precision) + "' is not allowed: expected fp16 or bf16";
    if (!quantize.empty() && !precision.empty() && precision != "fp32")
      return "--quantize int8 and --precision " + precision + " both say how the weights are held: choose one";
    if (mixed && (precision.empty() || precision == "fp32"))
      return "--mixed computes the linear layers in half precision: give --precision fp16 or bf16 with it";
    if (!save.empty()) {
      std::error_code ec;
      const std::filesystem::path target = save;
      if (std::filesystem::exists(target, ec) &&
          (!std::filesystem::is_directory(target, ec) || !std::filesystem::is_empty(target, ec)))
        return "--save '" + attnscope::quoted(save) +
               "' is not allowed: it exists and is not an empty folder; give a new or empty one";
    }
    if (pruneHeads == 0 && prune.empty() && quantize.empty() && (precision.empty() || precision == "fp32"))
      return "nothing to compress: give --prune l1=A or global=A, --prune-heads N, --quantize int8, or --precision "
             "fp16 or bf16";
    return {};
  }

  CompressionPlan plan() const {
    CompressionPlan p;
    p.pruneHeads = pruneHeads;
    p.headScore = parseHeadScore(headScore);
    p.prune = prune;
    p.storage = quantize == "int8"    ? WeightStorage::Int8
                : precision == "fp16" ? WeightStorage::Fp16
                : precision == "bf16" ? WeightStorage::Bf16
                                      : WeightStorage::Float32;
    p.mixed = mixed;
    return p;
  }
};

PruneStep readPrune(const std::string& s) {
  const std::size_t eq = s.find('=');
  const std::string kind = s.substr(0, eq);
  if (eq == std::string::npos || (kind != "l1" && kind != "global"))
    throw UsageError("--prune '" + attnscope::quoted(s) +
                     "' is not allowed: expected l1=AMOUNT or global=AMOUNT (0.2)");
  bool ok = false;
  const double amount = QString::fromStdString(s.substr(eq + 1)).toDouble(&ok);
  if (!ok || !(amount >= 0 && amount < 1))
    throw UsageError("--prune " + kind + "=" + s.substr(eq + 1) +
                     " is not allowed: expected a share of the weights, 0 ≤ amount < 1");
  return {amount, kind == "global"};
}

CompressArgs readCompressArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "What compressing a model changes: its linear layers pruned by magnitude in a copy (--prune l1=A per weight "
      "matrix, global=A over all of them; repeat to prune again), then held in fp16 or bf16 or quantized to int8; "
      "both run on the text: top-1 agreement, KL, perplexity, each layer's drift, each head's Jensen–Shannon "
      "divergence, the weights' bytes and each pass's time."));
  const QCommandLineOption help = parser.addHelpOption();
  const ModelTextOptions input;
  input.addTo(parser);
  const QCommandLineOption prune(
      QStringLiteral("prune"),
      QStringLiteral("l1=A: each linear layer's weight loses its share A of smallest |w| (PyTorch's l1_unstructured); "
                     "global=A: one ranking over all of them (global_unstructured). Repeat to prune again."),
      QStringLiteral("KIND=A"));
  const QCommandLineOption pruneHeads(
      QStringLiteral("prune-heads"),
      QStringLiteral("Remove the N least important attention heads of the whole model (their output projection's "
                     "columns zeroed, as after prune_heads), ranked on the text by --head-score."),
      QStringLiteral("N"));
  const QCommandLineOption headScore(
      QStringLiteral("head-score"),
      QStringLiteral("output-norm (default: the mean length of what a head adds to the residual stream; the smallest "
                     "go) or entropy (the mean entropy of its attention rows; the most spread out go)."),
      QStringLiteral("SCORE"), QStringLiteral("output-norm"));
  const QCommandLineOption quantize(
      QStringLiteral("quantize"),
      QStringLiteral("int8: the linear layers quantized dynamically as torch.quantization.quantize_dynamic with qint8 "
                     "(weights per tensor, inputs per call), computed with integer products."),
      QStringLiteral("TYPE"));
  const QCommandLineOption precision(
      QStringLiteral("precision"),
      QStringLiteral("fp16 or bf16: the linear layers' weights held in half precision (rounded to nearest even)."),
      QStringLiteral("P"));
  const QCommandLineOption mixed(
      QStringLiteral("mixed"),
      QStringLiteral("With --precision: the linear layers also compute in it (inputs and outputs rounded, sums in "
                     "float32), as under torch.autocast; FP16 overflows are counted."));
  const QCommandLineOption save(
      QStringLiteral("save"),
      QStringLiteral("Write the compressed model into DIR (new or empty) in its checkpoint's form, for infer and the "
                     "app to open: a Hugging Face folder's model.safetensors (half-precision layers as F16/BF16), or "
                     "a llama2.c checkpoint with its tokenizer."),
      QStringLiteral("DIR"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const QCommandLineOption* o : {&prune, &pruneHeads, &headScore, &quantize, &precision, &mixed, &save, &json})
    parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  CompressArgs a;
  a.input = input.read(parser);
  for (const QString& p : parser.values(prune)) a.prune.push_back(readPrune(toStd(p)));
  if (parser.isSet(pruneHeads))
    a.pruneHeads = int(readInteger(QStringLiteral("prune-heads"), parser.value(pruneHeads), 0, 1 << 20));
  a.headScore = toStd(parser.value(headScore));
  a.quantize = toStd(parser.value(quantize));
  a.precision = toStd(parser.value(precision));
  a.mixed = parser.isSet(mixed);
  a.save = toStd(parser.value(save));
  a.json = parser.isSet(json);
  return a;
}

// Three significant digits: half precision moves the answers by 1e-7 nats, pruning by whole nats.
std::string significant(double v) {
  std::ostringstream s;
  s << std::setprecision(3) << v;
  return s.str();
}

}  // namespace

int runCompress(const QStringList& arguments) {
  const CompressArgs args = readCompressArgs(arguments);
  refuse(args.Check());
  const RuntimeModel m = openModel(args.input.model, args.input.tokenizer);
  const std::vector<int> ids = encodeText(m, args.input.load());
  m.model->checkTokens(ids);
  const std::shared_ptr<LanguageModel> full = m.model->copy(), compressed = m.model->copy();
  const CompressionPlan plan = args.plan();
  checkStorage(*compressed, plan.storage);    // a precision the model cannot hold: one line, exit 2
  full->forward(ids, {}, LogitRows::at({}));  // the tile kernels are generated on first use: not on the clock
  if (plan.pruneHeads >= m.model->layers() * m.model->heads())
    refuse("--prune-heads " + std::to_string(plan.pruneHeads) + " is not allowed: this model has " +
           std::to_string(m.model->layers() * m.model->heads()) + " heads, and at least one must stay");
  // The step as a slider in the app would run it: compress a fresh copy, run both, compare.
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::vector<double>> scores;
  const std::vector<HeadId> pruned = applyPlan(*compressed, plan, ids, &scores);
  CompressionMeasures c = compareModels(*full, *compressed, ids, m.tokenizer->maskToken());
  for (const auto& [l, h] : pruned)  // a head that is gone has no attention to compare
    c.jsByHead[std::size_t(l)][std::size_t(h)] = std::numeric_limits<double>::quiet_NaN();
  const double stepMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const Index overflows = mixedOverflows(*compressed);
  const std::string steps = plan.describe();
  std::optional<SavedModel> saved;
  if (!args.save.empty()) saved = saveCompressed(m, *compressed, plan.storage, args.save);
  // The heads that moved most, by their Jensen–Shannon divergence.
  std::vector<std::pair<double, std::pair<int, int>>> heads;
  QJsonArray js;
  for (std::size_t l = 0; l < c.jsByHead.size(); ++l) {
    QJsonArray row;
    for (std::size_t h = 0; h < c.jsByHead[l].size(); ++h) {
      const double v = c.jsByHead[l][h];
      row.append(std::isnan(v) ? QJsonValue() : QJsonValue(v));
      if (!std::isnan(v)) heads.push_back({v, {int(l), int(h)}});
    }
    js.append(row);
  }
  std::sort(heads.begin(), heads.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  heads.resize(std::min<std::size_t>(heads.size(), 5));
  QJsonArray prunedJson, scoresJson;
  for (const auto& [l, h] : pruned) prunedJson.append(QJsonArray{l, h});
  for (const auto& layer : scores) {
    QJsonArray row;
    for (double v : layer) row.append(v);
    scoresJson.append(row);
  }
  if (args.json) {
    QJsonObject o{
        {QStringLiteral("model"), QString::fromStdString(m.describe())},
        {QStringLiteral("tokens"), static_cast<double>(ids.size())},
        {QStringLiteral("steps"), QString::fromStdString(steps)},
        {QStringLiteral("weights"), static_cast<double>(c.full.count)},
        {QStringLiteral("nonzero_weights_full"), static_cast<double>(c.full.nonZero)},
        {QStringLiteral("nonzero_weights"), static_cast<double>(c.compressed.nonZero)},
        {QStringLiteral("size_bytes_full"), c.full.bytes},
        {QStringLiteral("size_bytes"), c.compressed.bytes},
        {QStringLiteral("weights_held_as"), QString::fromUtf8(weightStorageName(plan.storage))},
        {QStringLiteral("mixed"), plan.mixed},
        {QStringLiteral("step_ms"), stepMs},
        {QStringLiteral("saved"), saved ? QJsonValue(QString::fromStdString(saved->path)) : QJsonValue()},
        {QStringLiteral("saved_bytes"), saved ? QJsonValue(saved->bytes) : QJsonValue()},
        {QStringLiteral("pruned_heads"), prunedJson},
        {QStringLiteral("head_scores"), scores.empty() ? QJsonValue() : QJsonValue(scoresJson)},
        {QStringLiteral("head_score"),
         plan.pruneHeads ? QJsonValue(QString::fromUtf8(headScoreName(plan.headScore))) : QJsonValue()},
        {QStringLiteral("overflows"), static_cast<double>(overflows)},
        {QStringLiteral("int8_kernel"),
         plan.storage == WeightStorage::Int8 ? QJsonValue(QString::fromUtf8(int8KernelName())) : QJsonValue()},
        {QStringLiteral("js_by_head"), js}};
    for (const auto& [key, value] : measureFields(c.answers))
      if (key != "share_of_cells" && key != "empty_rows")
        o.insert(QString::fromStdString(key), value ? QJsonValue(*value) : QJsonValue());
    QJsonArray drift;
    for (double d : c.answers.driftByLayer) drift.append(d);
    o.insert(QStringLiteral("drift_by_layer"), drift);
    printJson(o);
    return 0;
  }
  const SubstituteMeasures& a = c.answers;
  std::cout << "model: " << m.describe() << "\n"
            << ids.size() << " tokens; the linear layers compressed: " << steps << "\n"
            << "weights: " << withSeparators(c.compressed.nonZero) << " of " << withSeparators(c.full.count)
            << " not zero (" << fixedDigits(100.0 * double(c.compressed.nonZero) / double(c.full.count), 1) << "%), "
            << withSeparators(Index(c.compressed.bytes)) << " bytes as " << weightStorageName(plan.storage)
            << (plan.storage == WeightStorage::Int8 ? " with a float scale each" : "")
            << " (float32: " << withSeparators(Index(c.full.bytes)) << "; dense: a pruned weight keeps its room)\n";
  if (plan.storage == WeightStorage::Int8) std::cout << "integer products: " << int8KernelName() << "\n";
  if (!pruned.empty()) {
    std::cout << "heads pruned (" << headScoreName(plan.headScore) << ", least important first):";
    for (const auto& [l, h] : pruned)
      std::cout << " layer " << l << " head " << h << " (" << significant(scores[std::size_t(l)][std::size_t(h)])
                << ");";
    std::cout << "\n";
  }
  if (plan.mixed)
    std::cout << "computed in " << weightStorageName(plan.storage) << ": "
              << (overflows ? withSeparators(overflows) + " values overflowed to infinity (fp16 holds up to 65,504)"
                            : std::string("no value overflowed"))
              << "\n";
  if (a.positions > 0)
    std::cout << "answers: top-1 agreement " << fixedDigits(100 * a.top1Agreement, 1) << "% of " << a.positions
              << ", KL mean " << significant(a.klMean) << " max " << significant(a.klMax) << " nats";
  if (a.perplexity)
    std::cout << ", perplexity " << fixedDigits(*a.perplexity, 2) << " (full " << fixedDigits(*a.perplexityFull, 2)
              << ")";
  std::cout << "\ndrift by layer";
  for (double d : a.driftByLayer) std::cout << ' ' << fixedDigits(d, 3);
  std::cout << "\nheads that moved most (Jensen–Shannon divergence of their attention rows, nats):";
  for (const auto& [value, lh] : heads)
    std::cout << " layer " << lh.first << " head " << lh.second << " " << significant(value) << ";";
  std::cout << "\n"
            << fixedDigits(a.ms, 1) << " ms a pass (full " << fixedDigits(a.msFull, 1) << " ms); the whole step "
            << fixedDigits(stepMs, 1) << " ms (compress a copy, run both, compare)\n";
  if (saved)
    std::cout << "saved: " << saved->path << " (" << withSeparators(Index(saved->bytes)) << " bytes of weights"
              << (saved->note.empty() ? std::string() : "; " + saved->note)
              << (plan.mixed ? "; computing in half precision is the runtime's choice, not the file's" : "") << ")\n";
  return 0;
}

}  // namespace attnscope::cli

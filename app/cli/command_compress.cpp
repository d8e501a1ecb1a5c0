// attnscope-cli compress: the other road to a cheaper model, begun with magnitude pruning (issue 25). The model's
// linear layers are pruned in a copy — each weight by itself (--prune l1=A, PyTorch's l1_unstructured) or all
// ranked together (--prune global=A, global_unstructured), again and again when the option repeats — and both run
// on the text: what the answers keep (top-1 agreement, KL, perplexity, drift), how far each head's attention moved
// (Jensen–Shannon divergence of its rows) and what the weights hold.
#include <QJsonArray>

#include <algorithm>
#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/compression/compare_models.h"
#include "engine/compression/prune.h"
#include "engine/io/atomic_file.h"
#include "engine/runtime/inference.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

struct PruneStep {
  bool global = false;
  double amount = 0;
};

// What `compress` was asked; Check() says the first thing wrong with it.
struct CompressArgs {
  ModelTextOptions::Values input;
  std::vector<PruneStep> prune;
  bool json = false;

  std::string Check() const {
    if (const std::string problem = input.check(); !problem.empty()) return problem;
    if (prune.empty()) return "--prune is required: l1=AMOUNT (each weight by itself) or global=AMOUNT (all together)";
    return {};
  }
};

PruneStep readPrune(const std::string& s) {
  const std::size_t eq = s.find('=');
  const std::string kind = s.substr(0, eq);
  if (eq == std::string::npos || (kind != "l1" && kind != "global"))
    throw UsageError("--prune '" + quoted(s) + "' is not allowed: expected l1=AMOUNT or global=AMOUNT (0.2)");
  bool ok = false;
  const double amount = QString::fromStdString(s.substr(eq + 1)).toDouble(&ok);
  if (!ok || !(amount >= 0 && amount < 1))
    throw UsageError("--prune " + kind + "=" + s.substr(eq + 1) +
                     " is not allowed: expected a share of the weights, 0 ≤ amount < 1");
  return {kind == "global", amount};
}

CompressArgs readCompressArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "What compressing a model changes: its linear layers pruned by magnitude in a copy (--prune l1=A per weight, "
      "global=A over all of them; repeat to prune again), and both run on the text: top-1 agreement, KL, perplexity, "
      "each layer's drift, each head's Jensen–Shannon divergence, and the weights left."));
  const QCommandLineOption help = parser.addHelpOption();
  const ModelTextOptions input;
  input.addTo(parser);
  const QCommandLineOption prune(
      QStringLiteral("prune"),
      QStringLiteral("l1=A: each linear layer's weight loses its share A of smallest |w| (PyTorch's l1_unstructured); "
                     "global=A: one ranking over all of them (global_unstructured). Repeat to prune again."),
      QStringLiteral("KIND=A"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  parser.addOption(prune);
  parser.addOption(json);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  CompressArgs a;
  a.input = input.read(parser);
  for (const QString& p : parser.values(prune)) a.prune.push_back(readPrune(toStd(p)));
  a.json = parser.isSet(json);
  return a;
}

}  // namespace

int runCompress(const QStringList& arguments) {
  const CompressArgs args = readCompressArgs(arguments);
  refuse(args.Check());
  const RuntimeModel m = openModel(args.input.model, args.input.tokenizer);
  const std::vector<int> ids = encodeText(m, args.input.load());
  m.model->checkTokens(ids);
  const std::shared_ptr<LanguageModel> full = m.model->copy(), compressed = m.model->copy();
  std::string steps;
  for (const PruneStep& step : args.prune) {
    pruneLinears(*compressed, step.amount, step.global);
    steps +=
        (steps.empty() ? "" : ", then ") + std::string(step.global ? "global " : "l1 ") + fixedDigits(step.amount, 3);
  }
  full->forward(ids, {}, LogitRows::at({}));  // the tile kernels are generated on first use: not on the clock
  const CompressionMeasures c = compareModels(*full, *compressed, ids, m.tokenizer->maskToken());
  // The heads that moved most, by their Jensen–Shannon divergence.
  std::vector<std::pair<double, std::pair<int, int>>> heads;
  QJsonArray js;
  for (std::size_t l = 0; l < c.jsByHead.size(); ++l) {
    QJsonArray row;
    for (std::size_t h = 0; h < c.jsByHead[l].size(); ++h) {
      row.append(c.jsByHead[l][h]);
      heads.push_back({c.jsByHead[l][h], {int(l), int(h)}});
    }
    js.append(row);
  }
  std::sort(heads.begin(), heads.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  heads.resize(std::min<std::size_t>(heads.size(), 5));
  if (args.json) {
    QJsonObject o{{QStringLiteral("model"), QString::fromStdString(m.describe())},
                  {QStringLiteral("tokens"), static_cast<double>(ids.size())},
                  {QStringLiteral("steps"), QString::fromStdString(steps)},
                  {QStringLiteral("weights"), static_cast<double>(c.full.count)},
                  {QStringLiteral("nonzero_weights_full"), static_cast<double>(c.full.nonZero)},
                  {QStringLiteral("nonzero_weights"), static_cast<double>(c.compressed.nonZero)},
                  {QStringLiteral("size_bytes_full"), c.full.bytes},
                  {QStringLiteral("size_bytes"), c.compressed.bytes},
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
            << ids.size() << " tokens; linear layers pruned by magnitude: " << steps << "\n"
            << "weights: " << withSeparators(c.compressed.nonZero) << " of " << withSeparators(c.full.count)
            << " not zero (" << fixedDigits(100.0 * double(c.compressed.nonZero) / double(c.full.count), 1) << "%), "
            << withSeparators(Index(c.compressed.bytes)) << " bytes as float32 (dense, as before)\n";
  if (a.positions > 0)
    std::cout << "answers: top-1 agreement " << fixedDigits(100 * a.top1Agreement, 1) << "% of " << a.positions
              << ", KL mean " << fixedDigits(a.klMean, 4) << " max " << fixedDigits(a.klMax, 4) << " nats";
  if (a.perplexity)
    std::cout << ", perplexity " << fixedDigits(*a.perplexity, 2) << " (full " << fixedDigits(*a.perplexityFull, 2)
              << ")";
  std::cout << "\ndrift by layer";
  for (double d : a.driftByLayer) std::cout << ' ' << fixedDigits(d, 3);
  std::cout << "\nheads that moved most (Jensen–Shannon divergence of their attention rows, nats):";
  for (const auto& [value, lh] : heads)
    std::cout << " layer " << lh.first << " head " << lh.second << " " << fixedDigits(value, 4) << ";";
  std::cout << "\n" << fixedDigits(a.ms, 1) << " ms a pass (full " << fixedDigits(a.msFull, 1) << " ms)\n";
  return 0;
}

}  // namespace attnscope::cli

// attnscope-cli attention: a model's own attention weights (a .npy or .npz dump), what each head does, and what a
// pattern would keep of it.
#include <QJsonArray>

#include <iomanip>
#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/models/stack_source.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/models/hf_config.h"
#include "engine/models/layer_stack.h"
#include "engine/util/format.h"
#include "engine/weights/attention_dump.h"
#include "engine/io/npy.h"
#include "engine/weights/fit.h"
#include "engine/weights/head_stats.h"
#include "engine/weights/rollout.h"
#include "engine/weights/stack_masks.h"

namespace attnscope::cli {

namespace {

template <typename F>
QJsonArray perHead(const WeightsReport& r, F value) {
  QJsonArray layers;
  for (const auto& layer : r.stats) {
    QJsonArray heads;
    for (const HeadStats& s : layer) heads.append(value(s));
    layers.append(heads);
  }
  return layers;
}

// What `attention` was asked, read from its command line; Check() says the first thing wrong with it.
struct AttentionArgs {
  std::string file, tokens, rolloutOut;
  std::optional<Index> layer, topk;
  bool fit = false, keepGiven = false, json = false;
  double keep = 0.9;
  std::string pattern;  ///< empty: none
  std::vector<std::pair<std::string, std::string>> params;
  StackSource stack;

  std::string Check() const {
    if (file.empty()) return "attention needs the dump first: attnscope-cli attention FILE.npy|FILE.npz";
    if (pattern.empty() && !params.empty())
      return "--param needs --pattern: name the pattern whose parameters these are";
    if (std::string problem = stack.check(/*required=*/false); !problem.empty()) return problem;
    if (stack.given() && !pattern.empty())
      return "give either --pattern or a stack (--config, --stack, --layers): one thing to measure against";
    if (keepGiven && !fit) return "--keep needs --fit: it is the share the fitted patterns keep";
    FitOptions fo;
    fo.keep = keep;
    return fo.check();
  }
};

AttentionArgs readAttentionArgs(const QStringList& given) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "attention FILE: a model's own attention weights, a .npy [n, n], [heads, n, n] or [layers, heads, n, n] or a "
      ".npz with one array per layer (float16/32/64, memory-mapped). Per layer and head: entropy, the mass on the "
      "diagonal, the previous token, the first token and the k largest keys, a role when the mass says so; with "
      "--pattern, the mass the pattern keeps beside the best any pattern of the same budget could (top-k); with "
      "--config, --stack or --layers, the same for a model's stack, its layer ℓ against the weights' layer ℓ."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption tokens(QStringLiteral("tokens"),
                                  QStringLiteral("The tokens, one a line (.txt) or a JSON list (.json)."),
                                  QStringLiteral("T"));
  const QCommandLineOption layer(QStringLiteral("layer"), QStringLiteral("Only this layer (from 0)."),
                                 QStringLiteral("L"));
  const QCommandLineOption topk(QStringLiteral("top-k"), QStringLiteral("k of the top-k mass (default 8, at most n)."),
                                QStringLiteral("K"));
  const QCommandLineOption rolloutOut(
      QStringLiteral("rollout-out"),
      QStringLiteral("Write the attention rollout through the layers (Abnar and Zuidema 2020) as float32 .npy [n, n]; "
                     "with --pattern, also the rollout restricted to it, and their difference is printed."),
      QStringLiteral("R.npy"));
  const QCommandLineOption fit(QStringLiteral("fit"),
                               QStringLiteral("Per head, the cheapest window pattern (both ways or causal, with or "
                                              "without token 0 global) that keeps --keep of its mass."));
  const QCommandLineOption keep(QStringLiteral("keep"), QStringLiteral("The share --fit must keep (default 0.9)."),
                                QStringLiteral("SHARE"), QStringLiteral("0.9"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  PatternOptions patternOptions;
  parser.addOption(patternOptions.pattern);
  parser.addOption(patternOptions.param);
  StackOptions stack;
  stack.addTo(parser);
  for (const auto* o : {&tokens, &layer, &topk, &rolloutOut, &fit, &keep, &json}) parser.addOption(*o);
  // The dump is the first argument after the command.
  QStringList arguments = given;
  AttentionArgs args;
  if (arguments.size() > 1 && !arguments[1].startsWith(QLatin1Char('-'))) args.file = toStd(arguments.takeAt(1));
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown("Usage: attnscope-cli attention FILE [options]\n" + toStd(parser.helpText()));
  args.tokens = toStd(parser.value(tokens));
  args.rolloutOut = toStd(parser.value(rolloutOut));
  // Layer and k are checked against the dump once it is open; here only that they are numbers.
  if (parser.isSet(layer)) args.layer = readInteger(QStringLiteral("layer"), parser.value(layer), 0, kMaxTokens);
  if (parser.isSet(topk)) args.topk = readInteger(QStringLiteral("top-k"), parser.value(topk), 1, kMaxTokens);
  args.fit = parser.isSet(fit);
  args.keepGiven = parser.isSet(keep);
  bool ok = false;
  args.keep = parser.value(keep).toDouble(&ok);
  if (!ok)
    throw UsageError("--keep " + attnscope::quoted(toStd(parser.value(keep))) +
                     " is not allowed: expected a share 0 < keep ≤ 1");
  args.json = parser.isSet(json);
  args.pattern = toStd(parser.value(patternOptions.pattern));
  args.params = readParamTexts(parser, patternOptions);
  args.stack = stack.read(parser);
  return args;
}

// Everything `attention` measured.
struct AttentionMeasured {
  AttentionDump dump;
  Index topk = 0;
  std::vector<std::string> labels;
  std::optional<CheckedPattern> pattern;
  std::optional<SparseMask> mask;
  LayerStack stack;
  std::optional<LayerMasks> stackMasks;
  WeightsReport report;
  std::vector<std::vector<HeadFit>> fits;
  std::vector<double> layerCells;  ///< the fitted patterns' cells, per layer
  double fitCells = 0;
  double rolloutL1 = -1;  ///< the real rollout against the pattern's, when both were made

  /// What both printers read, by name.
  struct View {
    const AttentionDump& dump;
    const WeightsReport& report;
    const std::vector<std::vector<HeadFit>>& fits;
    const std::vector<double>& layerCells;
    double fitCells, rolloutL1;
    double nn;     ///< n², the cells of one full head
    bool against;  ///< held against a pattern or a stack
  };
  View view() const {
    return {
        dump, report, fits, layerCells, fitCells, rolloutL1, double(dump.n()) * double(dump.n()), mask || stackMasks};
  }
};

AttentionMeasured measure(const AttentionArgs& args) {
  AttentionMeasured m{AttentionDump::open(args.file)};
  const AttentionDump& dump = m.dump;
  m.topk = args.topk ? *args.topk : std::min<Index>(8, dump.n());
  if (m.topk > dump.n())
    throw UsageError("top-k = " + std::to_string(m.topk) + " is not allowed: expected an integer 1 … " +
                     std::to_string(dump.n()));
  WeightsOptions options;
  options.topk = m.topk;
  if (args.layer) {
    if (*args.layer >= dump.layers())
      throw UsageError("layer = " + std::to_string(*args.layer) + " is not allowed: expected an integer 0 … " +
                       std::to_string(dump.layers() - 1));
    options.fromLayer = *args.layer;
    options.toLayer = options.fromLayer + 1;
  }
  if (!args.rolloutOut.empty() && dump.n() > kMaxRolloutTokens)
    throw UsageError("--rollout-out is not allowed at n = " + withSeparators(dump.n()) + ": at most " +
                     withSeparators(kMaxRolloutTokens) + " tokens");
  if (!args.tokens.empty()) m.labels = AttentionDump::readTokens(args.tokens, dump.n());
  if (!args.pattern.empty()) {
    const PatternSpec spec = PatternSpec::parse(args.pattern);
    m.pattern = CheckedPattern::check(spec, spec.resolve(args.params), dump.n());
    m.mask = m.pattern->build();
    options.mask = &*m.mask;
  }
  if (args.stack.given()) {  // a model's stack: layer ℓ against the weights' layer ℓ
    m.stack = args.stack.load(dump.n());
    m.stackMasks = masksFromStack(m.stack, dump);
    options.layerMasks = m.stackMasks->pointers();
  }
  m.report = measureWeights(dump, options);
  if (args.fit) {
    FitOptions fo;
    fo.keep = args.keep;
    fo.fromLayer = options.fromLayer;
    fo.toLayer = options.toLayer;
    m.fits = fitPatterns(dump, fo);
  }
  for (const auto& layerFits : m.fits) {  // cells of the fitted patterns, per layer and in all
    double cells = 0;
    for (const HeadFit& f : layerFits) cells += double(f.best.cells);
    m.layerCells.push_back(cells);
    m.fitCells += cells;
  }
  if (!args.rolloutOut.empty()) {  // the real weights' rollout and, against a pattern, the restricted one's
    RolloutOptions ro;
    ro.fromLayer = options.fromLayer;
    ro.toLayer = options.toLayer;
    const Matrix real = attentionRollout(dump, ro);
    if (m.mask || m.stackMasks) {
      ro.mask = m.mask ? &*m.mask : nullptr;
      ro.layerMasks = options.layerMasks;
      const Matrix restricted = attentionRollout(dump, ro);
      m.rolloutL1 = (real - restricted).cwiseAbs().cast<double>().rowwise().sum().mean();
    }
    writeNpyFloat(args.rolloutOut, {dump.n(), dump.n()}, real.data());
  }
  return m;
}

void printAttentionJson(const AttentionMeasured& m, const AttentionArgs& args) {
  const auto& [dump, r, fits, layerCells, fitCells, rolloutL1, nn, against] = m.view();
  QJsonObject o{
      {QStringLiteral("file"), toQ(args.file)},
      {QStringLiteral("layers"), static_cast<qint64>(dump.layers())},
      {QStringLiteral("heads"), dump.heads()},
      {QStringLiteral("n"), static_cast<qint64>(dump.n())},
      {QStringLiteral("first_layer"), static_cast<qint64>(r.firstLayer)},
      {QStringLiteral("top_k"), static_cast<qint64>(m.topk)},
      {QStringLiteral("padding_rows"), static_cast<qint64>(r.paddingRows)},
      {QStringLiteral("rows_not_summing_to_1"), static_cast<qint64>(r.offRows)},
      {QStringLiteral("entropy"), perHead(r, [](const HeadStats& s) { return s.entropy; })},
      {QStringLiteral("normalised_entropy"), perHead(r, [](const HeadStats& s) { return s.normalisedEntropy; })},
      {QStringLiteral("diagonal"), perHead(r, [](const HeadStats& s) { return s.diagonal; })},
      {QStringLiteral("previous_token"), perHead(r, [](const HeadStats& s) { return s.previous; })},
      {QStringLiteral("first_token"), perHead(r, [](const HeadStats& s) { return s.first; })},
      {QStringLiteral("topk_mass"), perHead(r, [](const HeadStats& s) { return s.topk; })},
      {QStringLiteral("role"), perHead(r, [](const HeadStats& s) { return toQ(s.role()); })}};
  if (m.mask) {
    QJsonObject p;
    for (const auto& [name, value] : m.pattern->values().values()) p.insert(toQ(name), toQ(formatParam(value)));
    o.insert(QStringLiteral("pattern"), toQ(m.pattern->spec().name()));
    o.insert(QStringLiteral("params"), p);
  }
  if (m.stackMasks) {
    o.insert(QStringLiteral("stack"), toQ(shortForm(m.stack.layers)));
    o.insert(QStringLiteral("stack_name"), toQ(m.stack.name));
    QJsonArray notes;
    for (const std::string& note : m.stackMasks->notes) notes.append(toQ(note));
    o.insert(QStringLiteral("stack_notes"), notes);
  }
  if (against) {
    o.insert(QStringLiteral("mass_kept"), perHead(r, [](const HeadStats& s) { return s.massKept; }));
    o.insert(QStringLiteral("topk_oracle_kept"), perHead(r, [](const HeadStats& s) { return s.oracleKept; }));
    o.insert(QStringLiteral("density"), perHead(r, [](const HeadStats& s) { return s.density; }));
  }
  if (rolloutL1 >= 0) o.insert(QStringLiteral("rollout_l1_vs_pattern"), rolloutL1);
  if (!fits.empty()) {
    QJsonArray fitLayers, layerShares;
    for (std::size_t l = 0; l < fits.size(); ++l) {
      QJsonArray heads;
      for (const HeadFit& f : fits[l]) {
        QJsonObject p, fo;
        for (const auto& [key, value] : f.best.params) p.insert(toQ(key), toQ(value));
        fo.insert(QStringLiteral("pattern"), toQ(f.best.pattern));
        fo.insert(QStringLiteral("params"), p);
        fo.insert(QStringLiteral("cells"), static_cast<qint64>(f.best.cells));
        fo.insert(QStringLiteral("mass_kept"), f.best.massKept);
        QJsonArray front;
        for (const FitCandidate& c : f.front)
          front.append(QJsonObject{{QStringLiteral("pattern"), toQ(c.text())},
                                   {QStringLiteral("cells"), static_cast<qint64>(c.cells)},
                                   {QStringLiteral("mass_kept"), c.massKept}});
        fo.insert(QStringLiteral("front"), front);
        heads.append(fo);
      }
      fitLayers.append(heads);
      layerShares.append(layerCells[l] / (nn * double(dump.heads())));
    }
    o.insert(QStringLiteral("fit"), fitLayers);
    o.insert(QStringLiteral("keep"), args.keep);
    o.insert(QStringLiteral("fit_cells_share_by_layer"), layerShares);
    o.insert(QStringLiteral("fit_cells_share"), fitCells / (nn * double(dump.heads()) * double(fits.size())));
  }
  printJson(o);
}

void printAttentionText(const AttentionMeasured& m, const AttentionArgs& args) {
  const auto& [dump, r, fits, layerCells, fitCells, rolloutL1, nn, against] = m.view();
  std::cout << "file           " << args.file << " (" << dump.description() << ", float" << 8 * dump.itemSize()
            << ")\n";
  std::cout << "layers         " << dump.layers() << "\nheads          " << dump.heads() << "\nn              "
            << withSeparators(dump.n()) << "\n";
  if (!m.labels.empty()) std::cout << "tokens         " << m.labels.size() << " (" << m.labels.front() << " …)\n";
  if (r.paddingRows > 0)
    std::cout << "padding rows   " << withSeparators(r.paddingRows) << " all-zero rows left out of every figure\n";
  if (r.offRows > 0)
    std::cout << "warning        " << withSeparators(r.offRows) << " rows do not sum to 1 (within " << kRowSumTolerance
              << "): are these softmax weights?\n";
  if (m.mask) {
    std::cout << "pattern        " << m.pattern->spec().name();
    for (const auto& [name, value] : m.pattern->values().values())
      std::cout << "  " << name << "=" << formatParam(value);
    std::cout << "\n";
  }
  if (m.stackMasks) {
    std::cout << "stack          " << m.stack.name << ": " << shortForm(m.stack.layers)
              << (m.stack.layers.size() == 1 ? " (every layer)" : " (layer ℓ against layer ℓ)") << "\n";
    for (const std::string& note : m.stackMasks->notes) std::cout << "note           " << note << "\n";
  }
  for (std::size_t l = 0; l < r.stats.size(); ++l) {
    std::cout << "\nlayer " << r.firstLayer + static_cast<Index>(l) << "  head  entropy  diag   prev   first  top-"
              << m.topk << (against ? "  kept   best   density" : "") << "  role\n";
    for (std::size_t h = 0; h < r.stats[l].size(); ++h) {
      const HeadStats& s = r.stats[l][h];
      std::cout << "        " << std::setw(4) << h << "  " << std::setw(7) << fixedDigits(s.entropy, 3) << "  "
                << fixedDigits(s.diagonal, 3) << "  " << fixedDigits(s.previous, 3) << "  " << fixedDigits(s.first, 3)
                << "  " << std::setw(5) << fixedDigits(s.topk, 3);
      if (against)
        std::cout << "  " << fixedDigits(s.massKept, 3) << "  " << fixedDigits(s.oracleKept, 3) << "  " << std::setw(7)
                  << fixedDigits(s.density, 4);
      std::cout << "  " << s.role() << "\n";
    }
  }
  if (!fits.empty()) {
    std::cout << "\nfit            the cheapest window pattern keeping " << fixedDigits(100 * args.keep, 1)
              << "% of each head's mass\n";
    for (std::size_t l = 0; l < fits.size(); ++l) {
      std::cout << "layer " << r.firstLayer + static_cast<Index>(l) << "  ("
                << fixedDigits(100 * layerCells[l] / (nn * double(dump.heads())), 2) << "% of n² a head)\n";
      for (std::size_t h = 0; h < fits[l].size(); ++h) {
        const FitCandidate& b = fits[l][h].best;
        std::cout << "  head " << std::setw(3) << h << "  " << b.text() << "  keeps " << fixedDigits(b.massKept, 3)
                  << " with " << withSeparators(b.cells) << " cells\n";
      }
    }
    std::cout << "whole model    " << fixedDigits(100 * fitCells / (nn * double(dump.heads()) * double(fits.size())), 2)
              << "% of the cells of full attention\n";
  }
  if (!args.rolloutOut.empty())
    std::cout << "\nrollout        written to " << args.rolloutOut << " (float32 [n, n], row i: where "
              << "output token i comes from)\n";
  if (rolloutL1 >= 0)
    std::cout << "rollout L1     " << fixedDigits(rolloutL1, 4)
              << " mean per-row distance between the real rollout and the pattern's (0 … 2); the pattern's is "
                 "non-zero only where its layers reach (multi-hop reachability), and there wherever the weights are "
                 "positive\n";
  if (against)
    std::cout << "\nkept: mean attention mass inside the pattern; best: the same for each row's largest weights "
                 "with the pattern's budget (top-k)\n";
}

}  // namespace

int runAttention(const QStringList& given) {
  const AttentionArgs args = readAttentionArgs(given);
  if (const std::string problem = args.Check(); !problem.empty()) throw UsageError(problem);
  const AttentionMeasured m = measure(args);
  if (args.json)
    printAttentionJson(m, args);
  else
    printAttentionText(m, args);
  return 0;
}

}  // namespace attnscope::cli

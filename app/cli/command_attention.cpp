// attnscope-cli attention: a model's own attention weights (a .npy or .npz dump), what each head does, and what a
// pattern would keep of it.
#include <QJsonArray>

#include <iomanip>
#include <iostream>

#include "app/cli/cli_common.h"
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

}  // namespace

int runAttention(const QStringList& given) {
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
  const QCommandLineOption config(QStringLiteral("config"),
                                  QStringLiteral("Measure a model's stack read from its config.json (as the model "
                                                 "command reads it), built at the weights' n."),
                                  QStringLiteral("FILE"));
  const QCommandLineOption stackFile(QStringLiteral("stack"), QStringLiteral("Measure a stack file's layers."),
                                     QStringLiteral("FILE"));
  const QCommandLineOption stackLayers(
      QStringLiteral("layers"),
      QStringLiteral("Measure a typed stack: \"window radius=64 causal=true ×11, causal\" (one layer: every layer)."),
      QStringLiteral("TEXT"));
  const QCommandLineOption global(QStringLiteral("global"),
                                  QStringLiteral("With --config: Longformer's global tokens."), QStringLiteral("LIST"));
  const QCommandLineOption mode(QStringLiteral("mode"), QStringLiteral("With --config: BigBird train or eval."),
                                QStringLiteral("MODE"), QStringLiteral("train"));
  PatternOptions patternOptions;
  parser.addOption(patternOptions.pattern);
  parser.addOption(patternOptions.param);
  for (const auto* o :
       {&tokens, &layer, &topk, &rolloutOut, &fit, &keep, &json, &config, &stackFile, &stackLayers, &global, &mode})
    parser.addOption(*o);
  // The dump is the first argument after the command.
  QStringList arguments = given;
  QString file;
  if (arguments.size() > 1 && !arguments[1].startsWith(QLatin1Char('-'))) file = arguments.takeAt(1);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) {
    std::cout << "Usage: attnscope-cli attention FILE [options]\n" << toStd(parser.helpText());
    return 0;
  }
  if (file.isEmpty()) throw UsageError("attention needs the dump first: attnscope-cli attention FILE.npy|FILE.npz");
  const AttentionDump dump = AttentionDump::open(toStd(file));
  const Index k = parser.isSet(topk) ? readInteger(QStringLiteral("top-k"), parser.value(topk), 1, dump.n())
                                     : std::min<Index>(8, dump.n());
  WeightsOptions options;
  options.topk = k;
  if (parser.isSet(layer)) {
    options.fromLayer = readInteger(QStringLiteral("layer"), parser.value(layer), 0, dump.layers() - 1);
    options.toLayer = options.fromLayer + 1;
  }
  std::vector<std::string> labels;
  if (parser.isSet(tokens)) labels = AttentionDump::readTokens(toStd(parser.value(tokens)), dump.n());
  std::optional<SparseMask> mask;
  std::optional<PatternSpec> spec;
  ParamSet values;
  if (parser.isSet(patternOptions.pattern)) {
    spec = PatternSpec::parse(toStd(parser.value(patternOptions.pattern)));
    values = spec->resolve(readParamTexts(parser, patternOptions));
    spec->checkBuildMemory(values, dump.n());
    mask = buildMask(*spec->make(values, dump.n()));
    options.mask = &*mask;
  } else if (parser.isSet(patternOptions.param)) {
    throw UsageError("--param needs --pattern: name the pattern whose parameters these are");
  }
  // A model's stack: layer ℓ against the weights' layer ℓ.
  const int stackSources = int(parser.isSet(config)) + int(parser.isSet(stackFile)) + int(parser.isSet(stackLayers));
  if (stackSources > 1) throw UsageError("give at most one of --config FILE, --stack FILE or --layers TEXT");
  if (stackSources == 1 && mask)
    throw UsageError("give either --pattern or a stack (--config, --stack, --layers): one thing to measure against");
  if (!parser.isSet(config) && (parser.isSet(global) || parser.isSet(mode)))
    throw UsageError("--global and --mode go with --config: they are how a config's model is built");
  std::optional<LayerMasks> stackMasks;
  LayerStack stack;
  if (stackSources == 1) {
    if (parser.isSet(config)) {
      const QString modeText = parser.value(mode);
      if (modeText != QStringLiteral("train") && modeText != QStringLiteral("eval"))
        throw UsageError("--mode " + toStd(modeText) + " is not allowed: expected train or eval");
      ConfigRequest request;
      request.n = dump.n();
      if (parser.isSet(global)) request.globals = readTokenList(parser.value(global), dump.n());
      request.bigBirdEval = modeText == QStringLiteral("eval");
      stack = readHfConfigFile(toStd(parser.value(config)), request);
    } else if (parser.isSet(stackFile)) {
      stack = readStackFile(toStd(parser.value(stackFile)));
    } else {
      stack.name = "typed stack";
      stack.layers = parseShortForm(toStd(parser.value(stackLayers)));
    }
    stackMasks = masksFromStack(stack, dump);
    options.layerMasks = stackMasks->pointers();
  }
  const bool against = mask || stackMasks;
  if (parser.isSet(rolloutOut) && dump.n() > kMaxRolloutTokens)
    throw UsageError("--rollout-out is not allowed at n = " + withSeparators(dump.n()) + ": at most " +
                     withSeparators(kMaxRolloutTokens) + " tokens");
  double share = 0.9;
  if (parser.isSet(keep)) {
    bool ok = false;
    share = parser.value(keep).toDouble(&ok);
    if (!ok || !(share > 0 && share <= 1))
      throw UsageError("--keep " + toStd(parser.value(keep)) + " is not allowed: expected a share 0 < keep ≤ 1");
    if (!parser.isSet(fit)) throw UsageError("--keep needs --fit: it is the share the fitted patterns keep");
  }
  const WeightsReport r = measureWeights(dump, options);
  std::vector<std::vector<HeadFit>> fits;
  if (parser.isSet(fit)) {
    FitOptions fo;
    fo.keep = share;
    fo.fromLayer = options.fromLayer;
    fo.toLayer = options.toLayer;
    fits = fitPatterns(dump, fo);
  }
  // Cells of the fitted patterns against n² a head: per layer and for the whole (measured) model.
  double fitCells = 0;
  std::vector<double> layerCells;
  for (const auto& layerFits : fits) {
    double cells = 0;
    for (const HeadFit& f : layerFits) cells += double(f.best.cells);
    layerCells.push_back(cells);
    fitCells += cells;
  }
  const double nn = double(dump.n()) * double(dump.n());
  // The rollout through the measured layers: the real weights, and with a pattern the weights restricted to it.
  double rolloutL1 = -1;
  if (parser.isSet(rolloutOut)) {
    RolloutOptions ro;
    ro.fromLayer = options.fromLayer;
    ro.toLayer = options.toLayer;
    const Matrix real = attentionRollout(dump, ro);
    if (against) {
      ro.mask = mask ? &*mask : nullptr;
      ro.layerMasks = options.layerMasks;
      const Matrix restricted = attentionRollout(dump, ro);
      rolloutL1 = (real - restricted).cwiseAbs().cast<double>().rowwise().sum().mean();
    }
    writeNpyFloat(toStd(parser.value(rolloutOut)), {dump.n(), dump.n()}, real.data());
  }

  if (parser.isSet(json)) {
    QJsonObject o{
        {QStringLiteral("file"), file},
        {QStringLiteral("layers"), static_cast<qint64>(dump.layers())},
        {QStringLiteral("heads"), dump.heads()},
        {QStringLiteral("n"), static_cast<qint64>(dump.n())},
        {QStringLiteral("first_layer"), static_cast<qint64>(r.firstLayer)},
        {QStringLiteral("top_k"), static_cast<qint64>(k)},
        {QStringLiteral("padding_rows"), static_cast<qint64>(r.paddingRows)},
        {QStringLiteral("rows_not_summing_to_1"), static_cast<qint64>(r.offRows)},
        {QStringLiteral("entropy"), perHead(r, [](const HeadStats& s) { return s.entropy; })},
        {QStringLiteral("normalised_entropy"), perHead(r, [](const HeadStats& s) { return s.normalisedEntropy; })},
        {QStringLiteral("diagonal"), perHead(r, [](const HeadStats& s) { return s.diagonal; })},
        {QStringLiteral("previous_token"), perHead(r, [](const HeadStats& s) { return s.previous; })},
        {QStringLiteral("first_token"), perHead(r, [](const HeadStats& s) { return s.first; })},
        {QStringLiteral("topk_mass"), perHead(r, [](const HeadStats& s) { return s.topk; })},
        {QStringLiteral("role"), perHead(r, [](const HeadStats& s) { return toQ(s.role()); })}};
    if (mask) {
      QJsonObject p;
      for (const auto& [name, value] : values.values()) p.insert(toQ(name), toQ(formatParam(value)));
      o.insert(QStringLiteral("pattern"), toQ(spec->name()));
      o.insert(QStringLiteral("params"), p);
    }
    if (stackMasks) {
      o.insert(QStringLiteral("stack"), toQ(shortForm(stack.layers)));
      o.insert(QStringLiteral("stack_name"), toQ(stack.name));
      QJsonArray notes;
      for (const std::string& note : stackMasks->notes) notes.append(toQ(note));
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
      o.insert(QStringLiteral("keep"), share);
      o.insert(QStringLiteral("fit_cells_share_by_layer"), layerShares);
      o.insert(QStringLiteral("fit_cells_share"), fitCells / (nn * double(dump.heads()) * double(fits.size())));
    }
    printJson(o);
    return 0;
  }
  std::cout << "file           " << toStd(file) << " (" << dump.description() << ", float" << 8 * dump.itemSize()
            << ")\n";
  std::cout << "layers         " << dump.layers() << "\nheads          " << dump.heads() << "\nn              "
            << withSeparators(dump.n()) << "\n";
  if (!labels.empty()) std::cout << "tokens         " << labels.size() << " (" << labels.front() << " …)\n";
  if (r.paddingRows > 0)
    std::cout << "padding rows   " << withSeparators(r.paddingRows) << " all-zero rows left out of every figure\n";
  if (r.offRows > 0)
    std::cout << "warning        " << withSeparators(r.offRows) << " rows do not sum to 1 (within " << kRowSumTolerance
              << "): are these softmax weights?\n";
  if (mask) {
    std::cout << "pattern        " << spec->name();
    for (const auto& [name, value] : values.values()) std::cout << "  " << name << "=" << formatParam(value);
    std::cout << "\n";
  }
  if (stackMasks) {
    std::cout << "stack          " << stack.name << ": " << shortForm(stack.layers)
              << (stack.layers.size() == 1 ? " (every layer)" : " (layer ℓ against layer ℓ)") << "\n";
    for (const std::string& note : stackMasks->notes) std::cout << "note           " << note << "\n";
  }
  for (std::size_t l = 0; l < r.stats.size(); ++l) {
    std::cout << "\nlayer " << r.firstLayer + static_cast<Index>(l) << "  head  entropy  diag   prev   first  top-" << k
              << (against ? "  kept   best   density" : "") << "  role\n";
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
    std::cout << "\nfit            the cheapest window pattern keeping " << fixedDigits(100 * share, 1)
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
  if (parser.isSet(rolloutOut))
    std::cout << "\nrollout        written to " << toStd(parser.value(rolloutOut)) << " (float32 [n, n], row i: where "
              << "output token i comes from)\n";
  if (rolloutL1 >= 0)
    std::cout << "rollout L1     " << fixedDigits(rolloutL1, 4)
              << " mean per-row distance between the real rollout and the pattern's (0 … 2); the pattern's is "
                 "non-zero only where its layers reach (multi-hop reachability), and there wherever the weights are "
                 "positive\n";
  if (against)
    std::cout << "\nkept: mean attention mass inside the pattern; best: the same for each row's largest weights "
                 "with the pattern's budget (top-k)\n";
  return 0;
}

}  // namespace attnscope::cli

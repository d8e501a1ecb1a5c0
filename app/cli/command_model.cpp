// attnscope-cli model: a model's layers read from its config.json (or a stack file, or a short form), the reach
// through them, and what each layer costs.
#include <QJsonArray>

#include <cstdio>
#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/models/hf_config.h"
#include "engine/models/model_report.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

std::string flops(double f) {
  char buf[64];
  if (f >= 1e12)
    std::snprintf(buf, sizeof buf, "%.2f TFLOP", f / 1e12);
  else if (f >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2f GFLOP", f / 1e9);
  else
    std::snprintf(buf, sizeof buf, "%.2f MFLOP", f / 1e6);
  return buf;
}

// "21 sliding, 21 full" in order of first appearance.
std::string kindSummary(const std::vector<StackLayer>& layers) {
  std::vector<std::pair<std::string, int>> counts;
  for (const StackLayer& l : layers) {
    const std::string kind = l.kind.empty() ? l.pattern : l.kind;
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == kind; });
    if (it == counts.end())
      counts.emplace_back(kind, 1);
    else
      ++it->second;
  }
  std::string out;
  for (const auto& [kind, count] : counts) {
    if (!out.empty()) out += ", ";
    out += std::to_string(count) + " " + kind;
  }
  return out;
}

void printCurve(const char* label, const std::vector<double>& curve) {
  std::cout << label;
  const std::size_t L = curve.size();
  for (std::size_t k = 0; k < L; ++k) {
    if (L > 10 && k == 6) {
      std::cout << "  …";
      k = L - 3;
    }
    std::cout << "  " << (k + 1) << ": " << fixedDigits(100.0 * curve[k], 1) << "%";
  }
}

QJsonObject paramsJson(const StackLayer& layer) {
  QJsonObject o;
  for (const auto& [k, v] : layer.params) o.insert(toQ(k), toQ(v));
  return o;
}

// What `model` was asked, read from its command line; Check() says the first thing wrong with it.
struct ModelArgs {
  StackSource stack;
  Index n = 0;  ///< 0: a stack file's own n
  Precision precision = Precision::Bf16;
  std::optional<Index> from, to;  ///< a path through the stack
  std::string saveStack;
  bool reach = true, json = false;

  std::string Check() const {
    if (std::string problem = stack.check(/*required=*/true); !problem.empty()) return problem;
    if (n == 0 && stack.stackFile.empty()) return "--n is required: the sequence length";
    if (from.has_value() != to.has_value()) return "--from and --to go together: query and key tokens";
    return {};
  }
};

ModelArgs readModelArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "A model as a stack of attention layers: read from a Hugging Face config.json (--config), a stack file "
      "(--stack) or a short form (--layers \"window radius=2 ×5, full\"); prints each layer, the reach through the "
      "stack and what each layer costs."));
  const QCommandLineOption help = parser.addHelpOption();
  StackOptions stack;
  stack.addTo(parser);
  const QCommandLineOption n(QStringList{QStringLiteral("n")}, QStringLiteral("Sequence length."), QStringLiteral("N"));
  const QCommandLineOption precision(QStringLiteral("precision"),
                                     QStringLiteral("fp32, bf16 (default), fp16 or int8: bytes per cached element."),
                                     QStringLiteral("P"), QStringLiteral("bf16"));
  const QCommandLineOption from(QStringLiteral("from"), QStringLiteral("A path through the stack: the query."),
                                QStringLiteral("I"));
  const QCommandLineOption to(QStringLiteral("to"), QStringLiteral("A path through the stack: the key."),
                              QStringLiteral("J"));
  const QCommandLineOption saveStack(QStringLiteral("save-stack"),
                                     QStringLiteral("Also write the stack as a stack file."), QStringLiteral("FILE"));
  const QCommandLineOption noReach(QStringLiteral("no-reach"), QStringLiteral("Skip reachability."));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const auto* o : {&n, &precision, &from, &to, &saveStack, &noReach, &json}) parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  ModelArgs args;
  args.stack = stack.read(parser);
  if (parser.isSet(n)) args.n = readInteger(QStringLiteral("n"), parser.value(n), 1, kMaxSequenceLength);
  args.precision = parsePrecision(toStd(parser.value(precision)));
  // Token indices are checked against the stack's n once it is known (a stack file gives its own).
  if (parser.isSet(from)) args.from = readInteger(QStringLiteral("from"), parser.value(from), 0, kMaxSequenceLength);
  if (parser.isSet(to)) args.to = readInteger(QStringLiteral("to"), parser.value(to), 0, kMaxSequenceLength);
  args.saveStack = toStd(parser.value(saveStack));
  args.reach = !parser.isSet(noReach) || parser.isSet(from);
  args.json = parser.isSet(json);
  return args;
}

void printModelJson(const ModelReport& report, const ModelArgs& args, const std::optional<StackPath>& path) {
  const ModelCost& c = report.cost;
  const auto& s = report.stack;
  QJsonArray layerList, derivation, notes;
  for (const LayerCost& lc : c.layers) {
    const StackLayer& l = s.layers[static_cast<std::size_t>(lc.index)];
    layerList.append(QJsonObject{{QStringLiteral("index"), lc.index},
                                 {QStringLiteral("kind"), toQ(l.kind)},
                                 {QStringLiteral("pattern"), toQ(l.pattern)},
                                 {QStringLiteral("params"), paramsJson(l)},
                                 {QStringLiteral("active_cells"), lc.activeCells},
                                 {QStringLiteral("heads"), lc.heads},
                                 {QStringLiteral("cells_per_head"), lc.cellsPerHead},
                                 {QStringLiteral("density"), lc.density},
                                 {QStringLiteral("attention_flops"), lc.attentionFlops},
                                 {QStringLiteral("projection_flops"), lc.projectionFlops},
                                 {QStringLiteral("feed_forward_flops"), lc.feedForwardFlops},
                                 {QStringLiteral("score_matrix_bytes"), lc.scoreMatrixBytes},
                                 {QStringLiteral("tokens_kept"), lc.tokensKept},
                                 {QStringLiteral("windowed"), lc.windowed},
                                 {QStringLiteral("kv_cache_bytes"), lc.kvCacheBytes},
                                 {QStringLiteral("kv_cache_bytes_windowed"), lc.kvCacheBytesWindowed}});
  }
  for (const auto& line : s.derivation) derivation.append(toQ(line));
  for (const auto& line : s.notes) notes.append(toQ(line));
  for (const auto& layer : report.layers)
    for (const auto& note : layer.pattern->notes())
      if (!notes.contains(toQ(note))) notes.append(toQ(note));
  const ModelDims& d = s.dims;
  QJsonObject o{{QStringLiteral("model"), toQ(s.name)},
                {QStringLiteral("n"), static_cast<qint64>(s.n)},
                {QStringLiteral("n_requested"), static_cast<qint64>(args.n ? args.n : s.n)},
                {QStringLiteral("layer_count"), static_cast<int>(s.layers.size())},
                {QStringLiteral("short_form"), toQ(shortForm(s.layers))},
                {QStringLiteral("derivation"), derivation},
                {QStringLiteral("notes"), notes},
                {QStringLiteral("precision"), QString::fromLatin1(precisionName(args.precision))},
                {QStringLiteral("dims"),
                 QJsonObject{{QStringLiteral("hidden_size"), static_cast<qint64>(d.hiddenSize)},
                             {QStringLiteral("intermediate_size"), static_cast<qint64>(d.intermediateSize)},
                             {QStringLiteral("num_attention_heads"), static_cast<qint64>(d.heads)},
                             {QStringLiteral("num_key_value_heads"), static_cast<qint64>(d.keyValueHeads)},
                             {QStringLiteral("head_dim"), static_cast<qint64>(d.headDim)},
                             {QStringLiteral("gated_feed_forward"), d.gatedFeedForward},
                             {QStringLiteral("from_config"), s.dimsFromConfig}}},
                {QStringLiteral("layers"), layerList},
                {QStringLiteral("active_cells"), c.activeCells},
                {QStringLiteral("density"), c.density},
                {QStringLiteral("attention_flops"), c.attentionFlops},
                {QStringLiteral("projection_flops"), c.projectionFlops},
                {QStringLiteral("feed_forward_flops"), c.feedForwardFlops},
                {QStringLiteral("score_matrix_bytes"), c.scoreMatrixBytes},
                {QStringLiteral("kv_cache_bytes"), c.kvCacheBytes},
                {QStringLiteral("kv_cache_bytes_windowed"), c.kvCacheBytesWindowed}};
  if (report.reach) {
    const StackReach& r = *report.reach;
    QJsonArray curve;
    for (double f : r.reachByLayer) curve.append(f);
    o.insert(QStringLiteral("reach_by_layer"), curve);
    o.insert(QStringLiteral("reach_exact"), r.exact);
    o.insert(QStringLiteral("reach_sample_sources"), r.sampledSources);
    o.insert(QStringLiteral("unreachable_pairs"), r.unreachablePairs);
    o.insert(QStringLiteral("layers_for_full_reach"),
             r.layersForFullReach ? QJsonValue(*r.layersForFullReach) : QJsonValue(QJsonValue::Null));
    QJsonArray causal;
    for (double f : r.earlierReachByLayer) causal.append(f);
    o.insert(QStringLiteral("causal_reach_by_layer"), causal);
    o.insert(QStringLiteral("layers_for_full_causal_reach"),
             r.layersForFullEarlierReach ? QJsonValue(*r.layersForFullEarlierReach) : QJsonValue(QJsonValue::Null));
    o.insert(QStringLiteral("layers_propagated"), r.layersComputed);
  } else {
    for (const char* key : {"reach_by_layer", "unreachable_pairs", "layers_for_full_reach"})
      o.insert(QString::fromUtf8(key), QJsonValue(QJsonValue::Null));
  }
  if (path) {
    QJsonArray hops;
    for (const StackHop& h : path->hops)
      hops.append(QJsonObject{{QStringLiteral("query"), static_cast<qint64>(h.query)},
                              {QStringLiteral("key"), static_cast<qint64>(h.key)},
                              {QStringLiteral("layer"), h.layer}});
    o.insert(
        QStringLiteral("path"),
        QJsonObject{{QStringLiteral("from"), static_cast<qint64>(*args.from)},
                    {QStringLiteral("to"), static_cast<qint64>(*args.to)},
                    {QStringLiteral("layers"), path->layers ? QJsonValue(*path->layers) : QJsonValue(QJsonValue::Null)},
                    {QStringLiteral("hops"), hops}});
  }
  printJson(o);
}

void printModelText(const ModelReport& report, const ModelArgs& args, const std::optional<StackPath>& path) {
  const ModelCost& c = report.cost;
  const auto& s = report.stack;
  std::cout << "model          " << s.name << "\n";
  for (const auto& line : s.derivation) std::cout << "derived        " << line << "\n";
  std::cout << "n              " << withSeparators(s.n) << "\n"
            << "layers         " << s.layers.size() << ": " << kindSummary(s.layers) << "\n";
  if (const std::string form = shortForm(s.layers); form.size() <= 160) std::cout << "short form     " << form << "\n";
  std::cout << "sizes          hidden " << s.dims.hiddenSize << ", heads " << s.dims.heads << " (key-value "
            << s.dims.keyValueHeads << "), head_dim " << s.dims.headDim << ", feed-forward " << s.dims.intermediateSize
            << (s.dims.gatedFeedForward ? " (gated)" : "")
            << (s.dimsFromConfig ? "" : "  [BERT-base sizes: this stack has no model sizes]") << "\n\n";
  // Cells are one head's matrix, held against its n² cells; the heads multiply them in the FLOPs.
  std::printf("%5s  %-12s  %-44s  %16s  %8s  %5s  %14s  %14s  %12s\n", "layer", "kind", "pattern", "cells a head",
              "of n²", "heads", "attention", "feed-forward", "KV windowed");
  for (const LayerCost& lc : c.layers) {
    std::string pattern = s.layers[static_cast<std::size_t>(lc.index)].describe();
    if (pattern.size() > 44) pattern = pattern.substr(0, 41) + "...";
    std::printf("%5d  %-12s  %-44s  %16s  %6s%%  %5d  %14s  %14s  %12s\n", lc.index, lc.kind.c_str(), pattern.c_str(),
                withSeparators(static_cast<Index>(std::llround(lc.cellsPerHead))).c_str(),
                fixedDigits(100.0 * lc.density, 1).c_str(), lc.heads, flops(lc.attentionFlops).c_str(),
                flops(lc.feedForwardFlops).c_str(), lc.windowed ? formatBytes(lc.kvCacheBytesWindowed).c_str() : "-");
  }
  std::cout << "\nattention      " << flops(c.attentionFlops) << " (4 · cells · head_dim), projections "
            << flops(c.projectionFlops) << ", feed-forward " << flops(c.feedForwardFlops) << "\n"
            << "score matrix   " << formatBytes(c.scoreMatrixBytes) << " a layer if held whole ("
            << precisionName(args.precision) << ")\n"
            << "KV cache       " << formatBytes(c.kvCacheBytes) << " keeping every token, "
            << formatBytes(c.kvCacheBytesWindowed) << " with sliding layers keeping their window ("
            << precisionName(args.precision) << ")\n";
  if (report.reach) {
    const StackReach& r = *report.reach;
    const std::size_t L = r.reachByLayer.size();
    const std::string tag =
        r.exact ? "  (exact)\n" : "  (estimated from " + std::to_string(r.sampledSources) + " sampled sources)\n";
    printCurve("reach by layer", r.reachByLayer);
    std::cout << tag;
    printCurve("keys before   ", r.earlierReachByLayer);
    std::cout << "  (pairs whose key precedes the query: all a causal model can reach)\n";
    std::cout << "unreachable    " << withSeparators(static_cast<Index>(r.unreachablePairs))
              << " ordered pairs after all " << L << " layers" << (r.exact ? "" : " (estimated)") << "\n";
    if (r.layersForFullReach)
      std::cout << "full reach     after " << counted(*r.layersForFullReach, "layer", "layers")
                << (r.exact ? "" : " (estimated)") << "\n";
    else
      std::cout << "full reach     never: some pairs are still apart after the last layer\n";
    if (r.layersForFullEarlierReach)
      std::cout << "earlier keys   every query has heard from every earlier key after "
                << counted(*r.layersForFullEarlierReach, "layer", "layers") << (r.exact ? "" : " (estimated)") << "\n";
  }
  if (path) {
    if (!path->layers)
      std::cout << "path           " << *args.from << " never hears from " << *args.to << " through this stack\n";
    else {
      std::cout << "path           " << describeStackPath(*path, *args.from);
      std::cout << ": " << *args.from << " has heard from " << *args.to << " after "
                << counted(*path->layers, "layer", "layers") << "\n";
    }
  }
  for (const auto& note : s.notes) std::cout << "note: " << note << "\n";
  std::vector<std::string> seen;
  for (const auto& layer : report.layers)
    for (const auto& note : layer.pattern->notes())
      if (std::find(seen.begin(), seen.end(), note) == seen.end()) {
        seen.push_back(note);
        std::cout << "note: " << note << "\n";
      }
}

}  // namespace

int runModel(const QStringList& arguments) {
  const ModelArgs args = readModelArgs(arguments);
  if (const std::string problem = args.Check(); !problem.empty()) throw UsageError(problem);
  const LayerStack stack = args.stack.load(args.n);
  for (const auto& [name, token] : {std::pair{"from", args.from}, std::pair{"to", args.to}})
    if (token && *token >= stack.n)
      throw UsageError(std::string(name) + " = " + std::to_string(*token) +
                       " is not allowed: expected an integer 0 … " + std::to_string(stack.n - 1));
  if (!args.saveStack.empty()) writeStackFile(stack, args.saveStack);
  ModelOptions options;
  options.precision = args.precision;
  options.reach = args.reach;
  const ModelReport report = analyzeModel(stack, options);
  std::optional<StackPath> path;
  if (args.from) path = stackPath(report.graph, *args.from, *args.to);
  if (args.json)
    printModelJson(report, args, path);
  else
    printModelText(report, args, path);
  return 0;
}

}  // namespace attnscope::cli

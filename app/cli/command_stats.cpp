// attnscope-cli stats: what a pattern costs at a sequence length.
#include <QJsonArray>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "app/cli/cli_common.h"
#include "engine/util/format.h"
#include "engine/masks/mask_stats.h"
#include "engine/reach/reachability.h"

namespace attnscope::cli {

namespace {
// Reachability is computed up to this many active cells unless --reach asks for more (seconds, not minutes).
constexpr Index kCliReachCells = 50'000'000;

QJsonValue orNull(const std::optional<int>& v) { return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null); }

void addReachJson(QJsonObject& o, const ReachSummary& r) {
  const bool exact = r.diameter.exact;
  o.insert(QStringLiteral("diameter"), exact ? QJsonValue(r.diameter.upper) : QJsonValue(QJsonValue::Null));
  o.insert(QStringLiteral("diameter_exact"), exact);
  o.insert(QStringLiteral("diameter_bounds"), QJsonArray{r.diameter.lower, r.diameter.upper});
  o.insert(QStringLiteral("diameter_method"), QString::fromUtf8(r.diameter.method));
  o.insert(QStringLiteral("unreachable_pairs"), r.unreachablePairs);
  o.insert(QStringLiteral("unreachable_pairs_exact"), r.unreachableExact);
  o.insert(QStringLiteral("layers_for_full_reach"), orNull(r.layersForFullReach));
  o.insert(QStringLiteral("layers_for_full_reach_exact"), r.unreachableExact && exact);
  QJsonArray curve;
  for (double f : r.reachByLayer) curve.append(f);
  o.insert(QStringLiteral("reach_by_layer"), curve);
  o.insert(QStringLiteral("reach_exact"), r.allPairsExact);
  o.insert(QStringLiteral("reach_sample_sources"), r.sampledSources);
}

void printReach(const ReachSummary& r) {
  const auto tag = [](bool exact) { return exact ? " (exact)" : " (estimated)"; };
  if (r.diameter.exact)
    std::cout << "diameter       " << counted(r.diameter.upper, "hop", "hops") << " (exact)\n";
  else
    std::cout << "diameter       between " << r.diameter.lower << " and " << r.diameter.upper
              << " hops (bounds; exact all pairs not affordable at this size)\n";
  std::cout << "unreachable    " << withSeparators(static_cast<Index>(r.unreachablePairs)) << " ordered pairs"
            << tag(r.unreachableExact) << "\n";
  if (r.layersForFullReach)
    std::cout << "full reach     after " << counted(*r.layersForFullReach, "layer", "layers") << "\n";
  else if (r.unreachableExact && r.unreachablePairs > 0)
    std::cout << "full reach     never: some pairs never connect\n";
  else
    std::cout << "full reach     not known at this size\n";
  std::cout << "reach by layer";
  const std::size_t L = r.reachByLayer.size();
  for (std::size_t k = 0; k < L; ++k) {
    if (L > 10 && k == 6) {
      std::cout << "  …";
      k = L - 3;
    }
    std::cout << "  " << (k + 1) << ": " << fixedDigits(100.0 * r.reachByLayer[k], 1) << "%";
  }
  if (r.allPairsExact)
    std::cout << "  (exact)\n";
  else
    std::cout << "  (estimated from " << r.sampledSources << " sampled sources)\n";
}

// What `stats` counted: the mask's figures, how long building it took, and reachability when it was computed.
struct Counted {
  PatternRequest request;
  MaskStats stats;
  std::vector<std::string> notes;
  Index memoryBytes = 0;
  double ms = 0;
  std::optional<ReachSummary> reachability;
  std::string reachNote;  ///< why reachability was skipped
};

Counted count(PatternRequest request, bool noReach, bool forceReach) {
  Counted c{std::move(request)};
  const auto start = std::chrono::steady_clock::now();
  const auto pattern = c.request.makePattern();
  const SparseMask mask = buildMask(*pattern);
  c.stats = computeStats(mask);
  c.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  c.notes = pattern->notes();
  c.memoryBytes = static_cast<Index>(mask.memoryBytes());
  if (noReach)
    c.reachNote = "reachability skipped (--no-reach)";
  else if (c.stats.nnz > kCliReachCells && !forceReach)
    c.reachNote = "reachability skipped above " + withSeparators(kCliReachCells) + " active cells; pass --reach";
  else
    c.reachability = analyzeReachability(ReachGraph(mask));
  return c;
}

void printStatsJson(const Counted& c) {
  const MaskStats& s = c.stats;
  QJsonObject params;
  for (const auto& [name, value] : c.request.values().values()) params.insert(toQ(name), toQ(formatParam(value)));
  QJsonArray notes;
  for (const auto& note : c.notes) notes.append(toQ(note));
  QJsonObject o{{QStringLiteral("pattern"), toQ(c.request.spec().name())},
                {QStringLiteral("params"), params},
                {QStringLiteral("n"), static_cast<qint64>(s.n)},
                {QStringLiteral("heads"), s.heads},
                {QStringLiteral("nnz"), static_cast<qint64>(s.nnz)},
                {QStringLiteral("cells"), s.cells},
                {QStringLiteral("density"), s.density},
                {QStringLiteral("nnz_per_token"), s.nnzPerToken},
                {QStringLiteral("row_min"), static_cast<qint64>(s.rowMin)},
                {QStringLiteral("row_mean"), s.rowMean},
                {QStringLiteral("row_max"), static_cast<qint64>(s.rowMax)},
                {QStringLiteral("empty_rows"), static_cast<qint64>(s.emptyRows)},
                {QStringLiteral("memory_bytes"), static_cast<qint64>(c.memoryBytes)},
                {QStringLiteral("build_ms"), c.ms},
                {QStringLiteral("notes"), notes}};
  if (c.reachability)
    addReachJson(o, *c.reachability);
  else {
    for (const char* key : {"diameter", "unreachable_pairs", "layers_for_full_reach", "reach_by_layer"})
      o.insert(QString::fromUtf8(key), QJsonValue(QJsonValue::Null));
    o.insert(QStringLiteral("reach_note"), toQ(c.reachNote));
  }
  if (s.blocksActive) {
    o.insert(QStringLiteral("blocks_active"), static_cast<qint64>(*s.blocksActive));
    o.insert(QStringLiteral("blocks_total"), static_cast<qint64>(*s.blocksTotal));
    o.insert(QStringLiteral("block_size"), static_cast<qint64>(*s.blockSize));
  }
  printJson(o);
}

void printStatsText(const Counted& c) {
  const MaskStats& s = c.stats;
  std::cout << "pattern        " << c.request.spec().name() << "\n";
  for (const auto& [name, value] : c.request.values().values())
    std::cout << "  " << name << " = " << formatParam(value) << "\n";
  std::cout << "n              " << withSeparators(s.n) << "\n"
            << "heads          " << s.heads << "\n"
            << "active cells   " << withSeparators(s.nnz) << " of " << withSeparators(static_cast<Index>(s.cells))
            << " (" << fixedDigits(100.0 * s.density, 2) << "%)\n"
            << "per token      " << fixedDigits(s.nnzPerToken, 2)
            << " keys per query (full attention: " << withSeparators(s.n) << ")\n"
            << "row min/mean/max  " << s.rowMin << " / " << fixedDigits(s.rowMean, 2) << " / " << s.rowMax << "\n"
            << "empty rows     " << withSeparators(s.emptyRows) << "\n";
  if (s.blocksActive)
    std::cout << "blocks         " << withSeparators(*s.blocksActive) << " of " << withSeparators(*s.blocksTotal)
              << " active (block " << *s.blockSize << ")\n";
  std::cout << "built in       " << fixedDigits(c.ms, 1) << " ms, " << withSeparators(static_cast<Index>(c.memoryBytes))
            << " bytes\n";
  if (c.reachability)
    printReach(*c.reachability);
  else
    std::cout << c.reachNote << "\n";
  for (const auto& note : c.notes) std::cout << "note: " << note << "\n";
}

// What `stats` was asked beyond the pattern and its inputs; Check() says the first thing wrong with it.
struct StatsArgs {
  bool json = false, reach = false, noReach = false;

  std::string Check() const {
    if (reach && noReach) return "--reach and --no-reach are not allowed together: choose one";
    return {};
  }
};

StatsArgs readStatsArgs(QCommandLineParser& parser, const QStringList& arguments) {
  parser.setApplicationDescription(QStringLiteral("Count a pattern's active cells against heads·n²."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  const QCommandLineOption reach(QStringLiteral("reach"),
                                 QStringLiteral("Compute reachability even above 50,000,000 active cells."));
  const QCommandLineOption noReach(QStringLiteral("no-reach"), QStringLiteral("Skip reachability."));
  for (const QCommandLineOption* o : {&json, &reach, &noReach}) parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  return {parser.isSet(json), parser.isSet(reach), parser.isSet(noReach)};
}

}  // namespace

int runStats(const QStringList& arguments) {
  PatternCommandLine line;
  const StatsArgs args = readStatsArgs(line.parser, arguments);
  refuse(args.Check());
  const Counted c = count(line.request(), args.noReach, args.reach);
  if (args.json)
    printStatsJson(c);
  else
    printStatsText(c);
  return 0;
}

}  // namespace attnscope::cli

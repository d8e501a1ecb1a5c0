// attnscope-cli bench: attention kernels over a sweep of n, each next to three ceilings measured in the same run —
// the processor's FMA peak, the tile products on the backend in use (and on Eigen), SGEMM (Eigen's, and OpenBLAS's
// when the machine has it) — so every figure is also a fraction of what this machine can do.
#include <QJsonArray>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "app/cli/cli_common.h"
#include "engine/attention/attention_compare.h"
#include "app/cli/ceilings.h"
#include "engine/attention/tile_gemm.h"
#include "engine/attention/scaling_sweep.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

void useThreads(int t) {
#ifdef _OPENMP
  omp_set_num_threads(t);
#endif
  Eigen::setNbThreads(t);
}

// What `bench` was asked, read from its command line and checked.
struct BenchCase {
  const char* key;
  const char* label;
  const char* pattern;
  std::vector<std::pair<std::string, std::string>> params;
};

struct BenchArgs {
  Index lo = 512, hi = 8192, dim = 64;
  int reps = 3;
  std::vector<int> threadCounts{1};  ///< one thread, and all (or --threads) when more than one
  std::vector<BenchCase> cases;
  std::optional<TileBackend> backend;
  bool json = false;
};

BenchArgs readBenchArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "Time full attention (fused kernel), a window of radius 128 (sparse kernel) and Hugging Face BigBird "
      "(block-sparse kernel) for n doubling from --min-n to --max-n, at one thread and at --threads, as a share of "
      "this machine's FMA peak measured in the same run (with the tile products beside it), and of the best SGEMM "
      "here (Eigen's, or OpenBLAS's when the machine has it; OpenBLAS honours OPENBLAS_CORETYPE)."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption minN(QStringLiteral("min-n"), QStringLiteral("Smallest n (default 512)."),
                                QStringLiteral("N"), QStringLiteral("512"));
  const QCommandLineOption maxN(QStringLiteral("max-n"), QStringLiteral("Largest n (default 8192)."),
                                QStringLiteral("N"), QStringLiteral("8192"));
  const QCommandLineOption dimOption(QStringLiteral("dim"), QStringLiteral("Head dimension (default 64)."),
                                     QStringLiteral("D"), QStringLiteral("64"));
  const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("Threads (default: all cores)."),
                                   QStringLiteral("T"));
  const QCommandLineOption repeat(QStringLiteral("repeat"), QStringLiteral("Runs per figure; the best counts (3)."),
                                  QStringLiteral("R"), QStringLiteral("3"));
  const QCommandLineOption patterns(QStringLiteral("patterns"),
                                    QStringLiteral("Which to time, comma-separated: full, window, bigbird (all)."),
                                    QStringLiteral("LIST"), QStringLiteral("full,window,bigbird"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  const QCommandLineOption backend(
      QStringLiteral("backend"), QStringLiteral("Tile products on libxsmm (the default when built with it) or eigen."),
      QStringLiteral("B"));
  for (const QCommandLineOption* o : {&minN, &maxN, &dimOption, &threads, &repeat, &patterns, &json, &backend})
    parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  BenchArgs args;
  args.lo = readInteger(QStringLiteral("min-n"), parser.value(minN), 64, kMaxFullAttentionTokens);
  args.hi = readInteger(QStringLiteral("max-n"), parser.value(maxN), args.lo, kMaxFullAttentionTokens);
  args.dim = readInteger(QStringLiteral("dim"), parser.value(dimOption), 1, 1024);
  args.reps = static_cast<int>(readInteger(QStringLiteral("repeat"), parser.value(repeat), 1, 100));
#ifdef _OPENMP
  const int all = parser.isSet(threads)
                      ? static_cast<int>(readInteger(QStringLiteral("threads"), parser.value(threads), 1, 256))
                      : omp_get_num_procs();
  if (all > 1) args.threadCounts.push_back(all);
#endif
  const std::vector<BenchCase> known = {{"full", "full", "full", {}},
                                        {"window", "window radius 128", "window", {{"radius", "128"}}},
                                        {"bigbird", "hf-bigbird", "hf-bigbird", {}}};
  for (const QString& name : parser.value(patterns).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    auto it = std::find_if(known.begin(), known.end(),
                           [&](const BenchCase& c) { return name.trimmed() == QString::fromUtf8(c.key); });
    if (it == known.end())
      throw UsageError("--patterns '" + quoted(toStd(parser.value(patterns))) +
                       "' is not allowed: expected a comma-separated list of full, window and bigbird");
    args.cases.push_back(*it);
  }
  if (parser.isSet(backend)) args.backend = readTileBackend(parser.value(backend));
  args.json = parser.isSet(json);
  return args;
}

// The ceilings, measured in the same run: the FMA peak and SGEMM (Eigen's, and OpenBLAS's when the machine has
// it) at each thread count, the tile products on one thread. "Of SGEMM" is of the faster of the two.
struct Ceilings {
  std::map<int, double> peak, eigenGemm, gemm;
  std::map<int, std::optional<double>> openblasGemm;
  std::string openblas;
  TileBackend backend = TileBackend::Eigen;
  double tiles = 0, eigenTiles = 0;
  QJsonArray machine;
};

Ceilings measureCeilings(const BenchArgs& args) {
  Ceilings c;
  for (int t : args.threadCounts) {
    useThreads(t);
    c.peak[t] = fmaPeakGflops(t, args.reps + 2);
    c.eigenGemm[t] = eigenSgemmGflops(args.reps);
    c.openblasGemm[t] = openblasSgemmGflops(t, args.reps);
    c.gemm[t] = std::max(c.eigenGemm[t], c.openblasGemm[t].value_or(0.0));
    QJsonObject m{{QStringLiteral("threads"), t},
                  {QStringLiteral("fma_peak_gflops"), c.peak[t]},
                  {QStringLiteral("eigen_sgemm_gflops"), c.eigenGemm[t]},
                  {QStringLiteral("best_sgemm_gflops"), c.gemm[t]}};
    m.insert(QStringLiteral("openblas_sgemm_gflops"),
             c.openblasGemm[t] ? QJsonValue(*c.openblasGemm[t]) : QJsonValue(QJsonValue::Null));
    c.machine.append(m);
  }
  c.openblas = openblasDescription();
  useThreads(1);
  c.backend = tileBackend();
  c.tiles = tileProductsGflops(args.reps + 2);
  setTileBackend(TileBackend::Eigen);
  c.eigenTiles = tileProductsGflops(args.reps + 2);
  setTileBackend(c.backend);
  return c;
}

void printCeilings(const BenchArgs& args, const Ceilings& c) {
  // "  212.4 GFLOP/s at 1 thread  425.0 GFLOP/s at 2 threads"
  const auto rates = [&](auto rate) {
    for (int t : args.threadCounts)
      std::cout << "  " << fixedDigits(rate(t), 1) << " GFLOP/s at " << t << (t == 1 ? " thread" : " threads");
  };
  std::cout << "FMA peak (" << fmaLanes() * 32 << "-bit vectors):";
  rates([&](int t) { return c.peak.at(t); });
  const FullTile tile = fullAttentionTile();
  std::cout << "\ntile products (QKᵀ then PV, " << tile.rows << " × " << tile.cols
            << ", d 64, one thread): " << fixedDigits(c.tiles, 1) << " GFLOP/s on " << tileBackendName(c.backend)
            << ", " << fixedDigits(c.eigenTiles, 1) << " on Eigen\n";
  std::cout << "kernel blocks (for " << tileVectorFloats() << "-float vectors): full attention in tiles of "
            << tile.rows << " queries × " << tile.cols << " keys, masked attention in blocks of " << maskedQueryRows()
            << " queries\n";
  std::cout << "SGEMM 1024³ (Eigen):";
  rates([&](int t) { return c.eigenGemm.at(t); });
  if (c.openblas.empty()) {
    std::cout << "\nSGEMM 1024³ (OpenBLAS): not on this machine (Debian's libopenblas0-pthread provides it)";
  } else {
    std::cout << "\nSGEMM 1024³ (" << c.openblas << "):";
    rates([&](int t) { return *c.openblasGemm.at(t); });
  }
  std::cout << "\n\n     n  pattern                 kernel        threads        ms   GFLOP/s   of peak  of SGEMM\n";
}

// Times every case at every n and thread count; each row is printed as it is measured (unless JSON is asked for)
// and returned.
QJsonArray timeCases(const BenchArgs& args, const Ceilings& ceilings) {
  QJsonArray rows;
  for (Index n = args.lo; n <= args.hi; n *= 2) {
    const AttentionInputs in = syntheticInputs(1, n, args.dim, 0);
    for (const BenchCase& c : args.cases) {
      const PatternSpec spec = PatternSpec::parse(c.pattern);
      std::optional<SparseMask> mask;
      if (std::string(c.pattern) != "full") {
        try {
          mask = spec.build(c.params, n);
        } catch (const Error&) {
          continue;  // not defined at this n (BigBird needs a multiple of 64)
        }
      }
      const double cells = mask ? double(mask->nnz()) : double(n) * double(n);
      const char* kernel = !mask ? "fused dense" : mask->hasBlockLayout() ? "block-sparse" : "sparse";
      for (int t : args.threadCounts) {
        useThreads(t);
        const double ms = bestOfMs(args.reps, [&] {
          if (mask)
            maskedAttention(in, *mask);
          else
            fullAttention(in);
        });
        const double gflops = attentionFlops(cells, args.dim, args.dim) / (ms * 1e6);
        const double ofPeak = gflops / ceilings.peak.at(t), ofGemm = gflops / ceilings.gemm.at(t);
        rows.append(QJsonObject{{QStringLiteral("n"), static_cast<qint64>(n)},
                                {QStringLiteral("pattern"), QString::fromUtf8(c.label)},
                                {QStringLiteral("kernel"), QString::fromUtf8(kernel)},
                                {QStringLiteral("threads"), t},
                                {QStringLiteral("ms"), ms},
                                {QStringLiteral("cells"), cells},
                                {QStringLiteral("gflops"), gflops},
                                {QStringLiteral("fraction_of_peak"), ofPeak},
                                {QStringLiteral("fraction_of_sgemm"), ofGemm}});
        if (!args.json) {
          char line[160];
          std::snprintf(line, sizeof line, "%6lld  %-22s  %-12s  %7d  %8.2f  %8.1f  %7.0f%%  %7.0f%%\n",
                        static_cast<long long>(n), c.label, kernel, t, ms, gflops, 100.0 * ofPeak, 100.0 * ofGemm);
          std::cout << line << std::flush;
        }
      }
    }
  }
  useThreads(args.threadCounts.back());
  return rows;
}

}  // namespace

int runBench(const QStringList& arguments) {
  const BenchArgs args = readBenchArgs(arguments);
  if (args.backend) setTileBackend(*args.backend);
  const Ceilings ceilings = measureCeilings(args);
  if (!args.json) printCeilings(args, ceilings);
  const QJsonArray rows = timeCases(args, ceilings);
  if (args.json)
    printJson(QJsonObject{
        {QStringLiteral("dim"), static_cast<qint64>(args.dim)},
        {QStringLiteral("tile_backend"), QString::fromUtf8(tileBackendName(ceilings.backend))},
        {QStringLiteral("tile_products_gflops"), ceilings.tiles},
        {QStringLiteral("tile_products_eigen_gflops"), ceilings.eigenTiles},
        {QStringLiteral("kernel_blocks"),
         QJsonObject{{QStringLiteral("vector_floats"), tileVectorFloats()},
                     {QStringLiteral("full_tile"), QJsonArray{static_cast<qint64>(fullAttentionTile().rows),
                                                              static_cast<qint64>(fullAttentionTile().cols)}},
                     {QStringLiteral("masked_query_rows"), static_cast<qint64>(maskedQueryRows())}}},
        {QStringLiteral("openblas"), ceilings.openblas.empty() ? QJsonValue(QJsonValue::Null)
                                                               : QJsonValue(QString::fromStdString(ceilings.openblas))},
        {QStringLiteral("machine"), ceilings.machine},
        {QStringLiteral("rows"), rows}});
  return 0;
}

}  // namespace attnscope::cli

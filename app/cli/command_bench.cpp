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

namespace attnscope::cli {

namespace {

void useThreads(int t) {
#ifdef _OPENMP
  omp_set_num_threads(t);
#endif
  Eigen::setNbThreads(t);
}

}  // namespace

int runBench(const QStringList& arguments) {
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
  if (parser.isSet(help)) {
    std::cout << toStd(parser.helpText());
    return 0;
  }
  const Index lo = readInteger(QStringLiteral("min-n"), parser.value(minN), 64, kMaxFullAttentionTokens);
  const Index hi = readInteger(QStringLiteral("max-n"), parser.value(maxN), lo, kMaxFullAttentionTokens);
  const Index dim = readInteger(QStringLiteral("dim"), parser.value(dimOption), 1, 1024);
  const int reps = static_cast<int>(readInteger(QStringLiteral("repeat"), parser.value(repeat), 1, 100));
#ifdef _OPENMP
  const int all = parser.isSet(threads)
                      ? static_cast<int>(readInteger(QStringLiteral("threads"), parser.value(threads), 1, 256))
                      : omp_get_num_procs();
#else
  const int all = 1;
#endif
  std::vector<int> threadCounts = {1};
  if (all > 1) threadCounts.push_back(all);

  struct Case {
    const char* key;
    const char* label;
    const char* pattern;
    std::vector<std::pair<std::string, std::string>> params;
  };
  const std::vector<Case> known = {{"full", "full", "full", {}},
                                   {"window", "window radius 128", "window", {{"radius", "128"}}},
                                   {"bigbird", "hf-bigbird", "hf-bigbird", {}}};
  std::vector<Case> cases;
  for (const QString& name : parser.value(patterns).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
    auto it = std::find_if(known.begin(), known.end(),
                           [&](const Case& c) { return name.trimmed() == QString::fromUtf8(c.key); });
    if (it == known.end())
      throw UsageError("--patterns '" + toStd(parser.value(patterns)) +
                       "' is not allowed: expected a comma-separated "
                       "list of full, window and bigbird");
    cases.push_back(*it);
  }
  if (parser.isSet(backend)) {
    const QString b = parser.value(backend);
    if (b == QStringLiteral("eigen"))
      setTileBackend(TileBackend::Eigen);
    else if (b == QStringLiteral("libxsmm") && libxsmmAvailable())
      setTileBackend(TileBackend::Libxsmm);
    else
      throw UsageError("--backend " + toStd(b) + " is not allowed: expected " +
                       (libxsmmAvailable() ? "libxsmm or eigen" : "eigen (this build has no libxsmm)"));
  }
  const TileBackend chosen = tileBackend();
  // The ceilings, measured now: the FMA peak and SGEMM (Eigen's, and OpenBLAS's when the machine has it) at each
  // thread count, the tile products on one thread. "Of SGEMM" is of the faster of the two.
  QJsonArray machine, rows;
  std::map<int, double> peak, eigenGemm, gemm;
  std::map<int, std::optional<double>> openblasGemm;
  for (int t : threadCounts) {
    useThreads(t);
    peak[t] = fmaPeakGflops(t, reps + 2);
    eigenGemm[t] = eigenSgemmGflops(reps);
    openblasGemm[t] = openblasSgemmGflops(t, reps);
    gemm[t] = std::max(eigenGemm[t], openblasGemm[t].value_or(0.0));
    QJsonObject m{{QStringLiteral("threads"), t},
                  {QStringLiteral("fma_peak_gflops"), peak[t]},
                  {QStringLiteral("eigen_sgemm_gflops"), eigenGemm[t]},
                  {QStringLiteral("best_sgemm_gflops"), gemm[t]}};
    m.insert(QStringLiteral("openblas_sgemm_gflops"),
             openblasGemm[t] ? QJsonValue(*openblasGemm[t]) : QJsonValue(QJsonValue::Null));
    machine.append(m);
  }
  const std::string openblas = openblasDescription();
  useThreads(1);
  const double tiles = tileProductsGflops(reps + 2);
  setTileBackend(TileBackend::Eigen);
  const double eigenTiles = tileProductsGflops(reps + 2);
  setTileBackend(chosen);
  if (!parser.isSet(json)) {
    // "  212.4 GFLOP/s at 1 thread  425.0 GFLOP/s at 2 threads"
    const auto rates = [&](auto rate) {
      for (int t : threadCounts)
        std::cout << "  " << fixedDigits(rate(t), 1) << " GFLOP/s at " << t << (t == 1 ? " thread" : " threads");
    };
    std::cout << "FMA peak (" << fmaLanes() * 32 << "-bit vectors):";
    rates([&](int t) { return peak[t]; });
    std::cout << "\ntile products (QKᵀ then PV, 96 × 256, d 64, one thread): " << fixedDigits(tiles, 1)
              << " GFLOP/s on " << tileBackendName(chosen) << ", " << fixedDigits(eigenTiles, 1) << " on Eigen\n";
    std::cout << "SGEMM 1024³ (Eigen):";
    rates([&](int t) { return eigenGemm[t]; });
    if (openblas.empty()) {
      std::cout << "\nSGEMM 1024³ (OpenBLAS): not on this machine (Debian's libopenblas0-pthread provides it)";
    } else {
      std::cout << "\nSGEMM 1024³ (" << openblas << "):";
      rates([&](int t) { return *openblasGemm[t]; });
    }
    std::cout << "\n\n     n  pattern                 kernel        threads        ms   GFLOP/s   of peak  of SGEMM\n";
  }
  for (Index n = lo; n <= hi; n *= 2) {
    const AttentionInputs in = syntheticInputs(1, n, dim, 0);
    for (const Case& c : cases) {
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
      for (int t : threadCounts) {
        useThreads(t);
        const double ms = bestOfMs(reps, [&] {
          if (mask)
            maskedAttention(in, *mask);
          else
            fullAttention(in);
        });
        const double gflops = attentionFlops(cells, dim, dim) / (ms * 1e6);
        rows.append(QJsonObject{{QStringLiteral("n"), static_cast<qint64>(n)},
                                {QStringLiteral("pattern"), QString::fromUtf8(c.label)},
                                {QStringLiteral("kernel"), QString::fromUtf8(kernel)},
                                {QStringLiteral("threads"), t},
                                {QStringLiteral("ms"), ms},
                                {QStringLiteral("cells"), cells},
                                {QStringLiteral("gflops"), gflops},
                                {QStringLiteral("fraction_of_peak"), gflops / peak[t]},
                                {QStringLiteral("fraction_of_sgemm"), gflops / gemm[t]}});
        if (!parser.isSet(json)) {
          char line[160];
          std::snprintf(line, sizeof line, "%6lld  %-22s  %-12s  %7d  %8.2f  %8.1f  %7.0f%%  %7.0f%%\n",
                        static_cast<long long>(n), c.label, kernel, t, ms, gflops, 100.0 * gflops / peak[t],
                        100.0 * gflops / gemm[t]);
          std::cout << line << std::flush;
        }
      }
    }
  }
  useThreads(all);
  if (parser.isSet(json))
    printJson(QJsonObject{{QStringLiteral("dim"), static_cast<qint64>(dim)},
                          {QStringLiteral("tile_backend"), QString::fromUtf8(tileBackendName(chosen))},
                          {QStringLiteral("tile_products_gflops"), tiles},
                          {QStringLiteral("tile_products_eigen_gflops"), eigenTiles},
                          {QStringLiteral("openblas"), openblas.empty() ? QJsonValue(QJsonValue::Null)
                                                                        : QJsonValue(QString::fromStdString(openblas))},
                          {QStringLiteral("machine"), machine},
                          {QStringLiteral("rows"), rows}});
  return 0;
}

}  // namespace attnscope::cli

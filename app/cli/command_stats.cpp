// attnscope-cli stats: what a pattern costs at a sequence length.
#include <QJsonArray>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/format.h"
#include "engine/mask_stats.h"

namespace attnscope::cli {

namespace {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

int runStats(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("Count a pattern's active cells against heads·n²."));
  const QCommandLineOption help = parser.addHelpOption();
  PatternOptions options;
  options.addTo(parser);
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  parser.addOption(json);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) {
    std::cout << toStd(parser.helpText());
    return 0;
  }
  const PatternRequest request = readPatternRequest(parser, options);
  const auto start = std::chrono::steady_clock::now();
  const auto pattern = request.spec.make(request.values, request.n);
  const SparseMask mask = buildMask(*pattern);
  const MaskStats s = computeStats(mask);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

  if (parser.isSet(json)) {
    QJsonObject params;
    for (const auto& [name, value] : request.values.values()) params.insert(toQ(name), toQ(formatParam(value)));
    QJsonArray notes;
    for (const auto& note : pattern->notes()) notes.append(toQ(note));
    QJsonObject o{{QStringLiteral("pattern"), toQ(request.spec.name())},
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
                  {QStringLiteral("memory_bytes"), static_cast<qint64>(mask.memoryBytes())},
                  {QStringLiteral("build_ms"), ms},
                  {QStringLiteral("notes"), notes}};
    if (s.blocksActive) {
      o.insert(QStringLiteral("blocks_active"), static_cast<qint64>(*s.blocksActive));
      o.insert(QStringLiteral("blocks_total"), static_cast<qint64>(*s.blocksTotal));
      o.insert(QStringLiteral("block_size"), static_cast<qint64>(*s.blockSize));
    }
    printJson(o);
    return 0;
  }
  std::cout << "pattern        " << request.spec.name() << "\n";
  for (const auto& [name, value] : request.values.values())
    std::cout << "  " << name << " = " << formatParam(value) << "\n";
  std::cout << "n              " << withSeparators(s.n) << "\n"
            << "heads          " << s.heads << "\n"
            << "active cells   " << withSeparators(s.nnz) << " of "
            << withSeparators(static_cast<Index>(s.cells)) << " (" << fixed(100.0 * s.density, 2) << "%)\n"
            << "per token      " << fixed(s.nnzPerToken, 2) << " keys per query (full attention: "
            << withSeparators(s.n) << ")\n"
            << "row min/mean/max  " << s.rowMin << " / " << fixed(s.rowMean, 2) << " / " << s.rowMax << "\n"
            << "empty rows     " << withSeparators(s.emptyRows) << "\n";
  if (s.blocksActive)
    std::cout << "blocks         " << withSeparators(*s.blocksActive) << " of " << withSeparators(*s.blocksTotal)
              << " active (block " << *s.blockSize << ")\n";
  std::cout << "built in       " << fixed(ms, 1) << " ms, " << withSeparators(static_cast<Index>(mask.memoryBytes()))
            << " bytes\n";
  for (const auto& note : pattern->notes()) std::cout << "note: " << note << "\n";
  return 0;
}

}  // namespace attnscope::cli

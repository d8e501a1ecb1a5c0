// attnscope-cli mask: write a pattern's mask for other tools (.npy, .csv, .png) or its block layout (--layout).
#include <QFileInfo>
#include <QImage>
#include <QBuffer>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/io/atomic_file.h"
#include "engine/masks/mask_io.h"

namespace attnscope::cli {

namespace {

// One pixel a cell: active cells black on white, 1 bit a pixel.
void writeMaskPng(const SparseMask& mask, int head, const QString& path) {
  const Index n = mask.n();
  if (n > kMaxPngSide)
    throw UsageError("the mask is too large to write as .png: n = " + std::to_string(n) + ", the limit is " +
                     std::to_string(kMaxPngSide) + " (one pixel a cell)");
  QImage image(static_cast<int>(n), static_cast<int>(n), QImage::Format_Mono);
  image.setColorTable({qRgb(255, 255, 255), qRgb(0, 0, 0)});
  image.fill(0);
  for (Index i = 0; i < n; ++i)
    for (KeyIndex k : mask.row(head, i)) image.setPixel(k, static_cast<int>(i), 1);
  QBuffer encoded;
  encoded.open(QIODevice::WriteOnly);
  if (!image.save(&encoded, "PNG")) throw UsageError("cannot write '" + toStd(path) + "': PNG encoding failed");
  writeFileAtomically(toStd(path), std::string_view(encoded.data().constData(), std::size_t(encoded.data().size())));
}

}  // namespace

int runMask(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "Write a pattern's mask: .npy (uint8 [heads, n, n]), .csv (0/1 rows of one head) or .png (one pixel a cell, "
      "one head); with --layout, a block family's layout [heads, n/block, n/block] as .npy."));
  const QCommandLineOption help = parser.addHelpOption();
  PatternOptions options;
  options.addTo(parser);
  InputOptions inputOptions;  // for data-dependent patterns (lsh)
  inputOptions.addTo(parser);
  const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Output file (.npy, .csv or .png)."),
                               QStringLiteral("FILE"));
  const QCommandLineOption layout(QStringLiteral("layout"), QStringLiteral("Write the block layout (.npy)."));
  const QCommandLineOption head(QStringLiteral("head"), QStringLiteral("Head for .csv and .png (default 0)."),
                                QStringLiteral("H"), QStringLiteral("0"));
  parser.addOption(out);
  parser.addOption(layout);
  parser.addOption(head);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) {
    std::cout << toStd(parser.helpText());
    return 0;
  }
  if (!parser.isSet(out)) throw UsageError("--out is required: a .npy, .csv or .png file");
  const QString path = parser.value(out);
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix != QStringLiteral("npy") && suffix != QStringLiteral("csv") && suffix != QStringLiteral("png"))
    throw UsageError("--out '" + toStd(path) + "' is not allowed: expected a file ending in .npy, .csv or .png");
  if (parser.isSet(layout) && suffix != QStringLiteral("npy"))
    throw UsageError("--out '" + toStd(path) + "' is not allowed with --layout: the layout is written as .npy");
  const PatternRequest request = readPatternRequest(parser, options, &inputOptions);
  const auto pattern = request.makePattern();
  if (parser.isSet(layout) && !pattern->blockLayout())
    throw UsageError("--layout is not allowed for pattern '" + request.spec().name() +
                     "': it has no block layout (block families and 'blocks' do)");
  if (!parser.isSet(layout) && suffix == QStringLiteral("npy"))
    checkDenseSize(double(pattern->heads()) * request.n() * request.n(), ".npy");
  if (suffix == QStringLiteral("csv")) checkDenseSize(2.0 * request.n() * request.n(), "CSV");
  const int heads = pattern->heads();
  const Index h = readInteger(QStringLiteral("head"), parser.value(head), 0, heads - 1);

  const SparseMask mask = buildMask(*pattern);
  const std::string file = toStd(path);
  if (parser.isSet(layout))
    writeLayoutNpy(mask, file);
  else if (suffix == QStringLiteral("npy"))
    writeMaskNpy(mask, file);
  else if (suffix == QStringLiteral("csv"))
    writeMaskCsv(mask, static_cast<int>(h), file);
  else
    writeMaskPng(mask, static_cast<int>(h), path);
  std::cout << "wrote " << file << "\n";
  return 0;
}

}  // namespace attnscope::cli

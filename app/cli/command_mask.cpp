// attnscope-cli mask: write a pattern's mask for other tools (.npy, .csv, .png) or its block layout (--layout).
#include <QFileInfo>
#include <QImage>
#include <QBuffer>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/io/atomic_file.h"
#include "engine/masks/mask_io.h"
#include "engine/util/format.h"

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

// What `mask` was asked beyond the pattern and its inputs. Check() says the first thing wrong with the options
// alone, before the pattern or its inputs exist; CheckFor() what the made pattern does not allow.
struct MaskArgs {
  QString path, suffix;
  bool layout = false;
  Index head = 0;

  std::string Check() const {
    if (path.isEmpty()) return "--out is required: a .npy, .csv or .png file";
    if (suffix != QStringLiteral("npy") && suffix != QStringLiteral("csv") && suffix != QStringLiteral("png"))
      return "--out '" + attnscope::quoted(toStd(path)) +
             "' is not allowed: expected a file ending in .npy, .csv or .png";
    if (layout && suffix != QStringLiteral("npy"))
      return "--out '" + attnscope::quoted(toStd(path)) +
             "' is not allowed with --layout: the layout is written as .npy";
    return {};
  }
  std::string CheckFor(const Pattern& pattern, const std::string& name) const {
    if (layout && !pattern.blockLayout())
      return "--layout is not allowed for pattern '" + attnscope::quoted(name) +
             "': it has no block layout (block families and 'blocks' do)";
    if (head >= pattern.heads())
      return "head = " + std::to_string(head) + " is not allowed: expected an integer 0 … " +
             std::to_string(pattern.heads() - 1);
    return {};
  }
};

MaskArgs readMaskArgs(QCommandLineParser& parser, const QStringList& arguments) {
  parser.setApplicationDescription(QStringLiteral(
      "Write a pattern's mask: .npy (uint8 [heads, n, n]), .csv (0/1 rows of one head) or .png (one pixel a cell, "
      "one head); with --layout, a block family's layout [heads, n/block, n/block] as .npy."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Output file (.npy, .csv or .png)."),
                               QStringLiteral("FILE"));
  const QCommandLineOption layout(QStringLiteral("layout"), QStringLiteral("Write the block layout (.npy)."));
  const QCommandLineOption head(QStringLiteral("head"), QStringLiteral("Head for .csv and .png (default 0)."),
                                QStringLiteral("H"), QStringLiteral("0"));
  for (const QCommandLineOption* o : {&out, &layout, &head}) parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  MaskArgs args;
  args.path = parser.value(out);
  args.suffix = QFileInfo(args.path).suffix().toLower();
  args.layout = parser.isSet(layout);
  // Checked against the pattern's heads once it is made.
  args.head = readInteger(QStringLiteral("head"), parser.value(head), 0, kMaxHeads - 1);
  return args;
}

}  // namespace

int runMask(const QStringList& arguments) {
  PatternCommandLine line;
  const MaskArgs args = readMaskArgs(line.parser, arguments);
  refuse(args.Check());
  const PatternRequest request = line.request();
  const auto pattern = request.makePattern();
  refuse(args.CheckFor(*pattern, request.spec().name()));
  const double n = double(request.n());
  if (!args.layout && args.suffix == QStringLiteral("npy")) checkDenseSize(double(pattern->heads()) * n * n, ".npy");
  if (args.suffix == QStringLiteral("csv")) checkDenseSize(2.0 * n * n, "CSV");

  const SparseMask mask = buildMask(*pattern);
  const std::string file = toStd(args.path);
  if (args.layout)
    writeLayoutNpy(mask, file);
  else if (args.suffix == QStringLiteral("npy"))
    writeMaskNpy(mask, file);
  else if (args.suffix == QStringLiteral("csv"))
    writeMaskCsv(mask, static_cast<int>(args.head), file);
  else
    writeMaskPng(mask, static_cast<int>(args.head), args.path);
  std::cout << "wrote " << file << "\n";
  return 0;
}

}  // namespace attnscope::cli

// attnscope-cli render: the app's heatmap figure (axes, colour scale, a title naming the pattern and its
// parameters) as PNG, SVG or PDF, without a display; with --compare, the side-by-side comparison the app shows.
#include <QRegularExpression>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/util/format.h"
#include "engine/inputs/attention_inputs.h"
#include "widgets/compare/compare_view.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/shared/resources.h"

namespace attnscope::cli {

namespace {

// What `render` was asked, read from its command line; Check() says the first thing wrong with it.
struct RenderArgs {
  PatternChoice choice, other;  ///< the pattern, and with --compare the other one
  bool comparing = false, difference = false, layout = false, compareParams = false;
  QString path, suffix;
  std::optional<std::pair<int, int>> size;
  int dpi = 300, head = 0;
  QString paletteName = QStringLiteral("viridis");

  std::string Check() const {
    if (path.isEmpty()) return "--out is required: a .png, .svg or .pdf file";
    if (suffix != QStringLiteral("png") && suffix != QStringLiteral("svg") && suffix != QStringLiteral("pdf"))
      return "--out '" + quoted(toStd(path)) + "' is not allowed: expected a file ending in .png, .svg or .pdf";
    if (!comparing && (compareParams || difference))
      return std::string(difference ? "--difference" : "--compare-param") + " is not allowed without --compare NAME";
    if (comparing && layout) return "--layout is not allowed with --compare";
    if (paletteName != QStringLiteral("viridis") && paletteName != QStringLiteral("cividis") &&
        paletteName != QStringLiteral("grayscale"))
      return "--palette '" + quoted(toStd(paletteName)) + "' is not allowed: expected viridis, cividis or grayscale";
    return {};
  }
  Palette palette() const {
    return paletteName == QStringLiteral("cividis")     ? Palette::Cividis
           : paletteName == QStringLiteral("grayscale") ? Palette::Grayscale
                                                        : Palette::Viridis;
  }
  bool twoMaps() const { return comparing && !difference; }
  /// The picture's size: --size, or a default that follows the format (two maps side by side are twice as wide).
  std::pair<int, int> pixels() const {
    if (size) return *size;
    const bool png = suffix == QStringLiteral("png");
    return {(png ? 2400 : 640) * (twoMaps() ? 2 : 1), png ? 2100 : 560};
  }
};

RenderArgs readRenderArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "Draw a pattern's heatmap as the app shows it, to .png (--size in pixels, --dpi recorded and used to size "
      "text; 300 by default), .svg or .pdf (--size in points)."));
  const QCommandLineOption help = parser.addHelpOption();
  PatternOptions options;
  options.addTo(parser);
  const QCommandLineOption text(QStringLiteral("text"), QStringLiteral("A sentence: its tokens label the axes."),
                                QStringLiteral("TEXT"));
  const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Output file (.png, .svg or .pdf)."),
                               QStringLiteral("FILE"));
  const QCommandLineOption size(QStringLiteral("size"),
                                QStringLiteral("Width x height (default 2400x2100 for PNG, "
                                               "640x560 for SVG and PDF)."),
                                QStringLiteral("WxH"));
  const QCommandLineOption dpi(QStringLiteral("dpi"), QStringLiteral("PNG resolution (default 300)."),
                               QStringLiteral("D"), QStringLiteral("300"));
  const QCommandLineOption head(QStringLiteral("head"), QStringLiteral("Head to draw (default 0)."),
                                QStringLiteral("H"), QStringLiteral("0"));
  const QCommandLineOption layout(QStringLiteral("layout"), QStringLiteral("Draw a block family's layout."));
  const QCommandLineOption palette(QStringLiteral("palette"), QStringLiteral("viridis, cividis or grayscale."),
                                   QStringLiteral("NAME"), QStringLiteral("viridis"));
  const QCommandLineOption compare(QStringLiteral("compare"),
                                   QStringLiteral("Draw the pattern side by side with pattern NAME ('full' for full "
                                                  "attention), with both counts and their ratio."),
                                   QStringLiteral("NAME"));
  const QCommandLineOption compareParam(QStringLiteral("compare-param"),
                                        QStringLiteral("A parameter of the --compare pattern, KEY=VALUE. Repeatable."),
                                        QStringLiteral("KEY=VALUE"));
  const QCommandLineOption difference(
      QStringLiteral("difference"),
      QStringLiteral("With --compare: one map of the cells only in A, only in B and in both."));
  for (const QCommandLineOption* o :
       {&text, &out, &size, &dpi, &head, &layout, &palette, &compare, &compareParam, &difference})
    parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  RenderArgs args;
  args.path = parser.value(out);
  args.suffix = args.path.section(QLatin1Char('.'), -1).toLower();
  args.comparing = parser.isSet(compare);
  args.difference = parser.isSet(difference);
  args.layout = parser.isSet(layout);
  args.compareParams = parser.isSet(compareParam);
  args.paletteName = parser.value(palette).toLower();
  if (parser.isSet(size)) {
    const auto m = QRegularExpression(QStringLiteral("^(\\d+)x(\\d+)$")).match(parser.value(size));
    if (!m.hasMatch())
      throw UsageError("--size '" + quoted(toStd(parser.value(size))) +
                       "' is not allowed: expected WxH, e.g. 1200x1000");
    args.size = std::pair{static_cast<int>(readInteger(QStringLiteral("size width"), m.captured(1), 16, 20000)),
                          static_cast<int>(readInteger(QStringLiteral("size height"), m.captured(2), 16, 20000))};
  }
  args.dpi = static_cast<int>(readInteger(QStringLiteral("dpi"), parser.value(dpi), 36, 2400));
  // The head is checked against the pattern's heads once it is made.
  args.head = static_cast<int>(readInteger(QStringLiteral("head"), parser.value(head), 0, kMaxHeads - 1));
  if (!parser.isSet(options.pattern)) throw UsageError("--pattern is required: see 'attnscope-cli patterns'");
  args.choice.pattern = parser.value(options.pattern);
  for (const auto& [key, value] : readParamTexts(parser, options)) args.choice.params.append({toQ(key), toQ(value)});
  args.choice.text = parser.value(text);
  if (parser.isSet(options.n))
    args.choice.n = readInteger(QStringLiteral("n"), parser.value(options.n), 1, kMaxSequenceLength);
  else if (!args.choice.text.trimmed().isEmpty())
    args.choice.n = static_cast<Index>(tokenize(toStd(args.choice.text)).size());
  else
    throw UsageError("--n is required: the sequence length, 1 … " + std::to_string(kMaxSequenceLength));
  args.other.pattern = parser.value(compare);
  for (const auto& [key, value] : readParamTexts(parser.values(compareParam), "--compare-param"))
    args.other.params.append({toQ(key), toQ(value)});
  args.other.n = args.choice.n;
  args.other.text = args.choice.text;
  return args;
}

int checkedHead(int head, int heads) {
  if (head >= heads)
    throw UsageError("head = " + std::to_string(head) + " is not allowed: expected an integer 0 … " +
                     std::to_string(heads - 1));
  return head;
}

void drawComparison(const RenderArgs& args) {
  auto a = std::make_shared<const MaskResult>(computeMaskResult(args.choice, {}, false));
  // Full attention is drawn without building its n² mask, as the app does.
  std::shared_ptr<const MaskResult> b;
  if (args.other.pattern != QStringLiteral("full") || !args.other.params.isEmpty())
    b = std::make_shared<const MaskResult>(computeMaskResult(args.other, {}, false));
  SideBySide s = compareResults(a, b);
  const int h = checkedHead(args.head, static_cast<int>(s.difference->heads.size()));
  const auto [width, height] = args.pixels();
  CompareView view;
  view.resize(width, height);
  view.setColorPalette(args.palette());
  view.setShow(args.twoMaps() ? CompareView::Show::SideBySide : CompareView::Show::Difference);
  view.setHead(h);
  view.setComparison(std::move(s));
  QString error;
  if (!view.exportTo(args.path, width, height, args.dpi, &error)) throw UsageError(toStd(error));
  std::cout << toStd(view.countsText()) << "\nwrote " << toStd(args.path) << "\n";
}

void drawPattern(const RenderArgs& args) {
  const MaskResult result = computeMaskResult(args.choice, {}, /*reachability=*/false);
  if (args.layout && !result.layoutPicture)
    throw UsageError("--layout is not allowed for pattern '" + quoted(toStd(args.choice.pattern)) +
                     "': it has no block layout");
  const int heads = static_cast<int>(result.picture->heads.size());
  const int h = checkedHead(args.head, heads);
  const auto [width, height] = args.pixels();
  HeatmapView view;
  view.resize(width, height);
  view.setColorPalette(args.palette());
  view.setTokens(result.tokens);
  QString title = result.title;
  if (heads > 1) title += QStringLiteral(", head %1").arg(h);
  if (args.layout) title += QStringLiteral(" — block layout");
  view.setPicture(
      args.layout ? result.layoutPicture : result.picture, h,
      args.layout ? std::shared_ptr<const SparseMask>(result.mask, &result.mask->blockLayout()) : result.mask, title);
  QString error;
  if (!view.exportTo(args.path, width, height, args.dpi, &error)) throw UsageError(toStd(error));
  std::cout << "wrote " << toStd(args.path) << "\n";
}

}  // namespace

int runRender(const QStringList& arguments) {
  const RenderArgs args = readRenderArgs(arguments);
  if (const std::string problem = args.Check(); !problem.empty()) throw UsageError(problem);
  initResources();
  if (args.comparing)
    drawComparison(args);
  else
    drawPattern(args);
  return 0;
}

}  // namespace attnscope::cli

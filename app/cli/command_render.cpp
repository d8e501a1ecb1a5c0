// attnscope-cli render: the app's heatmap figure (axes, colour scale, a title naming the pattern and its
// parameters) as PNG, SVG or PDF, without a display; with --compare, the side-by-side comparison the app shows.
#include <QRegularExpression>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/inputs/attention_inputs.h"
#include "widgets/compare_view.h"
#include "widgets/heatmap_view.h"
#include "widgets/mask_controller.h"
#include "widgets/resources.h"

namespace attnscope::cli {

int runRender(const QStringList& arguments) {
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
  if (parser.isSet(help)) {
    std::cout << toStd(parser.helpText());
    return 0;
  }
  if (!parser.isSet(out)) throw UsageError("--out is required: a .png, .svg or .pdf file");
  const QString path = parser.value(out);
  const QString suffix = path.section(QLatin1Char('.'), -1).toLower();
  if (suffix != QStringLiteral("png") && suffix != QStringLiteral("svg") && suffix != QStringLiteral("pdf"))
    throw UsageError("--out '" + toStd(path) + "' is not allowed: expected a file ending in .png, .svg or .pdf");
  const bool comparing = parser.isSet(compare);
  if (!comparing && (parser.isSet(compareParam) || parser.isSet(difference)))
    throw UsageError(std::string(parser.isSet(difference) ? "--difference" : "--compare-param") +
                     " is not allowed without --compare NAME");
  const bool twoMaps = comparing && !parser.isSet(difference);
  int width = (suffix == QStringLiteral("png") ? 2400 : 640) * (twoMaps ? 2 : 1);
  int height = suffix == QStringLiteral("png") ? 2100 : 560;
  if (parser.isSet(size)) {
    const auto m = QRegularExpression(QStringLiteral("^(\\d+)x(\\d+)$")).match(parser.value(size));
    if (!m.hasMatch())
      throw UsageError("--size '" + toStd(parser.value(size)) + "' is not allowed: expected WxH, e.g. 1200x1000");
    width = static_cast<int>(readInteger(QStringLiteral("size width"), m.captured(1), 16, 20000));
    height = static_cast<int>(readInteger(QStringLiteral("size height"), m.captured(2), 16, 20000));
  }
  const int dots = static_cast<int>(readInteger(QStringLiteral("dpi"), parser.value(dpi), 36, 2400));
  const QString paletteName = parser.value(palette).toLower();
  Palette chosen = Palette::Viridis;
  if (paletteName == QStringLiteral("cividis"))
    chosen = Palette::Cividis;
  else if (paletteName == QStringLiteral("grayscale"))
    chosen = Palette::Grayscale;
  else if (paletteName != QStringLiteral("viridis"))
    throw UsageError("--palette '" + toStd(parser.value(palette)) +
                     "' is not allowed: expected viridis, cividis or grayscale");

  if (!parser.isSet(options.pattern)) throw UsageError("--pattern is required: see 'attnscope-cli patterns'");
  PatternChoice choice;
  choice.pattern = parser.value(options.pattern);
  for (const auto& [key, value] : readParamTexts(parser, options)) choice.params.append({toQ(key), toQ(value)});
  choice.text = parser.value(text);
  if (parser.isSet(options.n))
    choice.n = readInteger(QStringLiteral("n"), parser.value(options.n), 1, kMaxSequenceLength);
  else if (!choice.text.trimmed().isEmpty())
    choice.n = static_cast<Index>(tokenize(toStd(choice.text)).size());
  else
    throw UsageError("--n is required: the sequence length, 1 … " + std::to_string(kMaxSequenceLength));

  initResources();
  if (comparing) {
    if (parser.isSet(layout)) throw UsageError("--layout is not allowed with --compare");
    PatternChoice other;
    other.pattern = parser.value(compare);
    for (const auto& [key, value] : readParamTexts(parser.values(compareParam), "--compare-param"))
      other.params.append({toQ(key), toQ(value)});
    other.n = choice.n;
    other.text = choice.text;
    auto a = std::make_shared<const MaskResult>(computeMaskResult(choice, {}, false));
    // Full attention is drawn without building its n² mask, as the app does.
    std::shared_ptr<const MaskResult> b;
    if (other.pattern != QStringLiteral("full") || !other.params.isEmpty())
      b = std::make_shared<const MaskResult>(computeMaskResult(other, {}, false));
    SideBySide s = compareResults(a, b);
    const int heads = static_cast<int>(s.difference->heads.size());
    const int h = static_cast<int>(readInteger(QStringLiteral("head"), parser.value(head), 0, heads - 1));
    CompareView view;
    view.resize(width, height);
    view.setColorPalette(chosen);
    view.setShow(twoMaps ? CompareView::Show::SideBySide : CompareView::Show::Difference);
    view.setHead(h);
    view.setComparison(std::move(s));
    QString error;
    if (!view.exportTo(path, width, height, dots, &error)) throw UsageError(toStd(error));
    std::cout << toStd(view.countsText()) << "\nwrote " << toStd(path) << "\n";
    return 0;
  }
  const MaskResult result = computeMaskResult(choice, {}, /*reachability=*/false);
  const bool showLayout = parser.isSet(layout);
  if (showLayout && !result.layoutPicture)
    throw UsageError("--layout is not allowed for pattern '" + toStd(choice.pattern) + "': it has no block layout");
  const int heads = static_cast<int>(result.picture->heads.size());
  const int h = static_cast<int>(readInteger(QStringLiteral("head"), parser.value(head), 0, heads - 1));
  HeatmapView view;
  view.resize(width, height);
  view.setColorPalette(chosen);
  view.setTokens(result.tokens);
  QString title = result.title;
  if (heads > 1) title += QStringLiteral(", head %1").arg(h);
  if (showLayout) title += QStringLiteral(" — block layout");
  view.setPicture(
      showLayout ? result.layoutPicture : result.picture, h,
      showLayout ? std::shared_ptr<const SparseMask>(result.mask, &result.mask->blockLayout()) : result.mask, title);
  QString error;
  if (!view.exportTo(path, width, height, dots, &error)) throw UsageError(toStd(error));
  std::cout << "wrote " << toStd(path) << "\n";
  return 0;
}

}  // namespace attnscope::cli

// attnscope: the desktop app. `attnscope [PRESET.json]` opens a saved pattern.
#include <QApplication>
#include <QCommandLineParser>

#include <cstdio>

#include "app/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("AttnScope"));
  QApplication::setOrganizationName(QStringLiteral("AttnScope"));
  QApplication::setApplicationVersion(QStringLiteral(ATTNSCOPE_VERSION));
  QApplication::setDesktopFileName(QStringLiteral("attnscope"));

  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("See how efficient transformers attend."));
  parser.addHelpOption();
  parser.addVersionOption();
  const QCommandLineOption view(
      QStringLiteral("view"),
      QStringLiteral("Open on a view: matrix, hops, heads, compare, run, model, approx or weights."),
      QStringLiteral("VIEW"));
  parser.addOption(view);
  const QCommandLineOption model(QStringLiteral("model"),
                                 QStringLiteral("Open a model's config.json in the Model tab."),
                                 QStringLiteral("CONFIG"));
  parser.addOption(model);
  const QCommandLineOption weights(
      QStringLiteral("weights"),
      QStringLiteral("Open a dump of attention weights (.npy or .npz) in the Real attention tab."),
      QStringLiteral("FILE"));
  parser.addOption(weights);
  const QCommandLineOption weightsPage(
      QStringLiteral("weights-page"),
      QStringLiteral("With --weights: open the Real attention tab on heads, fit (every head fitted) or rollout (rolled "
                     "out, and restricted to the pattern on the left)."),
      QStringLiteral("PAGE"));
  parser.addOption(weightsPage);
  parser.addPositionalArgument(QStringLiteral("preset"), QStringLiteral("A preset (.json) to open."),
                               QStringLiteral("[PRESET]"));
  parser.process(app);

  attnscope::MainWindow window;
  if (!parser.positionalArguments().isEmpty()) window.openPresetFile(parser.positionalArguments().first());
  if (parser.isSet(view) && !window.showView(parser.value(view))) {
    std::fprintf(
        stderr,
        "attnscope: --view '%s' is not allowed: expected matrix, hops, heads, compare, run, model, approx or weights\n",
        qPrintable(parser.value(view)));
    return 2;
  }
  if (parser.isSet(weightsPage) && !window.showWeightsPage(parser.value(weightsPage))) {
    std::fprintf(stderr, "attnscope: --weights-page '%s' is not allowed: expected heads, fit or rollout\n",
                 qPrintable(parser.value(weightsPage)));
    return 2;
  }
  if (parser.isSet(model)) window.openModelConfig(parser.value(model));  // a bad file: the tab says why
  if (parser.isSet(weights)) window.openAttentionWeights(parser.value(weights));
  window.show();
  return app.exec();
}

// attnscope: the desktop app. `attnscope [PRESET.json]` opens a saved pattern.
#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>
#include <optional>
#include <string_view>

#include "app/main_window.h"

namespace {

// The app's command line: its options, and the parser that knows them.
struct AppOptions {
  QCommandLineParser parser;
  QCommandLineOption view{
      QStringLiteral("view"),
      QStringLiteral("Open on a view: matrix, hops, heads, compare, run, model, approx or weights."),
      QStringLiteral("VIEW")};
  QCommandLineOption model{QStringLiteral("model"), QStringLiteral("Open a model's config.json in the Model tab."),
                           QStringLiteral("CONFIG")};
  QCommandLineOption weights{
      QStringLiteral("weights"),
      QStringLiteral("Open a dump of attention weights (.npy or .npz) in the Real attention tab."),
      QStringLiteral("FILE")};
  QCommandLineOption weightsPage{
      QStringLiteral("weights-page"),
      QStringLiteral(
          "Open the Real attention tab on heads, fit (every head fitted), rollout (rolled out, and restricted "
          "to the pattern on the left), anatomy (one head's steps, for a model run here), cost (what the pattern on "
          "the left costs the model run here, swept over its budget) or compress (the model run here pruned, halved "
          "and quantized: eight combinations measured), tokens (one sentence in ten languages through its "
          "tokenizer) or distil (its heads beside a pruned copy's)."),
      QStringLiteral("PAGE")};

  QCommandLineOption exportCode{
      QStringLiteral("export-code"),
      QStringLiteral("Open File → Export pattern as code on a format: flex, deepspeed, deepspeed-json, hf-config, npy "
                     "or layout-npy."),
      QStringLiteral("FORMAT")};
  QCommandLineOption run{QStringLiteral("run"),
                         QStringLiteral("Open the Run attention tab and time the pattern once it is built (a demo's "
                                        "first step, or a screenshot of a finished run).")};

  AppOptions() {
    parser.setApplicationDescription(QStringLiteral("See how efficient transformers attend."));
    parser.addHelpOption();
    parser.addVersionOption();
    for (const QCommandLineOption* o : {&view, &model, &weights, &weightsPage, &exportCode, &run}) parser.addOption(*o);
    parser.addPositionalArgument(QStringLiteral("preset"), QStringLiteral("A preset (.json) to open."),
                                 QStringLiteral("[PRESET]"));
  }
};

void nameTheApplication() {
  QCoreApplication::setApplicationName(QStringLiteral("AttnScope"));
  QCoreApplication::setOrganizationName(QStringLiteral("AttnScope"));
  QCoreApplication::setApplicationVersion(QStringLiteral(ATTNSCOPE_VERSION));
}

// --help and --version are answered before any window system is opened, so they print and exit 0 on a machine
// without a display (QApplication would abort there).
std::optional<int> answerWithoutDisplay(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--") break;
    const bool help = a == "-h" || a == "--help" || a == "-?" || a == "--help-all";
    if (!help && a != "-v" && a != "--version") continue;
    QCoreApplication core(argc, argv);  // no display needed
    nameTheApplication();
    if (help) {
      const AppOptions options;
      std::fputs(options.parser.helpText().toLocal8Bit().constData(), stdout);
    } else {
      std::printf("AttnScope %s\n", ATTNSCOPE_VERSION);
    }
    return 0;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  if (const std::optional<int> code = answerWithoutDisplay(argc, argv)) return *code;
  QApplication app(argc, argv);
  nameTheApplication();
  QApplication::setDesktopFileName(QStringLiteral("attnscope"));

  AppOptions options;
  QCommandLineParser& parser = options.parser;
  const QCommandLineOption &view = options.view, &model = options.model, &weights = options.weights,
                           &weightsPage = options.weightsPage;
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
    std::fprintf(
        stderr,
        "attnscope: --weights-page '%s' is not allowed: expected heads, fit, rollout, anatomy, cost, compress, "
        "tokens or distil\n",
        qPrintable(parser.value(weightsPage)));
    return 2;
  }
  if (parser.isSet(model)) window.openModelConfig(parser.value(model));  // a bad file: the tab says why
  if (parser.isSet(weights)) window.openAttentionWeights(parser.value(weights));
  if (parser.isSet(options.run)) window.runWhenBuilt();
  window.show();
  if (parser.isSet(options.exportCode) && !window.openExportCodeDialog(parser.value(options.exportCode))) {
    std::fprintf(stderr,
                 "attnscope: --export-code '%s' is not allowed: expected flex, deepspeed, deepspeed-json, hf-config, "
                 "npy or layout-npy\n",
                 qPrintable(parser.value(options.exportCode)));
    return 2;
  }
  return app.exec();
}

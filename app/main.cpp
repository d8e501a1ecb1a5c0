// attnscope: the desktop app. `attnscope [PRESET.json]` opens a saved pattern.
#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

#include "app/main_window.h"
#include "engine/error.h"
#include "widgets/pattern_choice.h"

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
  parser.addPositionalArgument(QStringLiteral("preset"), QStringLiteral("A preset (.json) to open."), QStringLiteral("[PRESET]"));
  parser.process(app);

  attnscope::MainWindow window;
  if (!parser.positionalArguments().isEmpty()) {
    try {
      window.loadPreset(attnscope::loadPresetFile(parser.positionalArguments().first()));
    } catch (const attnscope::Error& e) {
      QMessageBox::warning(&window, QStringLiteral("Open preset"), QString::fromStdString(e.what()));
    }
  }
  window.show();
  return app.exec();
}

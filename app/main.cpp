// attnscope: the desktop app.
#include <QApplication>
#include <QIcon>

#include "app/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("AttnScope"));
  QApplication::setOrganizationName(QStringLiteral("AttnScope"));
  QApplication::setApplicationVersion(QStringLiteral(ATTNSCOPE_VERSION));
  QApplication::setDesktopFileName(QStringLiteral("attnscope"));
  attnscope::MainWindow window;
  window.show();
  return app.exec();
}

// attnscope: the desktop app.
#include <QApplication>

#include "app/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("AttnScope"));
  QApplication::setOrganizationName(QStringLiteral("AttnScope"));
  QApplication::setApplicationVersion(QStringLiteral(ATTNSCOPE_VERSION));
  attnscope::MainWindow window;
  window.resize(900, 600);
  window.show();
  return app.exec();
}

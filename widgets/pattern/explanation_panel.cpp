#include "widgets/pattern/explanation_panel.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include "widgets/shared/resources.h"

namespace attnscope {

namespace {
const QJsonObject& explanations() {
  static const QJsonObject json = [] {
    initResources();
    QFile file(QStringLiteral(":/explanations.json"));
    if (!file.open(QIODevice::ReadOnly)) return QJsonObject();
    return QJsonDocument::fromJson(file.readAll()).object();
  }();
  return json;
}
}  // namespace

ExplanationPanel::ExplanationPanel(QWidget* parent) : QTextBrowser(parent) {
  setObjectName(QStringLiteral("explanation"));
  setOpenExternalLinks(true);
}

void ExplanationPanel::setPattern(const QString& pattern) {
  const QJsonObject families = explanations().value(QStringLiteral("families")).toObject();
  QString html;
  for (const QString& name : pattern.split(QLatin1Char('+'))) {
    const QJsonObject f = families.value(name).toObject();
    if (f.isEmpty()) continue;
    html += QStringLiteral("<h3>%1</h3><p>%2</p><p><b>Cost:</b> %3<br><b>Used by:</b> %4<br><b>Paper:</b> %5</p>")
                .arg(name, f.value(QStringLiteral("what")).toString(), f.value(QStringLiteral("cost")).toString(),
                     f.value(QStringLiteral("models")).toString(), f.value(QStringLiteral("paper")).toString());
  }
  html += QStringLiteral("<hr><p style='color:#555'>%1</p>")
              .arg(explanations().value(QStringLiteral("general")).toString());
  setHtml(html);
}

}  // namespace attnscope

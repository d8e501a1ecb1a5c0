#include "widgets/pattern_choice.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>

#include <cmath>

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"
#include "widgets/resources.h"

namespace attnscope {

QString PatternChoice::param(const QString& key) const {
  for (const auto& [k, v] : params)
    if (k == key) return v;
  return {};
}

QString PatternChoice::title() const {
  QStringList parts;
  for (const auto& [k, v] : params) parts << k + QLatin1Char('=') + v;
  const QString args = parts.isEmpty() ? QString() : QStringLiteral(" (") + parts.join(QStringLiteral(", ")) + QLatin1Char(')');
  return pattern + args + QStringLiteral(", n = ") + QLocale(QLocale::English).toString(static_cast<qlonglong>(n));
}

PatternChoice presetFromJson(const QJsonObject& json, QString* name) {
  PatternChoice c;
  if (!json.value(QStringLiteral("family")).isString())
    throw Error("preset is not allowed: it needs a \"family\" (a pattern name)");
  c.pattern = json.value(QStringLiteral("family")).toString();
  const QJsonValue n = json.value(QStringLiteral("n"));
  if (!n.isDouble() || n.toDouble() < 1 || n.toDouble() != std::floor(n.toDouble()))
    throw Error("preset is not allowed: \"n\" must be a whole number ≥ 1");
  c.n = static_cast<Index>(n.toDouble());
  c.text = json.value(QStringLiteral("text")).toString();
  const QJsonObject params = json.value(QStringLiteral("params")).toObject();
  for (auto it = params.begin(); it != params.end(); ++it) {
    QString v;
    if (it->isBool()) v = it->toBool() ? QStringLiteral("true") : QStringLiteral("false");
    else if (it->isDouble()) v = QString::number(static_cast<qlonglong>(it->toDouble()));
    else if (it->isArray()) {
      QStringList items;
      for (const auto& x : it->toArray()) items << QString::number(static_cast<qlonglong>(x.toDouble()));
      v = items.isEmpty() ? QStringLiteral("none") : items.join(QLatin1Char(','));
    } else v = it->toString();
    c.params.append({it.key(), v});
  }
  if (name) *name = json.value(QStringLiteral("name")).toString();
  return c;
}

QJsonObject presetToJson(const PatternChoice& c, const QString& name) {
  QJsonObject params;
  for (const auto& [k, v] : c.params) params.insert(k, v);
  QJsonObject o{{QStringLiteral("name"), name},
                {QStringLiteral("family"), c.pattern},
                {QStringLiteral("params"), params},
                {QStringLiteral("n"), static_cast<qint64>(c.n)}};
  if (!c.text.isEmpty()) o.insert(QStringLiteral("text"), c.text);
  return o;
}

PatternChoice loadPresetFile(const QString& path, QString* name) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) throw Error("cannot read '" + path.toStdString() + "': " + file.errorString().toStdString());
  QJsonParseError err{};
  const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &err);
  if (err.error != QJsonParseError::NoError || !doc.isObject())
    throw Error("'" + path.toStdString() + "' is not a preset: " + err.errorString().toStdString());
  return presetFromJson(doc.object(), name);
}

void savePresetFile(const PatternChoice& choice, const QString& name, const QString& path) {
  const QByteArray json = QJsonDocument(presetToJson(choice, name)).toJson();
  writeFileAtomically(path.toStdString(), std::string_view(json.constData(), std::size_t(json.size())));
}

QList<QPair<QString, PatternChoice>> builtInPresets() {
  initResources();
  QList<QPair<QString, PatternChoice>> out;
  const QStringList files = QDir(QStringLiteral(":/presets")).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
  for (const QString& f : files) {
    QString name;
    PatternChoice c = loadPresetFile(QStringLiteral(":/presets/") + f, &name);
    out.append({name.isEmpty() ? f : name, c});
  }
  return out;
}

}  // namespace attnscope

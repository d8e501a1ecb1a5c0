#include "widgets/pattern/pattern_choice.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

#include "engine/io/atomic_file.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "widgets/shared/gui_limits.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/resources.h"

namespace attnscope {

QString PatternChoice::param(const QString& key) const {
  for (const auto& [k, v] : params)
    if (k == key) return v;
  return {};
}

QString PatternChoice::title() const {
  QStringList parts;
  for (const auto& [k, v] : params) parts << k + QLatin1Char('=') + v;
  const QString args =
      parts.isEmpty() ? QString() : QStringLiteral(" (") + parts.join(QStringLiteral(", ")) + QLatin1Char(')');
  return pattern + args + QStringLiteral(", n = ") + countText(n);
}

namespace {

[[noreturn]] void badPreset(const std::string& why) { throw Error("preset is not allowed: " + why); }

// A parameter as the command line would spell it: true/false, an integer, a comma-separated list or a text.
QString paramText(const QString& key, const QJsonValue& v) {
  const auto integer = [&key](const QJsonValue& x) -> QString {
    const double d = x.toDouble();
    if (!x.isDouble() || d != std::floor(d) || std::fabs(d) > 9.0e15)
      badPreset("parameter \"" + key.toStdString() +
                "\" must be a whole number, true/false, a list of whole numbers or a text");
    return QString::number(static_cast<qlonglong>(d));
  };
  if (v.isBool()) return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
  if (v.isString()) return v.toString();
  if (v.isArray()) {
    QStringList items;
    for (const QJsonValue& x : v.toArray()) items << integer(x);
    return items.isEmpty() ? QStringLiteral("none") : items.join(QLatin1Char(','));
  }
  return integer(v);
}

}  // namespace

const QStringList& presetViews() {
  static const QStringList views{QStringLiteral("matrix"),  QStringLiteral("hops"),   QStringLiteral("heads"),
                                 QStringLiteral("compare"), QStringLiteral("run"),    QStringLiteral("model"),
                                 QStringLiteral("approx"),  QStringLiteral("weights")};
  return views;
}

const QStringList& presetPalettes() {
  static const QStringList palettes{QStringLiteral("viridis"), QStringLiteral("cividis"), QStringLiteral("grayscale")};
  return palettes;
}

namespace {

// A whole number 0 … n − 1 for the path's `key` ("from" or "to"), or `fallback` when the preset leaves it out.
Index presetToken(const QJsonObject& json, const char* key, Index n, Index fallback) {
  const QJsonValue v = json.value(QLatin1String(key));
  if (v.isUndefined()) return std::min(fallback, n - 1);
  const double d = v.toDouble();
  if (!v.isDouble() || d < 0 || d >= double(n) || d != std::floor(d))
    badPreset("\"" + std::string(key) + "\" must be a token 0 … " + std::to_string(n - 1));
  return static_cast<Index>(d);
}

QString presetWord(const QJsonObject& json, const char* key, const QStringList& allowed, const QString& fallback) {
  const QJsonValue v = json.value(QLatin1String(key));
  if (v.isUndefined()) return fallback;
  if (!v.isString() || !allowed.contains(v.toString()))
    badPreset("\"" + std::string(key) + "\" must be one of " + allowed.join(QStringLiteral(", ")).toStdString());
  return v.toString();
}

}  // namespace

Preset presetFromJson(const QJsonObject& json) {
  static const QStringList keys{QStringLiteral("name"), QStringLiteral("family"), QStringLiteral("params"),
                                QStringLiteral("n"),    QStringLiteral("text"),   QStringLiteral("from"),
                                QStringLiteral("to"),   QStringLiteral("view"),   QStringLiteral("palette")};
  for (auto it = json.begin(); it != json.end(); ++it)
    if (!keys.contains(it.key()))
      badPreset("unknown key \"" + attnscope::quoted(it.key().toStdString()) + "\" (expected " +
                keys.join(QStringLiteral(", ")).toStdString() + ")");
  Preset preset;
  PatternChoice& c = preset.choice;
  if (!json.value(QStringLiteral("family")).isString()) badPreset("it needs a \"family\" (a pattern name)");
  c.pattern = json.value(QStringLiteral("family")).toString();
  const QJsonValue n = json.value(QStringLiteral("n"));
  const double nv = n.toDouble();
  if (!n.isDouble() || nv < 1 || nv > double(kMaxSequenceLength) || nv != std::floor(nv))
    badPreset("\"n\" must be a whole number 1 … " + std::to_string(kMaxSequenceLength));
  c.n = static_cast<Index>(nv);
  const QJsonValue text = json.value(QStringLiteral("text"));
  if (!text.isUndefined() && !text.isString()) badPreset("\"text\" must be a text");
  c.text = text.toString();
  const QJsonValue params = json.value(QStringLiteral("params"));
  if (!params.isUndefined() && !params.isObject()) badPreset("\"params\" must be an object of parameter values");
  const QJsonObject object = params.toObject();
  for (auto it = object.begin(); it != object.end(); ++it) c.params.append({it.key(), paramText(it.key(), *it)});
  const QJsonValue label = json.value(QStringLiteral("name"));
  if (!label.isUndefined() && !label.isString()) badPreset("\"name\" must be a text");
  preset.name = label.toString();
  preset.from = presetToken(json, "from", c.n, preset.from);
  preset.to = presetToken(json, "to", c.n, preset.to);
  preset.view = presetWord(json, "view", presetViews(), preset.view);
  preset.palette = presetWord(json, "palette", presetPalettes(), QString());
  checkChoice(c);
  return preset;
}

std::vector<std::pair<std::string, std::string>> PatternChoice::paramTexts() const {
  std::vector<std::pair<std::string, std::string>> texts;
  for (const auto& [k, v] : params) texts.emplace_back(k.toStdString(), v.toStdString());
  return texts;
}

CheckedPattern checkChoice(const PatternChoice& c) {
  PatternSpec spec = PatternSpec::parse(c.pattern.toStdString());
  ParamSet values = spec.resolve(c.paramTexts());  // unknown names, a name twice, wrong types, values out of range
  CheckedPattern checked = CheckedPattern::check(std::move(spec), std::move(values), c.n);  // n, work, memory
  // The pictures: two float images a head, each at most kMaxPictureSide on a side.
  const double side = double(std::min<Index>(c.n, kMaxPictureSide));
  const int heads = checked.spec().storedHeads(checked.values());
  checkMemory(2.0 * double(heads) * side * side * 4.0, "the pictures of " + std::to_string(heads) + " heads",
              "choose fewer heads");
  return checked;
}

QJsonObject presetToJson(const Preset& preset) {
  const PatternChoice& c = preset.choice;
  QJsonObject params;
  for (const auto& [k, v] : c.params) params.insert(k, v);
  QJsonObject o{{QStringLiteral("name"), preset.name},
                {QStringLiteral("family"), c.pattern},
                {QStringLiteral("params"), params},
                {QStringLiteral("n"), static_cast<qint64>(c.n)},
                {QStringLiteral("from"), static_cast<qint64>(preset.from)},
                {QStringLiteral("to"), static_cast<qint64>(preset.to)},
                {QStringLiteral("view"), preset.view}};
  if (!c.text.isEmpty()) o.insert(QStringLiteral("text"), c.text);
  if (!preset.palette.isEmpty()) o.insert(QStringLiteral("palette"), preset.palette);
  return o;
}

Preset loadPresetFile(const QString& path) {
  if (!path.startsWith(QLatin1Char(':'))) requireRegularFile(path.toStdString());
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly))
    throw Error("cannot read '" + path.toStdString() + "': " + file.errorString().toStdString());
  if (file.size() > kMaxPresetBytes)
    throw Error("cannot read '" + path.toStdString() + "': it is " + formatBytes(double(file.size())) +
                ", and a preset is at most " + formatBytes(double(kMaxPresetBytes)));
  QJsonParseError err{};
  const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &err);
  if (err.error != QJsonParseError::NoError || !doc.isObject())
    throw Error("'" + path.toStdString() + "' is not a preset: " +
                (err.error != QJsonParseError::NoError
                     ? err.errorString().toStdString() + " at byte " + std::to_string(err.offset)
                     : std::string("it is not a JSON object")));
  try {
    return presetFromJson(doc.object());
  } catch (const Error& e) {
    throw Error("'" + path.toStdString() + "': " + e.what());
  }
}

void savePresetFile(const Preset& preset, const QString& path) {
  const QByteArray json = QJsonDocument(presetToJson(preset)).toJson();
  writeFileAtomically(path.toStdString(), std::string_view(json.constData(), std::size_t(json.size())));
}

QList<Preset> builtInPresets() {
  initResources();
  QList<Preset> out;
  const QStringList files =
      QDir(QStringLiteral(":/presets")).entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
  for (const QString& f : files) {
    Preset preset = loadPresetFile(QStringLiteral(":/presets/") + f);
    if (preset.name.isEmpty()) preset.name = f;
    out.append(preset);
  }
  return out;
}

QString fileNamePart(const QString& text) {
  static const QRegularExpression unsafe(QStringLiteral("[^A-Za-z0-9._-]+"));
  return QString(text).replace(unsafe, QStringLiteral("_"));
}

QString fileStem(const PatternChoice& choice) {
  return fileNamePart(choice.pattern) + QStringLiteral("-n") + QString::number(choice.n);
}

}  // namespace attnscope

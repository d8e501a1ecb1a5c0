#pragma once
// What the user chose: a pattern (families joined by '+'), parameter texts, n and an optional sentence. Presets
// are these in JSON: {"name", "family", "params": {key: value}, "n", "text"}.

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

#include <string>
#include <utility>
#include <vector>

#include "engine/patterns/pattern_registry.h"
#include "engine/util/types.h"

namespace attnscope {

struct PatternChoice {
  QString pattern = QStringLiteral("window");
  QList<QPair<QString, QString>> params;  ///< only those set; the rest take their defaults
  Index n = 16;
  QString text;  ///< a sentence whose tokens label the axes (and feed lsh)

  QString param(const QString& key) const;
  /// The parameters as the engine takes them (PatternSpec::resolve, a stack layer's params).
  std::vector<std::pair<std::string, std::string>> paramTexts() const;
  /// "window (radius=2), n = 16": for titles and exports.
  QString title() const;
  bool operator==(const PatternChoice&) const = default;
};

/// Checks a choice once, as the command line would, before anything is built: the pattern name, every parameter
/// through the registry's resolver, then CheckedPattern::check (n, the work, the mask's memory) and the memory of
/// its pictures. Throws Error; what it returns is what the build uses.
CheckedPattern checkChoice(const PatternChoice& choice);
/// Reads a preset strictly (known keys, the right types) and checks it with checkChoice; throws attnscope::Error
/// naming what is wrong. Nothing is repaired.
PatternChoice presetFromJson(const QJsonObject& json, QString* name = nullptr);
QJsonObject presetToJson(const PatternChoice& choice, const QString& name);
/// Reads or writes a preset file (all or nothing); throw attnscope::Error.
PatternChoice loadPresetFile(const QString& path, QString* name = nullptr);
void savePresetFile(const PatternChoice& choice, const QString& name, const QString& path);
/// The presets shipped in the resources, in menu order: (name, choice).
QList<QPair<QString, PatternChoice>> builtInPresets();

}  // namespace attnscope

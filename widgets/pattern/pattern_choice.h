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
/// A preset: everything a picture depends on, so that applying it gives the same picture whatever came before — the
/// pattern with every parameter (those it leaves out take their defaults), n and the sentence, the path's query and
/// key, the view, and a palette when it names one (otherwise the user's palette stays: it is a preference, for
/// colour vision, not part of what the preset shows).
struct Preset {
  QString name;
  PatternChoice choice;
  Index from = 7, to = 3;                   ///< the path's query and key (the app's own first path, 7 → 5 → 3)
  QString view = QStringLiteral("matrix");  ///< a view as `attnscope --view` names it
  QString palette;                          ///< viridis, cividis, grayscale, or empty: the user's
  bool operator==(const Preset&) const = default;
};

/// The views a preset may name, as `attnscope --view` takes them.
const QStringList& presetViews();
/// The palettes a preset may name.
const QStringList& presetPalettes();

/// Reads a preset strictly (known keys, the right types, from and to below n, a known view and palette) and checks
/// its choice with checkChoice; throws attnscope::Error naming what is wrong. Nothing is repaired.
Preset presetFromJson(const QJsonObject& json);
QJsonObject presetToJson(const Preset& preset);
/// Reads or writes a preset file (all or nothing); throw attnscope::Error.
Preset loadPresetFile(const QString& path);
void savePresetFile(const Preset& preset, const QString& path);
/// The presets shipped in the resources, in menu order.
QList<Preset> builtInPresets();

/// `text` as a part of a file name: every run of characters other than letters, digits, '.', '_' and '-' becomes
/// one '_' ("hf-bigbird+window" → "hf-bigbird_window").
QString fileNamePart(const QString& text);
/// The stem of a file that shows `choice`: its pattern and n ("window-n16").
QString fileStem(const PatternChoice& choice);

}  // namespace attnscope

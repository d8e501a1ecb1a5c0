// libFuzzer harness: the preset reader the GUI uses for files, the presets menu and the saved session.
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

#include <cstddef>
#include <cstdint>

#include "engine/util/error.h"
#include "widgets/pattern/pattern_choice.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  QJsonParseError error{};
  const QJsonDocument doc =
      QJsonDocument::fromJson(QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size)), &error);
  if (error.error != QJsonParseError::NoError || !doc.isObject()) return 0;
  try {
    const attnscope::Preset preset = attnscope::presetFromJson(doc.object());
    (void)attnscope::presetToJson(preset);
  } catch (const attnscope::Error&) {
  }
  return 0;
}

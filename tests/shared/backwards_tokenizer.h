#pragma once
// A second tokenizer for tests that need one the model does not share: llama2.c's tok512.bin with every piece of two
// bytes or more spelt backwards ("ball" → "llab"), so the same text splits otherwise.
#include <QByteArray>
#include <QFile>
#include <QString>

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace attnscope::test {

/// Writes `from` (a tok512.bin of 512 pieces) with its pieces reversed to `to`; false when either file fails.
inline bool writeBackwardsTokenizer(const QString& from, const QString& to) {
  QFile in(from);
  if (!in.open(QIODevice::ReadOnly)) return false;
  QByteArray bytes = in.readAll();
  for (int t = 0, at = 4; t < 512; ++t) {  // max_token_length, then (score, length, bytes) a piece
    std::int32_t length = 0;
    if (at + 8 > bytes.size()) return false;
    std::memcpy(&length, bytes.constData() + at + 4, 4);
    if (length < 0 || at + 8 + length > bytes.size()) return false;
    std::reverse(bytes.begin() + at + 8, bytes.begin() + at + 8 + length);
    at += 8 + length;
  }
  QFile out(to);
  return out.open(QIODevice::WriteOnly) && out.write(bytes) == bytes.size();
}

}  // namespace attnscope::test

#pragma once
// What the code writers share: a 0/1 table packed eight cells a byte and written as base64 text for a Python file,
// and values written as Python and JSON literals.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/masks/params.h"

namespace attnscope::codegen {

/// Cells set one at a time, bit i of the table in byte i / 8 at bit i % 8 (NumPy's bitorder="little").
class BitTable {
 public:
  explicit BitTable(std::uint64_t bits) : bytes_(static_cast<std::size_t>((bits + 7) / 8), 0) {}
  void set(std::uint64_t bit) { bytes_[static_cast<std::size_t>(bit >> 3)] |= std::uint8_t(1u << (bit & 7)); }
  bool get(std::uint64_t bit) const { return (bytes_[static_cast<std::size_t>(bit >> 3)] >> (bit & 7)) & 1u; }
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<std::uint8_t> bytes_;
};

/// RFC 4648 base64 with padding.
std::string base64(const std::vector<std::uint8_t>& bytes);
/// A Python string literal of base64 text cut into lines of `width` characters inside parentheses, so a table
/// stays readable in an editor.
std::string pythonBase64Literal(const std::vector<std::uint8_t>& bytes, std::string_view indent, int width = 96);

/// A Python literal for a parameter's value: 3, True, 'bidirectional', [0, 7], [] .
std::string pythonValue(const ParamValue& value);
/// A JSON value for a parameter's value: 3, true, "bidirectional", [0, 7].
std::string jsonValue(const ParamValue& value);
/// `text` as a Python string literal in single quotes (escapes for quotes, backslashes and control characters).
std::string pythonString(std::string_view text);
/// Text as a Python comment: every line prefixed with "# ".
std::string commentLines(std::string_view text);

}  // namespace attnscope::codegen

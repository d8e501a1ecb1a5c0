#include "engine/codegen/code_text.h"

#include <cstdio>

#include "engine/io/json.h"

namespace attnscope::codegen {

std::string base64(const std::vector<std::uint8_t>& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t(bytes[i]) << 16) | (std::uint32_t(bytes[i + 1]) << 8) | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t v = std::uint32_t(bytes[i]) << 16;
    if (left == 2) v |= std::uint32_t(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += left == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string pythonBase64Literal(const std::vector<std::uint8_t>& bytes, std::string_view indent, int width) {
  const std::string text = base64(bytes);
  if (text.size() <= static_cast<std::size_t>(width)) return "'" + text + "'";
  std::string out = "(\n";
  for (std::size_t at = 0; at < text.size(); at += static_cast<std::size_t>(width))
    out += std::string(indent) + "    '" + text.substr(at, static_cast<std::size_t>(width)) + "'\n";
  out += std::string(indent) + ")";
  return out;
}

std::string pythonString(std::string_view text) {
  std::string out = "'";
  for (unsigned char c : text) {
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

namespace {

template <typename Format>
std::string listText(const std::vector<Index>& list, Format format) {
  std::string out = "[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i) out += ", ";
    out += format(list[i]);
  }
  return out + "]";
}

}  // namespace

std::string pythonValue(const ParamValue& value) {
  if (const Index* i = std::get_if<Index>(&value)) return std::to_string(*i);
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "True" : "False";
  if (const std::string* s = std::get_if<std::string>(&value)) return pythonString(*s);
  return listText(std::get<std::vector<Index>>(value), [](Index v) { return std::to_string(v); });
}

std::string jsonValue(const ParamValue& value) {
  if (const Index* i = std::get_if<Index>(&value)) return std::to_string(*i);
  if (const bool* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  if (const std::string* s = std::get_if<std::string>(&value)) return jsonString(*s);
  return listText(std::get<std::vector<Index>>(value), [](Index v) { return std::to_string(v); });
}

std::string commentLines(std::string_view text) {
  std::string out;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = text.find('\n', at);
    const std::string_view line = text.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    out += line.empty() ? "#\n" : "# " + std::string(line) + "\n";
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return out;
}

}  // namespace attnscope::codegen

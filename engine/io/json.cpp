#include "engine/io/json.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

JsonValue JsonValue::boolean(bool b) {
  JsonValue v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}
JsonValue JsonValue::number(double value, std::string text) {
  JsonValue v;
  v.kind_ = Kind::Number;
  v.number_ = value;
  v.text_ = std::move(text);
  return v;
}
JsonValue JsonValue::string(std::string s) {
  JsonValue v;
  v.kind_ = Kind::String;
  v.string_ = std::move(s);
  return v;
}
JsonValue JsonValue::array(std::vector<JsonValue> items) {
  JsonValue v;
  v.kind_ = Kind::Array;
  v.items_ = std::move(items);
  return v;
}
JsonValue JsonValue::object(std::vector<std::pair<std::string, JsonValue>> members) {
  JsonValue v;
  v.kind_ = Kind::Object;
  v.members_ = std::move(members);
  return v;
}

std::optional<std::int64_t> JsonValue::asInteger() const {
  if (kind_ != Kind::Number || !std::isfinite(number_) || std::floor(number_) != number_) return std::nullopt;
  if (std::fabs(number_) >= 9.2e18) return std::nullopt;
  if (text_.find_first_of(".eE") == std::string::npos) {  // exact, even past 2⁵³
    errno = 0;
    const long long v = std::strtoll(text_.c_str(), nullptr, 10);
    if (errno == 0) return v;
  }
  return static_cast<std::int64_t>(number_);
}

const JsonValue* JsonValue::find(std::string_view key) const {
  const JsonValue* found = nullptr;
  for (const auto& [k, v] : members_)
    if (k == key) found = &v;
  return found;
}

const char* JsonValue::kindName(Kind kind) {
  switch (kind) {
    case Kind::Null: return "null";
    case Kind::Bool: return "true or false";
    case Kind::Number: return "a number";
    case Kind::String: return "a string";
    case Kind::Array: return "a list";
    case Kind::Object: return "an object";
  }
  return "a value";
}

namespace {

constexpr int kMaxDepth = 256;

class Parser {
 public:
  Parser(std::string_view text, const std::string& what) : s_(text), what_(what) {}

  JsonValue document() {
    // A UTF-8 byte-order mark is tolerated, as Python's json.load on a file opened with utf-8-sig would.
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    skipSpace();
    JsonValue v = value(0);
    skipSpace();
    if (pos_ != s_.size()) fail("unexpected text after the end of the document");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    throw Error(what_ + " is not valid JSON: " + what + " at line " + std::to_string(line) + ", column " +
                std::to_string(column));
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool take(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expectWord(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) fail("expected a value");
    pos_ += word.size();
  }

  JsonValue value(int depth) {
    if (depth > kMaxDepth) fail("nested more than " + std::to_string(kMaxDepth) + " levels deep");
    if (pos_ >= s_.size()) fail("the document ends where a value was expected");
    const char c = s_[pos_];
    if (c == '{') return objectValue(depth);
    if (c == '[') return arrayValue(depth);
    if (c == '"') return JsonValue::string(stringValue());
    if (c == 't') {
      expectWord("true");
      return JsonValue::boolean(true);
    }
    if (c == 'f') {
      expectWord("false");
      return JsonValue::boolean(false);
    }
    if (c == 'n') {
      expectWord("null");
      return {};
    }
    // Python's json writes these for non-finite floats; config files carry them now and then.
    if (c == 'N') {
      expectWord("NaN");
      return JsonValue::number(std::nan(""), "NaN");
    }
    if (c == 'I') {
      expectWord("Infinity");
      return JsonValue::number(HUGE_VAL, "Infinity");
    }
    if (c == '-' || (c >= '0' && c <= '9')) return numberValue();
    fail(std::string("unexpected character '") + (c >= 32 && c < 127 ? std::string(1, c) : std::string("?")) + "'");
  }

  JsonValue numberValue() {
    const std::size_t start = pos_;
    if (take('-') && s_.substr(pos_, 8) == "Infinity") {
      pos_ += 8;
      return JsonValue::number(-HUGE_VAL, "-Infinity");
    }
    auto digits = [&] {
      const std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (pos_ < s_.size() && s_[pos_] == '0')
      ++pos_;
    else if (digits() == 0)
      fail("expected a digit");
    if (take('.') && digits() == 0) fail("expected a digit after '.'");
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (!take('+')) take('-');
      if (digits() == 0) fail("expected a digit in the exponent");
    }
    std::string text(s_.substr(start, pos_ - start));
    return JsonValue::number(std::strtod(text.c_str(), nullptr), text);
  }

  std::uint32_t hex4() {
    if (pos_ + 4 > s_.size()) fail("a \\u escape needs four hex digits");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<std::uint32_t>(c - 'A' + 10);
      else
        fail("a \\u escape needs four hex digits");
    }
    return v;
  }

  std::string stringValue() {
    ++pos_;  // the opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail("a string is not closed");
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("a control character inside a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) fail("a string is not closed");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            const std::uint32_t low = hex4();
            if (low >= 0xDC00 && low < 0xE000)
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            else
              cp = 0xFFFD;
          } else if (cp >= 0xD800 && cp < 0xE000) {
            cp = 0xFFFD;
          }
          appendUtf8(out, cp);
          break;
        }
        default: fail("an unknown escape in a string");
      }
    }
  }

  JsonValue arrayValue(int depth) {
    ++pos_;
    std::vector<JsonValue> items;
    skipSpace();
    if (take(']')) return JsonValue::array(std::move(items));
    while (true) {
      skipSpace();
      items.push_back(value(depth + 1));
      skipSpace();
      if (take(']')) return JsonValue::array(std::move(items));
      if (!take(',')) fail("expected ',' or ']'");
    }
  }

  JsonValue objectValue(int depth) {
    ++pos_;
    std::vector<std::pair<std::string, JsonValue>> members;
    skipSpace();
    if (take('}')) return JsonValue::object(std::move(members));
    while (true) {
      skipSpace();
      if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a key in quotes");
      std::string key = stringValue();
      skipSpace();
      if (!take(':')) fail("expected ':' after a key");
      skipSpace();
      JsonValue v = value(depth + 1);
      members.emplace_back(std::move(key), std::move(v));
      skipSpace();
      if (take('}')) return JsonValue::object(std::move(members));
      if (!take(',')) fail("expected ',' or '}'");
    }
  }

  std::string_view s_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

}  // namespace

JsonValue parseJson(std::string_view text, const std::string& what) { return Parser(text, what).document(); }

JsonValue readJsonFile(const std::string& path, std::size_t maxBytes) {
  requireRegularFile(path);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error("cannot read '" + path + "': no such file, or not readable");
  if (static_cast<std::size_t>(st.st_size) > maxBytes)
    throw Error(path + " has " + formatBytes(double(st.st_size)) + ", more than the " + formatBytes(double(maxBytes)) +
                " such a file may have");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return parseJson(buffer.str(), path);
}

std::string jsonString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xF];
      out += hex[c & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace attnscope

#pragma once
// A small, strict JSON reader for the files other tools write (a model's config.json, a layer stack): RFC 8259
// values, objects keeping their keys in file order, numbers kept as written so integers stay exact. Depth and size
// are bounded; every error names the line and column.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnscope {

class JsonValue {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  JsonValue() = default;
  static JsonValue boolean(bool b);
  static JsonValue number(double value, std::string text);
  static JsonValue string(std::string s);
  static JsonValue array(std::vector<JsonValue> items);
  static JsonValue object(std::vector<std::pair<std::string, JsonValue>> members);

  Kind kind() const { return kind_; }
  bool isNull() const { return kind_ == Kind::Null; }
  bool isBool() const { return kind_ == Kind::Bool; }
  bool isNumber() const { return kind_ == Kind::Number; }
  bool isString() const { return kind_ == Kind::String; }
  bool isArray() const { return kind_ == Kind::Array; }
  bool isObject() const { return kind_ == Kind::Object; }

  bool asBool() const { return bool_; }
  double asDouble() const { return number_; }
  /// The number as an integer when it is one exactly (no fraction, no exponent that makes one, in ±2⁶³).
  std::optional<std::int64_t> asInteger() const;
  const std::string& asString() const { return string_; }
  const std::vector<JsonValue>& items() const { return items_; }
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }
  /// The member called key, or null when there is none (the last one when a key repeats, as Python's json does).
  const JsonValue* find(std::string_view key) const;
  /// "an integer", "a string", … for messages.
  static const char* kindName(Kind kind);

 private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string text_;  // the number as written
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

/// Parses a whole document; throws Error("… is not valid JSON: expected ',' or '}' at line 3, column 7").
/// `what` names the document in messages ("config.json"). At most 256 levels deep.
JsonValue parseJson(std::string_view text, const std::string& what);

/// Reads a file of at most maxBytes and parses it; throws Error naming the file.
JsonValue readJsonFile(const std::string& path, std::size_t maxBytes);

/// `text` as a JSON string, quotes included: quotes and backslashes escaped, control characters as \u00XX, the rest
/// (UTF-8 included) as it is. What the engine's writers (stack files, safetensors headers) put out.
std::string jsonString(std::string_view text);

}  // namespace attnscope

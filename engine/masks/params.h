#pragma once
// Pattern parameters described as data: the GUI builds its editors from these, the command line parses
// --param key=value through them, and one validator words every error the same way.

#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/util/types.h"

namespace attnscope {

enum class ParamType { Int, Bool, Choice, IntList };

using ParamValue = std::variant<Index, bool, std::string, std::vector<Index>>;

/// One parameter of a pattern family.
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Int;
  std::string defaultText;  ///< the default, written as a user would type it
  Index min = 0;            ///< Int, and each IntList element
  Index max = 0;
  std::vector<std::string> choices;  ///< Choice
  std::string help;                  ///< one line
  bool mayBeEmpty = false;           ///< IntList: "none" (or nothing) is allowed

  /// "an integer 0 … 4096", "true or false", "one of: a, b", "a comma-separated list of integers 0 … 7, or none".
  std::string allowed() const;
  /// Parses and range-checks text; throws Error("parameter 'radius' = -1 is not allowed: ...").
  ParamValue parse(std::string_view text) const;
  /// Range-checks an already typed value; throws Error as parse() does.
  void check(const ParamValue& value) const;
  ParamValue defaultValue() const { return parse(defaultText); }
};

/// Writes a value as a user would type it ("3", "true", "bidirectional", "0,7" or "none").
std::string formatParam(const ParamValue& value);

/// The values of a pattern's parameters, by name. Getters throw Error if a name is missing or of another type.
class ParamSet {
 public:
  void set(const std::string& name, ParamValue value) { values_[name] = std::move(value); }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  Index getInt(const std::string& name) const;
  bool getBool(const std::string& name) const;
  const std::string& getChoice(const std::string& name) const;
  const std::vector<Index>& getList(const std::string& name) const;
  const std::map<std::string, ParamValue>& values() const { return values_; }

 private:
  const ParamValue& get(const std::string& name) const;
  std::map<std::string, ParamValue> values_;
};

/// Builds the error text for a parameter: "parameter 'name' = value is not allowed: reason".
std::string paramError(std::string_view name, std::string_view value, std::string_view reason);

}  // namespace attnscope

#include "engine/masks/params.h"

#include <charconv>
#include <sstream>

#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope {

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool parseIndex(std::string_view text, Index& out) {
  const std::string t = trim(text);
  if (t.empty()) return false;
  const char* first = t.data();
  if (*first == '+') ++first;
  auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), out);
  return ec == std::errc() && ptr == t.data() + t.size();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out;
}

}  // namespace

std::string paramError(std::string_view name, std::string_view value, std::string_view reason) {
  return "parameter '" + quoted(name) + "' = " + (value.empty() ? std::string("(empty)") : quoted(value)) +
         " is not allowed: " + std::string(reason);
}

std::string ParamSpec::allowed() const {
  const std::string range = std::to_string(min) + " … " + std::to_string(max);
  switch (type) {
    case ParamType::Int: return "an integer " + range;
    case ParamType::Bool: return "true or false";
    case ParamType::Choice: return "one of: " + joined(choices);
    case ParamType::IntList:
      return "a comma-separated list of integers " + range + (mayBeEmpty ? ", or none" : " (at least one)");
  }
  return {};
}

ParamValue ParamSpec::parse(std::string_view textIn) const {
  const std::string text = trim(textIn);
  const auto fail = [&]() -> ParamValue { throw Error(paramError(name, text, "expected " + allowed())); };
  ParamValue value;
  switch (type) {
    case ParamType::Int: {
      Index v = 0;
      if (!parseIndex(text, v)) return fail();
      value = v;
      break;
    }
    case ParamType::Bool:
      if (text == "true" || text == "1")
        value = true;
      else if (text == "false" || text == "0")
        value = false;
      else
        return fail();
      break;
    case ParamType::Choice: value = text; break;
    case ParamType::IntList: {
      std::vector<Index> list;
      if (!(text.empty() || text == "none")) {
        std::stringstream ss(text);
        std::string item;
        while (std::getline(ss, item, ',')) {
          Index v = 0;
          if (!parseIndex(item, v)) return fail();
          list.push_back(v);
        }
        if (!text.empty() && text.back() == ',') return fail();
      }
      value = std::move(list);
      break;
    }
  }
  check(value);
  return value;
}

void ParamSpec::check(const ParamValue& value) const {
  const std::string shown = formatParam(value);
  const auto fail = [&](const std::string& why) { throw Error(paramError(name, shown, why)); };
  switch (type) {
    case ParamType::Int: {
      const Index* v = std::get_if<Index>(&value);
      if (!v) fail("expected " + allowed());
      if (*v < min || *v > max) fail("expected " + allowed());
      break;
    }
    case ParamType::Bool:
      if (!std::holds_alternative<bool>(value)) fail("expected " + allowed());
      break;
    case ParamType::Choice: {
      const std::string* v = std::get_if<std::string>(&value);
      if (!v) fail("expected " + allowed());
      bool ok = false;
      for (const auto& c : choices) ok = ok || c == *v;
      if (!ok) fail("expected " + allowed());
      break;
    }
    case ParamType::IntList: {
      const auto* v = std::get_if<std::vector<Index>>(&value);
      if (!v) fail("expected " + allowed());
      if (v->empty() && !mayBeEmpty) fail("expected " + allowed());
      for (Index x : *v)
        if (x < min || x > max) fail("expected " + allowed());
      break;
    }
  }
}

std::string formatParam(const ParamValue& value) {
  if (const Index* v = std::get_if<Index>(&value)) return std::to_string(*v);
  if (const bool* v = std::get_if<bool>(&value)) return *v ? "true" : "false";
  if (const std::string* v = std::get_if<std::string>(&value)) return *v;
  const auto& list = std::get<std::vector<Index>>(value);
  if (list.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + std::to_string(list[i]);
  return out;
}

const ParamValue& ParamSet::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw Error("internal: parameter '" + name + "' has no value");
  return it->second;
}

Index ParamSet::getInt(const std::string& name) const {
  if (const Index* v = std::get_if<Index>(&get(name))) return *v;
  throw Error("internal: parameter '" + name + "' is not an integer");
}

bool ParamSet::getBool(const std::string& name) const {
  if (const bool* v = std::get_if<bool>(&get(name))) return *v;
  throw Error("internal: parameter '" + name + "' is not a boolean");
}

const std::string& ParamSet::getChoice(const std::string& name) const {
  if (const std::string* v = std::get_if<std::string>(&get(name))) return *v;
  throw Error("internal: parameter '" + name + "' is not a choice");
}

const std::vector<Index>& ParamSet::getList(const std::string& name) const {
  if (const auto* v = std::get_if<std::vector<Index>>(&get(name))) return *v;
  throw Error("internal: parameter '" + name + "' is not a list");
}

}  // namespace attnscope

#include "engine/models/stack_source.h"

#include <charconv>

#include "engine/models/hf_config.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope {

int StackSource::count() const { return int(!config.empty()) + int(!stackFile.empty()) + int(!layers.empty()); }

std::string StackSource::check(bool required) const {
  if (count() > 1 || (required && count() == 0))
    return std::string(required ? "give exactly one of" : "give at most one of") +
           " --config FILE, --stack FILE or --layers TEXT";
  if (config.empty() && (globals || mode))
    return "--global and --mode go with --config: they are how a config's model is built";
  if (mode && *mode != "train" && *mode != "eval")
    return "--mode " + quoted(*mode) + " is not allowed: expected train or eval";
  return {};
}

LayerStack StackSource::load(Index n) const {
  if (const std::string problem = check(true); !problem.empty()) throw Error(problem);
  if (n == 0 && stackFile.empty()) throw Error("--n is required: the sequence length");
  if (!config.empty()) return fromConfig(readHfConfigJson(config), n);
  LayerStack stack;
  if (!stackFile.empty()) {
    stack = readStackFile(stackFile);
    if (n > 0) stack.n = n;
  } else {
    stack.name = "typed stack";
    stack.n = n;
    stack.layers = parseShortForm(layers);
  }
  checkStack(stack);
  return stack;
}

ConfigRequest StackSource::configRequest(Index n, std::string_view globalsName) const {
  if (const std::string problem = check(true); !problem.empty()) throw Error(problem);
  if (config.empty()) throw Error("a config's request needs a config");
  ConfigRequest request;
  request.n = n;
  if (globals) request.globals = parseTokenList(*globals, n, globalsName);
  request.bigBirdEval = mode && *mode == "eval";
  return request;
}

LayerStack StackSource::fromConfig(const JsonValue& json, Index n, std::string_view globalsName) const {
  LayerStack stack = stackFromHfConfig(json, configRequest(n, globalsName), config);
  checkStack(stack);
  return stack;
}

std::vector<Index> parseTokenList(std::string_view text, Index n, std::string_view option) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  std::vector<Index> out;
  text = trim(text);
  if (text.empty() || text == "none") return out;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view part = trim(text.substr(0, comma));
    Index v = -1;
    const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (error != std::errc() || end != part.data() + part.size() || part.empty() || v < 0 || v >= n)
      throw Error(std::string(option) + " " + quoted(part) + " is not allowed: expected token indices 0 … " +
                  std::to_string(n - 1) + ", comma-separated");
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
  }
  return out;
}

}  // namespace attnscope

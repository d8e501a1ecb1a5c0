#include "engine/models/layer_stack.h"

#include <cctype>
#include <map>

#include "engine/io/atomic_file.h"
#include "engine/io/json.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// "×5", "x5", "*5" → 5; anything else → 0.
int repeatOf(const std::string& word) {
  std::string digits;
  if (word.rfind("×", 0) == 0)
    digits = word.substr(std::string("×").size());
  else if (!word.empty() && (word[0] == 'x' || word[0] == '*' || word[0] == 'X'))
    digits = word.substr(1);
  else
    return 0;
  if (digits.empty() || digits.size() > 6) return 0;
  for (char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
  return std::stoi(digits);
}

std::string layerName(std::size_t index) { return "layer " + std::to_string(index + 1); }

void checkLayerCount(std::size_t count) {
  if (count == 0) throw Error("a stack needs at least one layer");
  if (count > static_cast<std::size_t>(kMaxStackLayers))
    throw Error("a stack of " + std::to_string(count) + " layers is not allowed: at most " +
                std::to_string(kMaxStackLayers));
}

}  // namespace

std::string StackLayer::describe() const {
  std::string out = pattern;
  if (!params.empty()) {
    out += " (";
    for (std::size_t i = 0; i < params.size(); ++i) out += (i ? ", " : "") + params[i].first + "=" + params[i].second;
    out += ")";
  }
  return out;
}

std::vector<StackLayer> parseShortForm(std::string_view text) {
  // Commas separate layers, but list values have commas too ("tokens=0,7"): a piece that starts with a digit
  // continues the previous one.
  std::vector<std::string> pieces;
  std::string cur;
  auto flush = [&] {
    const std::string t = trim(cur);
    if (!pieces.empty() && !t.empty() && std::isdigit(static_cast<unsigned char>(t[0])))
      pieces.back() += "," + t;
    else
      pieces.push_back(t);
    cur.clear();
  };
  for (char c : text) {
    if (c == ',')
      flush();
    else
      cur += c;
  }
  flush();
  std::vector<StackLayer> layers;
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    const std::vector<std::string> w = words(pieces[p]);
    const std::string where = "stack item " + std::to_string(p + 1);
    if (w.empty()) throw Error(where + " is empty: expected a pattern such as \"window radius=2 ×5\"");
    StackLayer layer;
    layer.pattern = w[0];
    int repeat = 1;
    for (std::size_t i = 1; i < w.size(); ++i) {
      if (const int r = repeatOf(w[i]); r > 0) {
        repeat = r;
        continue;
      }
      if ((w[i] == "×" || w[i] == "x" || w[i] == "*") && i + 1 < w.size() && repeatOf("x" + w[i + 1]) > 0) {
        repeat = repeatOf("x" + w[++i]);
        continue;
      }
      const auto eq = w[i].find('=');
      if (eq == std::string::npos || eq == 0)
        throw Error(where + " (" + pieces[p] + "): '" + w[i] + "' is neither KEY=VALUE nor a repeat such as ×5");
      layer.params.emplace_back(w[i].substr(0, eq), w[i].substr(eq + 1));
    }
    if (layers.size() + static_cast<std::size_t>(repeat) > static_cast<std::size_t>(kMaxStackLayers))
      checkLayerCount(layers.size() + static_cast<std::size_t>(repeat));
    for (int r = 0; r < repeat; ++r) layers.push_back(layer);
  }
  checkLayerCount(layers.size());
  return layers;
}

std::string shortForm(const std::vector<StackLayer>& layers) {
  std::string out;
  for (std::size_t i = 0; i < layers.size();) {
    std::size_t j = i + 1;
    while (j < layers.size() && layers[j].pattern == layers[i].pattern && layers[j].params == layers[i].params) ++j;
    if (!out.empty()) out += ", ";
    out += layers[i].pattern;
    for (const auto& [k, v] : layers[i].params) out += " " + k + "=" + v;
    if (j - i > 1) out += " ×" + std::to_string(j - i);
    i = j;
  }
  return out;
}

void checkStack(const LayerStack& stack) {
  checkLayerCount(stack.layers.size());
  checkSequenceLength(stack.n);
  for (std::size_t i = 0; i < stack.layers.size(); ++i) {
    try {
      const PatternSpec spec = PatternSpec::parse(stack.layers[i].pattern);
      spec.resolve(stack.layers[i].params);
    } catch (const Error& e) {
      throw Error(layerName(i) + ": " + e.what());
    }
  }
}

namespace {

std::string valueText(const JsonValue& v, const std::string& where) {
  if (v.isString()) return v.asString();
  if (v.isBool()) return v.asBool() ? "true" : "false";
  if (v.isNumber()) {
    if (const auto i = v.asInteger()) return std::to_string(*i);
    throw Error(where + " must be an integer");
  }
  if (v.isArray()) {
    if (v.items().empty()) return "none";
    std::string out;
    for (const JsonValue& item : v.items()) {
      const auto i = item.isNumber() ? item.asInteger() : std::nullopt;
      if (!i) throw Error(where + " must be a list of integers");
      if (!out.empty()) out += ",";
      out += std::to_string(*i);
    }
    return out;
  }
  throw Error(where + " must be a number, a string, true/false or a list of integers");
}

Index intField(const JsonValue& v, const std::string& where, Index min, Index max) {
  const auto i = v.isNumber() ? v.asInteger() : std::nullopt;
  if (!i || *i < min || *i > max)
    throw Error(where + " must be an integer " + std::to_string(min) + " … " + std::to_string(max));
  return static_cast<Index>(*i);
}

void onlyKeys(const JsonValue& o, std::initializer_list<std::string_view> keys, const std::string& where) {
  for (const auto& [k, v] : o.members()) {
    bool known = false;
    for (std::string_view key : keys) known = known || k == key;
    if (!known) {
      std::string list;
      for (std::string_view key : keys) {
        if (!list.empty()) list += ", ";
        list += std::string(key);
      }
      throw Error(where + " has an unknown key '" + k + "': expected " + list);
    }
  }
}

}  // namespace

LayerStack stackFromJson(const JsonValue& json) {
  if (!json.isObject()) throw Error("a stack file must hold a JSON object");
  onlyKeys(json, {"name", "n", "layers", "model", "derivation", "notes"}, "the stack");
  LayerStack stack;
  if (const JsonValue* v = json.find("name")) {
    if (!v->isString()) throw Error("the stack's 'name' must be a string");
    stack.name = v->asString();
  }
  const JsonValue* n = json.find("n");
  if (!n) throw Error("the stack has no 'n' (the sequence length)");
  stack.n = intField(*n, "the stack's 'n'", 1, kMaxSequenceLength);
  const JsonValue* layers = json.find("layers");
  if (!layers || !layers->isArray()) throw Error("the stack has no 'layers' list");
  for (std::size_t i = 0; i < layers->items().size(); ++i) {
    const JsonValue& item = layers->items()[i];
    const std::string where = "layers[" + std::to_string(i) + "]";
    if (!item.isObject()) throw Error(where + " must be an object with a 'pattern'");
    onlyKeys(item, {"pattern", "params", "repeat", "kind"}, where);
    StackLayer layer;
    const JsonValue* pattern = item.find("pattern");
    if (!pattern || !pattern->isString()) throw Error(where + " needs a 'pattern' string");
    layer.pattern = pattern->asString();
    if (const JsonValue* params = item.find("params")) {
      if (!params->isObject()) throw Error(where + ".params must be an object");
      for (const auto& [k, v] : params->members()) layer.params.emplace_back(k, valueText(v, where + ".params." + k));
    }
    if (const JsonValue* kind = item.find("kind")) {
      if (!kind->isString()) throw Error(where + ".kind must be a string");
      layer.kind = kind->asString();
    }
    Index repeat = 1;
    if (const JsonValue* r = item.find("repeat")) repeat = intField(*r, where + ".repeat", 1, kMaxStackLayers);
    checkLayerCount(stack.layers.size() + static_cast<std::size_t>(repeat));
    for (Index r = 0; r < repeat; ++r) stack.layers.push_back(layer);
  }
  if (const JsonValue* model = json.find("model")) {
    if (!model->isObject()) throw Error("the stack's 'model' must be an object");
    onlyKeys(*model,
             {"hidden_size", "intermediate_size", "num_attention_heads", "num_key_value_heads", "head_dim",
              "gated_feed_forward"},
             "the stack's 'model'");
    ModelDims& d = stack.dims;
    auto read = [&](const char* key, Index& out) {
      if (const JsonValue* v = model->find(key)) out = intField(*v, std::string("model.") + key, 1, Index(1) << 24);
    };
    read("hidden_size", d.hiddenSize);
    read("intermediate_size", d.intermediateSize);
    read("num_attention_heads", d.heads);
    read("num_key_value_heads", d.keyValueHeads);
    read("head_dim", d.headDim);
    if (const JsonValue* g = model->find("gated_feed_forward")) {
      if (!g->isBool()) throw Error("model.gated_feed_forward must be true or false");
      d.gatedFeedForward = g->asBool();
    }
    stack.dimsFromConfig = true;
  }
  for (const char* key : {"derivation", "notes"})
    if (const JsonValue* list = json.find(key)) {
      if (!list->isArray()) throw Error(std::string("the stack's '") + key + "' must be a list of strings");
      for (const JsonValue& line : list->items()) {
        if (!line.isString()) throw Error(std::string("the stack's '") + key + "' must be a list of strings");
        (std::string(key) == "derivation" ? stack.derivation : stack.notes).push_back(line.asString());
      }
    }
  checkStack(stack);
  return stack;
}

std::string stackToJson(const LayerStack& stack) {
  std::string out =
      "{\n  \"name\": " + jsonString(stack.name) + ",\n  \"n\": " + std::to_string(stack.n) + ",\n  \"layers\": [";
  for (std::size_t i = 0; i < stack.layers.size();) {
    std::size_t j = i + 1;
    while (j < stack.layers.size() && stack.layers[j] == stack.layers[i]) ++j;
    const StackLayer& l = stack.layers[i];
    out += (i ? ",\n    " : "\n    ") + std::string("{\"pattern\": ") + jsonString(l.pattern);
    if (!l.params.empty()) {
      out += ", \"params\": {";
      for (std::size_t p = 0; p < l.params.size(); ++p)
        out += (p ? ", " : "") + jsonString(l.params[p].first) + ": " + jsonString(l.params[p].second);
      out += "}";
    }
    if (!l.kind.empty()) out += ", \"kind\": " + jsonString(l.kind);
    if (j - i > 1) out += ", \"repeat\": " + std::to_string(j - i);
    out += "}";
    i = j;
  }
  out += "\n  ]";
  if (stack.dimsFromConfig) {
    const ModelDims& d = stack.dims;
    out += ",\n  \"model\": {\"hidden_size\": " + std::to_string(d.hiddenSize) +
           ", \"intermediate_size\": " + std::to_string(d.intermediateSize) +
           ", \"num_attention_heads\": " + std::to_string(d.heads) +
           ", \"num_key_value_heads\": " + std::to_string(d.keyValueHeads) +
           ", \"head_dim\": " + std::to_string(d.headDim) +
           ", \"gated_feed_forward\": " + (d.gatedFeedForward ? "true" : "false") + "}";
  }
  auto list = [&](const char* key, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    out += ",\n  \"" + std::string(key) + "\": [";
    for (std::size_t i = 0; i < lines.size(); ++i) out += (i ? ", " : "") + jsonString(lines[i]);
    out += "]";
  };
  list("derivation", stack.derivation);
  list("notes", stack.notes);
  return out + "\n}\n";
}

LayerStack readStackFile(const std::string& path) {
  try {
    return stackFromJson(readJsonFile(path, static_cast<std::size_t>(kMaxPresetBytes)));
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.find(path) != std::string::npos) throw;
    throw Error(path + ": " + what);
  }
}

void writeStackFile(const LayerStack& stack, const std::string& path) { writeFileAtomically(path, stackToJson(stack)); }

std::vector<MadeLayer> makeLayers(const LayerStack& stack, const Progress& progress) {
  checkStack(stack);
  // Distinct layers are all held at once: what making them takes is summed and checked before any is made (each
  // alone also passes its own check in makeForRows).
  {
    double bytes = 0;
    std::size_t distinct = 0;
    for (std::size_t i = 0; i < stack.layers.size(); ++i) {
      bool seen = false;
      for (std::size_t j = 0; j < i && !seen; ++j)
        seen = stack.layers[j].pattern == stack.layers[i].pattern && stack.layers[j].params == stack.layers[i].params;
      if (seen) continue;
      ++distinct;
      try {
        const PatternSpec spec = PatternSpec::parse(stack.layers[i].pattern);
        const ParamSet values = spec.resolve(stack.layers[i].params);
        for (const PatternFamily* f : spec.members()) f->checkWork(values, stack.n);
        bytes += spec.makeBytes(values, stack.n);
      } catch (const Error& e) {
        throw Error(layerName(i) + ": " + e.what());
      }
    }
    checkMemory(bytes,
                "making the stack's " + std::to_string(distinct) + " distinct layers at n = " + withSeparators(stack.n),
                "choose a smaller n or fewer distinct layers");
  }
  std::vector<MadeLayer> out;
  for (std::size_t i = 0; i < stack.layers.size(); ++i) {
    progress.throwIfCancelled();
    std::size_t first = i;
    for (std::size_t j = 0; j < i; ++j)
      if (stack.layers[j].pattern == stack.layers[i].pattern && stack.layers[j].params == stack.layers[i].params) {
        first = j;
        break;
      }
    if (first != i) {
      out.push_back(out[first]);
      continue;
    }
    try {
      const PatternSpec spec = PatternSpec::parse(stack.layers[i].pattern);
      std::shared_ptr<const Pattern> pattern = spec.makeForRows(spec.resolve(stack.layers[i].params), stack.n);
      out.push_back({std::move(pattern), static_cast<int>(i)});
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      throw Error(layerName(i) + ": " + e.what());
    }
    progress.report(double(i + 1) / double(stack.layers.size()));
  }
  return out;
}

}  // namespace attnscope

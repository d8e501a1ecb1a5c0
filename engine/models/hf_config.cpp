#include "engine/models/hf_config.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace {

// The defaults of each configuration class (transformers' configuration_*.py) for the fields read here.
struct TypeDefaults {
  std::map<std::string, Index> ints;  // which types are encoders or gated is said once, in the sets below
};

const std::map<std::string, TypeDefaults>& typeDefaults() {
  static const std::map<std::string, TypeDefaults> table = {
      {"llama",
       {{{"hidden_size", 4096}, {"intermediate_size", 11008}, {"num_hidden_layers", 32}, {"num_attention_heads", 32}}}},
      {"mistral",
       {{{"hidden_size", 4096},
         {"intermediate_size", 14336},
         {"num_hidden_layers", 32},
         {"num_attention_heads", 32},
         {"num_key_value_heads", 8},
         {"sliding_window", 4096}}}},
      {"mixtral",
       {{{"hidden_size", 4096},
         {"intermediate_size", 14336},
         {"num_hidden_layers", 32},
         {"num_attention_heads", 32},
         {"num_key_value_heads", 8}}}},
      {"qwen2",
       {{{"hidden_size", 4096},
         {"intermediate_size", 22016},
         {"num_hidden_layers", 32},
         {"num_attention_heads", 32},
         {"num_key_value_heads", 32},
         {"sliding_window", 4096},
         {"max_window_layers", 28}}}},
      {"gemma",
       {{{"hidden_size", 3072},
         {"intermediate_size", 24576},
         {"num_hidden_layers", 28},
         {"num_attention_heads", 16},
         {"num_key_value_heads", 16},
         {"head_dim", 256}}}},
      {"gemma2",
       {{{"hidden_size", 2304},
         {"intermediate_size", 9216},
         {"num_hidden_layers", 26},
         {"num_attention_heads", 8},
         {"num_key_value_heads", 4},
         {"head_dim", 256},
         {"sliding_window", 4096}}}},
      {"gemma3_text",
       {{{"hidden_size", 2304},
         {"intermediate_size", 9216},
         {"num_hidden_layers", 26},
         {"num_attention_heads", 8},
         {"num_key_value_heads", 4},
         {"head_dim", 256},
         {"sliding_window", 4096},
         {"sliding_window_pattern", 6}}}},
      {"gpt_neo", {{{"hidden_size", 2048}, {"num_layers", 24}, {"num_heads", 16}, {"window_size", 256}}}},
      {"gpt2", {{{"n_embd", 768}, {"n_layer", 12}, {"n_head", 12}}}},
      {"bert",
       {{{"hidden_size", 768}, {"intermediate_size", 3072}, {"num_hidden_layers", 12}, {"num_attention_heads", 12}}}},
      {"roberta",
       {{{"hidden_size", 768}, {"intermediate_size", 3072}, {"num_hidden_layers", 12}, {"num_attention_heads", 12}}}},
      {"longformer",
       {{{"hidden_size", 768},
         {"intermediate_size", 3072},
         {"num_hidden_layers", 12},
         {"num_attention_heads", 12},
         {"attention_window", 512}}}},
      {"big_bird",
       {{{"hidden_size", 768},
         {"intermediate_size", 3072},
         {"num_hidden_layers", 12},
         {"num_attention_heads", 12},
         {"block_size", 64},
         {"num_random_blocks", 3},
         {"max_position_embeddings", 4096}}}},
  };
  return table;
}

// Encoders attend both ways; every other model type is read as a decoder (causal).
const std::set<std::string>& encoderTypes() {
  static const std::set<std::string> types = {"bert",       "roberta", "xlm-roberta", "longformer", "big_bird",
                                              "distilbert", "electra", "deberta",     "deberta-v2", "albert",
                                              "camembert",  "mpnet",   "nomic_bert",  "modernbert"};
  return types;
}
// Feed-forward layers with a gate (three matrices).
const std::set<std::string>& gatedTypes() {
  static const std::set<std::string> types = {"llama",     "mistral", "mixtral", "qwen2",       "qwen2_moe", "qwen3",
                                              "qwen3_moe", "gemma",   "gemma2",  "gemma3_text", "phi3",      "olmo",
                                              "olmo2",     "cohere",  "granite", "deepseek_v3", "smollm3"};
  return types;
}

class Reader {
 public:
  Reader(const JsonValue& cfg, std::string type, std::string source)
      : cfg_(cfg), type_(std::move(type)), source_(std::move(source)) {
    const auto it = typeDefaults().find(type_);
    if (it != typeDefaults().end()) defaults_ = &it->second;
  }
  [[noreturn]] void fail(const std::string& what) const { throw Error(source_ + ": " + what); }
  const JsonValue* raw(const std::string& key) const {
    const JsonValue* v = cfg_.find(key);
    return v && !v->isNull() ? v : nullptr;
  }
  bool has(const std::string& key) const { return raw(key) != nullptr; }
  bool isNullField(const std::string& key) const {
    const JsonValue* v = cfg_.find(key);
    return v && v->isNull();
  }
  // An integer field, or the model type's default; nullopt when neither.
  std::optional<Index> integer(const std::string& key, Index min = 1, Index max = Index(1) << 40) const {
    if (const JsonValue* v = raw(key)) {
      const auto i = v->isNumber() ? v->asInteger() : std::nullopt;
      if (!i || *i < min || *i > max)
        fail("'" + key + "' must be an integer " + withSeparators(min) + " … " + withSeparators(max) + ", not " +
             describe(*v));
      return static_cast<Index>(*i);
    }
    if (isNullField(key)) return std::nullopt;
    if (defaults_) {
      const auto it = defaults_->ints.find(key);
      if (it != defaults_->ints.end()) {
        defaulted_.push_back(key);
        return it->second;
      }
    }
    return std::nullopt;
  }
  bool boolean(const std::string& key, bool def) const {
    if (const JsonValue* v = raw(key)) {
      if (!v->isBool()) fail("'" + key + "' must be true or false, not " + describe(*v));
      return v->asBool();
    }
    return def;
  }
  static std::string describe(const JsonValue& v) {
    if (v.isString()) return "\"" + v.asString().substr(0, 40) + "\"";
    if (v.isNumber()) {
      if (const auto i = v.asInteger()) return std::to_string(*i);
      return fixedOrGeneral(v.asDouble());
    }
    return JsonValue::kindName(v.kind());
  }
  static std::string fixedOrGeneral(double d) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", d);
    return buf;
  }
  const std::string& type() const { return type_; }
  const std::vector<std::string>& defaulted() const { return defaulted_; }

 private:
  const JsonValue& cfg_;
  std::string type_, source_;
  const TypeDefaults* defaults_ = nullptr;
  mutable std::vector<std::string> defaulted_;
};

StackLayer slidingLayer(Index window) {
  return {"window", {{"radius", std::to_string(window - 1)}, {"causal", "true"}}, "sliding"};
}
StackLayer fullLayer(bool causal) { return {causal ? "causal" : "full", {}, "full"}; }

// Pads the stack's n up to a multiple of `multiple`, as the library pads its inputs, and says so.
void padTo(LayerStack& stack, Index n, Index multiple, const std::string& what) {
  const Index padded = (n + multiple - 1) / multiple * multiple;
  if (padded == n) return;
  stack.notes.push_back("n = " + withSeparators(n) + " is padded to " + withSeparators(padded) + ", a multiple of " +
                        what + " " + withSeparators(multiple) +
                        ", as Hugging Face pads its inputs; the padding tokens are masked out there");
  stack.n = padded;
}

std::string listText(const std::vector<Index>& tokens) {
  if (tokens.empty()) return "none";
  std::string out;
  for (Index t : tokens) {
    if (!out.empty()) out += ",";
    out += std::to_string(t);
  }
  return out;
}

}  // namespace

LayerStack stackFromHfConfig(const JsonValue& root, const ConfigRequest& request, const std::string& source) {
  if (!root.isObject())
    throw Error(source + ": a config.json holds a JSON object, not " + std::string(JsonValue::kindName(root.kind())));
  checkSequenceLength(request.n);
  const JsonValue* cfg = &root;
  std::string type;
  if (const JsonValue* mt = root.find("model_type"); mt && mt->isString()) type = mt->asString();
  std::vector<std::string> parts;  // the derivation, joined into one line
  if (const JsonValue* text = root.find("text_config"); text && !text->isNull()) {
    if (!text->isObject()) throw Error(source + ": 'text_config' must be an object");
    cfg = text;
    if (const JsonValue* mt = text->find("model_type"); mt && mt->isString())
      type = mt->asString();
    else if (type == "gemma3")
      type = "gemma3_text";
    parts.push_back("the language model under text_config");
  }
  if (const JsonValue* mt = cfg->find("model_type"); mt && !mt->isNull() && !mt->isString())
    throw Error(source + ": 'model_type' must be a string");
  const Reader r(*cfg, type, source);
  const bool encoder = encoderTypes().count(type) != 0;
  const bool isCausal = encoder ? r.boolean("is_decoder", false) : true;

  // The layer count, under the name this model type gives it.
  const std::string layersKey = type == "gpt2" ? "n_layer" : type == "gpt_neo" ? "num_layers" : "num_hidden_layers";
  const auto layerCount = r.integer(layersKey, 1, kMaxStackLayers);
  if (!layerCount)
    r.fail(
        "no layer count: '" + layersKey + "' is missing" +
        (type.empty() ? std::string(" and there is no model_type") : " and model_type '" + type + "' has no default"));
  const Index L = *layerCount;

  LayerStack stack;
  stack.name = (type.empty() ? std::string("model") : type) + " (" + source + ")";
  stack.n = request.n;
  std::string how;

  // Sizes, for the cost of each layer.
  {
    const std::string hiddenKey = type == "gpt2" ? "n_embd" : "hidden_size";
    const std::string headsKey = type == "gpt2" ? "n_head" : type == "gpt_neo" ? "num_heads" : "num_attention_heads";
    const auto hidden = r.integer(hiddenKey, 1, Index(1) << 24);
    const auto heads = r.integer(headsKey, 1, kMaxHeads);
    if (!hidden) r.fail("no '" + hiddenKey + "' (the model width), and model_type '" + type + "' has no default");
    if (!heads) r.fail("no '" + headsKey + "' (the attention heads), and model_type '" + type + "' has no default");
    ModelDims& d = stack.dims;
    d.hiddenSize = *hidden;
    d.heads = *heads;
    d.keyValueHeads = r.integer("num_key_value_heads", 1, kMaxHeads).value_or(*heads);
    if (d.heads % d.keyValueHeads != 0)
      r.fail("num_attention_heads = " + std::to_string(d.heads) +
             " is not a multiple of num_key_value_heads = " + std::to_string(d.keyValueHeads));
    if (const auto hd = r.integer("head_dim", 1, kMaxHeadDim))
      d.headDim = *hd;
    else if (*hidden % *heads != 0)
      r.fail(hiddenKey + " = " + std::to_string(*hidden) + " is not a multiple of " + headsKey + " = " +
             std::to_string(*heads) + " and there is no head_dim");
    else
      d.headDim = *hidden / *heads;
    const std::string innerKey = type == "gpt2" ? "n_inner" : "intermediate_size";
    d.intermediateSize = r.integer(innerKey, 1, Index(1) << 26).value_or(4 * *hidden);  // GPT-2/Neo: 4 × width
    d.gatedFeedForward = gatedTypes().count(type) != 0;
    stack.dimsFromConfig = true;
  }

  auto slidingWindow = [&](const std::string& why) {
    const auto w = r.integer("sliding_window", 1, kMaxSequenceLength);
    if (!w) r.fail(why + " but 'sliding_window' is missing or null");
    return *w;
  };

  if (const JsonValue* lt = r.raw("layer_types")) {
    if (!lt->isArray()) r.fail("'layer_types' must be a list of \"sliding_attention\" / \"full_attention\"");
    if (static_cast<Index>(lt->items().size()) != L)
      r.fail("'layer_types' has " + std::to_string(lt->items().size()) + " entries but " + layersKey + " = " +
             std::to_string(L) + ": they must match");
    std::optional<Index> w;
    for (std::size_t i = 0; i < lt->items().size(); ++i) {
      const JsonValue& t = lt->items()[i];
      if (t.isString() && t.asString() == "sliding_attention") {
        if (!w) w = slidingWindow("layer_types has sliding layers");
        stack.layers.push_back(slidingLayer(*w));
      } else if (t.isString() && t.asString() == "full_attention") {
        stack.layers.push_back(fullLayer(isCausal));
      } else {
        r.fail("layer_types[" + std::to_string(i) + "] = " + Reader::describe(t) +
               " is not supported: expected \"sliding_attention\" or \"full_attention\"");
      }
    }
    how = "per-layer kinds from layer_types" +
          (w ? ", windows of " + withSeparators(*w) + " keys ending at the query (sliding_window)" : std::string());
  } else if (type == "gemma2") {
    const Index w = slidingWindow("Gemma 2 alternates sliding and full layers");
    for (Index l = 0; l < L; ++l) stack.layers.push_back(l % 2 == 0 ? slidingLayer(w) : fullLayer(true));
    how = "even layers sliding, odd layers full (model_type gemma2), windows of " + withSeparators(w) +
          " keys (sliding_window)";
  } else if (type == "gemma3_text") {
    const Index w = slidingWindow("Gemma 3 has sliding layers");
    const Index p = r.integer("sliding_window_pattern", 1, kMaxStackLayers).value_or(6);
    for (Index l = 0; l < L; ++l) stack.layers.push_back((l + 1) % p == 0 ? fullLayer(true) : slidingLayer(w));
    how = "layer ℓ full when (ℓ + 1) is a multiple of " + std::to_string(p) +
          " (sliding_window_pattern), else a window of " + withSeparators(w) + " keys (sliding_window)";
  } else if (r.has("use_sliding_window") || type == "qwen2") {
    const bool use = r.boolean("use_sliding_window", false);
    const auto maxWindowLayers = r.integer("max_window_layers", 0, kMaxStackLayers);
    const auto w = use ? r.integer("sliding_window", 1, kMaxSequenceLength) : std::nullopt;
    const Index from = maxWindowLayers.value_or(0);
    for (Index l = 0; l < L; ++l)
      stack.layers.push_back(use && w && l >= from ? slidingLayer(*w) : fullLayer(isCausal));
    if (use && w)
      how = "layers " + std::to_string(from) + " … " + std::to_string(L - 1) + " slide over " + withSeparators(*w) +
            " keys (use_sliding_window, max_window_layers, sliding_window), the rest full";
    else
      how = "every layer full (use_sliding_window is " +
            std::string(use ? "true but sliding_window is null" : "false") + ")";
  } else if (type == "gpt_neo") {
    const Index w = r.integer("window_size", 1, kMaxSequenceLength).value_or(256);
    std::vector<std::string> kinds;
    const JsonValue* at = r.raw("attention_types");
    if (!at) {
      for (Index l = 0; l < 12; ++l) kinds.insert(kinds.end(), {"global", "local"});
    } else {
      const std::string shape = "'attention_types' must look like [[[\"global\", \"local\"], 12]]";
      if (!at->isArray()) r.fail(shape);
      for (const JsonValue& item : at->items()) {
        if (!item.isArray() || item.items().size() != 2 || !item.items()[0].isArray() || !item.items()[1].isNumber())
          r.fail(shape);
        const auto times = item.items()[1].asInteger();
        if (!times || *times < 0 || *times > kMaxStackLayers) r.fail(shape);
        for (std::int64_t t = 0; t < *times; ++t)
          for (const JsonValue& k : item.items()[0].items()) {
            if (!k.isString() || (k.asString() != "global" && k.asString() != "local"))
              r.fail("attention_types may name only \"global\" and \"local\" layers, not " + Reader::describe(k));
            kinds.push_back(k.asString());
            if (static_cast<Index>(kinds.size()) > kMaxStackLayers)
              r.fail("'attention_types' expands to too many layers");
          }
      }
    }
    if (static_cast<Index>(kinds.size()) != L)
      r.fail("attention_types expands to " + std::to_string(kinds.size()) +
             " layers but num_layers = " + std::to_string(L) + ": they must match");
    for (const std::string& k : kinds) {
      StackLayer layer = k == "local" ? slidingLayer(w) : fullLayer(true);
      layer.kind = k;
      stack.layers.push_back(layer);
    }
    how = "global/local layers from attention_types, local windows of " + withSeparators(w) +
          " keys ending at the query (window_size)";
  } else if (type == "longformer" || r.has("attention_window")) {
    std::vector<Index> windows;
    const JsonValue* aw = r.raw("attention_window");
    if (aw && aw->isArray()) {
      if (static_cast<Index>(aw->items().size()) != L)
        r.fail("'attention_window' has " + std::to_string(aw->items().size()) + " entries but " + layersKey + " = " +
               std::to_string(L) + ": they must match");
      for (const JsonValue& v : aw->items()) {
        const auto i = v.isNumber() ? v.asInteger() : std::nullopt;
        if (!i || *i < 1 || *i > kMaxSequenceLength)
          r.fail("'attention_window' entries must be positive integers, not " + Reader::describe(v));
        windows.push_back(static_cast<Index>(*i));
      }
    } else {
      windows.assign(static_cast<std::size_t>(L), *r.integer("attention_window", 1, kMaxSequenceLength));
    }
    for (std::size_t l = 0; l < windows.size(); ++l)
      if (windows[l] % 2 != 0)
        r.fail("attention_window = " + std::to_string(windows[l]) + " (layer " + std::to_string(l) +
               ") is odd: Longformer's window is the whole window, w/2 on each side, and must be even");
    padTo(stack, request.n, *std::max_element(windows.begin(), windows.end()), "attention_window");
    for (Index g : request.globals)
      if (g < 0 || g >= stack.n)
        throw Error("--global " + std::to_string(g) + " is not allowed: tokens are 0 … " + std::to_string(stack.n - 1));
    for (Index w : windows)
      stack.layers.push_back({"hf-longformer",
                              {{"attention_window", std::to_string(w)}, {"global_tokens", listText(request.globals)}},
                              "sliding"});
    how = "a window of attention_window keys (w/2 each side) per layer" +
          std::string(request.globals.empty()
                          ? ", no global tokens (pass --global 0 for <s>, as the classification heads do)"
                          : ", global tokens " + listText(request.globals) + " (--global)");
  } else if (type == "big_bird" || r.has("attention_type")) {
    std::string attentionType = "block_sparse";
    if (const JsonValue* at = r.raw("attention_type")) {
      if (!at->isString() || (at->asString() != "block_sparse" && at->asString() != "original_full"))
        r.fail("'attention_type' must be \"block_sparse\" or \"original_full\", not " + Reader::describe(*at));
      attentionType = at->asString();
    }
    if (attentionType == "original_full") {
      for (Index l = 0; l < L; ++l) stack.layers.push_back(fullLayer(isCausal));
      how = "full attention in every layer (attention_type original_full)";
    } else {
      const Index bs = r.integer("block_size", 1, 65536).value_or(64);
      const Index rb = r.integer("num_random_blocks", 0, 64).value_or(3);
      const Index maxPos = r.integer("max_position_embeddings", 1, kMaxSequenceLength).value_or(4096);
      const Index limit = (5 + 2 * rb) * bs;
      if (request.n <= limit) {
        for (Index l = 0; l < L; ++l) stack.layers.push_back({"full", {}, "full"});
        stack.notes.push_back("n = " + withSeparators(request.n) + " ≤ (5 + 2·num_random_blocks)·block_size = " +
                              withSeparators(limit) + ": Hugging Face switches to full attention at this length");
        how = "full attention: block_sparse needs n > " + withSeparators(limit) + " (block_size, num_random_blocks)";
      } else {
        padTo(stack, request.n, bs, "block_size");
        for (Index l = 0; l < L; ++l)
          stack.layers.push_back({"hf-bigbird",
                                  {{"block_size", std::to_string(bs)},
                                   {"num_random_blocks", std::to_string(rb)},
                                   {"num_heads", std::to_string(stack.dims.heads)},
                                   {"seed", std::to_string(l)},
                                   {"max_position_embeddings", std::to_string(maxPos)},
                                   {"mode", request.bigBirdEval ? "eval" : "train"}},
                                  "block_sparse"});
        how = "block-sparse layers (attention_type) with blocks of " + std::to_string(bs) + " (block_size), " +
              std::to_string(rb) + " random blocks (num_random_blocks) seeded with the layer index, " +
              (request.bigBirdEval ? "eval mode" : "training mode");
      }
    }
  } else if (const auto w = r.integer("sliding_window", 1, kMaxSequenceLength)) {
    for (Index l = 0; l < L; ++l) stack.layers.push_back(slidingLayer(*w));
    how = "every layer a causal window of " + withSeparators(*w) + " keys ending at the query (sliding_window)";
  } else {
    for (Index l = 0; l < L; ++l) stack.layers.push_back(fullLayer(isCausal));
    how = std::string("full attention in every layer, ") +
          (isCausal ? "causal (model_type " + (type.empty() ? std::string("not given") : type) + " is a decoder)"
                    : "both ways (model_type " + type + " is an encoder)");
  }
  if (!request.globals.empty() && stack.layers.front().pattern != "hf-longformer")
    stack.notes.push_back("--global is ignored: only Longformer reads global tokens from global_attention_mask");
  checkSequenceLength(stack.n);

  std::string line = std::to_string(L) + " layers (" + layersKey + "): " + how;
  if (!parts.empty()) line = parts.front() + "; " + line;
  if (!r.defaulted().empty()) {
    std::string list;
    for (const std::string& k : r.defaulted())
      if (list.find(k) == std::string::npos) {
        if (!list.empty()) list += ", ";
        list += k;
      }
    line += "; " + type + " defaults for " + list;
  }
  stack.derivation.push_back(line);
  checkStack(stack);
  return stack;
}

JsonValue readHfConfigJson(const std::string& path) {
  return readJsonFile(path, static_cast<std::size_t>(kMaxPresetBytes));
}

LayerStack readHfConfigFile(const std::string& path, const ConfigRequest& request) {
  return stackFromHfConfig(readHfConfigJson(path), request, path);
}

}  // namespace attnscope

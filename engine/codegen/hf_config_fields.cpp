#include "engine/codegen/hf_config_fields.h"

#include <algorithm>
#include <optional>

#include "engine/io/json.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope::codegen {

namespace {

enum class Kind { Full, Causal, Sliding, Longformer, BigBird, Other };

struct LayerKind {
  Kind kind = Kind::Other;
  Index window = 0;            // Sliding: keys kept (radius + 1); Longformer: attention_window
  std::vector<Index> globals;  // Longformer
  Index block = 0, random = 0, heads = 0, seed = 0, maxPositions = 0;  // BigBird
  std::string mode;
  std::string why;  // Other: what the library cannot say
};

LayerKind classify(const StackLayer& layer) {
  const PatternSpec spec = PatternSpec::parse(layer.pattern);
  const ParamSet p = spec.resolve(layer.params);
  LayerKind k;
  std::vector<std::string> names;
  for (const PatternFamily* f : spec.members()) names.push_back(f->name());
  std::sort(names.begin(), names.end());
  auto other = [&](std::string why) {
    k.kind = Kind::Other;
    k.why = std::move(why);
    return k;
  };
  if (names == std::vector<std::string>{"full"}) return k.kind = Kind::Full, k;
  if (names == std::vector<std::string>{"causal"}) return k.kind = Kind::Causal, k;
  const bool window = std::count(names.begin(), names.end(), "window") != 0;
  const bool global = std::count(names.begin(), names.end(), "global") != 0;
  if ((window || names == std::vector<std::string>{"hf-longformer"}) && names.size() <= 2 &&
      (names.size() == 1 || global)) {
    const bool lf = names[0] == "hf-longformer";
    if (p.getInt("dilation") != 1)
      return other("a dilated window (dilation " + std::to_string(p.getInt("dilation")) +
                   "): Hugging Face's Longformer has no attention_dilation (the original allenai code does)");
    const Index radius = lf ? p.getInt("attention_window") / 2 : p.getInt("radius");
    const bool causal = !lf && p.getBool("causal");
    if (causal && !global) {
      k.kind = Kind::Sliding;
      k.window = radius + 1;
      return k;
    }
    if (causal) return other("a causal window with global tokens: no config field gives global tokens to a decoder");
    if (radius == 0) return other("a window of one token (radius 0): Longformer's attention_window is at least 2");
    k.kind = Kind::Longformer;
    k.window = 2 * radius;
    if (lf) k.globals = p.getList("global_tokens");
    if (global) k.globals = p.getList("tokens");
    std::sort(k.globals.begin(), k.globals.end());
    k.globals.erase(std::unique(k.globals.begin(), k.globals.end()), k.globals.end());
    return k;
  }
  if (names == std::vector<std::string>{"hf-bigbird"}) {
    k.kind = Kind::BigBird;
    k.block = p.getInt("block_size");
    k.random = p.getInt("num_random_blocks");
    k.heads = p.getInt("num_heads");
    k.seed = p.getInt("seed");
    k.maxPositions = p.getInt("max_position_embeddings");
    k.mode = p.getChoice("mode");
    return k;
  }
  if (names.size() == 1 && names[0].rfind("deepspeed-", 0) == 0)
    return other(names[0] + ": a DeepSpeed layout is a SparsityConfig, not a config.json field (--format deepspeed)");
  return other("'" + layer.pattern + "' has no Hugging Face config field (it can be written for FlexAttention)");
}

std::string ints(const std::vector<Index>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(v[i]);
  }
  return out + "]";
}

// A JSON object from ordered (key, raw JSON value) members.
std::string object(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string out = "{";
  for (std::size_t i = 0; i < members.size(); ++i)
    out += std::string(i ? ", " : "") + jsonString(members[i].first) + ": " + members[i].second;
  return out + "}";
}

std::string listText(const std::vector<Index>& v) {
  std::string out;
  for (Index t : v) {
    if (!out.empty()) out += ",";
    out += std::to_string(t);
  }
  return out.empty() ? "none" : out;
}

}  // namespace

HfConfigFields hfConfigFields(const LayerStack& stack, bool everyLayer) {
  checkStack(stack);
  HfConfigFields out;
  const Index L = static_cast<Index>(stack.layers.size());
  std::vector<LayerKind> kinds;
  for (const StackLayer& layer : stack.layers) kinds.push_back(classify(layer));
  const ModelDims& d = stack.dims;
  // num_key_value_heads only for grouped-query attention, as released configs write it (BigBird's heads, a layout
  // field here, then stay free of it).
  std::vector<std::pair<std::string, std::string>> sizes{{"hidden_size", std::to_string(d.hiddenSize)},
                                                         {"intermediate_size", std::to_string(d.intermediateSize)},
                                                         {"num_attention_heads", std::to_string(d.heads)}};
  if (d.keyValueHeads != d.heads) sizes.emplace_back("num_key_value_heads", std::to_string(d.keyValueHeads));
  sizes.emplace_back("head_dim", std::to_string(d.headDim));
  out.modelSizes = object(sizes);
  if (!stack.dimsFromConfig) out.notes.push_back("model_sizes are BERT-base's, standing in: no config.json gave them");
  auto layerName = [&](std::size_t l) {
    return everyLayer ? std::string("the pattern") : "layer " + std::to_string(l);
  };
  for (std::size_t l = 0; l < kinds.size(); ++l)
    if (kinds[l].kind == Kind::Other) out.cannotExpress.push_back(layerName(l) + ": " + kinds[l].why);
  if (!out.cannotExpress.empty()) return out;

  auto count = [&](Kind k) {
    return std::count_if(kinds.begin(), kinds.end(), [&](const LayerKind& x) { return x.kind == k; });
  };
  const auto decoder = count(Kind::Sliding) + count(Kind::Causal);
  std::vector<std::pair<std::string, std::string>> fields;
  auto layerCount = [&]() {
    if (!everyLayer) fields.emplace_back("num_hidden_layers", std::to_string(L));
  };

  if (decoder == L) {
    std::optional<Index> w;
    for (const LayerKind& k : kinds)
      if (k.kind == Kind::Sliding) {
        if (w && *w != k.window) {
          out.cannotExpress.push_back("sliding windows of " + withSeparators(*w) + " and " + withSeparators(k.window) +
                                      " keys: a config has one sliding_window for all its sliding layers");
          return out;
        }
        w = k.window;
      }
    if (everyLayer) {
      if (w)
        fields.emplace_back("sliding_window", std::to_string(*w));
      else
        out.notes.push_back("causal full attention in every layer is any decoder's default: no field is needed");
    } else {
      layerCount();
      std::vector<std::string> types;
      std::string list = "[";
      for (std::size_t l = 0; l < kinds.size(); ++l)
        list += std::string(l ? ", " : "") +
                (kinds[l].kind == Kind::Sliding ? "\"sliding_attention\"" : "\"full_attention\"");
      fields.emplace_back("layer_types", list + "]");
      if (w) fields.emplace_back("sliding_window", std::to_string(*w));
      // Other configs' ways of saying the same.
      if (w && count(Kind::Sliding) == L)
        out.also.push_back("Mistral: \"sliding_window\": " + std::to_string(*w) + " alone (every layer slides)");
      if (w) {
        bool gemma2 = true;
        for (Index l = 0; l < L; ++l) gemma2 = gemma2 && ((kinds[l].kind == Kind::Sliding) == (l % 2 == 0));
        if (gemma2)
          out.also.push_back("model_type gemma2: \"sliding_window\": " + std::to_string(*w) +
                             " alone (even layers slide, odd layers are full)");
        for (Index p = 1; p <= L; ++p) {
          bool match = true;
          for (Index l = 0; l < L; ++l) match = match && ((kinds[l].kind == Kind::Causal) == ((l + 1) % p == 0));
          if (match) {
            out.also.push_back("model_type gemma3_text: \"sliding_window\": " + std::to_string(*w) +
                               ", \"sliding_window_pattern\": " + std::to_string(p) +
                               " (layer l full when l + 1 is a multiple of it)");
            break;
          }
        }
        Index m = 0;
        while (m < L && kinds[m].kind == Kind::Causal) ++m;
        bool qwen = m < L;
        for (Index l = m; l < L; ++l) qwen = qwen && kinds[l].kind == Kind::Sliding;
        if (qwen)
          out.also.push_back("Qwen2: \"use_sliding_window\": true, \"sliding_window\": " + std::to_string(*w) +
                             ", \"max_window_layers\": " + std::to_string(m) + " (layers from it on slide)");
      }
    }
    out.notes.push_back("a decoder's model_type (any but an encoder's): layers are causal");
  } else if (count(Kind::Full) == L) {
    fields.emplace_back("model_type", "\"bert\"");
    layerCount();
    out.notes.push_back(
        "full attention both ways is any encoder's (bert, roberta, …): the model_type says it, no "
        "other field is needed");
  } else if (count(Kind::Longformer) == L) {
    for (const LayerKind& k : kinds)
      if (k.globals != kinds[0].globals) {
        out.cannotExpress.push_back(
            "global tokens differ between layers: Longformer's global_attention_mask is one "
            "input for the whole model");
        return out;
      }
    fields.emplace_back("model_type", "\"longformer\"");
    layerCount();
    bool same =
        std::all_of(kinds.begin(), kinds.end(), [&](const LayerKind& k) { return k.window == kinds[0].window; });
    std::vector<Index> windows;
    for (const LayerKind& k : kinds) windows.push_back(k.window);
    fields.emplace_back("attention_window", same ? std::to_string(kinds[0].window) : ints(windows));
    const Index widest = *std::max_element(windows.begin(), windows.end());
    if (stack.n % widest != 0)
      out.notes.push_back("Hugging Face pads n = " + withSeparators(stack.n) + " to a multiple of " +
                          withSeparators(widest) + " (the widest attention_window); the padding is masked out");
    out.notes.push_back(kinds[0].globals.empty()
                            ? "no global tokens: pass global_attention_mask all zeros (or none)"
                            : "global tokens " + listText(kinds[0].globals) +
                                  " are an input, not a field: global_attention_mask = 1 at those positions "
                                  "(attnscope-cli model --config … --global " +
                                  listText(kinds[0].globals) + ")");
  } else if (count(Kind::BigBird) == L) {
    const LayerKind& k0 = kinds[0];
    for (std::size_t l = 0; l < kinds.size(); ++l) {
      const LayerKind& k = kinds[l];
      if (k.block != k0.block || k.random != k0.random || k.heads != k0.heads || k.maxPositions != k0.maxPositions ||
          k.mode != k0.mode) {
        out.cannotExpress.push_back(layerName(l) +
                                    ": BigBird's block_size, num_random_blocks, heads and mode are "
                                    "one for all layers in a config");
        return out;
      }
      if (!everyLayer && k.seed != static_cast<Index>(l)) {
        out.cannotExpress.push_back(layerName(l) + ": seed " + std::to_string(k.seed) +
                                    ", but Hugging Face seeds layer l's random blocks with l");
        return out;
      }
    }
    fields.emplace_back("model_type", "\"big_bird\"");
    layerCount();
    fields.emplace_back("attention_type", "\"block_sparse\"");
    fields.emplace_back("block_size", std::to_string(k0.block));
    fields.emplace_back("num_random_blocks", std::to_string(k0.random));
    fields.emplace_back("max_position_embeddings", std::to_string(k0.maxPositions));
    fields.emplace_back("num_attention_heads", std::to_string(k0.heads));
    if (everyLayer)
      out.notes.push_back("Hugging Face seeds each layer's random blocks with its index: this pattern (seed " +
                          std::to_string(k0.seed) + ") is layer " + std::to_string(k0.seed) + "'s");
    out.notes.push_back(k0.mode == "eval"
                            ? "eval mode: the random blocks are skipped under model.eval() (transformers ≥ 4.29)"
                            : "training mode: the random blocks are drawn under model.train()");
    const Index limit = (5 + 2 * k0.random) * k0.block;
    if (stack.n <= limit)
      out.notes.push_back("at n = " + withSeparators(stack.n) + " ≤ " + withSeparators(limit) +
                          " Hugging Face switches to full attention");
  } else {
    out.cannotExpress.push_back(
        "the layers mix kinds (sliding or causal, both-way windows, block-sparse, full both "
        "ways) that no one model_type combines");
    return out;
  }
  out.expressible = true;
  out.fields = object(fields);
  return out;
}

HfConfigFields hfConfigFieldsForPattern(const CheckedPattern& pattern) {
  LayerStack one;
  one.name = pattern.spec().name();
  one.n = pattern.n();
  StackLayer layer{pattern.spec().name(), {}, ""};
  for (const auto& [key, value] : pattern.values().values()) layer.params.emplace_back(key, formatParam(value));
  one.layers.push_back(std::move(layer));
  return hfConfigFields(one, /*everyLayer=*/true);
}

std::string hfConfigJson(const HfConfigFields& f) {
  auto strings = [](const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += std::string(i ? ",\n    " : "\n    ") + jsonString(v[i]);
    return out + (v.empty() ? "]" : "\n  ]");
  };
  return "{\n  \"config_fields\": " + (f.expressible ? f.fields : std::string("null")) +
         ",\n  \"model_sizes\": " + f.modelSizes + ",\n  \"also\": " + strings(f.also) +
         ",\n  \"cannot_express\": " + strings(f.cannotExpress) + ",\n  \"notes\": " + strings(f.notes) + "\n}\n";
}

}  // namespace attnscope::codegen

#include "engine/runtime/llama_model.h"

#include "engine/io/safetensors.h"
#include "engine/runtime/config_fields.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace {

const char* familyName(LlamaFamily f) {
  return f == LlamaFamily::Mistral ? "Mistral" : f == LlamaFamily::Qwen2 ? "Qwen2" : "Llama";
}

// RoPE's θ and the refusal of scaled RoPE: rope_theta at the top (the files most checkpoints carry) or inside
// rope_parameters (newer transformers); a rope_scaling or rope_parameters whose type is not "default" is refused.
void readRope(const ConfigFields& f, double& theta) {
  f.positive("rope_theta", theta);
  for (const char* key : {"rope_scaling", "rope_parameters"}) {
    const JsonValue* v = f.json().find(key);
    if (!v || v->isNull()) continue;
    if (!v->isObject()) f.fail(std::string(key) + " is not allowed: expected an object or null");
    for (const char* typeKey : {"rope_type", "type"})
      if (const JsonValue* type = v->find(typeKey); type && !(type->isString() && type->asString() == "default"))
        f.fail(std::string(key) + " " + typeKey + " '" +
               attnscope::quoted(type->isString() ? type->asString() : std::string("?")) +
               "' is not run here: expected RoPE without scaling (\"default\")");
    if (const JsonValue* t = v->find("rope_theta"); t && !t->isNull()) {
      if (!t->isNumber() || !(t->asDouble() > 0) || t->asDouble() > 1e12)
        f.fail(std::string(key) + " rope_theta is not allowed: expected a number in (0, 1e12]");
      theta = t->asDouble();
    }
  }
}

}  // namespace

LlamaConfig readLlamaConfig(const std::string& path, LlamaFamily family) {
  const ConfigFields f(path);
  LlamaConfig c;
  c.family = family;
  LlamaShape& s = c.shape;
  s.rope = RopePairs::Halves;
  s.rmsEps = 1e-6;
  s.vocab = 32000;
  s.dim = 4096;
  s.layers = 32;
  s.heads = 32;
  int kvHeads = 0, headDim = 0;  // 0: left out
  switch (family) {
    case LlamaFamily::Llama:
      s.hidden = 11008;
      c.positions = 2048;
      break;
    case LlamaFamily::Mistral:
      s.hidden = 14336;
      c.positions = 4096 * 32;
      kvHeads = 8;
      break;
    case LlamaFamily::Qwen2:
      s.vocab = 151936;
      s.hidden = 22016;
      c.positions = 32768;
      kvHeads = 32;
      c.attentionBias = true;  // q, k and v; not o
      break;
  }
  f.integer("vocab_size", s.vocab, 1);
  f.integer("hidden_size", s.dim, 1);
  f.integer("intermediate_size", s.hidden, 1);
  f.integer("num_hidden_layers", s.layers, 1);
  f.integer("num_attention_heads", s.heads, 1);
  f.integer("num_key_value_heads", kvHeads, 1);
  f.integer("head_dim", headDim, 1);
  f.integer("max_position_embeddings", c.positions, 1);
  f.epsilon("rms_norm_eps", s.rmsEps);
  f.boolean("tie_word_embeddings", c.tied);
  readRope(f, s.ropeTheta);
  std::string activation = "silu";
  if (const JsonValue* a = f.json().find("hidden_act"); a && !a->isNull()) {
    if (!a->isString() || (a->asString() != "silu" && a->asString() != "swish"))
      f.fail("hidden_act '" + attnscope::quoted(a->isString() ? a->asString() : std::string("?")) +
             "' is not run here: expected silu");
  }
  if (family == LlamaFamily::Llama) {
    f.boolean("attention_bias", c.attentionBias);
    c.outputBias = c.attentionBias;
    f.boolean("mlp_bias", c.mlpBias);
  }
  s.kvHeads = kvHeads > 0 ? kvHeads : s.heads;
  s.headDim = headDim > 0 ? headDim : s.dim / s.heads;
  if (headDim == 0 && s.dim % s.heads != 0)
    f.fail("num_attention_heads " + std::to_string(s.heads) + " does not divide hidden_size " + std::to_string(s.dim));
  if (s.heads % s.kvHeads != 0)
    f.fail("num_key_value_heads " + std::to_string(s.kvHeads) + " does not divide num_attention_heads " +
           std::to_string(s.heads));
  if (s.headDim % 2 != 0)
    f.fail("the head size " + std::to_string(s.headDim) + " is odd: rotary embeddings rotate pairs");
  // The sliding window: Mistral's on every layer (null: none); Qwen2's with use_sliding_window, on the layers from
  // max_window_layers on, or where layer_types says "sliding_attention".
  s.window.assign(static_cast<std::size_t>(s.layers), 0);
  if (family != LlamaFamily::Llama) {
    int window = 4096;
    const JsonValue* w = f.json().find("sliding_window");
    const bool none = w && w->isNull();
    f.integer("sliding_window", window, 1);
    bool use = family == LlamaFamily::Mistral;
    f.boolean("use_sliding_window", use);
    if (family == LlamaFamily::Mistral) use = true;
    if (use && !none) {
      int from = family == LlamaFamily::Qwen2 ? 28 : 0;
      f.integer("max_window_layers", from, 0);
      for (int l = from; l < s.layers; ++l) s.window[std::size_t(l)] = window;
      if (const JsonValue* types = f.json().find("layer_types");
          family == LlamaFamily::Qwen2 && types && !types->isNull()) {
        if (!types->isArray() || types->items().size() != std::size_t(s.layers))
          f.fail("layer_types is not allowed: expected one entry a layer (" + std::to_string(s.layers) + ")");
        for (std::size_t l = 0; l < types->items().size(); ++l) {
          const JsonValue& t = types->items()[l];
          if (!t.isString() || (t.asString() != "full_attention" && t.asString() != "sliding_attention"))
            f.fail("layer_types[" + std::to_string(l) +
                   "] is not allowed: expected full_attention or sliding_attention");
          s.window[l] = t.asString() == "sliding_attention" ? window : 0;
        }
      }
    }
  }
  return c;
}

LlamaModel LlamaModel::read(const std::string& folder, LlamaFamily family) {
  LlamaModel m;
  m.config_ = readLlamaConfig(folder + "/config.json", family);
  const LlamaConfig& c = m.config_;
  const LlamaShape& s = c.shape;
  checkMemory(4.0 * LlamaWeights::floats(s, c.tied), "this model's weights", "choose a smaller model");
  const SafetensorsWeights w = SafetensorsWeights::open(folder);
  const std::string base = w.has("model.embed_tokens.weight") ? "model." : "";
  const Index D = s.dim, H = s.hidden, Q = Index(s.heads) * s.headDim, KV = Index(s.kvHeads) * s.headDim;
  auto vector = [&](const std::string& name, Index size) { return w.read(name, {size}); };
  // A linear layer [out, in], with its bias when the config has one.
  auto linear = [&](const std::string& name, Index out, Index in, bool bias) {
    const std::vector<float> weight = w.read(name + ".weight", {out, in});
    const std::vector<float> b = bias ? w.read(name + ".bias", {out}) : std::vector<float>();
    PackedLinear l = PackedLinear::fromOutIn(weight.data(), out, in, bias ? b.data() : nullptr);
    l.setSource({name + ".weight"});
    return l;
  };
  LlamaWeights& W = m.weights_;
  // A checkpoint that ties the classifier may still store it (the same matrix); one that does not must.
  if (!c.tied && !w.has("lm_head.weight"))
    throw Error("model '" + folder +
                "' has no tensor 'lm_head.weight', which its config needs (tie_word_embeddings is false)");
  if (c.tied) {
    W.classifier = linear(base + "embed_tokens", s.vocab, D, false);
  } else {
    W.embedding = w.read(base + "embed_tokens.weight", {s.vocab, D});
    W.classifier = linear("lm_head", s.vocab, D, false);
  }
  for (int l = 0; l < s.layers; ++l) {
    const std::string p = base + "layers." + std::to_string(l) + ".";
    LlamaLayer L;
    L.attnNorm = vector(p + "input_layernorm.weight", D);
    L.q = linear(p + "self_attn.q_proj", Q, D, c.attentionBias);
    L.k = linear(p + "self_attn.k_proj", KV, D, c.attentionBias);
    L.v = linear(p + "self_attn.v_proj", KV, D, c.attentionBias);
    L.o = linear(p + "self_attn.o_proj", D, Q, c.outputBias);
    L.ffnNorm = vector(p + "post_attention_layernorm.weight", D);
    L.gate = linear(p + "mlp.gate_proj", H, D, c.mlpBias);
    L.up = linear(p + "mlp.up_proj", H, D, c.mlpBias);
    L.down = linear(p + "mlp.down_proj", D, H, c.mlpBias);
    W.layers.push_back(std::move(L));
  }
  W.finalNorm = vector(base + "norm.weight", D);
  return m;
}

std::string LlamaModel::describe() const {
  const LlamaShape& s = config_.shape;
  int windowed = 0, window = 0;
  for (int w : s.window)
    if (w > 0) ++windowed, window = w;
  std::string text = std::string(familyName(config_.family)) + ", " + std::to_string(s.layers) + " layers, " +
                     std::to_string(s.heads) + " heads (" + std::to_string(s.kvHeads) + " key-value), dim " +
                     std::to_string(s.dim) + ", vocabulary " + std::to_string(s.vocab) + ", " +
                     std::to_string(config_.positions) + " positions";
  if (windowed > 0)
    text += ", sliding window " + std::to_string(window) +
            (windowed == s.layers ? "" : " on " + std::to_string(windowed) + " layers");
  return text;
}

ModelPass LlamaModel::forward(const std::vector<int>& ids, const Progress& progress, const PassOptions& options) const {
  checkTokens(ids, options.masks);
  return llamaForward(config_.shape, weights_, ids, progress, options);
}

}  // namespace attnscope

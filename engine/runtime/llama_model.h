#pragma once
// The Llama family from a Hugging Face folder — Llama, Mistral (with its sliding window) and Qwen2 (with biases on
// q, k and v, and a sliding window on its upper layers when use_sliding_window is set) — run as transformers'
// modeling_llama, modeling_mistral and modeling_qwen2 define them (the block of llama_block.h, RoPE by
// rotate_half). The config is read as LlamaConfig, MistralConfig or Qwen2Config reads it: a field left out takes
// that class's default (num_key_value_heads the heads, head_dim hidden_size / heads, Mistral's sliding_window 4096,
// Qwen2's max_window_layers 28 …). RoPE scaling (Llama 3's, YaRN, …) is refused by name.
//
// Tensors: model.embed_tokens.weight, model.layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj,
// post_attention_layernorm, mlp.{gate,up,down}_proj}.weight (and .bias where the config has them), model.norm.weight
// and lm_head.weight (or the embedding again with tie_word_embeddings), with or without the "model." prefix.

#include <string>
#include <vector>

#include "engine/runtime/language_model.h"
#include "engine/runtime/llama_block.h"

namespace attnscope {

enum class LlamaFamily { Llama, Mistral, Qwen2 };

struct LlamaConfig {
  LlamaFamily family = LlamaFamily::Llama;
  LlamaShape shape;
  int positions = 2048;
  bool attentionBias = false, outputBias = false, mlpBias = false, tied = false;
};

/// Reads a config.json as the family's config class does; throws Error naming the field.
LlamaConfig readLlamaConfig(const std::string& path, LlamaFamily family);

class LlamaModel : public LanguageModel {
 public:
  static LlamaModel read(const std::string& folder, LlamaFamily family);

  const LlamaConfig& config() const { return config_; }
  double passFlops(Index n) const override { return llamaPassFlops(config_.shape, n); }
  std::string describe() const override;
  int layers() const override { return config_.shape.layers; }
  int heads() const override { return config_.shape.heads; }
  int headDim() const override { return config_.shape.headDim; }
  int vocabSize() const override { return config_.shape.vocab; }
  int maxPositions() const override { return config_.positions; }
  std::shared_ptr<LanguageModel> copy() const override { return std::make_shared<LlamaModel>(*this); }
  std::vector<NamedLinear> linears() override { return weights_.linears(); }
  ModelPass forward(const std::vector<int>& ids, const Progress& progress = {},
                    const PassOptions& options = {}) const override;

 private:
  LlamaConfig config_;
  LlamaWeights weights_;
};

}  // namespace attnscope

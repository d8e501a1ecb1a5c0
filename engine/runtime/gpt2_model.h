#pragma once
// GPT-2 from a Hugging Face folder (config.json and model.safetensors, as GPT2LMHeadModel saves them), run as
// transformers' modeling_gpt2 defines it: token and learned position embeddings, then per layer a pre-LayerNorm
// causal self-attention (one Conv1D for q, k and v, weights [in, out]; scores scaled by 1/√head_dim) and a
// pre-LayerNorm MLP (c_fc, the configured GELU, c_proj), residuals around both; a final LayerNorm and logits from the
// tied token embedding. The config is read as GPT2Config reads it: a field left out takes its default.

#include <string>
#include <vector>

#include "engine/runtime/language_model.h"
#include "engine/runtime/packed_linear.h"

namespace attnscope {

struct Gpt2Config {
  int vocabSize = 50257, positions = 1024, embd = 768, layers = 12, heads = 12, inner = 0;  // inner 0: 4 · embd
  double layerNormEps = 1e-5;
  std::string activation = "gelu_new";
  int innerDim() const { return inner > 0 ? inner : 4 * embd; }
};

/// Reads a GPT-2 config.json as GPT2Config does (defaults for what it leaves out); throws Error naming the field.
Gpt2Config readGpt2Config(const std::string& path);

class Gpt2Model : public LanguageModel {
 public:
  /// Reads `folder`'s config.json and weights (model.safetensors or its shards), every tensor checked against the
  /// config's shapes; tensor names with or without GPT2LMHeadModel's "transformer." prefix.
  static Gpt2Model read(const std::string& folder);

  const Gpt2Config& config() const { return config_; }
  std::string describe() const override;
  int layers() const override { return config_.layers; }
  int heads() const override { return config_.heads; }
  int headDim() const override { return config_.embd / config_.heads; }
  int vocabSize() const override { return config_.vocabSize; }
  int maxPositions() const override { return config_.positions; }
  double passFlops(Index n) const override;
  std::shared_ptr<LanguageModel> copy() const override { return std::make_shared<Gpt2Model>(*this); }
  std::vector<NamedLinear> linears() override;
  ModelPass forward(const std::vector<int>& ids, const Progress& progress = {},
                    const PassOptions& options = {}) const override;

 private:
  struct Layer {
    Eigen::RowVectorXf ln1w, ln1b, ln2w, ln2b;
    PackedLinear attn, proj, fc, mlpProj;  // Conv1D weights [in, out], packed with their biases
  };
  Gpt2Config config_;
  PackedLinear wte;  // [vocab, embd]: the logits' weights, whose rows are the token embeddings (tied)
  Matrix wpe;        // [positions, embd]
  std::vector<Layer> layers_;
  Eigen::RowVectorXf lnfW, lnfB;
};

}  // namespace attnscope

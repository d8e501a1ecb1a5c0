#pragma once
// A llama2.c checkpoint (Karpathy's run.c format, the tiny Llama-2-style models classes use) and its forward
// pass, in float32 on Eigen.
//
// The file: seven int32 — dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size (negative when the classifier
// has weights of its own) and seq_len — then float32 tensors, each [out, in]: token_embedding [vocab, dim],
// rms_att [layers, dim], wq [layers, dim, dim], wk and wv [layers, kv_dim, dim], wo [layers, dim, dim], rms_ffn
// [layers, dim], w1 [layers, hidden, dim], w2 [layers, dim, hidden], w3 [layers, hidden, dim], rms_final [dim], two
// blocks of seq_len · head_size / 2 floats (old RoPE tables, unused) and, with a negative vocab_size, wcls [vocab,
// dim]. The pass is run.c's forward, the Llama block of llama_block.h: RMSNorm (eps 1e-5), rotary embeddings on the
// pairs (2i, 2i + 1) of each head at frequency 10000^(−2i / head_size), grouped-query causal attention, SwiGLU
// w2(silu(w1 x) · w3 x), residuals, a final RMSNorm, and the logits.

#include <string>
#include <vector>

#include "engine/runtime/language_model.h"
#include "engine/runtime/llama_block.h"

namespace attnscope {

struct Llama2cConfig {
  int dim = 0, hiddenDim = 0, layers = 0, heads = 0, kvHeads = 0, vocabSize = 0, seqLen = 0;
  bool sharedClassifier = true;  ///< the logits use the token embedding (vocab_size was positive)
  int headSize() const { return dim / heads; }
  int kvDim() const { return dim / heads * kvHeads; }
};

class Llama2cModel : public LanguageModel {
 public:
  /// Reads and checks a checkpoint: the header's sizes (positive, heads dividing dim, kv heads dividing heads,
  /// within the limits below) and the file's length against them, before any weight is read. Throws Error with one
  /// line naming the file, what is wrong and what is allowed.
  static Llama2cModel read(const std::string& path);

  const Llama2cConfig& config() const { return config_; }
  /// Parameters, as counted by the tensors above (the RoPE tables left out).
  Index parameters() const;
  /// The decoder's shape as llama_block runs it: RMSNorm eps 1e-5, interleaved rotary pairs, θ 10000.
  LlamaShape shape() const;
  /// FLOPs of one pass over n tokens (the linear layers, the attention products, the logits).
  double passFlops(Index n) const override;

  std::string describe() const override;
  int layers() const override { return config_.layers; }
  int heads() const override { return config_.heads; }
  int headDim() const override { return config_.headSize(); }
  int vocabSize() const override { return config_.vocabSize; }
  int maxPositions() const override { return config_.seqLen; }
  /// The forward pass over `tokens` (checked), all positions at once: causal, row i over keys 0 … i.
  std::shared_ptr<LanguageModel> copy() const override { return std::make_shared<Llama2cModel>(*this); }
  std::vector<NamedLinear> linears() override { return weights_.linears(); }
  ModelPass forward(const std::vector<int>& tokens, const Progress& progress = {},
                    const PassOptions& options = {}) const override;
  /// Greedy decoding as run.c's generate: stopping early at BOS or at seq_len. Returns only the new tokens.
  std::vector<int> generateGreedy(const std::vector<int>& prompt, int count, const Progress& progress = {}) const {
    return LanguageModel::generateGreedy(prompt, count, /*BOS*/ 1, progress);
  }

  static constexpr int kMostDim = 16384;
  static constexpr int kMostLayers = 512;
  static constexpr int kMostSeqLen = 1 << 20;

 private:
  Llama2cConfig config_;
  LlamaWeights weights_;
  // Where each tensor starts in the file, in floats after the header (for layer 0; layers follow each other).
  std::size_t embedding_ = 0, rmsAtt_ = 0, wq_ = 0, wk_ = 0, wv_ = 0, wo_ = 0, rmsFfn_ = 0, w1_ = 0, w2_ = 0, w3_ = 0,
              rmsFinal_ = 0, wcls_ = 0;
};

}  // namespace attnscope

#pragma once
// The Llama family's decoder, shared by llama2.c checkpoints and Hugging Face Llama, Mistral and Qwen2 folders
// (transformers' modeling_llama, whose Mistral and Qwen2 differ only where the shape says): per layer an RMSNorm,
// q, k and v projections (Qwen2, and Llama with attention_bias, add biases), rotary embeddings, grouped-query causal
// attention (within the layer's sliding window when it has one), the output projection, a residual; an RMSNorm,
// SwiGLU down(silu(gate x) · up x), a residual. A final RMSNorm and the classifier give the logits.

#include <vector>

#include "engine/runtime/language_model.h"
#include "engine/runtime/packed_linear.h"

namespace attnscope {

/// How a checkpoint's q and k rotate: llama2.c's run.c turns the pairs (2i, 2i + 1) of each head; Hugging Face's
/// rotate_half turns the pairs (i, i + head_dim / 2) (its conversion permutes the rows of q and k to match). Both at
/// frequency θ^(−2i / head_dim).
enum class RopePairs { Interleaved, Halves };

struct LlamaShape {
  int dim = 0, hidden = 0, layers = 0, heads = 0, kvHeads = 0, headDim = 0, vocab = 0;
  double rmsEps = 1e-5, ropeTheta = 10000.0;
  RopePairs rope = RopePairs::Interleaved;
  /// Per layer: the sliding window W (query i sees keys i − W < j ≤ i), or 0 for all the keys before it.
  std::vector<int> window;
};

/// One layer's tensors: the norms' weights [dim], and the linear layers packed with their biases.
struct LlamaLayer {
  std::vector<float> attnNorm, ffnNorm;
  PackedLinear q, k, v, o, gate, up, down;
};

struct LlamaWeights {
  std::vector<float> embedding;  ///< [vocab, dim]; empty when tied: the classifier's rows are the embedding
  std::vector<LlamaLayer> layers;
  std::vector<float> finalNorm;  ///< [dim]
  PackedLinear classifier;       ///< [vocab, dim]
  /// Token t's embedding: its row of the embedding, or of the classifier when the two are tied.
  Eigen::RowVectorXf embed(int token) const;
  /// Floats held (for the memory check of a model about to be read).
  static double floats(const LlamaShape& shape, bool tied);
  /// The linear layers by their Hugging Face names; the classifier ("lm_head") only when it is not the embedding.
  std::vector<NamedLinear> linears();
};

/// The pass over `tokens` (already checked against the model), all positions at once.
ModelPass llamaForward(const LlamaShape& shape, const LlamaWeights& weights, const std::vector<int>& tokens,
                       const Progress& progress, const PassOptions& options = {});
/// FLOPs of one pass over n tokens: the linear layers, the attention products each query's keys need, the logits.
double llamaPassFlops(const LlamaShape& shape, Index n);

}  // namespace attnscope

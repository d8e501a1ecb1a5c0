#pragma once
// Attention rollout (Abnar and Zuidema 2020): how much of each output token comes from each input token after the
// layers. Each layer's heads are averaged, the residual stream mixed in as 0.5·A + 0.5·I, the rows renormalised,
// and the layers multiplied in order: R = Â_L ⋯ Â_1. Restricted to a pattern, each head keeps only the mask's cells
// (each row renormalised) before the average, so R can be non-zero only where the pattern's layers (with the
// residual's self-loop) reach in L hops: the multi-hop reachability the app already computes. Softmax weights are
// positive wherever the model lets a query look, so R's support is exactly that reachability through the cells the
// model itself uses (a decoder's causal mask removes the later keys).

#include <vector>

#include "engine/masks/sparse_mask.h"
#include "engine/util/progress.h"
#include "engine/weights/attention_dump.h"

namespace attnscope {

struct RolloutOptions {
  const SparseMask* mask = nullptr;           ///< restrict every layer to this pattern (one head, or one a head)
  std::vector<const SparseMask*> layerMasks;  ///< or layer ℓ to layerMasks[ℓ] (a model's stack; null: not restricted)
  Index fromLayer = 0, toLayer = -1;          ///< the layers rolled out, [from, to); −1: to the last
};

/// The largest n rolled out (three n × n float matrices).
inline constexpr Index kMaxRolloutTokens = 8192;

/// R as an n × n matrix: row i is output token i's mix of the input tokens (each row sums to 1). Dense weights
/// cost one n × n product a layer; restricted to a mask, a layer costs its cells × n. Throws Error for a request
/// too large or a mask that does not fit, Cancelled when asked.
Matrix attentionRollout(const AttentionDump& dump, const RolloutOptions& options = {}, const Progress& progress = {});

}  // namespace attnscope

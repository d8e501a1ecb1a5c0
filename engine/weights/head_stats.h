#pragma once
// What each head of a dump does, and what a pattern would keep of it: per (layer, head) the entropy of its rows,
// its mass on the diagonal, on the previous token, on the first token and on each row's k largest keys, a short
// role when the mass says so, and — against a mask — the attention mass inside the mask beside the best any mask
// with the same number of keys a row could keep (each row's largest weights: the top-k oracle).

#include <string>
#include <vector>

#include "engine/masks/sparse_mask.h"
#include "engine/util/progress.h"
#include "engine/weights/attention_dump.h"

namespace attnscope {

/// A row whose sum is further than this from 1 is counted as off (float16 dumps round each weight to ~1e-3).
inline constexpr double kRowSumTolerance = 1e-2;

struct HeadStats {
  double entropy = 0;            ///< mean over rows of −Σ_j a_ij ln a_ij, in nats
  double normalisedEntropy = 0;  ///< mean over rows of that over ln(keys with weight > 0): 1 is uniform
  double diagonal = 0;           ///< mean a_ii
  double previous = 0;           ///< mean a_i,i−1 over rows i ≥ 1
  double first = 0;              ///< mean a_i0
  double topk = 0;               ///< mean over rows of the k largest weights' sum
  Index paddingRows = 0;         ///< all-zero rows (padding tokens), left out of every mean
  Index offRows = 0;             ///< other rows whose sum is off 1 by more than kRowSumTolerance, or not finite
                                 ///< (NaN or infinite weights count as 0 in every figure)
  bool causal = true;            ///< no row has weight above its diagonal
  double massKept = -1;          ///< with a mask: mean over rows of the mass inside it (else −1)
  double oracleKept = -1;        ///< with a mask: the same for each row's |mask row| largest weights
  double density = -1;           ///< with a mask: its cells / n²
  std::vector<float> thumbnail;  ///< with WeightsOptions::thumbnailSide s: s × s tile means of the weights, rows first
  /// "previous-token", "first-token sink", "diagonal" (at least half the mass there) or "broad" (normalised
  /// entropy ≥ 0.85); empty when no role is clear.
  std::string role() const;
};

struct WeightsOptions {
  Index topk = 8;                    ///< k of the top-k mass
  const SparseMask* mask = nullptr;  ///< one head, or as many as the dump; n must match
  /// One mask a dump layer (a model's stack, see stack_masks.h); when given, layer ℓ is held against layerMasks[ℓ]
  /// and `mask` is not used. Null entries measure nothing for that layer.
  std::vector<const SparseMask*> layerMasks;
  Index fromLayer = 0, toLayer = -1;  ///< the layers measured, [from, to); −1: to the last
  int thumbnailSide = 0;              ///< also a picture of each head, min(n, this) cells a side (0: none)
};

/// Head `head` of layer `layer` as a picture of side × side tile means (side ≤ n), rows first. Cancellable.
std::vector<float> headPicture(const AttentionDump& dump, Index layer, int head, int side,
                               const Progress& progress = {});

struct WeightsReport {
  Index layers = 0, heads = 0, n = 0;
  Index firstLayer = 0;                       ///< the first layer measured
  std::vector<std::vector<HeadStats>> stats;  ///< [layer − firstLayer][head]
  Index paddingRows = 0, offRows = 0;         ///< summed over the measured heads
};

/// One pass over the measured layers, rows in parallel; each head's pages are released after it. Throws Error for a
/// mask that does not fit, Cancelled when asked.
WeightsReport measureWeights(const AttentionDump& dump, const WeightsOptions& options = {},
                             const Progress& progress = {});

}  // namespace attnscope

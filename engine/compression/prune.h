#pragma once
// Magnitude pruning as PyTorch's torch.nn.utils.prune does it — the first part of the compression lab (issue 25).
// - The count: an amount in [0, 1) of n entries prunes round(amount · n) of them, Python's round (half to even),
//   as `_compute_nparams_toprune` does; 0.2 of 1,000 is 200, of 768 × 768 is 117,965.
// - L1Unstructured: the entries with the smallest |w| go (set to 0 in the mask); biases are left to the caller.
//   Pruning a tensor again prunes that share of what it still keeps (PruningContainer computes the new mask on the
//   kept entries alone).
// - global_unstructured: one ranking of |w| over several tensors, the count taken from their total.
// torch.topk leaves the order of equal values unspecified; here ties go in a stable, documented order: the smaller
// |w| first, and among equal |w| the earlier tensor, then the lower flat index.

#include <cstdint>
#include <span>
#include <vector>

#include "engine/util/types.h"

namespace attnscope {

/// A keep mask: 1 keeps the entry, 0 prunes it (PyTorch's `weight_mask`).
using PruneMask = std::vector<std::uint8_t>;

/// round(amount · n), half to even. Throws Error unless 0 ≤ amount < 1.
Index pruneCount(double amount, Index n);

/// The mask after pruning `amount` of the entries `previous` keeps (all of them when it is empty), the smallest |w|
/// first. Throws Error for an amount outside [0, 1) or a previous mask of another size.
PruneMask l1Unstructured(std::span<const float> weights, double amount, const PruneMask& previous = {});

/// The masks after pruning `amount` of all the entries the tensors' previous masks keep, ranked together by |w|.
/// `previous` is empty or one mask a tensor (each empty or of its tensor's size).
std::vector<PruneMask> globalUnstructured(const std::vector<std::span<const float>>& tensors, double amount,
                                          const std::vector<PruneMask>& previous = {});

/// Zeroes the pruned entries of `weights` (PyTorch's `weight_orig * weight_mask`).
void applyMask(std::span<float> weights, const PruneMask& mask);

}  // namespace attnscope

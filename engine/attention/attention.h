#pragma once
// Softmax attention, O = softmax(Q Kᵀ / √dim, masked) V, per head, in float32.
//
// fullAttention  — every key; a tiled, fused kernel with an online softmax (as FlashAttention does), which never
//                  holds the n × n score matrix unless the weights are asked for.
// maskedAttention — only the mask's active cells, with work and memory proportional to them: block-sparse tiles
//                  for block families, otherwise query blocks over the union of their keys (small dense products
//                  with the inactive cells masked), or row by row where the keys are scattered.
// Both equal dense attention with inactive cells set to −∞, within float tolerance. Key blocks a mask counts more
// than once (BlockCopies: Hugging Face BigBird's repeated gathered blocks) weigh that many times in the softmax. A
// query with no active key gets a zero output row and is counted in emptyRows.

#include <functional>
#include <optional>
#include <vector>

#include "engine/inputs/attention_inputs.h"
#include "engine/util/progress.h"
#include "engine/masks/sparse_mask.h"

namespace attnscope {

/// Softmax weights on a mask's active cells, per input head: values[h] is aligned with the keys of the mask head
/// that input head h uses (the mask's only head, or head h).
struct SparseWeights {
  SparseMask mask;
  std::vector<BigVector<float>> values;
  int maskHead(int head) const { return mask.heads() == 1 ? 0 : head; }
  /// The weight of (query, key) in input head h, 0 where the cell is inactive.
  float at(int head, Index query, Index key) const;
};

struct AttentionOutput {
  std::vector<Matrix> out;  ///< per head, n × dim_v
  Index emptyRows = 0;      ///< (head, query) rows with no active key
  std::optional<SparseWeights> weights;
};

/// The fused full kernel's tile, queries × keys, for tile products of that many floats a vector: measured by
/// `attnscope-cli bench` on each instruction set (docs/PERFORMANCE.md), 96 × 256 with AVX-512 (16), 128 × 96 with
/// AVX2 (8), where the wider key tile ran 6% slower. Without an argument: this build's and libxsmm's width
/// (tileVectorFloats()).
struct FullTile {
  Index rows = 0, cols = 0;
};
FullTile fullAttentionTile(int vectorFloats);
FullTile fullAttentionTile();

/// The masked kernel's query block, rows, for tile products of that many floats a vector: 16 with AVX-512, 24 with
/// AVX2, measured with a window of radius 128 (docs/PERFORMANCE.md; 32 rows, the size before, ran 4% and 3% slower).
/// A block computes the corners of its key union that no row needs, rows × (rows + 2r) cells for rows × (2r + 1)
/// useful ones, so fewer rows waste less; the tile products' own blocking decides how few still run at full speed.
/// Without an argument: this build's and libxsmm's width.
Index maskedQueryRows(int vectorFloats);
Index maskedQueryRows();
/// The most rows a masked query block may have (AttentionOptions::queryRows).
constexpr Index kMaxMaskedQueryRows = 64;

struct AttentionOptions {
  bool wantWeights = false;
  /// When a block layout is present, use the block-sparse kernel (a dense product a block). Off: the generic one.
  bool useBlockLayout = true;
  /// The full kernel's tile; zeros: fullAttentionTile(). (Tests run both instruction sets' tiles on any machine.)
  FullTile tile;
  /// The masked kernel's query block, 1 … kMaxMaskedQueryRows rows; 0: maskedQueryRows().
  Index queryRows = 0;
  /// Called after each finished row block, with the head and the rows [begin, end) just done; on the caller's
  /// thread only. For showing progress as it happens.
  std::function<void(int head, Index begin, Index end)> onRows;
};

/// Full attention (n² cells). With wantWeights the weights come back as a full mask's SparseWeights (n² floats).
AttentionOutput fullAttention(const AttentionInputs& inputs, const AttentionOptions& options = {},
                              const Progress& progress = {});

/// Attention restricted to the mask. The mask has one head (used for all) or as many as the inputs.
AttentionOutput maskedAttention(const AttentionInputs& inputs, const SparseMask& mask,
                                const AttentionOptions& options = {}, const Progress& progress = {});

/// Plain double-precision loops, for tests and small inputs: mask == nullptr means full attention.
std::vector<MatrixD> referenceAttention(const AttentionInputs& inputs, const SparseMask* mask);

/// Checks that a mask fits the inputs (n, heads); throws Error with what differs.
void checkMaskFits(const AttentionInputs& inputs, const SparseMask& mask);

}  // namespace attnscope

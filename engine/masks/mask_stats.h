#pragma once
// Counting what a mask costs: active cells against heads·n², per-row figures, empty rows, active blocks.

#include <optional>
#include <string>
#include <vector>

#include "engine/masks/sparse_mask.h"

namespace attnscope {

struct MaskStats {
  Index n = 0;
  int heads = 0;
  Index nnz = 0;           ///< active cells, summed over heads
  double cells = 0;        ///< heads · n²
  double density = 0;      ///< nnz / cells
  double nnzPerToken = 0;  ///< nnz / (heads · n): the "≈5 per token" of a window of 5
  Index rowMin = 0;        ///< over every (head, query) row
  double rowMean = 0;
  Index rowMax = 0;
  Index emptyRows = 0;                ///< (head, query) rows with no active key
  std::optional<Index> blocksActive;  ///< block families: active blocks summed over heads
  std::optional<Index> blockSize;
  std::optional<Index> blocksTotal;  ///< heads · (n/block)²
};

/// O(n · heads) on top of the mask (the row sizes are already in the offsets).
MaskStats computeStats(const SparseMask& mask);

}  // namespace attnscope

#pragma once
// What the heatmap draws, computed off the GUI thread: per head, a side × side grid of active-cell fractions
// (side = min(n, kMaxPictureSide)). Up to that size every cell is its own pixel and the values are 0 or 1; above
// it each value is the density of a tile, so a 65,536-token mask costs the view no more than a 1,024-token one.

#include <memory>
#include <vector>

#include "widgets/shared/gui_limits.h"
#include "engine/masks/sparse_mask.h"
#include "engine/util/limits.h"
#include "engine/util/types.h"

namespace attnscope {

struct MaskPicture {
  Index n = 0;
  int side = 0;                           ///< picture cells per axis
  std::vector<std::vector<float>> heads;  ///< per head, side × side, row-major (query rows)
  bool exact() const { return side == n; }
};

/// Pictures of the given heads (all when `heads` is empty) of `mask`, or of its block layout when `layout`.
MaskPicture makePicture(const SparseMask& mask, bool layout = false, int maxSide = kMaxPictureSide);

/// An n × n matrix (weights, a rollout, a difference) as a one-head picture of at most kMaxPictureSide a side, each
/// cell the mean of its tile. With `positiveOnly`, cells ≤ 0 are NaN (drawn grey: a log scale cannot show them).
/// lo and hi are lowered and raised to the values drawn (lo: the smallest positive with `positiveOnly`).
std::shared_ptr<MaskPicture> matrixPicture(const Matrix& m, bool positiveOnly, float& lo, float& hi);

}  // namespace attnscope

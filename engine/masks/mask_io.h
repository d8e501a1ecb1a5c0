#pragma once
// Writing masks for other tools: NumPy .npy (uint8 [heads, n, n]), CSV (0/1 rows of one head), and the block
// layout of a block family as .npy [heads, n/block, n/block]. Every writer is all-or-nothing (AtomicFile).

#include <string>

#include "engine/masks/sparse_mask.h"
#include "engine/util/limits.h"

namespace attnscope {

void writeMaskNpy(const SparseMask& mask, const std::string& path);
void writeLayoutNpy(const SparseMask& mask, const std::string& path);  // throws Error if there is no layout
void writeMaskCsv(const SparseMask& mask, int head, const std::string& path);

/// Throws Error("the mask is too large to write as <what>: ...") when a dense dump would exceed the limit.
void checkDenseSize(double bytes, const std::string& what);

}  // namespace attnscope

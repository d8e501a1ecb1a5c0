#include "engine/masks/mask_stats.h"

#include <algorithm>
#include <limits>

namespace attnscope {

MaskStats computeStats(const SparseMask& mask) {
  MaskStats s;
  s.n = mask.n();
  s.heads = mask.heads();
  s.nnz = mask.nnz();
  s.cells = mask.cells();
  s.density = s.cells > 0 ? double(s.nnz) / s.cells : 0.0;
  const double rows = double(s.heads) * double(s.n);
  s.nnzPerToken = rows > 0 ? double(s.nnz) / rows : 0.0;
  s.rowMean = s.nnzPerToken;
  Index lo = std::numeric_limits<Index>::max(), hi = 0, empty = 0;
  for (int h = 0; h < s.heads; ++h) {
    const auto& offsets = mask.headRows(h).offsets;
    Index hlo = std::numeric_limits<Index>::max(), hhi = 0, hempty = 0;
#pragma omp parallel for reduction(min : hlo) reduction(max : hhi) reduction(+ : hempty)
    for (Index i = 0; i < s.n; ++i) {
      const Index d = offsets[i + 1] - offsets[i];
      hlo = std::min(hlo, d);
      hhi = std::max(hhi, d);
      hempty += d == 0;
    }
    lo = std::min(lo, hlo);
    hi = std::max(hi, hhi);
    empty += hempty;
  }
  s.rowMin = s.n > 0 && s.heads > 0 ? lo : 0;
  s.rowMax = hi;
  s.emptyRows = empty;
  if (mask.hasBlockLayout()) {
    const Index nb = mask.blockLayout().n();
    s.blockSize = mask.blockSize();
    s.blocksActive = mask.blockLayout().nnz();
    s.blocksTotal = Index(s.heads) * nb * nb;
  }
  return s;
}

}  // namespace attnscope

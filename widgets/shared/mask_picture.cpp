#include "widgets/shared/mask_picture.h"

#include "widgets/shared/gui_limits.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

MaskPicture makePicture(const SparseMask& maskIn, bool layout, int maxSide) {
  const SparseMask& mask = layout && maskIn.hasBlockLayout() ? maskIn.blockLayout() : maskIn;
  MaskPicture p;
  p.n = mask.n();
  p.side = static_cast<int>(std::min<Index>(mask.n(), maxSide));
  for (int h = 0; h < mask.heads(); ++h) {
    // Heads sharing storage share a picture.
    int same = -1;
    for (int g = 0; g < h && same < 0; ++g)
      if (mask.sharesRows(g, h)) same = g;
    p.heads.push_back(same >= 0 ? p.heads[same] : mask.density(h, p.side, p.side));
  }
  return p;
}

std::shared_ptr<MaskPicture> matrixPicture(const Matrix& m, bool positiveOnly, float& lo, float& hi) {
  auto p = std::make_shared<MaskPicture>();
  const Index n = m.rows();
  p->n = n;
  p->side = static_cast<int>(std::min<Index>(n, kMaxPictureSide));
  const int side = p->side;
  std::vector<float> values(static_cast<std::size_t>(side) * side, 0.0f);
  std::vector<int> cells(static_cast<std::size_t>(side) * side, 0);
  for (Index i = 0; i < n; ++i) {
    const Index r = i * side / n;
    for (Index j = 0; j < n; ++j) {
      const std::size_t at = static_cast<std::size_t>(r * side + j * side / n);
      values[at] += m(i, j);
      ++cells[at];
    }
  }
  for (std::size_t t = 0; t < values.size(); ++t) {
    float v = values[t] / float(std::max(1, cells[t]));
    if (positiveOnly && !(v > 0)) v = std::numeric_limits<float>::quiet_NaN();
    if (!std::isnan(v)) {
      if (!positiveOnly || v > 0) lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    values[t] = v;
  }
  p->heads.push_back(std::move(values));
  return p;
}

}  // namespace attnscope

#include "widgets/mask_picture.h"

#include <algorithm>

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

}  // namespace attnscope

#include "engine/patterns/block_pattern.h"

#include <algorithm>
#include <numeric>

#include "engine/util/error.h"

namespace attnscope {

void DenseLayout::setRange(Index r0, Index r1, Index c0, Index c1) {
  r0 = std::clamp<Index>(r0, 0, nb_);
  r1 = std::clamp<Index>(r1, 0, nb_);
  c0 = std::clamp<Index>(c0, 0, nb_);
  c1 = std::clamp<Index>(c1, 0, nb_);
  for (Index r = r0; r < r1; ++r)
    for (Index c = c0; c < c1; ++c) set(r, c);
}

void DenseLayout::lowerTriangle() {
  for (Index r = 0; r < nb_; ++r)
    std::fill(cells_.begin() + static_cast<std::ptrdiff_t>(r * nb_ + r + 1),
              cells_.begin() + static_cast<std::ptrdiff_t>((r + 1) * nb_), std::uint8_t(0));
}

std::shared_ptr<const CsrRows> DenseLayout::toRows() const {
  auto rows = std::make_shared<CsrRows>();
  rows->offsets.push_back(0);
  for (Index r = 0; r < nb_; ++r) {
    for (Index c = 0; c < nb_; ++c)
      if (get(r, c)) rows->keys.push_back(static_cast<KeyIndex>(c));
    rows->offsets.push_back(static_cast<Index>(rows->keys.size()));
  }
  return rows;
}

BlockPattern::BlockPattern(Index n, Index block, std::vector<std::shared_ptr<const CsrRows>> layoutHeads)
    : Pattern(n), block_(block) {
  for (std::size_t h = 0; h < layoutHeads.size(); ++h) {
    std::size_t src = h;
    for (std::size_t g = 0; g < h; ++g)
      if (layoutHeads[g] == layoutHeads[h]) {
        src = g;
        break;
      }
    source_.push_back(static_cast<int>(src));
  }
  layout_ = SparseMask(n / block, std::move(layoutHeads));
}

Index BlockPattern::degree(int h, Index i) const { return layout_.degree(h, i / block_) * block_; }

void BlockPattern::fill(int h, Index i, KeyIndex* out) const {
  for (KeyIndex b : layout_.row(h, i / block_)) {
    std::iota(out, out + block_, static_cast<KeyIndex>(b * block_));
    out += block_;
  }
}

void BlockPattern::keyRuns(int h, Index i, std::vector<KeyRun>& runs) const {
  runs.clear();
  for (KeyIndex b : layout_.row(h, i / block_)) {
    const Index first = Index(b) * block_, last = first + block_ - 1;
    if (!runs.empty() && runs.back().last + 1 == first)
      runs.back().last = last;
    else
      runs.push_back({first, last});
  }
}

void BlockPattern::generate(int h, Index i, std::vector<KeyIndex>& keys) const {
  keys.resize(degree(h, i));
  fill(h, i, keys.data());
}

double layoutBytes(Index n, Index block, int storedHeads) {
  const double nb = double(n) / double(std::max<Index>(block, 1));
  return nb * nb + double(storedHeads) * (nb + 1) * 8.0 + double(n);
}

Index blockCount(const std::string& family, Index n, Index block, const std::string& blockParam) {
  if (n % block != 0) rejectN(family, n, "it must be a multiple of " + blockParam + " = " + std::to_string(block));
  const Index nb = n / block;
  if (nb > kMaxLayoutBlocks)
    rejectN(family, n,
            "n / " + blockParam + " = " + std::to_string(nb) + " blocks is more than a layout may have (" +
                std::to_string(kMaxLayoutBlocks) + "); choose a larger " + blockParam);
  return nb;
}

}  // namespace attnscope

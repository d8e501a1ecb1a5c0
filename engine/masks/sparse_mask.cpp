#include "engine/masks/sparse_mask.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "engine/util/error.h"

namespace attnscope {

namespace {

// Merges two sorted key lists; Keep decides from (inA, inB) whether a key stays. Returns how many were kept.
template <typename Keep>
Index mergeRows(std::span<const KeyIndex> a, std::span<const KeyIndex> b, KeyIndex* out, Keep keep) {
  Index count = 0;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    KeyIndex key;
    bool inA = false, inB = false;
    if (j == b.size() || (i < a.size() && a[i] < b[j])) {
      key = a[i++];
      inA = true;
    } else if (i == a.size() || b[j] < a[i]) {
      key = b[j++];
      inB = true;
    } else {
      key = a[i++];
      ++j;
      inA = inB = true;
    }
    if (keep(inA, inB)) {
      if (out) out[count] = key;
      ++count;
    }
  }
  return count;
}

// Builds a head row by row from a function that writes row i (or only counts it when out is null).
template <typename RowFn>
std::shared_ptr<const CsrRows> buildHead(Index n, RowFn rowFn) {
  auto rows = std::make_shared<CsrRows>();
  rows->offsets.resize(n + 1);
  rows->offsets[0] = 0;
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) rows->offsets[i + 1] = rowFn(i, nullptr);
  std::partial_sum(rows->offsets.begin(), rows->offsets.end(), rows->offsets.begin());
  rows->keys.resize(rows->offsets[n]);
#pragma omp parallel for schedule(static)
  for (Index i = 0; i < n; ++i) rowFn(i, rows->keys.data() + rows->offsets[i]);
  return rows;
}

template <typename Keep>
SparseMask combine(const SparseMask& a, const SparseMask& b, Keep keep) {
  if (a.n() != b.n())
    throw Error("cannot combine masks of different lengths: n = " + std::to_string(a.n()) +
                " and n = " + std::to_string(b.n()));
  if (a.heads() != b.heads() && a.heads() != 1 && b.heads() != 1)
    throw Error("cannot combine masks with " + std::to_string(a.heads()) + " and " + std::to_string(b.heads()) +
                " heads: heads must match, or one mask must have a single head");
  const int heads = std::max(a.heads(), b.heads());
  std::vector<std::shared_ptr<const CsrRows>> out;
  std::map<std::pair<const CsrRows*, const CsrRows*>, std::shared_ptr<const CsrRows>> done;
  for (int h = 0; h < heads; ++h) {
    const CsrRows& ra = a.headRows(a.heads() == 1 ? 0 : h);
    const CsrRows& rb = b.headRows(b.heads() == 1 ? 0 : h);
    auto& slot = done[{&ra, &rb}];
    if (!slot)
      slot = buildHead(a.n(), [&](Index i, KeyIndex* dst) { return mergeRows(ra.row(i), rb.row(i), dst, keep); });
    out.push_back(slot);
  }
  return SparseMask(a.n(), std::move(out));
}

}  // namespace

SparseMask::SparseMask(Index n, std::vector<std::shared_ptr<const CsrRows>> heads) : n_(n), heads_(std::move(heads)) {
  for (const auto& h : heads_)
    if (!h || h->rows() != n_) throw Error("internal: a mask head has the wrong number of rows");
}

SparseMask SparseMask::fromRows(Index n, const std::vector<std::vector<std::vector<Index>>>& headsRows) {
  std::vector<std::shared_ptr<const CsrRows>> heads;
  for (const auto& rowsIn : headsRows) {
    if (static_cast<Index>(rowsIn.size()) != n) throw Error("fromRows: a head needs exactly n rows");
    auto rows = std::make_shared<CsrRows>();
    rows->offsets.push_back(0);
    for (const auto& r : rowsIn) {
      std::vector<Index> sorted = r;
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      for (Index k : sorted) {
        if (k < 0 || k >= n) throw Error("fromRows: key " + std::to_string(k) + " is outside 0 … n-1");
        rows->keys.push_back(static_cast<KeyIndex>(k));
      }
      rows->offsets.push_back(static_cast<Index>(rows->keys.size()));
    }
    heads.push_back(std::move(rows));
  }
  return SparseMask(n, std::move(heads));
}

Index SparseMask::nnz() const {
  Index total = 0;
  for (const auto& h : heads_) total += h->nnz();
  return total;
}

bool SparseMask::contains(int head, Index query, Index key) const {
  if (key < 0 || key >= n_) return false;
  auto r = row(head, query);
  return std::binary_search(r.begin(), r.end(), static_cast<KeyIndex>(key));
}

SparseMask SparseMask::causal() const {
  std::vector<std::shared_ptr<const CsrRows>> out;
  std::map<const CsrRows*, std::shared_ptr<const CsrRows>> done;
  for (const auto& src : heads_) {
    auto& slot = done[src.get()];
    if (!slot)
      slot = buildHead(n_, [&](Index i, KeyIndex* dst) {
        auto r = src->row(i);
        auto end = std::upper_bound(r.begin(), r.end(), static_cast<KeyIndex>(i));
        if (dst) std::copy(r.begin(), end, dst);
        return static_cast<Index>(end - r.begin());
      });
    out.push_back(slot);
  }
  return SparseMask(n_, std::move(out));
}

SparseMask unite(const SparseMask& a, const SparseMask& b) {
  return combine(a, b, [](bool inA, bool inB) { return inA || inB; });
}

SparseMask intersect(const SparseMask& a, const SparseMask& b) {
  return combine(a, b, [](bool inA, bool inB) { return inA && inB; });
}

SparseMask SparseMask::headUnion() const {
  if (heads() <= 1) {
    SparseMask copy(n_, heads_);
    return copy;
  }
  SparseMask acc(n_, {heads_[0]});
  for (int h = 1; h < heads(); ++h)
    if (heads_[h] != heads_[h - 1]) acc = unite(acc, SparseMask(n_, {heads_[h]}));
  return acc;
}

SparseMask SparseMask::transposed() const {
  std::vector<std::shared_ptr<const CsrRows>> out;
  std::map<const CsrRows*, std::shared_ptr<const CsrRows>> done;
  for (const auto& src : heads_) {
    auto& slot = done[src.get()];
    if (!slot) {
      // Counting sort by key: keys of the transpose come out sorted because queries are visited in order.
      auto t = std::make_shared<CsrRows>();
      t->offsets.assign(n_ + 1, 0);
      for (KeyIndex k : src->keys) ++t->offsets[k + 1];
      std::partial_sum(t->offsets.begin(), t->offsets.end(), t->offsets.begin());
      t->keys.resize(src->keys.size());
      std::vector<Index> next(t->offsets.begin(), t->offsets.end() - 1);
      for (Index i = 0; i < n_; ++i)
        for (KeyIndex k : src->row(i)) t->keys[next[k]++] = static_cast<KeyIndex>(i);
      slot = std::move(t);
    }
    out.push_back(slot);
  }
  return SparseMask(n_, std::move(out));
}

std::vector<float> SparseMask::density(int head, int width, int height) const {
  width = static_cast<int>(std::clamp<Index>(width, 1, std::max<Index>(n_, 1)));
  height = static_cast<int>(std::clamp<Index>(height, 1, std::max<Index>(n_, 1)));
  std::vector<float> tiles(static_cast<std::size_t>(width) * height, 0.0f);
  if (n_ == 0) return tiles;
  const CsrRows& rows = *heads_[head];
  // Tile boundaries: tile t covers [ceil(t·n/T), ceil((t+1)·n/T)), i.e. element x lies in tile floor(x·T/n).
  auto start = [&](Index t, Index T) { return (t * n_ + T - 1) / T; };
#pragma omp parallel for schedule(dynamic, 4)
  for (int r = 0; r < height; ++r) {
    float* out = tiles.data() + static_cast<std::size_t>(r) * width;
    const Index r0 = start(r, height), r1 = start(r + 1, height);
    std::vector<Index> counts(width, 0);
    for (Index i = r0; i < r1; ++i)
      for (KeyIndex k : rows.row(i)) ++counts[static_cast<std::size_t>((Index(k) * width) / n_)];
    for (int c = 0; c < width; ++c) {
      const double area = double(r1 - r0) * double(start(c + 1, width) - start(c, width));
      out[c] = area > 0 ? static_cast<float>(counts[c] / area) : 0.0f;
    }
  }
  return tiles;
}

void SparseMask::setBlockLayout(Index block, SparseMask layout) {
  if (block <= 0 || n_ % block != 0 || layout.n() != n_ / block || layout.heads() != heads())
    throw Error("internal: block layout does not fit the mask");
  block_ = block;
  layout_ = std::make_shared<const SparseMask>(std::move(layout));
}

void SparseMask::setBlockCopies(BlockCopies copies) {
  if (!layout_ || static_cast<int>(copies.heads.size()) != heads())
    throw Error("internal: block copies do not fit the mask");
  for (auto& entries : copies.heads) std::sort(entries.begin(), entries.end());
  copies_ = std::make_shared<const BlockCopies>(std::move(copies));
}

std::span<const BlockCopies::Entry> BlockCopies::row(int head, Index queryBlock) const {
  const auto& entries = heads[static_cast<std::size_t>(head)];
  const auto lo = std::lower_bound(entries.begin(), entries.end(), queryBlock,
                                   [](const Entry& e, Index qb) { return e.queryBlock < qb; });
  auto hi = lo;
  while (hi != entries.end() && hi->queryBlock == queryBlock) ++hi;
  return {entries.data() + (lo - entries.begin()), static_cast<std::size_t>(hi - lo)};
}

int BlockCopies::copiesOf(int head, Index query, Index key, Index block) const {
  for (const Entry& e : row(head, query / block))
    if (e.keyBlock == key / block) return e.copies;
  return 1;
}

std::size_t SparseMask::memoryBytes() const {
  std::size_t bytes = 0;
  for (int h = 0; h < heads(); ++h) {
    if (h > 0 && std::find(heads_.begin(), heads_.begin() + h, heads_[h]) != heads_.begin() + h) continue;
    bytes += heads_[h]->offsets.size() * sizeof(Index) + heads_[h]->keys.size() * sizeof(KeyIndex);
  }
  if (layout_) bytes += layout_->memoryBytes();
  return bytes;
}

bool SparseMask::operator==(const SparseMask& other) const {
  if (n_ != other.n_ || heads() != other.heads()) return false;
  for (int h = 0; h < heads(); ++h) {
    const CsrRows& a = *heads_[h];
    const CsrRows& b = *other.heads_[h];
    if (&a == &b) continue;
    if (!std::equal(a.offsets.begin(), a.offsets.end(), b.offsets.begin(), b.offsets.end())) return false;
    if (!std::equal(a.keys.begin(), a.keys.end(), b.keys.begin(), b.keys.end())) return false;
  }
  return true;
}

}  // namespace attnscope

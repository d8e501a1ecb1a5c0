#pragma once
// A heads × n × n attention mask held in compressed rows, never as a dense n×n array.

#include <memory>
#include <span>
#include <vector>

#include "engine/util/default_init.h"
#include "engine/util/types.h"

namespace attnscope {

/// Keys first … last, both included.
struct KeyRun {
  Index first;
  Index last;
  bool operator==(const KeyRun&) const = default;
};

/// One head's compressed rows: row i's keys are keys[offsets[i] .. offsets[i+1]), sorted and unique.
struct CsrRows {
  BigVector<Index> offsets;  // n + 1 entries
  BigVector<KeyIndex> keys;  // active cells

  Index rows() const { return offsets.empty() ? 0 : static_cast<Index>(offsets.size()) - 1; }
  Index nnz() const { return static_cast<Index>(keys.size()); }
  std::span<const KeyIndex> row(Index i) const {
    return {keys.data() + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i])};
  }
};

/// Key blocks that a query block's softmax counts more than once. Hugging Face's BigBird concatenates the window,
/// global and gathered random key blocks before its softmax, so a random block that is also a window or global
/// block (or block 0 gathered again in every random slot in eval mode) weighs `copies` times: its scores get
/// + ln(copies). entries[h] lists head h's (query block, key block, copies ≥ 2), sorted.
struct BlockCopies {
  struct Entry {
    Index queryBlock;
    Index keyBlock;
    int copies;
    auto operator<=>(const Entry&) const = default;
  };
  std::vector<std::vector<Entry>> heads;
  /// The entries of one query block in head h (empty when none).
  std::span<const Entry> row(int head, Index queryBlock) const;
  /// How many times (query, key) counts; 1 for cells without an entry. `block` is the mask's block size.
  int copiesOf(int head, Index query, Index key, Index block) const;
};

/// mask[h][i][j] = 1 means query i attends key j in head h.
/// Heads that are equal may share one CsrRows, so a 16-head layout with one pattern costs one head of memory.
class SparseMask {
 public:
  SparseMask() = default;
  SparseMask(Index n, std::vector<std::shared_ptr<const CsrRows>> heads);

  /// Builds a mask from explicit per-head rows (keys in any order, duplicates allowed). For tests and small cases.
  static SparseMask fromRows(Index n, const std::vector<std::vector<std::vector<Index>>>& headsRows);

  Index n() const { return n_; }
  int heads() const { return static_cast<int>(heads_.size()); }
  /// Active cells summed over heads.
  Index nnz() const;
  Index nnz(int head) const { return heads_[head]->nnz(); }
  /// Total cells, heads · n².
  double cells() const { return double(heads()) * double(n_) * double(n_); }

  std::span<const KeyIndex> row(int head, Index query) const { return heads_[head]->row(query); }
  Index degree(int head, Index query) const { return static_cast<Index>(row(head, query).size()); }
  /// Membership test by binary search: O(log degree).
  bool contains(int head, Index query, Index key) const;
  const CsrRows& headRows(int head) const { return *heads_[head]; }
  /// True when the two heads share storage (and so are equal).
  bool sharesRows(int a, int b) const { return heads_[a] == heads_[b]; }

  /// The mask restricted to key ≤ query.
  SparseMask causal() const;
  /// Cell-wise union and intersection. Masks must have the same n; a one-head mask broadcasts over the other's heads.
  friend SparseMask unite(const SparseMask& a, const SparseMask& b);
  friend SparseMask intersect(const SparseMask& a, const SparseMask& b);
  /// The union of all heads as a one-head mask (what a layer's heads reach together).
  SparseMask headUnion() const;
  /// The transpose of each head (row j lists the queries that attend key j). O(nnz).
  SparseMask transposed() const;

  /// Fraction of active cells in each tile of a height × width grid over head `head`, row-major.
  /// Tile (r, c) covers rows [r·n/height, (r+1)·n/height) and the same for columns. O(nnz + width·height).
  /// width and height are clamped to n.
  std::vector<float> density(int head, int width, int height) const;

  /// Block families keep their layout [heads, n/block, n/block], itself held as a mask over blocks.
  bool hasBlockLayout() const { return layout_ != nullptr; }
  Index blockSize() const { return block_; }
  const SparseMask& blockLayout() const { return *layout_; }
  void setBlockLayout(Index block, SparseMask layout);
  /// Repeated key blocks (needs the block layout); null when every cell counts once. Operations that make a new
  /// mask (causal, unite, intersect, headUnion, transposed) drop them.
  const BlockCopies* blockCopies() const { return copies_.get(); }
  void setBlockCopies(BlockCopies copies);

  /// Bytes held by the mask's distinct row storage (shared heads counted once).
  std::size_t memoryBytes() const;

  bool operator==(const SparseMask& other) const;

 private:
  Index n_ = 0;
  std::vector<std::shared_ptr<const CsrRows>> heads_;
  Index block_ = 0;
  std::shared_ptr<const SparseMask> layout_;
  std::shared_ptr<const BlockCopies> copies_;
};

}  // namespace attnscope

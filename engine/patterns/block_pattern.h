#pragma once
// Block families: a layout [heads, n/block, n/block] of active blocks, expanded to tokens row by row.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/masks/pattern.h"
#include "engine/masks/pattern_family.h"
#include "engine/util/limits.h"

namespace attnscope {

/// A dense nb × nb 0/1 layout for one head, written the way the reference libraries write theirs.
class DenseLayout {
 public:
  explicit DenseLayout(Index nb) : nb_(nb), cells_(static_cast<std::size_t>(nb * nb), 0) {}
  Index blocks() const { return nb_; }
  void set(Index row, Index col) { cells_[static_cast<std::size_t>(row * nb_ + col)] = 1; }
  bool get(Index row, Index col) const { return cells_[static_cast<std::size_t>(row * nb_ + col)] != 0; }
  /// Sets rows [r0, r1) × columns [c0, c1), clipped to the layout (as a slice assignment would be).
  void setRange(Index r0, Index r1, Index c0, Index c1);
  /// Keeps the lower triangle, diagonal included (torch.tril).
  void lowerTriangle();
  std::shared_ptr<const CsrRows> toRows() const;

 private:
  Index nb_;
  std::vector<std::uint8_t> cells_;
};

/// A pattern defined by a block layout. Head h uses layout head sourceHead(h).
class BlockPattern : public Pattern {
 public:
  /// layoutHeads[h] may repeat a pointer: equal heads share storage and are built once.
  BlockPattern(Index n, Index block, std::vector<std::shared_ptr<const CsrRows>> layoutHeads);

  int heads() const override { return static_cast<int>(source_.size()); }
  int sourceHead(int h) const override { return source_[h]; }
  void generate(int h, Index i, std::vector<KeyIndex>& keys) const override;
  bool hasCheapDegree() const override { return true; }
  Index degree(int h, Index i) const override;
  void fill(int h, Index i, KeyIndex* out) const override;
  void keyRuns(int h, Index i, std::vector<KeyRun>& runs) const override;
  bool hasCheapRuns() const override { return true; }
  Index blockSize() const override { return block_; }
  const SparseMask* blockLayout() const override { return &layout_; }
  const BlockCopies* blockCopies() const override { return copies_.heads.empty() ? nullptr : &copies_; }

  void addNote(std::string note) { notes_.push_back(std::move(note)); }
  /// Repeated key blocks, one entry list per head (see BlockCopies).
  void setBlockCopies(BlockCopies copies) { copies_ = std::move(copies); }

 private:
  Index block_;
  SparseMask layout_;
  BlockCopies copies_;
  std::vector<int> source_;
};

/// Checks n against a block size and the layout size limit; returns n / block. Throws Error naming n.
Index blockCount(const std::string& family, Index n, Index block, const std::string& blockParam);

/// What making a block family's pattern allocates: one dense nb × nb layout at a time (nb = n / block), each
/// stored head's compressed layout offsets, and the token-row bookkeeping. For PatternFamily::makeBytes.
double layoutBytes(Index n, Index block, int storedHeads);

}  // namespace attnscope

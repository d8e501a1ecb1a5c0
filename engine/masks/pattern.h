#pragma once
// A pattern instance: a family with its parameters at one sequence length, answering "which keys does query i
// attend in head h" row by row. buildMask() turns it into a SparseMask in O(active cells).

#include <memory>
#include <string>
#include <vector>

#include "engine/util/limits.h"
#include "engine/util/progress.h"
#include "engine/masks/sparse_mask.h"

namespace attnscope {

class Pattern {
 public:
  explicit Pattern(Index n) : n_(n) {}
  virtual ~Pattern() = default;

  Index n() const { return n_; }
  virtual int heads() const { return 1; }
  /// Head h has the same rows as head sourceHead(h) ≤ h; equal heads are built once and shared.
  virtual int sourceHead(int h) const { return heads() == 1 ? 0 : h; }

  /// Writes query i's keys for head h into `keys` (cleared first), sorted and unique.
  virtual void generate(int h, Index i, std::vector<KeyIndex>& keys) const = 0;

  /// Families that know a row's size without generating it say so, and get a faster, single-copy build.
  virtual bool hasCheapDegree() const { return false; }
  virtual Index degree(int h, Index i) const;
  /// Writes exactly degree(h, i) sorted keys to out.
  virtual void fill(int h, Index i, KeyIndex* out) const;

  /// Query i's keys in head h as runs of consecutive keys [first, last], sorted and apart (cleared first). The
  /// default generates the keys; families whose rows are a few runs (full, causal, windows, blocks) say so
  /// directly, so stacks of them cost O(runs), not O(cells).
  virtual void keyRuns(int h, Index i, std::vector<KeyRun>& runs) const;
  /// True when keyRuns costs O(runs) rather than O(keys).
  virtual bool hasCheapRuns() const { return false; }

  /// Block families: the block size and the layout over n/block blocks (heads as above).
  virtual Index blockSize() const { return 0; }
  virtual const SparseMask* blockLayout() const { return nullptr; }
  /// Key blocks counted more than once in a softmax (see BlockCopies); null for almost every pattern.
  virtual const BlockCopies* blockCopies() const { return nullptr; }

  /// Things the user should know about this instance (a fallback, an ignored index), one sentence each.
  const std::vector<std::string>& notes() const { return notes_; }

 protected:
  std::vector<std::string> notes_;

 private:
  Index n_;
};

struct BuildOptions {
  /// A mask that would store more cells than this is refused with a message (4 bytes a cell; heads that share
  /// storage count once).
  Index maxCells = maskCellLimit();
};

/// Builds the mask of a pattern; reports progress and honours cancellation between chunks of rows.
/// Throws Error when the mask would exceed options.maxCells, Cancelled when cancelled.
SparseMask buildMask(const Pattern& pattern, const BuildOptions& options = {}, const Progress& progress = {});

}  // namespace attnscope

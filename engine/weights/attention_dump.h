#pragma once
// A model's own attention weights, as Hugging Face returns them with output_attentions=True and a user saves them:
// a .npy of shape [n, n], [heads, n, n] or [layers, heads, n, n], or a .npz with one array per layer (np.savez,
// uncompressed; members named layer_0 … or attentions_0 …, sorted naturally, each [heads, n, n] or [1, heads, n, n]).
// float16, float32 or float64. Files are memory-mapped, never read whole: opening checks the headers against the
// file and costs nothing of the data; rows are converted to float32 when asked for.

#include <memory>
#include <string>
#include <vector>

#include "engine/util/types.h"

namespace attnscope {

class MappedFile;
class SparseMask;

class AttentionDump {
 public:
  /// Opens a .npy or .npz dump; throws Error with one line naming the file and what is wrong (shape, dtype, a
  /// compressed archive, members that disagree, a truncated file).
  static AttentionDump open(const std::string& path);

  Index layers() const { return static_cast<Index>(layers_.size()); }
  int heads() const { return heads_; }
  Index n() const { return n_; }
  int itemSize() const { return itemSize_; }
  const std::string& path() const { return path_; }
  /// "layer_0 … layer_11" for an archive, the shape for a .npy: what the file held, for messages.
  const std::string& description() const { return description_; }

  /// Row `query` of (layer, head) as float32, n values into out. Throws Error when the file changed on disk since
  /// it was opened (rewritten or cut short), never a signal.
  void row(Index layer, int head, Index query, float* out) const;
  /// The same, for figures that a non-finite weight would turn into NaN (a rollout, a fit): throws Error naming the
  /// file, the layer, the head and the query when the row holds NaN or an infinity.
  void finiteRow(Index layer, int head, Index query, float* out) const;
  /// The layers [from, to) with to = −1 meaning the last, checked; returns to. Throws Error naming what the dump has.
  Index checkLayers(Index from, Index to) const;
  /// Throws Error when a mask of `maskN` tokens and `maskHeads` heads cannot be held against these weights (n must
  /// match; one layout for all heads, or one a head).
  void checkMask(Index maskN, int maskHeads) const;
  /// What a measurement is held against: `mask` for every layer, or `layerMasks` (as many as the dump's layers,
  /// a null entry: nothing for that layer) when not empty. Throws Error for a count or a mask that does not fit.
  void checkMasks(const SparseMask* mask, const std::vector<const SparseMask*>& layerMasks) const;
  /// The mask layer `layer` is held against, of those checkMasks accepted.
  static const SparseMask* maskOfLayer(Index layer, const SparseMask* mask,
                                       const std::vector<const SparseMask*>& layerMasks) {
    return layerMasks.empty() ? mask : layerMasks[static_cast<std::size_t>(layer)];
  }

  /// Lets the kernel drop the pages of (layer, head) from memory once they have been read (they stay readable).
  void release(Index layer, int head) const;
  /// The same for the rows [fromRow, toRow) of (layer, head): a head of many gigabytes is streamed, not cached.
  void release(Index layer, int head, Index fromRow, Index toRow) const;

  /// Axis labels: one token a line (.txt) or a JSON list of strings (.json), exactly n of them. Throws Error.
  static std::vector<std::string> readTokens(const std::string& path, Index n);

 private:
  struct Layer {
    std::shared_ptr<const MappedFile> file;
    std::uint64_t offset = 0;  ///< of head 0, row 0
  };
  std::vector<Layer> layers_;
  int heads_ = 0;
  Index n_ = 0;
  int itemSize_ = 4;
  std::string path_, description_;
  std::uint64_t rowOffset(Index layer, int head, Index query) const;
};

}  // namespace attnscope

#pragma once
// What DeepSpeed's sparsity configs share (deepspeed/ops/sparse_attention/sparsity_config.py): the block size,
// the head count, one layout for all heads unless different_layout_per_head, and the attention direction.

#include <functional>

#include "engine/masks/pattern_family.h"
#include "engine/patterns/block_pattern.h"

namespace attnscope::deepspeed {

ParamSpec blockParam();
ParamSpec numHeadsParam();
ParamSpec differentLayoutParam();
ParamSpec attentionParam(const std::string& def);
ParamSpec seedParam();

bool unidirectional(const ParamSet& p);

/// What the DeepSpeed families share before their own rules: each is a block family whose making costs its dense
/// layouts (layoutBytes), and whose parameters begin with block, num_heads and, where the config has it,
/// different_layout_per_head, followed by its own.
class DeepSpeedFamily : public PatternFamily {
 public:
  bool isBlockFamily() const final { return true; }
  double makeBytes(const ParamSet& p, Index n) const final { return layoutBytes(n, p.getInt("block"), storedHeads(p)); }
  std::vector<ParamSpec> params() const final {
    std::vector<ParamSpec> all{blockParam(), numHeadsParam()};
    if (hasLayoutPerHead()) all.push_back(differentLayoutParam());
    for (ParamSpec& own : ownParams()) all.push_back(std::move(own));
    return all;
  }

 protected:
  /// Whether the config has different_layout_per_head (LocalSlidingWindowSparsityConfig has not).
  virtual bool hasLayoutPerHead() const { return true; }
  /// The family's own parameters, after the shared ones.
  virtual std::vector<ParamSpec> ownParams() const = 0;
};

/// Builds layout head h with `makeHead(h)` for the layout heads (all heads when different_layout_per_head, else
/// head 0 only) and propagates head 0 to the rest, as SparsityConfig.check_and_propagate_first_head_layout does.
/// `sameAs(h)` may name an earlier head whose layout head h repeats, to share storage.
std::unique_ptr<BlockPattern> assemble(Index n, Index block, int heads, bool perHead,
                                       const std::function<DenseLayout(int)>& makeHead,
                                       const std::function<int(int)>& sameAs = nullptr);

/// Python's random.sample(range, k) raises when k exceeds the population; we raise the same condition as an Error.
void requireBlocks(const std::string& param, Index value, Index nb, const std::string& what);

/// Validates global_block_indices / global_block_end_indices as DeepSpeed does (same length, start < end).
void checkGlobalRanges(const std::vector<Index>& starts, const std::vector<Index>& ends);

/// Adds a note for global block indices beyond the layout, which DeepSpeed skips silently.
void noteIgnoredGlobals(BlockPattern& pattern, const std::vector<Index>& starts, Index nb);

}  // namespace attnscope::deepspeed

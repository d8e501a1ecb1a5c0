// `deepspeed-bslongformer`: DeepSpeed's BSLongformerSparsityConfig, a block-sparse Longformer: a sliding window
// of num_sliding_window_blocks (half on each side) and global blocks (or ranges) as full rows and columns;
// unidirectional keeps the lower triangle.
#include "engine/masks/params.h"
#include "engine/patterns/deepspeed_common.h"
#include "engine/patterns/families.h"

namespace attnscope {
namespace {

class DeepSpeedBSLongformerFamily : public deepspeed::DeepSpeedFamily {
 public:
  std::string name() const override { return "deepspeed-bslongformer"; }
  std::string summary() const override {
    return "DeepSpeed block-sparse Longformer: sliding block window plus global blocks";
  }
  std::vector<ParamSpec> ownParams() const override {
    using namespace deepspeed;
    return {intParam("num_sliding_window_blocks", 3, 1, 65536, "blocks in the sliding window (half on each side)"),
            listParam("global_block_indices", "0", 0, 65536, true, "global blocks (or range starts)"),
            listParam("global_block_end_indices", "none", 1, 65536, true,
                      "exclusive ends of global ranges, one per start (none: single blocks)"),
            attentionParam("bidirectional")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    const Index block = p.getInt("block"), window = p.getInt("num_sliding_window_blocks");
    const bool uni = deepspeed::unidirectional(p);
    const auto starts = p.getList("global_block_indices");
    const auto ends = p.getList("global_block_end_indices");
    deepspeed::checkGlobalRanges(starts, ends);
    const Index nb = blockCount(name(), n, block, "block");
    deepspeed::requireBlocks("num_sliding_window_blocks", window, nb, "a row");

    auto makeHead = [=](int) {
      DenseLayout layout(nb);
      const Index w = window / 2;
      for (Index row = 0; row < nb; ++row) layout.setRange(row, row + 1, row - w, row + w + 1);
      for (std::size_t g = 0; g < starts.size(); ++g) {
        const Index s = starts[g];
        if (s >= nb) continue;
        const Index e = ends.empty() ? s + 1 : std::min(ends[g], nb);
        layout.setRange(s, e, 0, nb);
        layout.setRange(0, nb, s, e);
      }
      if (uni) layout.lowerTriangle();
      return layout;
    };
    // Nothing here is random, so every head has the same layout whatever different_layout_per_head says.
    auto pattern = deepspeed::assemble(n, block, static_cast<int>(p.getInt("num_heads")), false, makeHead);
    deepspeed::noteIgnoredGlobals(*pattern, starts, nb);
    return pattern;
  }
};

}  // namespace

const PatternFamily& deepspeedBSLongformerFamily() {
  static const DeepSpeedBSLongformerFamily family;
  return family;
}

}  // namespace attnscope

// `deepspeed-bigbird`: DeepSpeed's BigBirdSparsityConfig: random blocks, a sliding window of
// num_sliding_window_blocks (half on each side), and the first num_global_blocks as full rows and columns;
// unidirectional draws random blocks from 0 … row and then keeps the lower triangle.
// Decision: where DeepSpeed's random.sample would raise because an early row has fewer than num_random_blocks
// blocks at or before it (unidirectional), that row takes all of them.
#include "engine/masks/params.h"
#include "engine/patterns/deepspeed_common.h"
#include "engine/patterns/families.h"
#include "engine/util/random.h"

namespace attnscope {
namespace {

class DeepSpeedBigBirdFamily : public deepspeed::DeepSpeedFamily {
 public:
  std::string name() const override { return "deepspeed-bigbird"; }
  std::string summary() const override {
    return "DeepSpeed BigBird: random blocks, sliding block window, and the first blocks global";
  }
  std::vector<ParamSpec> ownParams() const override {
    using namespace deepspeed;
    return {intParam("num_random_blocks", 1, 0, 65536, "random blocks in each block row"),
            intParam("num_sliding_window_blocks", 3, 1, 65536, "blocks in the sliding window (half on each side)"),
            intParam("num_global_blocks", 1, 0, 65536, "the first blocks, attended by and attending every block"),
            attentionParam("bidirectional"), seedParam()};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    const Index block = p.getInt("block"), random = p.getInt("num_random_blocks");
    const Index window = p.getInt("num_sliding_window_blocks"), global = p.getInt("num_global_blocks");
    const bool uni = deepspeed::unidirectional(p);
    const Index nb = blockCount(name(), n, block, "block");
    deepspeed::requireBlocks("num_random_blocks", random, nb, "a row");
    deepspeed::requireBlocks("num_sliding_window_blocks", window, nb, "a row");
    deepspeed::requireBlocks("num_global_blocks", global, nb, "a row");
    const auto seed = static_cast<std::uint64_t>(p.getInt("seed"));

    auto makeHead = [=](int h) {
      DenseLayout layout(nb);
      for (Index row = 0; row < nb; ++row) {
        SplitMix64 rng = rowStream(seed, static_cast<std::uint64_t>(h), static_cast<std::uint64_t>(row));
        const Index population = uni ? row + 1 : nb;
        for (Index c : sampleDistinct(rng, population, std::min(random, population))) layout.set(row, c);
      }
      const Index w = window / 2;
      for (Index row = 0; row < nb; ++row) layout.setRange(row, row + 1, row - w, row + w + 1);
      layout.setRange(0, global, 0, nb);
      layout.setRange(0, nb, 0, global);
      if (uni) layout.lowerTriangle();
      return layout;
    };
    const bool perHead = p.getBool("different_layout_per_head");
    return deepspeed::assemble(n, block, static_cast<int>(p.getInt("num_heads")), perHead && random > 0, makeHead);
  }
};

}  // namespace

const PatternFamily& deepspeedBigBirdFamily() {
  static const DeepSpeedBigBirdFamily family;
  return family;
}

}  // namespace attnscope

// `deepspeed-local`: DeepSpeed's LocalSlidingWindowSparsityConfig, a purely local sliding block window;
// unidirectional (its default, unlike the other DeepSpeed layouts) keeps blocks row − w … row.
#include "engine/patterns/deepspeed_common.h"
#include "engine/patterns/families.h"

namespace attnscope {
namespace {

class DeepSpeedLocalFamily : public deepspeed::DeepSpeedFamily {
 public:
  std::string name() const override { return "deepspeed-local"; }
  std::string summary() const override { return "DeepSpeed local sliding window over blocks"; }
  bool hasLayoutPerHead() const override { return false; }
  std::vector<ParamSpec> ownParams() const override {
    using namespace deepspeed;
    return {intParam("num_sliding_window_blocks", 3, 1, 65536, "blocks in the sliding window (half on each side)"),
            attentionParam("unidirectional")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    const Index block = p.getInt("block"), window = p.getInt("num_sliding_window_blocks");
    const bool uni = deepspeed::unidirectional(p);
    const Index nb = blockCount(name(), n, block, "block");
    deepspeed::requireBlocks("num_sliding_window_blocks", window, nb, "a row");
    auto makeHead = [=](int) {
      DenseLayout layout(nb);
      const Index w = window / 2;
      for (Index row = 0; row < nb; ++row) layout.setRange(row, row + 1, row - w, uni ? row + 1 : row + w + 1);
      return layout;
    };
    return deepspeed::assemble(n, block, static_cast<int>(p.getInt("num_heads")), false, makeHead);
  }
};

}  // namespace

const PatternFamily& deepspeedLocalFamily() {
  static const DeepSpeedLocalFamily family;
  return family;
}

}  // namespace attnscope

// `deepspeed-fixed`: DeepSpeed's FixedSparsityConfig. Local windows are fixed, non-overlapping groups of
// num_local_blocks blocks; the last num_global_blocks of each window are global (shifted per head by its pattern
// index when num_different_global_patterns > 1). Bidirectional global columns are filled from row 0,
// unidirectional ones from their own row down; horizontal global rows exist only in bidirectional mode.
#include "engine/util/error.h"
#include "engine/masks/params.h"
#include "engine/patterns/deepspeed_common.h"
#include "engine/patterns/families.h"

namespace attnscope {
namespace {

class DeepSpeedFixedFamily : public deepspeed::DeepSpeedFamily {
 public:
  std::string name() const override { return "deepspeed-fixed"; }
  std::string summary() const override {
    return "DeepSpeed Fixed: fixed local block windows whose last blocks act as global summaries";
  }
  std::vector<ParamSpec> ownParams() const override {
    using namespace deepspeed;
    return {
        intParam("num_local_blocks", 4, 1, 65536, "blocks in each fixed local window"),
        intParam("num_global_blocks", 1, 1, 65536, "blocks at the end of each window that act as global"),
        attentionParam("bidirectional"),
        boolParam("horizontal_global_attention", false, "global blocks also attend every block (bidirectional only)"),
        intParam("num_different_global_patterns", 1, 1, 65536,
                 "how many heads get a different choice of global blocks (needs different_layout_per_head)")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    const Index block = p.getInt("block"), local = p.getInt("num_local_blocks"), global = p.getInt("num_global_blocks");
    const Index patterns = p.getInt("num_different_global_patterns");
    const bool uni = deepspeed::unidirectional(p), horizontal = p.getBool("horizontal_global_attention");
    const bool perHead = p.getBool("different_layout_per_head");
    if (local % global != 0)
      throw Error(paramError("num_global_blocks", std::to_string(global),
                             "num_local_blocks = " + std::to_string(local) + " must be a multiple of it"));
    if (uni && horizontal)
      throw Error(paramError("horizontal_global_attention", "true", "only bidirectional attention supports it"));
    if (patterns > 1 && !perHead)
      throw Error(paramError("num_different_global_patterns", std::to_string(patterns),
                             "more than 1 needs different_layout_per_head = true"));
    if (patterns > local / global)
      throw Error(
          paramError("num_different_global_patterns", std::to_string(patterns),
                     "expected at most num_local_blocks / num_global_blocks = " + std::to_string(local / global)));
    const Index nb = blockCount(name(), n, block, "block");

    auto makeHead = [=](int h) {
      DenseLayout layout(nb);
      // Local: fixed windows [i, i + local), full inside (bidirectional) or lower-triangular (unidirectional).
      for (Index i = 0; i < nb; i += local) {
        const Index end = std::min(i + local, nb);
        for (Index row = i; row < end; ++row) layout.setRange(row, row + 1, i, uni ? row + 1 : end);
      }
      // Global: the chosen blocks of every complete window, then of a short last window.
      const Index first = local - (1 + h % patterns) * global;
      const Index end = nb - nb % local;
      auto setGlobal = [&](Index start, Index stop) {
        layout.setRange(uni ? start : 0, nb, start, stop);
        if (horizontal) layout.setRange(start, stop, 0, nb);
      };
      for (Index i = first; i < end; i += local) setGlobal(i, i + global);
      if (end < nb) {
        const Index start = std::min(end + first, nb - global);
        setGlobal(start, start + global);
      }
      return layout;
    };
    return deepspeed::assemble(n, block, static_cast<int>(p.getInt("num_heads")), perHead, makeHead,
                               [=](int h) { return h % static_cast<int>(patterns); });
  }
};

}  // namespace

const PatternFamily& deepspeedFixedFamily() {
  static const DeepSpeedFixedFamily family;
  return family;
}

}  // namespace attnscope

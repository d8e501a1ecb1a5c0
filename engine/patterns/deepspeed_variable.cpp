// `deepspeed-variable`: DeepSpeed's VariableSparsityConfig: random blocks, successive local windows of the
// sizes in local_window_blocks (the last size repeats), and global blocks (single indices, or ranges with
// global_block_end_indices). As in DeepSpeed, random blocks are drawn from the whole row even in unidirectional
// mode, and the layout is not made lower-triangular afterwards.
#include "engine/util/error.h"
#include "engine/masks/params.h"
#include "engine/patterns/deepspeed_common.h"
#include "engine/patterns/families.h"
#include "engine/util/random.h"

namespace attnscope {
namespace {

class DeepSpeedVariableFamily : public deepspeed::DeepSpeedFamily {
 public:
  std::string name() const override { return "deepspeed-variable"; }
  std::string summary() const override {
    return "DeepSpeed Variable: random blocks, local windows of given sizes, and global blocks or ranges";
  }
  std::vector<ParamSpec> ownParams() const override {
    using namespace deepspeed;
    return {
        intParam("num_random_blocks", 0, 0, 65536, "random blocks in each block row"),
        listParam("local_window_blocks", "4", 1, 65536, false,
                  "sizes of the successive local windows in blocks; the last size repeats"),
        listParam("global_block_indices", "0", 0, 65536, true, "global blocks (or range starts)"),
        listParam("global_block_end_indices", "none", 1, 65536, true,
                  "exclusive ends of global ranges, one per start (none: single blocks)"),
        attentionParam("bidirectional"),
        boolParam("horizontal_global_attention", false, "global blocks also attend every block (bidirectional only)"),
        seedParam()};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    const Index block = p.getInt("block"), random = p.getInt("num_random_blocks");
    const bool uni = deepspeed::unidirectional(p), horizontal = p.getBool("horizontal_global_attention");
    const auto windows = p.getList("local_window_blocks");
    const auto starts = p.getList("global_block_indices");
    const auto ends = p.getList("global_block_end_indices");
    deepspeed::checkGlobalRanges(starts, ends);
    if (uni && horizontal)
      throw Error(paramError("horizontal_global_attention", "true", "only bidirectional attention supports it"));
    const Index nb = blockCount(name(), n, block, "block");
    deepspeed::requireBlocks("num_random_blocks", random, nb, "a row");
    const auto seed = static_cast<std::uint64_t>(p.getInt("seed"));

    auto makeHead = [=](int h) {
      DenseLayout layout(nb);
      for (Index row = 0; row < nb; ++row) {
        SplitMix64 rng = rowStream(seed, static_cast<std::uint64_t>(h), static_cast<std::uint64_t>(row));
        for (Index c : sampleDistinct(rng, nb, random)) layout.set(row, c);
      }
      auto window = [&](Index start, Index end) {
        for (Index row = start; row < end; ++row) layout.setRange(row, row + 1, start, uni ? row + 1 : end);
      };
      Index start = 0;
      for (Index size : windows) {
        window(start, std::min(start + size, nb));
        start += size;
      }
      for (Index i = start; i < nb; i += windows.back()) window(i, std::min(i + windows.back(), nb));
      for (std::size_t g = 0; g < starts.size(); ++g) {
        const Index s = starts[g];
        if (s >= nb) continue;
        const Index e = ends.empty() ? s + 1 : std::min(ends[g], nb);
        if (horizontal) layout.setRange(s, e, 0, nb);
        layout.setRange(uni ? s : 0, nb, s, e);
      }
      return layout;
    };
    const bool perHead = p.getBool("different_layout_per_head");
    auto pattern =
        deepspeed::assemble(n, block, static_cast<int>(p.getInt("num_heads")), perHead && random > 0, makeHead);
    deepspeed::noteIgnoredGlobals(*pattern, starts, nb);
    return pattern;
  }
};

}  // namespace

const PatternFamily& deepspeedVariableFamily() {
  static const DeepSpeedVariableFamily family;
  return family;
}

}  // namespace attnscope

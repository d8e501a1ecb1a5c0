// `hf-bigbird`: Hugging Face's block-sparse BigBird (ITC), per head:
//   * the first and last query blocks attend every key block;
//   * every query block attends the first and last key blocks;
//   * a middle block attends its 3-block sliding window and num_random_blocks random blocks;
//   * random blocks are drawn outside the window and the global blocks; query block 1 may not draw block nb−2 and
//     query block nb−2 may not draw block 1 (so the second and second-to-last blocks attend 4 fixed blocks + r).
// Decisions: random blocks are drawn uniformly from all legal blocks with our seeded generator (Hugging Face's
// training-time "plan" draws them from the first (2r+5) blocks for long inputs, and recent versions draw none at
// evaluation time). When fewer legal blocks exist than num_random_blocks, all of them are taken.
#include "engine/util/format.h"
#include "engine/patterns/block_pattern.h"
#include "engine/patterns/families.h"
#include "engine/util/random.h"

namespace attnscope {
namespace {

std::shared_ptr<const CsrRows> bigBirdLayout(Index nb, Index r, std::uint64_t seed, int head) {
  DenseLayout layout(nb);
  layout.setRange(0, 1, 0, nb);
  layout.setRange(nb - 1, nb, 0, nb);
  for (Index row = 0; row < nb; ++row) {
    layout.set(row, 0);
    layout.set(row, nb - 1);
  }
  for (Index row = 1; row + 1 < nb; ++row) {
    layout.setRange(row, row + 1, row - 1, row + 2);
    std::vector<Index> legal;
    for (Index c = 1; c + 1 < nb; ++c) {
      if (c >= row - 1 && c <= row + 1) continue;
      if (row == 1 && c == nb - 2) continue;
      if (row == nb - 2 && c == 1) continue;
      legal.push_back(c);
    }
    SplitMix64 rng = rowStream(seed, static_cast<std::uint64_t>(head), static_cast<std::uint64_t>(row));
    for (Index c : sampleFrom(rng, legal, r)) layout.set(row, c);
  }
  return layout.toRows();
}

class HfBigBirdFamily : public PatternFamily {
 public:
  std::string name() const override { return "hf-bigbird"; }
  std::string summary() const override {
    return "Hugging Face BigBird (ITC): first/last blocks global, 3-block sliding window, random blocks";
  }
  bool isBlockFamily() const override { return true; }
  double makeBytes(const ParamSet& p, Index n) const override {
    return layoutBytes(n, p.getInt("block_size"), storedHeads(p));
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("block_size", 64, 1, 65536, "tokens per block; n must be a multiple of it"),
            intParam("num_random_blocks", 3, 0, 64, "random key blocks per middle query block"),
            intParam("num_heads", 1, 1, 256, "heads; each draws its own random blocks"),
            intParam("seed", 0, 0, kMaxTokens, "random seed: the same seed gives the same layout")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n) const override {
    const Index bs = p.getInt("block_size"), r = p.getInt("num_random_blocks");
    const Index nb = blockCount(name(), n, bs, "block_size");
    const int heads = static_cast<int>(p.getInt("num_heads"));
    const auto seed = static_cast<std::uint64_t>(p.getInt("seed"));
    std::vector<std::shared_ptr<const CsrRows>> layouts;
    for (int h = 0; h < heads; ++h)
      layouts.push_back(r == 0 && h > 0 ? layouts[0] : bigBirdLayout(nb, r, seed, h));
    auto pattern = std::make_unique<BlockPattern>(n, bs, std::move(layouts));
    const Index limit = (5 + 2 * r) * bs;
    if (n <= limit)
      pattern->addNote("Hugging Face would use full attention at this length: block-sparse attention needs n > (5 + "
                       "2·num_random_blocks)·block_size = " + withSeparators(limit));
    return pattern;
  }
};

}  // namespace

const PatternFamily& hfBigBirdFamily() {
  static const HfBigBirdFamily family;
  return family;
}

}  // namespace attnscope

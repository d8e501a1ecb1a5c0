// `random`: each query attends per_row keys drawn uniformly from the other n−1 tokens (itself excluded).
// Every row has its own stream from (seed, row), so the mask does not depend on thread count.
#include "engine/masks/params.h"
#include "engine/patterns/families.h"
#include "engine/util/random.h"

namespace attnscope {
namespace {

class RandomPattern : public Pattern {
 public:
  RandomPattern(Index n, Index perRow, std::uint64_t seed) : Pattern(n), perRow_(perRow), seed_(seed) {}
  void generate(int h, Index i, std::vector<KeyIndex>& keys) const override {
    keys.resize(perRow_);
    fill(h, i, keys.data());
  }
  bool hasCheapDegree() const override { return true; }
  Index degree(int, Index) const override { return perRow_; }
  void fill(int, Index i, KeyIndex* out) const override {
    SplitMix64 rng = rowStream(seed_, 0, static_cast<std::uint64_t>(i));
    // Draw from the n−1 others: values ≥ i shift up by one to skip the query itself (order is kept).
    for (Index v : sampleDistinct(rng, n() - 1, perRow_)) *out++ = static_cast<KeyIndex>(v >= i ? v + 1 : v);
  }

 private:
  Index perRow_;
  std::uint64_t seed_;
};

class RandomFamily : public PatternFamily {
 public:
  std::string name() const override { return "random"; }
  std::string summary() const override {
    return "each query attends per_row random other keys (BigBird's random part)";
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("per_row", 2, 0, 1 << 20, "random keys per query, drawn uniformly without the query itself"),
            intParam("seed", 0, 0, kMaxTokens, "random seed: the same seed gives the same mask")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    const Index perRow = p.getInt("per_row");
    if (perRow > n - 1)
      throw Error(paramError(
          "per_row", std::to_string(perRow),
          "at n = " + std::to_string(n) + " a query has only " + std::to_string(n - 1) + " other keys to draw from"));
    return std::make_unique<RandomPattern>(n, perRow, static_cast<std::uint64_t>(p.getInt("seed")));
  }
};

}  // namespace

const PatternFamily& randomFamily() {
  static const RandomFamily family;
  return family;
}

}  // namespace attnscope

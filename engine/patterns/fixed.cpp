// `fixed`: the fixed factorized pattern of Child et al. 2019 (Sparse Transformer), the union of its two heads:
//   A¹(i) = {j : ⌊j/l⌋ = ⌊i/l⌋}          (the query's own block of l tokens)
//   A²(i) = {j : j mod l ∈ {l − c, …, l − 1}}   (the last c tokens of every block: its "summary")
// The paper writes A² as j mod l ∈ {t, …, l} with t = l − c; since j mod l < l that is the last c positions.
// causal (the paper's setting) keeps j ≤ i.
#include "engine/util/error.h"
#include "engine/masks/params.h"
#include "engine/patterns/families.h"

namespace attnscope {
namespace {

class FixedPattern : public Pattern {
 public:
  FixedPattern(Index n, Index l, Index c, bool causal) : Pattern(n), l_(l), c_(c), causal_(causal) {}
  void generate(int, Index i, std::vector<KeyIndex>& keys) const override {
    keys.clear();
    const Index own = (i / l_) * l_;
    const Index last = causal_ ? i : n() - 1;
    for (Index b = 0; b < own && b <= last; b += l_)
      for (Index j = b + l_ - c_; j < b + l_; ++j) keys.push_back(static_cast<KeyIndex>(j));
    const Index ownEnd = std::min({own + l_ - 1, n() - 1, last});
    for (Index j = own; j <= ownEnd; ++j) keys.push_back(static_cast<KeyIndex>(j));
    for (Index b = own + l_; b <= last; b += l_)
      for (Index j = b + l_ - c_; j < b + l_ && j <= last; ++j) keys.push_back(static_cast<KeyIndex>(j));
  }

 private:
  Index l_, c_;
  bool causal_;
};

class FixedFamily : public PatternFamily {
 public:
  std::string name() const override { return "fixed"; }
  std::string summary() const override {
    return "Sparse Transformer fixed: the query's own block of stride tokens plus the last c tokens of every block";
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("stride", 4, 1, kMaxTokens, "l in the paper: the block length"),
            intParam("c", 1, 1, kMaxTokens, "summary width: the last c tokens of each block are attended by all"),
            boolParam("causal", true, "keep only keys at or before the query, as in the paper")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    const Index l = p.getInt("stride"), c = p.getInt("c");
    if (c > l) throw Error(paramError("c", std::to_string(c), "expected 1 … stride = " + std::to_string(l)));
    return std::make_unique<FixedPattern>(n, l, c, p.getBool("causal"));
  }
};

}  // namespace

const PatternFamily& fixedFamily() {
  static const FixedFamily family;
  return family;
}

}  // namespace attnscope

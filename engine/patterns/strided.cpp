// `strided`: the strided factorized pattern of Child et al. 2019 (Sparse Transformer), the union of its two heads:
//   A¹(i) = {t, …, i} with t = max(0, i − l)     (the previous l tokens and i itself)
//   A²(i) = {j : (i − j) mod l = 0}               (every l-th token back)
// causal (the paper's setting) keeps j ≤ i. Bidirectional mirrors both parts: |i − j| ≤ l, or i − j a multiple of l.
#include "engine/patterns/families.h"

namespace attnscope {
namespace {

class StridedPattern : public Pattern {
 public:
  StridedPattern(Index n, Index l, bool causal) : Pattern(n), l_(l), causal_(causal) {}
  // The row's size by counting, as generate() walks it: the build counts every row before it stores a key, so a
  // stride that makes the mask dense is refused before anything of its size is allocated.
  bool hasCheapDegree() const override { return true; }
  Index degree(int, Index i) const override {
    const Index lo = std::max<Index>(0, i - l_);
    const Index hi = causal_ ? i : std::min(n() - 1, i + l_);
    Index count = hi - lo + 1;
    if (lo > i % l_) count += (lo - i % l_ + l_ - 1) / l_;
    if (!causal_) {
      const Index first = hi + l_ - ((hi - i) % l_);
      if (first < n()) count += (n() - 1 - first) / l_ + 1;
    }
    return count;
  }
  void generate(int, Index i, std::vector<KeyIndex>& keys) const override {
    keys.clear();
    const Index lo = std::max<Index>(0, i - l_);
    const Index hi = causal_ ? i : std::min(n() - 1, i + l_);
    for (Index j = i % l_; j < lo; j += l_) keys.push_back(static_cast<KeyIndex>(j));
    for (Index j = lo; j <= hi; ++j) keys.push_back(static_cast<KeyIndex>(j));
    if (!causal_)
      for (Index j = hi + l_ - ((hi - i) % l_); j < n(); j += l_) keys.push_back(static_cast<KeyIndex>(j));
  }

 private:
  Index l_;
  bool causal_;
};

class StridedFamily : public PatternFamily {
 public:
  std::string name() const override { return "strided"; }
  std::string summary() const override {
    return "Sparse Transformer strided: the previous stride tokens plus every stride-th token (O(n√n) at stride √n)";
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("stride", 4, 1, kMaxTokens, "l in the paper, usually about √n"),
            boolParam("causal", true, "keep only keys at or before the query, as in the paper")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    return std::make_unique<StridedPattern>(n, p.getInt("stride"), p.getBool("causal"));
  }
};

}  // namespace

const PatternFamily& stridedFamily() {
  static const StridedFamily family;
  return family;
}

}  // namespace attnscope

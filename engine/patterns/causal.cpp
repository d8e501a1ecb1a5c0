// `causal`: query i attends keys 0 … i, as in a decoder; n(n+1)/2 cells.
#include <numeric>

#include "engine/patterns/families.h"

namespace attnscope {
namespace {

class CausalPattern : public Pattern {
 public:
  using Pattern::Pattern;
  void generate(int h, Index i, std::vector<KeyIndex>& keys) const override {
    keys.resize(degree(h, i));
    fill(h, i, keys.data());
  }
  bool hasCheapDegree() const override { return true; }
  Index degree(int, Index i) const override { return i + 1; }
  void fill(int, Index i, KeyIndex* out) const override { std::iota(out, out + i + 1, KeyIndex(0)); }
  void keyRuns(int, Index i, std::vector<KeyRun>& runs) const override { runs.assign(1, KeyRun{0, i}); }
  bool hasCheapRuns() const override { return true; }
};

class CausalFamily : public PatternFamily {
 public:
  std::string name() const override { return "causal"; }
  std::string summary() const override { return "query i attends keys 0 … i (decoder attention, n(n+1)/2 cells)"; }
  std::vector<ParamSpec> params() const override { return {}; }
  std::unique_ptr<Pattern> make(const ParamSet&, Index n, const Progress&) const override {
    return std::make_unique<CausalPattern>(n);
  }
};

}  // namespace

const PatternFamily& causalFamily() {
  static const CausalFamily family;
  return family;
}

}  // namespace attnscope

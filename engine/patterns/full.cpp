// `full`: every query attends every key, n² cells: the baseline every sparse pattern is measured against.
#include <numeric>

#include "engine/patterns/families.h"

namespace attnscope {
namespace {

class FullPattern : public Pattern {
 public:
  using Pattern::Pattern;
  void generate(int h, Index i, std::vector<KeyIndex>& keys) const override {
    keys.resize(degree(h, i));
    fill(h, i, keys.data());
  }
  bool hasCheapDegree() const override { return true; }
  Index degree(int, Index) const override { return n(); }
  void fill(int, Index, KeyIndex* out) const override { std::iota(out, out + n(), KeyIndex(0)); }
  void keyRuns(int, Index, std::vector<KeyRun>& runs) const override { runs.assign(1, KeyRun{0, n() - 1}); }
  bool hasCheapRuns() const override { return true; }
};

class FullFamily : public PatternFamily {
 public:
  std::string name() const override { return "full"; }
  std::string summary() const override { return "every query attends every key (n² cells)"; }
  std::vector<ParamSpec> params() const override { return {}; }
  std::unique_ptr<Pattern> make(const ParamSet&, Index n, const Progress&) const override {
    return std::make_unique<FullPattern>(n);
  }
};

}  // namespace

const PatternFamily& fullFamily() {
  static const FullFamily family;
  return family;
}

}  // namespace attnscope

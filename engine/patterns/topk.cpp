// `topk`: a pattern from the inputs — each query keeps the k keys with the highest scores q·k (ties: the smaller
// key), per head. It is the upper bound of what any pattern of the same budget (k keys a query) can keep of the
// attention mass on these inputs; `causal` restricts the choice to keys at or before the query. Without inputs the
// family scores seeded synthetic vectors (1 head, dim 64, seed 0), as lsh does.
#include <algorithm>
#include <numeric>

#include "engine/inputs/attention_inputs.h"
#include "engine/masks/params.h"
#include "engine/patterns/families.h"
#include "engine/patterns/rows_pattern.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "engine/util/parallel.h"

namespace attnscope {
namespace {

class TopkFamily : public PatternFamily {
 public:
  std::string name() const override { return "topk"; }
  std::string summary() const override {
    return "top-k from the inputs: each query keeps its k highest-scoring keys (the best any k-key pattern can do)";
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("k", 32, 1, kMaxTokens, "keys kept per query"),
            boolParam("causal", false, "choose only among keys at or before the query")};
  }
  bool needsInputs() const override { return true; }
  double makeBytes(const ParamSet& p, Index n) const override {
    // Synthetic inputs when none are given, each row's kept keys, and a thread's scores.
    return 3.0 * double(n) * 64 * 4 + double(n) * (8.0 + 4.0 * double(std::min(n, p.getInt("k")))) + 16.0 * double(n);
  }
  void checkWork(const ParamSet& p, Index n) const override { checkScores(p, n, 1); }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress& progress) const override {
    return makeFromInputs(p, syntheticInputs(1, n, 64, 0), progress);
  }
  // Every query is scored against every key (half of them when causal), in each head.
  static void checkScores(const ParamSet& p, Index n, int heads) {
    const double scores = double(heads) * double(n) * double(n) * (p.getBool("causal") ? 0.5 : 1.0);
    if (scores > kMaxComparisons)
      rejectN("topk", n,
              "scoring every query against every key would make " + withSeparators(static_cast<Index>(scores)) +
                  " vector comparisons" + (heads > 1 ? " over " + std::to_string(heads) + " heads" : "") +
                  ", over the limit of " + withSeparators(static_cast<Index>(kMaxComparisons)) +
                  " (choose a smaller n, or fewer heads)");
  }
  std::unique_ptr<Pattern> makeFromInputs(const ParamSet& p, const AttentionInputs& in,
                                          const Progress& progress) const override {
    const Index n = in.n(), k = std::min(n, p.getInt("k"));
    const bool causal = p.getBool("causal");
    checkScores(p, n, in.heads());
    if (double(in.heads()) * double(n) * double(k) > double(maskCellLimit()))
      throw Error(paramError("k", std::to_string(k),
                             "at n = " + withSeparators(n) + " the mask would hold more than " +
                                 withSeparators(maskCellLimit()) + " cells; choose a smaller k"));
    std::vector<std::shared_ptr<const CsrRows>> heads;
    for (int h = 0; h < in.heads(); ++h) {
      auto rows = std::make_shared<CsrRows>();
      rows->offsets.resize(static_cast<std::size_t>(n + 1));
      rows->offsets[0] = 0;
      for (Index i = 0; i < n; ++i) rows->offsets[i + 1] = rows->offsets[i] + (causal ? std::min(k, i + 1) : k);
      rows->keys.resize(static_cast<std::size_t>(rows->offsets[n]));
      const double share = 1.0 / in.heads();
      parallelChunks(n, 64, progress, h * share, (h + 1) * share, [&](Index b, Index e) {
        Eigen::VectorXf scores;
        std::vector<KeyIndex> order;
        for (Index i = b; i < e; ++i) {
          const Index candidates = causal ? i + 1 : n;
          scores.noalias() = in.k[h].topRows(candidates) * in.q[h].row(i).transpose();
          order.resize(static_cast<std::size_t>(candidates));
          std::iota(order.begin(), order.end(), KeyIndex(0));
          const Index keep = rows->offsets[i + 1] - rows->offsets[i];
          std::nth_element(order.begin(), order.begin() + (keep - 1), order.end(), [&](KeyIndex a, KeyIndex c) {
            return scores[a] > scores[c] || (scores[a] == scores[c] && a < c);
          });
          std::sort(order.begin(), order.begin() + keep);
          std::copy(order.begin(), order.begin() + keep, rows->keys.begin() + rows->offsets[i]);
        }
      });
      heads.push_back(std::move(rows));
    }
    return std::make_unique<RowsPattern>(n, std::move(heads));
  }
};

}  // namespace

const PatternFamily& topkFamily() {
  static const TopkFamily family;
  return family;
}

}  // namespace attnscope

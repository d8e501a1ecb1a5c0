// Properties every family must keep: symmetry where bidirectional, lower triangles where causal, unions that
// contain their members, reproducible seeds, masks independent of thread count, cancellation and limits.
#include <gtest/gtest.h>

#include <atomic>

#include "engine/attention/attention.h"
#include <omp.h>

#include "engine/util/error.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::build;
using test::Params;

bool symmetric(const SparseMask& m, int h = 0) {
  for (Index i = 0; i < m.n(); ++i)
    for (KeyIndex j : m.row(h, i))
      if (!m.contains(h, j, i)) return false;
  return true;
}

bool lowerTriangular(const SparseMask& m, int h = 0) {
  for (Index i = 0; i < m.n(); ++i)
    for (KeyIndex j : m.row(h, i))
      if (j > i) return false;
  return true;
}

struct Case {
  std::string pattern;
  Params params;
  Index n;
};

TEST(Properties, BidirectionalFamiliesAreSymmetric) {
  const std::vector<Case> cases = {
      {"full", {}, 20},
      {"window", {{"radius", "3"}, {"dilation", "2"}}, 40},
      {"global", {{"tokens", "0,7"}}, 20},
      {"blocks", {{"block", "5"}}, 20},
      {"strided", {{"stride", "4"}, {"causal", "false"}}, 30},
      {"hf-longformer", {{"attention_window", "8"}, {"global_tokens", "0,5"}}, 50},
      {"hf-bigbird", {{"block_size", "2"}, {"num_random_blocks", "0"}}, 32},
      {"deepspeed-bslongformer", {{"global_block_indices", "0,3"}}, 160},
      {"deepspeed-local", {{"attention", "bidirectional"}}, 160},
      {"deepspeed-bigbird", {{"num_random_blocks", "0"}, {"num_global_blocks", "2"}}, 160},
      {"deepspeed-fixed", {{"horizontal_global_attention", "true"}}, 128},
  };
  for (const Case& c : cases) EXPECT_TRUE(symmetric(build(c.pattern, c.n, c.params))) << c.pattern;
  // Random parts and summary columns are not symmetric, and the test can tell.
  EXPECT_FALSE(symmetric(build("random", 30, {{"per_row", "2"}})));
  EXPECT_FALSE(symmetric(build("fixed", 12, {{"causal", "false"}})));
}

TEST(Properties, CausalFamiliesAreLowerTriangular) {
  const std::vector<Case> cases = {
      {"causal", {}, 20},
      {"window", {{"radius", "3"}, {"causal", "true"}}, 40},
      {"strided", {{"stride", "4"}}, 30},
      {"fixed", {{"stride", "4"}, {"c", "2"}}, 30},
  };
  for (const Case& c : cases) EXPECT_TRUE(lowerTriangular(build(c.pattern, c.n, c.params))) << c.pattern;
  EXPECT_FALSE(lowerTriangular(build("window", 10, {{"radius", "1"}})));
}

TEST(Properties, UnidirectionalBlockLayoutsAreLowerTriangular) {
  const std::vector<Case> cases = {
      {"deepspeed-local", {}, 160},
      {"deepspeed-fixed", {{"attention", "unidirectional"}}, 256},
      {"deepspeed-bigbird", {{"attention", "unidirectional"}, {"num_random_blocks", "2"}}, 256},
      {"deepspeed-bslongformer", {{"attention", "unidirectional"}, {"global_block_indices", "0,5"}}, 256},
      {"deepspeed-variable", {{"attention", "unidirectional"}}, 256},
  };
  for (const Case& c : cases) {
    const SparseMask m = build(c.pattern, c.n, c.params);
    EXPECT_TRUE(lowerTriangular(m.blockLayout())) << c.pattern;
    EXPECT_TRUE(lowerTriangular(m.causal()));
  }
}

TEST(Properties, UnionContainsEveryMemberAndEqualsUnite) {
  const Params params = {{"radius", "2"}, {"tokens", "0"}, {"per_row", "2"}, {"seed", "4"}};
  const SparseMask u = build("window+global+random", 64, params);
  const SparseMask w = build("window", 64, {{"radius", "2"}});
  const SparseMask g = build("global", 64, {{"tokens", "0"}});
  const SparseMask r = build("random", 64, {{"per_row", "2"}, {"seed", "4"}});
  for (const SparseMask* m : {&w, &g, &r}) {
    EXPECT_GE(u.nnz(), m->nnz());
    EXPECT_EQ(intersect(u, *m), *m);
  }
  EXPECT_EQ(u, unite(unite(w, g), r));
}

TEST(Properties, SeedsAreReproducibleAndIndependentOfThreads) {
  const Params params = {{"num_random_blocks", "2"}, {"num_heads", "3"}, {"seed", "11"}, {"block_size", "4"}};
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const SparseMask one = build("hf-bigbird", 256, params);
  const SparseMask rOne = build("random", 5000, {{"per_row", "3"}});
  omp_set_num_threads(std::max(2, threads));
  const SparseMask two = build("hf-bigbird", 256, params);
  const SparseMask rTwo = build("random", 5000, {{"per_row", "3"}});
  omp_set_num_threads(threads);
  EXPECT_EQ(one, two);
  EXPECT_EQ(rOne, rTwo);
  EXPECT_FALSE(one.sharesRows(0, 1));
  EXPECT_FALSE(one == build("hf-bigbird", 256, {{"num_random_blocks", "2"}, {"num_heads", "3"}, {"seed", "12"},
                                                {"block_size", "4"}}));
}

TEST(Properties, BuildReportsProgressAndCanBeCancelled) {
  const PatternSpec spec = PatternSpec::parse("window");
  std::vector<double> seen;
  Progress progress;
  progress.onProgress = [&](double f) { seen.push_back(f); };
  spec.build({{"radius", "4"}}, 200000, {}, progress);
  ASSERT_FALSE(seen.empty());
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LE(seen[i - 1], seen[i]);

  int calls = 0;
  Progress cancel;
  cancel.isCancelled = [&] { return ++calls > 3; };
  EXPECT_THROW(spec.build({{"radius", "4"}}, 200000, {}, cancel), Cancelled);
  EXPECT_THROW(PatternSpec::parse("window+random").build({}, 200000, {}, cancel), Cancelled);
}

TEST(Properties, AStopFlagSetMidwayAlwaysEndsInCancelled) {
  // The flag any thread may read: whenever it is raised, the build throws Cancelled — it never returns a mask
  // with chunks skipped, and never fails on half-filled offsets instead.
  int cancelled = 0;
  for (const char* pattern : {"window", "window+random"}) {
    const SparseMask whole = PatternSpec::parse(pattern).build({{"radius", "3"}}, 300000);
    for (int trial = 0; trial < 40; ++trial) {
      std::atomic<bool> stop{false};
      Progress progress;
      progress.stopFlag = &stop;
      const double at = 0.05 + 0.6 * (trial % 10) / 10.0;
      progress.onProgress = [&](double f) {
        if (f >= at) stop = true;
      };
      bool threw = false;
      try {
        const SparseMask mask = PatternSpec::parse(pattern).build({{"radius", "3"}}, 300000, {}, progress);
        // Finished before the flag went up (it is raised from progress reports, the last after the work): then
        // the mask is whole.
        EXPECT_TRUE(mask == whole) << pattern << " at " << at;
      } catch (const Cancelled&) {
        threw = true;
      } catch (const std::exception& e) {
        ADD_FAILURE() << pattern << " at " << at << ": " << e.what();
      }
      cancelled += threw;
    }
  }
  EXPECT_GT(cancelled, 40);
  // Attention stops inside its row blocks on the flag too.
  std::atomic<bool> stop{true};
  Progress stopped;
  stopped.stopFlag = &stop;
  EXPECT_THROW(fullAttention(syntheticInputs(1, 512, 16, 1), {}, stopped), Cancelled);
  EXPECT_THROW(syntheticInputs(1, 4096, 16, 1, stopped), Cancelled);
}

TEST(Properties, CellLimitGivesAMessage) {
  BuildOptions small;
  small.maxCells = 1000;
  const std::string e = test::errorOf([&] { PatternSpec::parse("full").build({}, 100, small); });
  EXPECT_EQ(e, "the mask would have 10,000 active cells; the limit is 1,000 (choose a smaller n or a sparser pattern)");
  EXPECT_THROW(PatternSpec::parse("random").build({{"per_row", "20"}}, 100, small), Error);
  EXPECT_THROW(PatternSpec::parse("deepspeed-fixed").build({{"num_heads", "4"}}, 128, small), Error);
}

}  // namespace
}  // namespace attnscope

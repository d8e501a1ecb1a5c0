// Properties every family must keep: symmetry where bidirectional, lower triangles where causal, unions that
// contain their members, reproducible seeds, masks independent of thread count, cancellation and limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

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
  EXPECT_FALSE(one == build("hf-bigbird", 256,
                            {{"num_random_blocks", "2"}, {"num_heads", "3"}, {"seed", "12"}, {"block_size", "4"}}));
}

TEST(Properties, BuildReportsProgressFromEveryThreadInOrder) {
  // Reports come from whichever thread finishes a chunk, one at a time and never decreasing; a build whose
  // chunks all ran elsewhere still hears of them before it returns. The counter below fails if two reports overlap.
  for (const char* pattern : {"window", "window+random"}) {
    std::vector<double> seen;
    std::atomic<int> inside{0};
    bool overlapped = false;
    Progress progress;
    progress.onProgress = [&](double f) {
      if (inside.fetch_add(1) != 0) overlapped = true;
      seen.push_back(f);
      inside.fetch_sub(1);
    };
    PatternSpec::parse(pattern).build({{"radius", "4"}}, 600000, {}, progress);
    EXPECT_FALSE(overlapped) << pattern;
    // 600,000 rows are 256 chunks of 2,344 rows a pass: more than one report, and each a multiple of 1/256 of
    // its pass.
    ASSERT_GT(seen.size(), 2u) << pattern;
    EXPECT_DOUBLE_EQ(seen.back(), 1.0) << pattern;
    for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LT(seen[i - 1], seen[i]) << pattern << " report " << i;
  }
}

// A build asked to stop always throws Cancelled, and one not asked never does: at 1, 2, 4 and 16 threads, with the
// token cancelled before the build, from a progress report part-way (on whichever thread reports), and from
// another thread at a random moment. ATTNSCOPE_CANCEL_TRIALS (default 10) repeats each case.
TEST(Properties, ACancelledBuildAlwaysThrowsAndAnotherNeverDoes) {
  const int trials = [] {
    const char* t = std::getenv("ATTNSCOPE_CANCEL_TRIALS");
    return t ? std::max(1, std::atoi(t)) : 10;
  }();
  const int before = omp_get_max_threads();
  for (const char* pattern : {"window", "window+random"}) {
    const SparseMask whole = PatternSpec::parse(pattern).build({{"radius", "3"}}, 300000);
    for (int threads : {1, 2, 4, 16}) {
      omp_set_num_threads(threads);
      for (int trial = 0; trial < trials; ++trial) {
        SCOPED_TRACE(std::string(pattern) + " at " + std::to_string(threads) + " threads, trial " +
                     std::to_string(trial));
        // Not asked: never Cancelled, and the mask is whole.
        EXPECT_TRUE(PatternSpec::parse(pattern).build({{"radius", "3"}}, 300000, {}, Progress{}) == whole);
        // Asked before it starts.
        Progress early;
        early.token.cancel();
        EXPECT_THROW(PatternSpec::parse(pattern).build({{"radius", "3"}}, 300000, {}, early), Cancelled);
        // Asked from a report part-way, on whichever thread makes it: the first report at or past `at` cancels
        // (there is always one: the last is 1.0, made before the build's last check).
        Progress midway;
        const double at = 0.05 + 0.9 * (trial % 10) / 10.0;
        midway.onProgress = [&](double f) {
          if (f >= at) midway.token.cancel();
        };
        EXPECT_THROW(PatternSpec::parse(pattern).build({{"radius", "3"}}, 300000, {}, midway), Cancelled);
        // Asked from another thread at some moment: a build that returns anyway returns the whole mask, never
        // one with chunks skipped.
        Progress racing;
        std::thread stopper([&, delay = trial * 50] {
          std::this_thread::sleep_for(std::chrono::microseconds(delay));
          racing.token.cancel();
        });
        try {
          const SparseMask mask = PatternSpec::parse(pattern).build({{"radius", "3"}}, 300000, {}, racing);
          EXPECT_TRUE(mask == whole);
        } catch (const Cancelled&) {
        }
        stopper.join();
      }
    }
  }
  omp_set_num_threads(before);
  // Attention and inputs stop inside their row blocks on the token too.
  Progress stopped;
  stopped.token.cancel();
  EXPECT_THROW(fullAttention(syntheticInputs(1, 512, 16, 1), {}, stopped), Cancelled);
  EXPECT_THROW(syntheticInputs(1, 4096, 16, 1, stopped), Cancelled);
}

// A data-dependent family's making is the work (scoring, clustering, hashing): it polls the same token and stops.
// Each is cancelled from its first report; had making ignored the token it would have reported its way to the end
// of its share (half the build's progress) before the build's own check threw.
TEST(Properties, MakingADataDependentPatternStopsWhenAsked) {
  const std::vector<std::pair<std::string, Params>> cases = {
      {"topk", {{"k", "8"}}},
      {"routing", {{"window", "64"}, {"iterations", "10"}}},
      {"lsh", {{"hashes", "8"}, {"chunk", "16"}}},
      {"lsh+window", {{"radius", "1"}, {"hashes", "8"}}},  // its first member makes the first half of its share
  };
  const Index n = 8192;
  for (const auto& [name, params] : cases) {
    SCOPED_TRACE(name);
    const PatternSpec spec = PatternSpec::parse(name);
    const CheckedPattern pattern = CheckedPattern::check(spec, spec.resolve(params), n);
    ASSERT_EQ(pattern.makeShare(), 0.5);
    // Not asked: the reports climb to 1 and the mask is the one made without any progress.
    std::vector<double> seen;
    Progress whole;
    whole.onProgress = [&](double f) { seen.push_back(f); };
    EXPECT_TRUE(pattern.build(nullptr, {}, whole) == pattern.build());
    ASSERT_FALSE(seen.empty());
    EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
    EXPECT_GT(std::count_if(seen.begin(), seen.end(), [](double f) { return f < 0.5; }), 1) << "making reports";
    EXPECT_EQ(seen.back(), 1.0);
    // Asked at the first report, while making.
    double highest = 0;
    Progress stopped;
    stopped.onProgress = [&](double f) {
      highest = std::max(highest, f);
      stopped.token.cancel();
    };
    EXPECT_THROW(pattern.build(nullptr, {}, stopped), Cancelled);
    EXPECT_LT(highest, 0.25);
  }
  // BigBird's random draws (up to 10⁹) poll it too.
  Progress early;
  early.token.cancel();
  const PatternSpec bigbird = PatternSpec::parse("hf-bigbird");
  EXPECT_THROW(CheckedPattern::check(bigbird, bigbird.resolve({{"block_size", "16"}, {"num_heads", "8"}}), 8192)
                   .make(nullptr, early),
               Cancelled);
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

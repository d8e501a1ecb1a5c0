// Token-level families and Hugging Face BigBird against layouts worked out by hand.
#include <gtest/gtest.h>

#include <set>

#include "engine/masks/mask_stats.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::build;
using test::errorOf;
using test::range;
using test::row;
using V = std::vector<Index>;

TEST(Full, EveryCell) {
  const SparseMask m = build("full", 5);
  EXPECT_EQ(m.nnz(), 25);
  EXPECT_EQ(row(m, 3), range(0, 5));
}

TEST(Causal, LowerTriangle) {
  const SparseMask m = build("causal", 5);
  EXPECT_EQ(m.nnz(), 15);
  EXPECT_EQ(row(m, 2), (V{0, 1, 2}));
}

TEST(Window, WindowOfFiveAtSixteenHas74Cells) {
  // 16 rows of 5, less 2+1 cut off at each end: 80 − 6 = 74.
  const SparseMask m = build("window", 16, {{"radius", "2"}});
  EXPECT_EQ(m.nnz(), 74);
  EXPECT_EQ(row(m, 0), (V{0, 1, 2}));
  EXPECT_EQ(row(m, 7), (V{5, 6, 7, 8, 9}));
  EXPECT_EQ(row(m, 15), (V{13, 14, 15}));
  EXPECT_FALSE(m.contains(0, 7, 3));  // the lesson: 7 cannot attend 3 directly
  const MaskStats s = computeStats(m);
  EXPECT_NEAR(s.nnzPerToken, 74.0 / 16.0, 1e-12);
  EXPECT_EQ(s.rowMin, 3);
  EXPECT_EQ(s.rowMax, 5);
}

TEST(Window, Dilated) {
  const SparseMask m = build("window", 16, {{"radius", "2"}, {"dilation", "2"}});
  EXPECT_EQ(row(m, 7), (V{3, 5, 7, 9, 11}));
  EXPECT_EQ(row(m, 1), (V{1, 3, 5}));
  EXPECT_EQ(row(m, 14), (V{10, 12, 14}));
}

TEST(Window, Causal) {
  const SparseMask m = build("window", 16, {{"radius", "2"}, {"causal", "true"}});
  EXPECT_EQ(row(m, 7), (V{5, 6, 7}));
  EXPECT_EQ(row(m, 0), (V{0}));
  EXPECT_EQ(m.nnz(), 1 + 2 + 14 * 3);
}

TEST(Global, TokensAttendAndAreAttendedByAll) {
  const SparseMask m = build("global", 8, {{"tokens", "5,0"}});
  EXPECT_EQ(row(m, 0), range(0, 8));
  EXPECT_EQ(row(m, 5), range(0, 8));
  EXPECT_EQ(row(m, 3), (V{0, 5}));
  EXPECT_EQ(m.nnz(), 2 * 8 + 6 * 2);
  EXPECT_NE(errorOf([] { build("global", 8, {{"tokens", "8"}}); }).find("'tokens' = 8"), std::string::npos);
}

TEST(Global, NoTokensMeansEmptyRows) {
  const MaskStats s = computeStats(build("global", 4, {{"tokens", "none"}}));
  EXPECT_EQ(s.nnz, 0);
  EXPECT_EQ(s.emptyRows, 4);
}

TEST(Random, PerRowKeysWithoutSelfAndReproducible) {
  const SparseMask a = build("random", 10, {{"per_row", "3"}, {"seed", "7"}});
  for (Index i = 0; i < 10; ++i) {
    EXPECT_EQ(a.degree(0, i), 3);
    EXPECT_FALSE(a.contains(0, i, i));
  }
  EXPECT_EQ(a, build("random", 10, {{"per_row", "3"}, {"seed", "7"}}));
  EXPECT_FALSE(a == build("random", 10, {{"per_row", "3"}, {"seed", "8"}}));
  // Every other key is used: n−1 keys per row is the full off-diagonal.
  const SparseMask all = build("random", 6, {{"per_row", "5"}});
  for (Index i = 0; i < 6; ++i) EXPECT_EQ(all.degree(0, i), 5);
  EXPECT_NE(errorOf([] { build("random", 4, {{"per_row", "4"}}); }).find("'per_row' = 4"), std::string::npos);
}

TEST(Random, RoughlyUniformOverSeeds) {
  // Row 0 of n = 10 draws one key from 1 … 9; over 9,000 seeds each should come up about 1,000 times.
  std::vector<int> hits(10, 0);
  for (int seed = 0; seed < 9000; ++seed)
    ++hits[build("random", 10, {{"per_row", "1"}, {"seed", std::to_string(seed)}}).row(0, 0)[0]];
  EXPECT_EQ(hits[0], 0);
  for (int k = 1; k < 10; ++k) EXPECT_NEAR(hits[k], 1000, 150) << k;
}

TEST(Blocks, BlockDiagonalWithLayout) {
  const SparseMask m = build("blocks", 8, {{"block", "4"}});
  EXPECT_EQ(row(m, 5), (V{4, 5, 6, 7}));
  EXPECT_EQ(m.nnz(), 32);
  ASSERT_TRUE(m.hasBlockLayout());
  EXPECT_EQ(m.blockSize(), 4);
  EXPECT_EQ(test::layoutRow(m, 1), (V{1}));
  EXPECT_EQ(computeStats(m).blocksActive, 2);
  EXPECT_EQ(errorOf([] {
              build("blocks", 10, {{"block", "4"}});
            }),
            "n = 10 is not allowed for blocks: it must be a multiple of block = 4");
}

TEST(Strided, CausalAsInThePaper) {
  const SparseMask m = build("strided", 10, {{"stride", "3"}});
  EXPECT_EQ(row(m, 9), (V{0, 3, 6, 7, 8, 9}));
  EXPECT_EQ(row(m, 2), (V{0, 1, 2}));
  EXPECT_EQ(row(m, 7), (V{1, 4, 5, 6, 7}));
}

TEST(Strided, Bidirectional) {
  const SparseMask m = build("strided", 10, {{"stride", "3"}, {"causal", "false"}});
  EXPECT_EQ(row(m, 4), (V{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(row(m, 0), (V{0, 1, 2, 3, 6, 9}));
  EXPECT_EQ(row(m, 9), (V{0, 3, 6, 7, 8, 9}));
}

TEST(Strided, EveryRowIsThePapersDefinitionAtManyStrides) {
  // The definition, key by key: |i − j| ≤ l or (i − j) a multiple of l, and j ≤ i when causal. The build counts
  // each row's size before it writes the row, so a miscount shows here as a wrong row.
  for (bool causal : {true, false})
    for (Index n : {1, 7, 10, 33, 100})
      for (Index l : {1, 2, 3, 5, 7, 100}) {
        const SparseMask m =
            build("strided", n, {{"stride", std::to_string(l)}, {"causal", causal ? "true" : "false"}});
        for (Index i = 0; i < n; ++i) {
          V expected;
          for (Index j = 0; j < n; ++j)
            if ((!causal || j <= i) && (std::abs(i - j) <= l || (i - j) % l == 0)) expected.push_back(j);
          EXPECT_EQ(row(m, i), expected) << "n " << n << ", stride " << l << (causal ? ", causal" : "") << ", row "
                                         << i;
        }
      }
}

TEST(Fixed, CausalAsInThePaper) {
  const SparseMask m = build("fixed", 12, {{"stride", "4"}, {"c", "1"}});
  EXPECT_EQ(row(m, 9), (V{3, 7, 8, 9}));
  EXPECT_EQ(row(m, 3), (V{0, 1, 2, 3}));
  EXPECT_EQ(row(m, 4), (V{3, 4}));
  const SparseMask c2 = build("fixed", 12, {{"stride", "4"}, {"c", "2"}});
  EXPECT_EQ(row(c2, 9), (V{2, 3, 6, 7, 8, 9}));
}

TEST(Fixed, BidirectionalSeesLaterSummaries) {
  const SparseMask m = build("fixed", 12, {{"stride", "4"}, {"c", "1"}, {"causal", "false"}});
  EXPECT_EQ(row(m, 1), (V{0, 1, 2, 3, 7, 11}));
  EXPECT_EQ(row(m, 10), (V{3, 7, 8, 9, 10, 11}));
  // A short last block: its summary is its last c positions that exist.
  const SparseMask s = build("fixed", 10, {{"stride", "4"}, {"c", "1"}, {"causal", "false"}});
  EXPECT_EQ(row(s, 0), (V{0, 1, 2, 3, 7}));
  EXPECT_NE(errorOf([] { build("fixed", 8, {{"stride", "4"}, {"c", "5"}}); }).find("'c' = 5"), std::string::npos);
}

TEST(HfLongformer, WindowAndGlobalToken) {
  const SparseMask m = build("hf-longformer", 10, {{"attention_window", "4"}, {"global_tokens", "0"}});
  EXPECT_EQ(row(m, 0), range(0, 10));
  EXPECT_EQ(row(m, 1), (V{0, 1, 2, 3}));
  EXPECT_EQ(row(m, 5), (V{0, 3, 4, 5, 6, 7}));
  EXPECT_EQ(row(m, 9), (V{0, 7, 8, 9}));
  EXPECT_EQ(m.nnz(), 58);
}

TEST(HfLongformer, AttentionWindowMustBeEven) {
  EXPECT_EQ(errorOf([] {
              build("hf-longformer", 10, {{"attention_window", "5"}});
            }),
            "parameter 'attention_window' = 5 is not allowed: expected an even integer ≥ 2");
}

TEST(HfLongformer, EqualsWindowPlusGlobal) {
  const SparseMask a =
      build("hf-longformer", 64, {{"attention_window", "6"}, {"global_tokens", "0,33"}, {"dilation", "2"}});
  const SparseMask b = build("window+global", 64, {{"radius", "3"}, {"dilation", "2"}, {"tokens", "0,33"}});
  EXPECT_EQ(a, b);
}

TEST(HfBigBird, LayoutWithoutRandomBlocks) {
  // 8 blocks of 2. Rows 0 and 7 are global; every row sees blocks 0 and 7 and its 3-block window.
  const SparseMask m = build("hf-bigbird", 16, {{"block_size", "2"}, {"num_random_blocks", "0"}});
  EXPECT_EQ(test::layoutRow(m, 0), range(0, 8));
  EXPECT_EQ(test::layoutRow(m, 7), range(0, 8));
  EXPECT_EQ(test::layoutRow(m, 1), (V{0, 1, 2, 7}));
  EXPECT_EQ(test::layoutRow(m, 3), (V{0, 2, 3, 4, 7}));
  EXPECT_EQ(test::layoutRow(m, 6), (V{0, 5, 6, 7}));
  EXPECT_EQ(m.blockLayout().nnz(), 44);
  EXPECT_EQ(m.nnz(), 44 * 4);
  // Token 6 lies in block 3, whose row is blocks {0, 2, 3, 4, 7}.
  EXPECT_EQ(row(m, 6), (V{0, 1, 4, 5, 6, 7, 8, 9, 14, 15}));
}

TEST(HfBigBird, SaysWhenHuggingFaceFallsBackToFull) {
  const auto p = PatternSpec::parse("hf-bigbird");
  const auto shortOne = p.make(p.resolve({}), 704);
  ASSERT_FALSE(shortOne->notes().empty());
  EXPECT_NE(shortOne->notes().back().find("use full attention at this length"), std::string::npos);
  EXPECT_NE(shortOne->notes().back().find("704"), std::string::npos);
  EXPECT_TRUE(p.make(p.resolve({}), 768)->notes().empty());
  EXPECT_EQ(errorOf([&] { p.make(p.resolve({}), 100); }),
            "n = 100 is not allowed for hf-bigbird: it must be a multiple of block_size = 64");
}

}  // namespace
}  // namespace attnscope

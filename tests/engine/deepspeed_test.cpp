// DeepSpeed's five layouts against what sparsity_config.py's make_layout produces, worked out by hand.
#include <gtest/gtest.h>

#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::errorOf;
using test::layoutRow;
using test::range;
using V = std::vector<Index>;

// n = nb · 16 with the default block of 16.
SparseMask ds(const std::string& family, Index nb, const test::Params& params = {}) {
  return test::build(family, nb * 16, params);
}

TEST(DeepSpeedFixed, DefaultsBidirectional) {
  // Windows [0..3], [4..7]; the last block of each (3, 7) is a global column from row 0.
  const SparseMask m = ds("deepspeed-fixed", 8);
  EXPECT_EQ(layoutRow(m, 0), (V{0, 1, 2, 3, 7}));
  EXPECT_EQ(layoutRow(m, 5), (V{3, 4, 5, 6, 7}));
  EXPECT_EQ(m.blockLayout().nnz(), 8 * 5);
  EXPECT_EQ(m.nnz(), 8 * 5 * 16 * 16);
  EXPECT_EQ(test::row(m, 17).size(), 5u * 16u);
}

TEST(DeepSpeedFixed, Unidirectional) {
  const SparseMask m = ds("deepspeed-fixed", 8, {{"attention", "unidirectional"}});
  EXPECT_EQ(layoutRow(m, 2), (V{0, 1, 2}));
  EXPECT_EQ(layoutRow(m, 3), (V{0, 1, 2, 3}));
  EXPECT_EQ(layoutRow(m, 5), (V{3, 4, 5}));
  EXPECT_EQ(layoutRow(m, 7), (V{3, 4, 5, 6, 7}));
}

TEST(DeepSpeedFixed, ShortLastWindow) {
  // 6 blocks: windows [0..3], [4..5]; global 3, and for the short window min(4 + 3, 6 − 1) = 5.
  const SparseMask m = ds("deepspeed-fixed", 6);
  EXPECT_EQ(layoutRow(m, 0), (V{0, 1, 2, 3, 5}));
  EXPECT_EQ(layoutRow(m, 4), (V{3, 4, 5}));
}

TEST(DeepSpeedFixed, HorizontalGlobalRows) {
  const SparseMask m = ds("deepspeed-fixed", 8, {{"horizontal_global_attention", "true"}});
  EXPECT_EQ(layoutRow(m, 3), range(0, 8));
  EXPECT_EQ(layoutRow(m, 7), range(0, 8));
  EXPECT_EQ(layoutRow(m, 0), (V{0, 1, 2, 3, 7}));
}

TEST(DeepSpeedFixed, DifferentGlobalPatternsPerHead) {
  const SparseMask m =
      ds("deepspeed-fixed", 8,
         {{"num_heads", "8"}, {"different_layout_per_head", "true"}, {"num_different_global_patterns", "4"}});
  ASSERT_EQ(m.heads(), 8);
  // Head h uses block 3 − h of each window (h mod 4).
  EXPECT_EQ(layoutRow(m, 0, 0), (V{0, 1, 2, 3, 7}));
  EXPECT_EQ(layoutRow(m, 0, 1), (V{0, 1, 2, 3, 6}));
  EXPECT_EQ(layoutRow(m, 5, 3), (V{0, 4, 5, 6, 7}));
  EXPECT_EQ(layoutRow(m, 0, 5), layoutRow(m, 0, 1));
  EXPECT_TRUE(m.sharesRows(1, 5));
  EXPECT_FALSE(m.sharesRows(0, 1));
}

TEST(DeepSpeedFixed, SameLayoutOnEveryHeadByDefault) {
  const SparseMask m = ds("deepspeed-fixed", 8, {{"num_heads", "4"}});
  EXPECT_EQ(m.heads(), 4);
  EXPECT_TRUE(m.sharesRows(0, 3));
  EXPECT_EQ(m.nnz(), 4 * m.nnz(0));
}

TEST(DeepSpeedFixed, RejectsWhatDeepSpeedRejects) {
  EXPECT_NE(errorOf([] {
              ds("deepspeed-fixed", 8, {{"num_global_blocks", "3"}});
            }).find("'num_global_blocks' = 3"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              ds("deepspeed-fixed", 8, {{"attention", "unidirectional"}, {"horizontal_global_attention", "true"}});
            }).find("'horizontal_global_attention'"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              ds("deepspeed-fixed", 8, {{"num_different_global_patterns", "2"}});
            }).find("different_layout_per_head"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              ds("deepspeed-fixed", 8, {{"different_layout_per_head", "true"}, {"num_different_global_patterns", "5"}});
            }).find("at most num_local_blocks / num_global_blocks = 4"),
            std::string::npos);
  EXPECT_EQ(errorOf([] { test::build("deepspeed-fixed", 100); }),
            "n = 100 is not allowed for deepspeed-fixed: it must be a multiple of block = 16");
}

TEST(DeepSpeedVariable, WindowsOfGivenSizesThenTheLastRepeats) {
  // Windows [0], [1,2], [3,4], [5,6], [7]; global block 0 is a column.
  const SparseMask m = ds("deepspeed-variable", 8, {{"local_window_blocks", "1,2"}});
  EXPECT_EQ(layoutRow(m, 0), (V{0}));
  EXPECT_EQ(layoutRow(m, 2), (V{0, 1, 2}));
  EXPECT_EQ(layoutRow(m, 4), (V{0, 3, 4}));
  EXPECT_EQ(layoutRow(m, 7), (V{0, 7}));
}

TEST(DeepSpeedVariable, HorizontalGlobalsAndRanges) {
  const SparseMask h =
      ds("deepspeed-variable", 8, {{"local_window_blocks", "1,2"}, {"horizontal_global_attention", "true"}});
  EXPECT_EQ(layoutRow(h, 0), range(0, 8));
  const SparseMask r =
      ds("deepspeed-variable", 8,
         {{"local_window_blocks", "4"}, {"global_block_indices", "2"}, {"global_block_end_indices", "4"}});
  EXPECT_EQ(layoutRow(r, 5), (V{2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(layoutRow(r, 0), (V{0, 1, 2, 3}));
}

TEST(DeepSpeedVariable, Unidirectional) {
  const SparseMask m = ds("deepspeed-variable", 8, {{"local_window_blocks", "1,2"}, {"attention", "unidirectional"}});
  EXPECT_EQ(layoutRow(m, 1), (V{0, 1}));
  EXPECT_EQ(layoutRow(m, 2), (V{0, 1, 2}));
  EXPECT_EQ(layoutRow(m, 0), (V{0}));
}

TEST(DeepSpeedVariable, RandomBlocksPerRowAndChecks) {
  const SparseMask m = ds("deepspeed-variable", 8,
                          {{"num_random_blocks", "2"}, {"global_block_indices", "none"}, {"local_window_blocks", "1"}});
  // Local window of 1 is the diagonal; 2 random blocks may land on it, so each row has 2 or 3 blocks.
  for (Index r = 0; r < 8; ++r) {
    EXPECT_GE(m.blockLayout().degree(0, r), 2);
    EXPECT_LE(m.blockLayout().degree(0, r), 3);
  }
  EXPECT_NE(errorOf([] {
              ds("deepspeed-variable", 4, {{"num_random_blocks", "5"}});
            }).find("'num_random_blocks' = 5"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              ds("deepspeed-variable", 8, {{"global_block_indices", "0,3"}, {"global_block_end_indices", "2"}});
            }).find("as many entries"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              ds("deepspeed-variable", 8, {{"global_block_indices", "3"}, {"global_block_end_indices", "3"}});
            }).find("greater than its start"),
            std::string::npos);
}

TEST(DeepSpeedBigBird, NoRandomBlocks) {
  const SparseMask m = ds("deepspeed-bigbird", 6, {{"num_random_blocks", "0"}});
  EXPECT_EQ(layoutRow(m, 0), range(0, 6));
  EXPECT_EQ(layoutRow(m, 3), (V{0, 2, 3, 4}));
  EXPECT_EQ(layoutRow(m, 5), (V{0, 4, 5}));
  const SparseMask u = ds("deepspeed-bigbird", 6, {{"num_random_blocks", "0"}, {"attention", "unidirectional"}});
  EXPECT_EQ(layoutRow(u, 0), (V{0}));
  EXPECT_EQ(layoutRow(u, 3), (V{0, 2, 3}));
}

TEST(DeepSpeedBigBird, UnidirectionalRandomBlocksStayInThePast) {
  for (int seed = 0; seed < 10; ++seed) {
    const SparseMask m =
        ds("deepspeed-bigbird", 12,
           {{"num_random_blocks", "3"}, {"attention", "unidirectional"}, {"seed", std::to_string(seed)}});
    for (Index r = 0; r < 12; ++r)
      for (KeyIndex c : m.blockLayout().row(0, r)) EXPECT_LE(c, r);
  }
}

TEST(DeepSpeedBSLongformer, WindowAndGlobalRowsAndColumns) {
  const SparseMask m = ds("deepspeed-bslongformer", 6, {{"global_block_indices", "2"}});
  EXPECT_EQ(layoutRow(m, 2), range(0, 6));
  EXPECT_EQ(layoutRow(m, 4), (V{2, 3, 4, 5}));
  EXPECT_EQ(layoutRow(m, 0), (V{0, 1, 2}));
  const SparseMask u =
      ds("deepspeed-bslongformer", 6, {{"global_block_indices", "2"}, {"attention", "unidirectional"}});
  EXPECT_EQ(layoutRow(u, 2), (V{0, 1, 2}));
  EXPECT_EQ(layoutRow(u, 0), (V{0}));
  EXPECT_EQ(layoutRow(u, 5), (V{2, 4, 5}));
}

TEST(DeepSpeedBSLongformer, RangesAndIgnoredIndices) {
  const SparseMask m =
      ds("deepspeed-bslongformer", 8, {{"global_block_indices", "0,6"}, {"global_block_end_indices", "2,20"}});
  EXPECT_EQ(layoutRow(m, 1), range(0, 8));
  EXPECT_EQ(layoutRow(m, 7), range(0, 8));
  EXPECT_EQ(layoutRow(m, 4), (V{0, 1, 3, 4, 5, 6, 7}));
  const auto spec = PatternSpec::parse("deepspeed-bslongformer");
  const auto p = spec.make(spec.resolve({{"global_block_indices", "0,9"}}), 128);
  ASSERT_EQ(p->notes().size(), 1u);
  EXPECT_NE(p->notes()[0].find("global block 9"), std::string::npos);
}

TEST(DeepSpeedLocal, UnidirectionalByDefault) {
  const SparseMask m = ds("deepspeed-local", 6);
  EXPECT_EQ(layoutRow(m, 0), (V{0}));
  EXPECT_EQ(layoutRow(m, 3), (V{2, 3}));
  const SparseMask b = ds("deepspeed-local", 6, {{"attention", "bidirectional"}, {"num_sliding_window_blocks", "5"}});
  EXPECT_EQ(layoutRow(b, 3), (V{1, 2, 3, 4, 5}));
  EXPECT_EQ(layoutRow(b, 0), (V{0, 1, 2}));
  EXPECT_NE(errorOf([] {
              ds("deepspeed-local", 2, {{"num_sliding_window_blocks", "3"}});
            }).find("'num_sliding_window_blocks' = 3"),
            std::string::npos);
}

TEST(DeepSpeed, TokenMaskIsTheLayoutExpanded) {
  const SparseMask m = test::build("deepspeed-local", 32, {{"block", "4"}});
  for (Index i = 0; i < 32; ++i)
    for (Index j = 0; j < 32; ++j) EXPECT_EQ(m.contains(0, i, j), m.blockLayout().contains(0, i / 4, j / 4));
}

TEST(DeepSpeed, LayoutSizeLimit) {
  EXPECT_NE(errorOf([] { test::build("deepspeed-local", Index(16384) * 2 * 16); }).find("more than a layout may have"),
            std::string::npos);
}

}  // namespace
}  // namespace attnscope

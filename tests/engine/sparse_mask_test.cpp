#include <gtest/gtest.h>

#include "engine/util/error.h"
#include "engine/masks/mask_stats.h"
#include "engine/masks/sparse_mask.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::row;

SparseMask small() {
  // 4 tokens: 0 → {0,1}, 1 → {}, 2 → {3,0,0}, 3 → {1,2,3}
  return SparseMask::fromRows(4, {{{0, 1}, {}, {3, 0, 0}, {1, 2, 3}}});
}

TEST(SparseMask, FromRowsSortsAndDeduplicates) {
  const SparseMask m = small();
  EXPECT_EQ(m.n(), 4);
  EXPECT_EQ(m.heads(), 1);
  EXPECT_EQ(m.nnz(), 7);
  EXPECT_EQ(row(m, 2), (std::vector<Index>{0, 3}));
  EXPECT_EQ(m.degree(0, 1), 0);
  EXPECT_EQ(m.degree(0, 3), 3);
}

TEST(SparseMask, MembershipTest) {
  const SparseMask m = small();
  EXPECT_TRUE(m.contains(0, 2, 3));
  EXPECT_FALSE(m.contains(0, 2, 2));
  EXPECT_FALSE(m.contains(0, 1, 0));
  EXPECT_FALSE(m.contains(0, 0, 7));
}

TEST(SparseMask, CausalKeepsKeysAtOrBeforeTheQuery) {
  const SparseMask c = small().causal();
  EXPECT_EQ(row(c, 0), (std::vector<Index>{0}));
  EXPECT_EQ(row(c, 2), (std::vector<Index>{0}));
  EXPECT_EQ(row(c, 3), (std::vector<Index>{1, 2, 3}));
  EXPECT_EQ(c.nnz(), 5);
}

TEST(SparseMask, UnionAndIntersection) {
  const SparseMask a = small();
  const SparseMask b = SparseMask::fromRows(4, {{{1, 2}, {1}, {3}, {0}}});
  const SparseMask u = unite(a, b);
  const SparseMask x = intersect(a, b);
  EXPECT_EQ(row(u, 0), (std::vector<Index>{0, 1, 2}));
  EXPECT_EQ(row(u, 1), (std::vector<Index>{1}));
  EXPECT_EQ(row(u, 3), (std::vector<Index>{0, 1, 2, 3}));
  EXPECT_EQ(row(x, 0), (std::vector<Index>{1}));
  EXPECT_EQ(row(x, 2), (std::vector<Index>{3}));
  EXPECT_TRUE(row(x, 3).empty());
  EXPECT_EQ(u.nnz(), 3 + 1 + 2 + 4);
  EXPECT_EQ(x.nnz(), 2);
}

TEST(SparseMask, OneHeadBroadcastsOverMany) {
  const SparseMask two = SparseMask::fromRows(2, {{{0}, {1}}, {{1}, {0}}});
  const SparseMask one = SparseMask::fromRows(2, {{{1}, {}}});
  const SparseMask u = unite(two, one);
  EXPECT_EQ(u.heads(), 2);
  EXPECT_EQ(row(u, 0, 0), (std::vector<Index>{0, 1}));
  EXPECT_EQ(row(u, 0, 1), (std::vector<Index>{1}));
  const SparseMask three = SparseMask::fromRows(2, {{{0}, {1}}, {{0}, {1}}, {{0}, {1}}});
  EXPECT_THROW(unite(two, three), Error);
  EXPECT_THROW(unite(two, SparseMask::fromRows(3, {{{0}, {1}, {2}}})), Error);
}

TEST(SparseMask, HeadUnionJoinsAllHeads) {
  const SparseMask two = SparseMask::fromRows(3, {{{0}, {1}, {}}, {{2}, {1}, {}}});
  const SparseMask u = two.headUnion();
  EXPECT_EQ(u.heads(), 1);
  EXPECT_EQ(row(u, 0), (std::vector<Index>{0, 2}));
  EXPECT_TRUE(row(u, 2).empty());
}

TEST(SparseMask, DensityOfFullIsOneEverywhere) {
  std::vector<std::vector<Index>> rows(10, test::range(0, 10));
  const SparseMask full = SparseMask::fromRows(10, {rows});
  for (float f : full.density(0, 3, 4)) EXPECT_FLOAT_EQ(f, 1.0f);
}

TEST(SparseMask, DensityMatchesBruteForce) {
  // A random mask against counting each tile cell by cell.
  const Index n = 37;
  std::vector<std::vector<Index>> rows(n);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j)
      if (std::rand() % 3 == 0) rows[i].push_back(j);
  const SparseMask m = SparseMask::fromRows(n, {rows});
  const int W = 5, H = 7;
  const auto tiles = m.density(0, W, H);
  auto start = [&](Index t, Index T) { return (t * n + T - 1) / T; };
  for (int r = 0; r < H; ++r)
    for (int c = 0; c < W; ++c) {
      Index count = 0, area = 0;
      for (Index i = start(r, H); i < start(r + 1, H); ++i)
        for (Index j = start(c, W); j < start(c + 1, W); ++j) {
          ++area;
          count += m.contains(0, i, j);
        }
      EXPECT_NEAR(tiles[r * W + c], double(count) / double(area), 1e-6) << r << "," << c;
    }
}

TEST(SparseMask, DensityClampsTilesToN) {
  const SparseMask m = small();
  EXPECT_EQ(m.density(0, 1000, 1000).size(), 16u);
}

TEST(MaskStats, CountsAndEmptyRows) {
  const MaskStats s = computeStats(small());
  EXPECT_EQ(s.nnz, 7);
  EXPECT_DOUBLE_EQ(s.cells, 16);
  EXPECT_DOUBLE_EQ(s.density, 7.0 / 16.0);
  EXPECT_EQ(s.rowMin, 0);
  EXPECT_EQ(s.rowMax, 3);
  EXPECT_DOUBLE_EQ(s.rowMean, 7.0 / 4.0);
  EXPECT_EQ(s.emptyRows, 1);
  EXPECT_FALSE(s.blocksActive.has_value());
}

}  // namespace
}  // namespace attnscope

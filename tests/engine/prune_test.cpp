// Magnitude pruning as torch.nn.utils.prune does it (issue 25, first part): the count rule where rounding matters,
// masks worked by hand, pruning twice, one ranking over several tensors, ties in their documented order.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "engine/compression/prune.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

// Python: round(0.2 * 1000) == 200, round(0.2 * 768 * 768) == 117965 (117,964.8), and half-way cases go to the even
// neighbour: round(2.5) == 2, round(3.5) == 4, round(0.5) == 0, round(1.5) == 2.
TEST(Prune, TheCountIsPythonsRound) {
  EXPECT_EQ(pruneCount(0.2, 1000), 200);
  EXPECT_EQ(pruneCount(0.2, 768 * 768), 117965);
  EXPECT_EQ(pruneCount(0.5, 5), 2);
  EXPECT_EQ(pruneCount(0.5, 7), 4);
  EXPECT_EQ(pruneCount(0.1, 5), 0);
  EXPECT_EQ(pruneCount(0.3, 5), 2);
  EXPECT_EQ(pruneCount(0.0, 10), 0);
  for (const double bad : {-0.1, 1.0, 1.5, std::numeric_limits<double>::quiet_NaN()})
    EXPECT_NE(test::errorOf([&] { pruneCount(bad, 10); }).find("expected a share of the weights, 0 ≤ amount < 1"),
              std::string::npos);
}

TEST(Prune, L1UnstructuredPrunesTheSmallestMagnitudes) {
  // |w| = 0.5 0.1 0.3 0.3 0 0.2: half of 6 is 3, so 0, 0.1 and 0.2 go.
  const std::vector<float> w = {0.5f, -0.1f, 0.3f, -0.3f, 0.0f, 0.2f};
  EXPECT_EQ(l1Unstructured(w, 0.5), (PruneMask{1, 0, 1, 1, 0, 0}));
  // Ties: of two equal magnitudes the lower index goes first.
  const std::vector<float> tie = {0.3f, -0.3f, 0.3f};
  EXPECT_EQ(l1Unstructured(tie, 0.5), (PruneMask{0, 0, 1}));  // round(1.5) = 2
  EXPECT_EQ(l1Unstructured(tie, 0.2), (PruneMask{0, 1, 1}));  // round(0.6) = 1
  // Applying the mask zeroes what was pruned and nothing else.
  std::vector<float> pruned = w;
  applyMask(pruned, l1Unstructured(w, 0.5));
  EXPECT_EQ(pruned, (std::vector<float>{0.5f, 0.0f, 0.3f, -0.3f, 0.0f, 0.0f}));
}

// Pruning twice prunes the share of what remains: 0.2 of 10 is 2, then 0.2 of the 8 left is round(1.6) = 2 more.
TEST(Prune, PruningAgainPrunesAShareOfWhatRemains) {
  const std::vector<float> w = {10, 1, 9, 2, 8, 3, 7, 4, 6, 5};
  const PruneMask once = l1Unstructured(w, 0.2);
  EXPECT_EQ(once, (PruneMask{1, 0, 1, 0, 1, 1, 1, 1, 1, 1}));
  const PruneMask twice = l1Unstructured(w, 0.2, once);
  EXPECT_EQ(twice, (PruneMask{1, 0, 1, 0, 1, 0, 1, 0, 1, 1}));
  int kept = 0;
  for (auto m : twice) kept += m;
  EXPECT_EQ(kept, 6);
  EXPECT_NE(test::errorOf([&] { l1Unstructured(w, 0.2, PruneMask(3, 1)); }).find("a previous mask of 3 entries"),
            std::string::npos);
}

// One ranking over several tensors: 0.4 of 5 weights is 2, the smallest two wherever they are.
TEST(Prune, GlobalUnstructuredRanksTheTensorsTogether) {
  const std::vector<float> a = {0.1f, 0.9f}, b = {0.2f, -0.05f, 0.3f};
  const std::vector<PruneMask> masks = globalUnstructured({a, b}, 0.4);
  ASSERT_EQ(masks.size(), 2u);
  EXPECT_EQ(masks[0], (PruneMask{0, 1}));
  EXPECT_EQ(masks[1], (PruneMask{1, 0, 1}));
  // Equal magnitudes in two tensors: the earlier tensor's goes first.
  const std::vector<float> c = {0.5f}, d = {-0.5f};
  const std::vector<PruneMask> tied = globalUnstructured({c, d}, 0.5);  // round(1.0) = 1
  EXPECT_EQ(tied[0], (PruneMask{0}));
  EXPECT_EQ(tied[1], (PruneMask{1}));
  const std::vector<float> nan = {1.0f, std::nanf("")};
  EXPECT_NE(test::errorOf([&] { l1Unstructured(nan, 0.5); }).find("weight 1 of tensor 0 is NaN"), std::string::npos);
}

// 0.2 of a 768 × 768 matrix of distinct magnitudes: exactly 117,965 go, and they are the smallest.
TEST(Prune, ADistilRobertaSizedMatrix) {
  std::vector<float> w(768 * 768);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = float((i * 7919) % w.size()) * (i % 2 ? -1.0f : 1.0f);
  const PruneMask mask = l1Unstructured(w, 0.2);
  std::size_t pruned = 0;
  float largestPruned = 0, smallestKept = std::numeric_limits<float>::infinity();
  for (std::size_t i = 0; i < w.size(); ++i) {
    if (mask[i] == 0) {
      ++pruned;
      largestPruned = std::max(largestPruned, std::fabs(w[i]));
    } else {
      smallestKept = std::min(smallestKept, std::fabs(w[i]));
    }
  }
  EXPECT_EQ(pruned, 117965u);
  EXPECT_LT(largestPruned, smallestKept);
}

}  // namespace
}  // namespace attnscope

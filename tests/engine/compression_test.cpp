// A compression step on a real model (issue 25, first part): stories260K's linear layers pruned in a copy, the
// count of weights pruned worked by hand from its shapes, and what it changes measured against the original.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "engine/compression/compare_models.h"
#include "engine/runtime/inference.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

const std::string kStories = std::string(ATTNSCOPE_STORIES_DIR) + "/stories260K.bin";
const std::string kText = "Once upon a time, there was a little girl named Lily. She loved to play outside.";

TEST(Compression, PruningACopyCountsByHandAndLeavesTheOriginal) {
  const RuntimeModel m = openModel(kStories);
  const std::vector<int> ids = encodeText(m, kText);
  std::shared_ptr<LanguageModel> original = m.model->copy();
  std::shared_ptr<LanguageModel> copy = m.model->copy();
  // Nothing pruned: the same answers exactly.
  pruneLinears(*copy, 0.0, false);
  CompressionMeasures same = compareModels(*original, *copy, ids, -1);
  EXPECT_EQ(same.answers.top1Agreement, 1.0);
  EXPECT_EQ(same.answers.klMax, 0.0);
  for (const auto& layer : same.jsByHead)
    for (double js : layer) EXPECT_EQ(js, 0.0);
  // 0.2 of each: 5 layers of q and o (64 × 64: round(819.2) = 819 each), k and v (32 × 64: round(409.6) = 410 each),
  // gate, up and down (172 × 64: round(2,201.6) = 2,202 each).
  ASSERT_EQ(same.full.count, 5 * (2 * 4096 + 2 * 2048 + 3 * 11008));
  ASSERT_EQ(same.full.nonZero, same.full.count);
  pruneLinears(*copy, 0.2, false);
  const CompressionMeasures pruned = compareModels(*original, *copy, ids, -1);
  EXPECT_EQ(pruned.full.nonZero - pruned.compressed.nonZero, 5 * (2 * 819 + 2 * 410 + 3 * 2202));
  EXPECT_EQ(pruned.compressed.bytes, pruned.full.bytes);  // dense float32: pruned weights keep their room
  EXPECT_GT(pruned.answers.klMean, 0.0);  // a fifth of each weight, the smallest: the answers move, a little
  ASSERT_EQ(pruned.jsByHead.size(), 5u);
  for (const auto& layer : pruned.jsByHead) {
    ASSERT_EQ(layer.size(), 8u);
    for (double js : layer) {
      EXPECT_GT(js, 0.0);
      EXPECT_LE(js, std::log(2.0));
    }
  }
  // The original is untouched: its own pass is the model's.
  EXPECT_EQ(linearWeights(*original).nonZero, same.full.count);
  // One ranking over all of them: round(0.2 × 226,560) = 45,312 weights go, wherever the smallest are.
  std::shared_ptr<LanguageModel> global = m.model->copy();
  pruneLinears(*global, 0.2, true);
  EXPECT_EQ(linearWeights(*global).nonZero, same.full.count - 45312);
  // Nine tenths: most answers change.
  std::shared_ptr<LanguageModel> most = m.model->copy();
  pruneLinears(*most, 0.9, true);
  const CompressionMeasures gutted = compareModels(*original, *most, ids, -1);
  EXPECT_LT(gutted.answers.top1Agreement, 0.5);
  EXPECT_GT(gutted.answers.klMean, pruned.answers.klMean);
  EXPECT_NE(test::errorOf([&] { pruneLinears(*global, 1.0, false); }).find("0 ≤ amount < 1"), std::string::npos);
}

}  // namespace
}  // namespace attnscope

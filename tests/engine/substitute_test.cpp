// What a pattern costs a model (issue 24, first part): stories260K run with full attention and with a pattern in
// its place. Full attention substituted, or a causal window wider than the text, must change nothing, exactly; a
// window of radius 0 (each token sees only itself) must change most next-token predictions, and agreement must
// rise with the radius to 1.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/patterns/pattern_registry.h"
#include "engine/runtime/inference.h"
#include "engine/runtime/substitute.h"
#include "engine/util/error.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

const std::string kStories = std::string(ATTNSCOPE_STORIES_DIR) + "/stories260K.bin";

const RuntimeModel& stories() {
  static const RuntimeModel m = openModel(kStories);
  return m;
}

// One mask for every layer: the pattern `name` with `params` at n.
AttentionMasks every(const std::string& name, const std::vector<std::pair<std::string, std::string>>& params, Index n) {
  const PatternSpec spec = PatternSpec::parse(name);
  AttentionMasks masks;
  masks.layers.push_back(
      std::make_shared<const SparseMask>(CheckedPattern::check(spec, spec.resolve(params), n).build()));
  return masks;
}

const std::string kStory =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her big red "
    "ball and her friend Tom. One day, they saw a big dog in the park.";

TEST(Substitute, FullAttentionOrAWindowWiderThanTheTextChangesNothing) {
  const std::vector<int> ids = encodeText(stories(), kStory);
  const Index n = static_cast<Index>(ids.size());
  for (const AttentionMasks& masks :
       {every("full", {}, n), every("window", {{"radius", std::to_string(n)}, {"causal", "true"}}, n)}) {
    const SubstituteMeasures m = measureSubstitute(*stories().model, ids, masks, -1);
    EXPECT_EQ(m.positions, n);
    EXPECT_EQ(m.top1Agreement, 1.0);
    EXPECT_EQ(m.klMean, 0.0);
    EXPECT_EQ(m.klMax, 0.0);
    EXPECT_EQ(m.shareOfCells, 1.0);
    EXPECT_EQ(m.emptyRows, 0);
    ASSERT_EQ(m.driftByLayer.size(), 5u);
    for (double d : m.driftByLayer) EXPECT_EQ(d, 0.0);
    ASSERT_TRUE(m.perplexity && m.perplexityFull);
    EXPECT_EQ(*m.perplexity, *m.perplexityFull);
  }
}

TEST(Substitute, AgreementRisesWithTheWindowToOne) {
  const std::vector<int> ids = encodeText(stories(), kStory);
  const Index n = static_cast<Index>(ids.size());
  double previous = -1;
  for (const Index radius : {0, 1, 2, 4, 8, 16, 32, 64}) {
    SCOPED_TRACE("radius " + std::to_string(radius));
    const SubstituteMeasures m = measureSubstitute(
        *stories().model, ids, every("window", {{"radius", std::to_string(radius)}, {"causal", "true"}}, n), -1);
    // The share of cells by hand: query i sees min(i, radius) + 1 of its i + 1 keys.
    double kept = 0, own = 0;
    for (Index i = 0; i < n; ++i) kept += double(std::min(i, radius) + 1), own += double(i + 1);
    EXPECT_NEAR(m.shareOfCells, kept / own, 1e-12);
    EXPECT_GE(m.top1Agreement, previous);
    if (radius == 0) {
      EXPECT_LT(m.top1Agreement, 0.5);  // each token alone: most next tokens change
      EXPECT_GT(*m.perplexity, *m.perplexityFull);
      EXPECT_GT(m.driftByLayer.back(), m.driftByLayer.front() * 0.5);
    }
    if (radius >= n) EXPECT_EQ(m.top1Agreement, 1.0);
    previous = m.top1Agreement;
  }
}

// A query row the substitute leaves empty gives a zero output and is counted; masks that do not fit are refused.
TEST(Substitute, EmptyRowsAreCountedAndMasksThatDoNotFitAreRefused) {
  const std::vector<int> ids = encodeText(stories(), "Lily saw a big red ball");
  const Index n = static_cast<Index>(ids.size());
  // Keys 0 only for query 0 … none for the others: every row but the first is empty, in 5 layers × 8 heads.
  std::vector<std::vector<Index>> rows(static_cast<std::size_t>(n));
  rows[0] = {0};
  AttentionMasks masks;
  masks.layers.push_back(
      std::make_shared<const SparseMask>(SparseMask::fromRows(n, std::vector<std::vector<std::vector<Index>>>{rows})));
  const SubstituteMeasures m = measureSubstitute(*stories().model, ids, masks, -1);
  EXPECT_EQ(m.emptyRows, 5 * 8 * (n - 1));
  EXPECT_NEAR(m.shareOfCells, 5.0 * 8.0 / (5.0 * 8.0 * double(n * (n + 1) / 2)), 1e-12);
  EXPECT_NE(test::errorOf([&] {
              measureSubstitute(*stories().model, ids, every("full", {}, n + 1), -1);
            }).find("cannot serve this pass: expected n = " + std::to_string(n)),
            std::string::npos);
  AttentionMasks three;
  for (int l = 0; l < 3; ++l) three.layers.push_back(every("full", {}, n).layers.front());
  EXPECT_NE(test::errorOf([&] { measureSubstitute(*stories().model, ids, three, -1); }).find("has 3 layers"),
            std::string::npos);
}

}  // namespace
}  // namespace attnscope

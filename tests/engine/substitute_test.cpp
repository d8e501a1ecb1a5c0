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

// A stack substitutes layer by layer: a window of radius 0 in layer 2 alone, full elsewhere, is what
// measureLayerByLayer gives for layer 2 (two paths, one answer); the layers below it do not move at all, the ones
// from it on do; and full in every layer of a stack changes nothing.
TEST(Substitute, AStackSubstitutesLayerByLayer) {
  const RuntimeModel& m = stories();
  const std::vector<int> ids = encodeText(m, kStory);
  const Index n = static_cast<Index>(ids.size());
  const SubstituteReference reference = referencePass(*m.model, ids, -1);
  LayerStack stack;
  stack.layers = parseShortForm("full ×2, window radius=0 causal=true, full ×2");
  const SubstituteMeasures third = measureAgainst(*m.model, reference, stackMasks(stack, 5, n));
  ASSERT_EQ(third.driftByLayer.size(), 5u);
  EXPECT_EQ(third.driftByLayer[0], 0.0);
  EXPECT_EQ(third.driftByLayer[1], 0.0);
  EXPECT_GT(third.driftByLayer[2], 0.01);
  EXPECT_GT(third.driftByLayer[4], 0.01);
  EXPECT_LT(third.top1Agreement, 1.0);
  // Layer 2 keeps 1 of each query's i + 1 keys; the four full layers keep all.
  const double own = double(n * (n + 1) / 2);
  EXPECT_NEAR(third.shareOfCells, (4 * own + double(n)) / (5 * own), 1e-12);

  const std::vector<SubstituteMeasures> byLayer =
      measureLayerByLayer(*m.model, reference, every("window", {{"radius", "0"}, {"causal", "true"}}, n));
  ASSERT_EQ(byLayer.size(), 5u);
  EXPECT_EQ(byLayer[2].driftByLayer, third.driftByLayer);
  EXPECT_EQ(byLayer[2].klMean, third.klMean);
  EXPECT_EQ(byLayer[2].top1Agreement, third.top1Agreement);
  for (std::size_t l = 0; l < 5; ++l) {
    SCOPED_TRACE("layer " + std::to_string(l));
    for (std::size_t below = 0; below < l; ++below) EXPECT_EQ(byLayer[l].driftByLayer[below], 0.0);
    EXPECT_GT(byLayer[l].driftByLayer[l], 0.0);
    EXPECT_GT(byLayer[l].klMean, 0.0);
  }

  LayerStack full;
  full.layers = parseShortForm("full ×5");
  const SubstituteMeasures same = measureAgainst(*m.model, reference, stackMasks(full, 5, n));
  EXPECT_EQ(same.klMax, 0.0);
  EXPECT_EQ(same.top1Agreement, 1.0);
  for (double d : same.driftByLayer) EXPECT_EQ(d, 0.0);
  // One layer serves all five, as --pattern does.
  LayerStack one;
  one.layers = parseShortForm("window radius=0 causal=true");
  EXPECT_EQ(measureAgainst(*m.model, reference, stackMasks(one, 5, n)).klMean,
            measureAgainst(*m.model, reference, every("window", {{"radius", "0"}, {"causal", "true"}}, n)).klMean);
}

TEST(Substitute, AStackThatDoesNotFitTheModelIsRefused) {
  LayerStack four;
  four.layers = parseShortForm("window radius=2 ×4");
  EXPECT_EQ(test::errorOf([&] { stackMasks(four, 5, 20); }),
            "the stack has 4 layers and the model 5: a stack substitutes layer by layer, so give it 5 layers (or one "
            "for every layer)");
  LayerStack lsh;
  lsh.layers = parseShortForm("full ×2, lsh, full ×2");
  EXPECT_NE(test::errorOf([&] { stackMasks(lsh, 5, 20); }).find("layer 3: lsh is not substituted"), std::string::npos);
  LayerStack blocks;
  blocks.layers = parseShortForm("blocks block=8");
  EXPECT_NE(test::errorOf([&] { stackMasks(blocks, 5, 20); }).find("layer 1"), std::string::npos);
}

}  // namespace
}  // namespace attnscope

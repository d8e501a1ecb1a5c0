// What a pattern costs a model (issue 24, first part): stories260K run with full attention and with a pattern in
// its place. Full attention substituted, or a causal window wider than the text, must change nothing, exactly; a
// window of radius 0 (each token sees only itself) must change most next-token predictions, and agreement must
// rise with the radius to 1.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "engine/patterns/pattern_registry.h"
#include "engine/io/atomic_file.h"
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
    if (radius >= n) {
      EXPECT_EQ(m.top1Agreement, 1.0);
    }
    previous = m.top1Agreement;
  }
}

// The same on every shipped story (resources/texts, 280–310 tokens each): agreement rises with the radius, from
// under half (each token alone) to 1 once the window holds the whole story.
TEST(Substitute, AgreementRisesWithTheWindowOnTheShippedStories) {
  int stories_ = 0;
  for (const auto& entry : std::filesystem::directory_iterator(ATTNSCOPE_TEXTS_DIR)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".txt" || name.rfind("masked-", 0) == 0) continue;
    ++stories_;
    SCOPED_TRACE(name);
    const std::vector<int> ids = encodeText(stories(), readSmallFile(entry.path().string(), 1 << 16, "a story"));
    const Index n = static_cast<Index>(ids.size());
    ASSERT_GT(n, 256);
    const SubstituteReference reference = referencePass(*stories().model, ids, -1);
    double previous = -1;
    for (const Index radius : {0, 1, 2, 4, 8, 16, 32, 64, 128, 512}) {
      const double agreement =
          measureAgainst(*stories().model, reference,
                         every("window", {{"radius", std::to_string(radius)}, {"causal", "true"}}, n))
              .top1Agreement;
      if (radius == 0) {
        EXPECT_LT(agreement, 0.5);
      }
      EXPECT_GE(agreement, previous) << "radius " << radius;
      previous = agreement;
    }
    EXPECT_EQ(previous, 1.0);
  }
  EXPECT_EQ(stories_, 4);
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

// topk on the model's own scores: k at least the text changes nothing, exactly; each query keeps min(k, i + 1) keys;
// and on a shipped story the k strongest keys keep more of the answers than a window of the same count.
TEST(Substitute, TopKOnTheModelsOwnScores) {
  const RuntimeModel& m = stories();
  const std::vector<int> ids =
      encodeText(m, readSmallFile(std::string(ATTNSCOPE_TEXTS_DIR) + "/the-red-kite.txt", 1 << 16, "a story"));
  const Index n = static_cast<Index>(ids.size());
  const SubstituteReference reference = referencePass(*m.model, ids, -1);
  const PatternSpec topk = PatternSpec::parse("topk"), window = PatternSpec::parse("window");
  const auto measure = [&](const PatternSpec& spec, const std::vector<std::pair<std::string, std::string>>& texts) {
    return measureAgainst(*m.model, reference, patternSubstitute(spec, spec.resolve(texts), n));
  };
  const SubstituteMeasures all = measure(topk, {{"k", std::to_string(n)}});
  EXPECT_EQ(all.klMax, 0.0);
  EXPECT_EQ(all.top1Agreement, 1.0);
  const SubstituteMeasures eight = measure(topk, {{"k", "8"}});
  double kept = 0, own = 0;
  for (Index i = 0; i < n; ++i) kept += double(std::min<Index>(8, i + 1)), own += double(i + 1);
  EXPECT_NEAR(eight.shareOfCells, kept / own, 1e-12);
  // A causal window of radius 7 keeps the same 8 keys a query (the 8 last), chosen by place, not by score.
  const SubstituteMeasures band = measure(window, {{"radius", "7"}, {"causal", "true"}});
  EXPECT_NEAR(band.shareOfCells, eight.shareOfCells, 1e-12);
  EXPECT_GT(eight.top1Agreement, band.top1Agreement);
  EXPECT_LT(eight.klMean, band.klMean);
  EXPECT_NE(test::errorOf([&] { patternSubstitute(PatternSpec::parse("lsh"), {}, n); }).find("lsh is not substituted"),
            std::string::npos);
}

// The windows of a sliding evaluation, by hand: 10 tokens in windows of 4 moved by 2 measure rows 0–2, 3–4, 5–6 and
// 7–9, each row once, each window's rows inside it.
TEST(Substitute, SlidingWindowsMeasureEveryRowOnce) {
  const std::vector<SlidingWindow> w = slidingWindows(10, 4, 2);
  ASSERT_EQ(w.size(), 4u);
  const Index expected[4][4] = {{0, 4, 0, 3}, {2, 6, 3, 5}, {4, 8, 5, 7}, {6, 10, 7, 10}};
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(w[k].begin, expected[k][0]);
    EXPECT_EQ(w[k].end, expected[k][1]);
    EXPECT_EQ(w[k].countFrom, expected[k][2]);
    EXPECT_EQ(w[k].countTo, expected[k][3]);
  }
  // The last window ends at the text's end and starts a full window before it.
  const std::vector<SlidingWindow> odd = slidingWindows(9, 4, 3);
  ASSERT_EQ(odd.size(), 3u);
  EXPECT_EQ(odd[2].begin, 5);
  EXPECT_EQ(odd[2].countFrom, 6);
  EXPECT_EQ(odd[2].countTo, 9);
  ASSERT_EQ(slidingWindows(4, 4, 4).size(), 1u);
  EXPECT_NE(test::errorOf([] { slidingWindows(10, 4, 4); }).find("stride 4 is not allowed: expected 1 … 3"),
            std::string::npos);
}

// A text longer than stories260K's 512 positions: full attention in its own place changes nothing, window by
// window, and every token but the first is predicted once.
TEST(Substitute, ASlidingEvaluationCountsEveryPredictionOnce) {
  const RuntimeModel& m = stories();
  std::string text;
  while (encodeText(m, text).size() < 700) text += kStory + " ";
  const std::vector<int> ids = encodeText(m, text);
  const Index n = static_cast<Index>(ids.size());
  const auto full = [](Index length) { return every("full", {}, length); };
  const SubstituteMeasures same = measureSliding(*m.model, ids, full, -1, 256);
  EXPECT_EQ(same.windows, Index(slidingWindows(n, 512, 256).size()));
  EXPECT_GE(same.windows, 2);
  EXPECT_EQ(same.positions, n);
  EXPECT_EQ(same.sums.predicted, n - 1);
  EXPECT_EQ(same.top1Agreement, 1.0);
  EXPECT_EQ(same.klMax, 0.0);
  EXPECT_EQ(*same.perplexity, *same.perplexityFull);
  EXPECT_EQ(same.shareOfCells, 1.0);
  // A window of radius 4 changes the answers; the share of cells is the rows' own, counted once each.
  const SubstituteMeasures narrow = measureSliding(
      *m.model, ids,
      [](Index length) {
        return every("window", {{"radius", "4"}, {"causal", "true"}}, length);
      },
      -1, 256);
  EXPECT_LT(narrow.top1Agreement, 1.0);
  EXPECT_GT(narrow.klMean, 0.0);
  double kept = 0, own = 0;
  for (const SlidingWindow& w : slidingWindows(n, 512, 256))
    for (Index i = w.countFrom; i < w.countTo; ++i)
      kept += double(std::min<Index>(i - w.begin, 4) + 1), own += double(i - w.begin + 1);
  EXPECT_NEAR(narrow.shareOfCells, kept / own, 1e-12);
  // A text that fits is one window, and measureSubstitute's answer.
  const std::vector<int> short_(ids.begin(), ids.begin() + 100);
  const SubstituteMeasures one = measureSliding(
      *m.model, short_,
      [](Index length) {
        return every("window", {{"radius", "4"}, {"causal", "true"}}, length);
      },
      -1, 256);
  const SubstituteMeasures direct =
      measureSubstitute(*m.model, short_, every("window", {{"radius", "4"}, {"causal", "true"}}, 100), -1);
  EXPECT_EQ(one.windows, 1);
  EXPECT_EQ(one.klMean, direct.klMean);
  EXPECT_EQ(one.driftByLayer, direct.driftByLayer);
}

// The Pareto front by hand: less share and more quality are better.
TEST(Substitute, ParetoFrontKeepsWhatNothingBeats) {
  const std::vector<std::pair<double, double>> points = {{0.5, 0.9}, {0.1, 0.2}, {0.3, 0.2}, {1.0, 1.0},
                                                         {0.3, 0.7}, {0.6, 0.8}, {0.1, 0.1}};
  EXPECT_EQ(paretoFront(points), (std::vector<std::size_t>{1, 4, 0, 3}));
  EXPECT_TRUE(paretoFront({}).empty());
}

// The fitted heads as a substitute: each head through its own pattern.
TEST(Substitute, FittedHeadsAttendThroughTheirOwnPatterns) {
  HeadFit causal1, full;
  causal1.best = {"window", {{"radius", "1"}, {"causal", "true"}}, 0, 0};
  full.best = {"full", {}, 0, 0};
  const AttentionMasks masks = fitMasks({{causal1, full}}, 5);
  ASSERT_EQ(masks.layers.size(), 1u);
  const SparseMask& mask = *masks.layers[0];
  ASSERT_EQ(mask.heads(), 2);
  for (Index i = 0; i < 5; ++i) {
    std::vector<Index> h0, h1;
    for (KeyIndex k : mask.row(0, i)) h0.push_back(k);
    for (KeyIndex k : mask.row(1, i)) h1.push_back(k);
    std::vector<Index> expected0 = {i};
    if (i > 0) expected0.insert(expected0.begin(), i - 1);
    EXPECT_EQ(h0, expected0);
    EXPECT_EQ(h1, (std::vector<Index>{0, 1, 2, 3, 4}));
  }
}

}  // namespace
}  // namespace attnscope

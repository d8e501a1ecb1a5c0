// The compression lab's numbers (issue 25): FP16 and BF16 rounding at their edges, dynamic int8 quantization against
// the published scheme written out here (scales, zero points, rounding, the integer products), and what holding a
// model's weights that way does to its answers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/compression/compare_models.h"
#include "engine/compression/compress.h"
#include "engine/compression/head_pruning.h"
#include "engine/quantization/dynamic_int8.h"
#include "engine/quantization/half.h"
#include "engine/runtime/bert_model.h"
#include "engine/runtime/inference.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

const std::string kStories = std::string(ATTNSCOPE_STORIES_DIR) + "/stories260K.bin";
const std::string kText =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.";

CompressionPlan held(WeightStorage storage, bool mixed, std::vector<PruneStep> prune = {}) {
  CompressionPlan p;
  p.storage = storage;
  p.mixed = mixed;
  p.prune = std::move(prune);
  return p;
}

float f16(float v) { return roundToHalf(v, HalfFormat::Fp16); }
float b16(float v) { return roundToHalf(v, HalfFormat::Bf16); }

TEST(HalfPrecision, Fp16RoundsToNearestEvenAndOverflowsPast65504) {
  EXPECT_EQ(floatToHalfBits(1.0f), 0x3c00);
  EXPECT_EQ(floatToHalfBits(-2.0f), 0xc000);
  EXPECT_EQ(floatToHalfBits(65504.0f), 0x7bff);  // the largest finite
  EXPECT_EQ(floatToHalfBits(65519.0f), 0x7bff);  // under half-way to 2^16: down
  EXPECT_EQ(floatToHalfBits(65520.0f), 0x7c00);  // half-way: to even, which is ∞
  EXPECT_EQ(floatToHalfBits(70000.0f), 0x7c00);
  EXPECT_EQ(floatToHalfBits(-70000.0f), 0xfc00);
  EXPECT_TRUE(std::isinf(f16(70000.0f)));
  // Ties between neighbours 2^-10 apart (near 1): to the even mantissa.
  EXPECT_EQ(f16(1.0f + std::ldexp(1.0f, -11)), 1.0f);                             // 1 + ½ulp → 1
  EXPECT_EQ(f16(1.0f + 3 * std::ldexp(1.0f, -11)), 1.0f + std::ldexp(1.0f, -9));  // 1 + 1½ulp → 1 + 2ulp
  EXPECT_EQ(f16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 1.0f + std::ldexp(1.0f, -10));
  EXPECT_EQ(f16(2047.0f), 2047.0f);  // 11 significant bits hold every integer to 2,048
  EXPECT_EQ(f16(2049.0f), 2048.0f);  // past it, steps of 2; 2,049 ties to the even 2,048
  EXPECT_EQ(f16(2051.0f), 2052.0f);
  // Subnormals: steps of 2^-24 under 2^-14.
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -14)), 0x0400);     // the smallest normal
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -24)), 0x0001);     // the smallest subnormal
  EXPECT_EQ(floatToHalfBits(std::ldexp(1.0f, -25)), 0x0000);     // half of it: a tie, to even (0)
  EXPECT_EQ(floatToHalfBits(std::ldexp(3.0f, -26)), 0x0001);     // ¾ of it: up
  EXPECT_EQ(floatToHalfBits(std::ldexp(3.0f, -25)), 0x0002);     // 1½ steps: a tie, to even (2)
  EXPECT_EQ(floatToHalfBits(std::ldexp(1023.0f, -24)), 0x03ff);  // the largest subnormal
  EXPECT_EQ(floatToHalfBits(std::ldexp(1023.5f, -24)), 0x0400);  // rounds up into the normals
  EXPECT_EQ(floatToHalfBits(1e-30f), 0x0000);
  EXPECT_EQ(floatToHalfBits(-0.0f), 0x8000);
  EXPECT_EQ(floatToHalfBits(std::numeric_limits<float>::infinity()), 0x7c00);
  EXPECT_TRUE(std::isnan(f16(std::numeric_limits<float>::quiet_NaN())));
  // Round trip: every finite half comes back to itself.
  for (std::uint32_t h = 0; h < 0x7c00; ++h) {
    const float f =
        roundToHalf(std::ldexp(float(h & 0x3ff) + (h >= 0x400 ? 1024.0f : 0.0f), h >= 0x400 ? int(h >> 10) - 25 : -24),
                    HalfFormat::Fp16);
    ASSERT_EQ(floatToHalfBits(f), h);
  }
  std::vector<float> values{1.0f, 65504.0f, 70000.0f, -1e6f, std::numeric_limits<float>::infinity()};
  EXPECT_EQ(roundToHalf(values, HalfFormat::Fp16), 2);  // 70,000 and −10^6 overflow; ∞ was already infinite
}

TEST(HalfPrecision, Bf16KeepsFloatsRangeWithEightSignificantBits) {
  EXPECT_EQ(floatToBfloat16Bits(1.0f), 0x3f80);
  EXPECT_EQ(b16(70000.0f), 70144.0f);                 // 70,000 = 1.068…·2^16; steps of 2^9 there: 137 steps, nearest
  EXPECT_EQ(b16(1.0f + std::ldexp(1.0f, -8)), 1.0f);  // a tie: to even
  EXPECT_EQ(b16(1.0f + 3 * std::ldexp(1.0f, -8)), 1.0f + std::ldexp(1.0f, -6));  // a tie: to even, up
  EXPECT_EQ(b16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 1.0f + std::ldexp(1.0f, -7));
  EXPECT_EQ(b16(std::ldexp(1.0f, -130)), std::ldexp(1.0f, -130));   // float's subnormals are held too
  EXPECT_TRUE(std::isinf(b16(std::numeric_limits<float>::max())));  // rounds past the largest bf16
  EXPECT_EQ(b16(halfFormatMax(HalfFormat::Bf16)), halfFormatMax(HalfFormat::Bf16));
  EXPECT_TRUE(std::isnan(b16(std::numeric_limits<float>::quiet_NaN())));
}

TEST(DynamicInt8, TheWeightScaleAndRoundingWorkedByHand) {
  // max|w| = 127.5 / 16, so the scale is exactly 1/16 and w · 16 is exact: the rounding alone decides.
  const std::vector<float> w{7.96875f, -7.96875f, 1.5f / 16, 2.5f / 16, -0.5f / 16, 0.0f, 3.0f / 16};
  const float scale = int8WeightScale(w);
  EXPECT_EQ(scale, 1.0f / 16);
  EXPECT_EQ(quantizeInt8(w[0], scale), 127);   // 127.5 ties to 128, clamped to 127
  EXPECT_EQ(quantizeInt8(w[1], scale), -128);  // −127.5 ties to the even −128
  EXPECT_EQ(quantizeInt8(w[2], scale), 2);     // 1.5 → 2
  EXPECT_EQ(quantizeInt8(w[3], scale), 2);     // 2.5 → 2
  EXPECT_EQ(quantizeInt8(w[4], scale), 0);     // −0.5 → 0
  EXPECT_EQ(quantizeInt8(w[6], scale), 3);
  // An all-zero weight: the scale is float's epsilon, every weight 0.
  const std::vector<float> zeros(5, 0.0f);
  EXPECT_EQ(int8WeightScale(zeros), std::numeric_limits<float>::epsilon());
}

TEST(DynamicInt8, TheInputsRangeAndZeroPointWorkedByHand) {
  // [−1, 3] onto 0 … 127: scale 4/127; the zero point 0 + 1 / (4/127) = 31.75 from the minimum (the end with the
  // smaller error), rounded to 32.
  ActivationQuantization q = chooseActivationQuantization(-1.0f, 3.0f);
  EXPECT_EQ(q.scale, float(4.0 / 127));
  EXPECT_EQ(q.zeroPoint, 32);
  EXPECT_EQ(quantizeActivation(0.0f, q), 32);
  EXPECT_EQ(quantizeActivation(3.0f, q), 127);     // 32 + 95.25
  EXPECT_EQ(quantizeActivation(-1.0f, q), 0);      // 32 − 31.75, rounded
  EXPECT_EQ(quantizeActivation(1000.0f, q), 255);  // clamped to uint8, not to 127
  // Only positive values: the range starts at 0, the zero point is 0.
  q = chooseActivationQuantization(0.5f, 2.0f);
  EXPECT_EQ(q.scale, float(2.0 / 127));
  EXPECT_EQ(q.zeroPoint, 0);
  EXPECT_EQ(quantizeActivation(2.0f, q), 127);
  // Only negative values: the range ends at 0, the zero point is 127.
  q = chooseActivationQuantization(-2.0f, -0.5f);
  EXPECT_EQ(q.zeroPoint, 127);
  EXPECT_EQ(quantizeActivation(-2.0f, q), 0);
  EXPECT_EQ(quantizeActivation(0.0f, q), 127);
  // All zero: the scale would be 0, so it is 0.1, and the zero point 0.
  q = chooseActivationQuantization(0.0f, 0.0f);
  EXPECT_EQ(q.scale, 0.1f);
  EXPECT_EQ(q.zeroPoint, 0);
  // A range that is not finite (an input that overflowed): no zero point can be worked out; 0 is taken.
  // (Here the formula's zero point from the top would be 127 − ∞/∞: NaN.)
  EXPECT_EQ(chooseActivationQuantization(-1.0f, std::numeric_limits<float>::infinity()).zeroPoint, 0);
  // A range so small that the scale falls under 6.1e-5: raised to it.
  q = chooseActivationQuantization(0.0f, 0.001f);
  EXPECT_EQ(q.scale, 6.1e-5f);
  EXPECT_EQ(q.zeroPoint, 0);
}

// The integer products, plainly: Σ xq · q_w in 64 bits.
TEST(DynamicInt8, TheIntegerKernelEqualsPlainSums) {
  std::mt19937 rng(7);
  for (const auto& [n, in, out] : std::vector<std::tuple<Index, Index, Index>>{
           {1, 1, 1}, {13, 37, 70}, {7, 64, 64}, {29, 768, 200}, {6, 5, 129}}) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> w(std::size_t(out * in));
    for (float& v : w) v = normal(rng);
    w[0] = 50.0f;  // one large weight: most weights quantize small, this one to 127
    const Int8Linear l = Int8Linear::quantize(w.data(), out, in);
    const Index ld = l.paddedIn() + 3;
    std::vector<std::uint8_t> xq(std::size_t(n * ld), 0);
    std::uniform_int_distribution<int> byte(0, 127);
    for (Index r = 0; r < n; ++r)
      for (Index i = 0; i < ld; ++i) xq[std::size_t(r * ld + i)] = std::uint8_t(i < in ? byte(rng) : 127);
    xq[0] = 127;
    std::vector<std::int32_t> acc(std::size_t(n * out));
    l.integerProduct(n, xq.data(), ld, acc.data());
    bool extremes = false;
    for (Index r = 0; r < n; ++r)
      for (Index o = 0; o < out; ++o) {
        std::int64_t sum = 0;
        for (Index i = 0; i < in; ++i) {
          sum += std::int64_t(xq[std::size_t(r * ld + i)]) * l.at(o, i);
          extremes |= l.at(o, i) == -128 || l.at(o, i) == 127;
        }
        ASSERT_EQ(acc[std::size_t(r * out + o)], sum) << n << "×" << in << "×" << out << " at " << r << ", " << o;
      }
    EXPECT_TRUE(extremes);
    for (Index o = 0; o < out; ++o)
      for (Index i = 0; i < in; ++i) ASSERT_EQ(l.at(o, i), quantizeInt8(w[std::size_t(o * in + i)], l.scale()));
  }
}

// A linear layer through the scheme as published, written out in double from the quantized values.
TEST(DynamicInt8, ALayerFollowsThePublishedSchemeAndStaysNearFloat) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const Index n = 9, in = 50, out = 70;
  std::vector<float> w(static_cast<std::size_t>(out * in)), b(static_cast<std::size_t>(out));
  for (float& v : w) v = 0.05f * normal(rng);
  for (float& v : b) v = normal(rng);
  const Int8Linear l = Int8Linear::quantize(w.data(), out, in);
  auto check = [&](const Matrix& x, const char* what) {
    const Matrix y = l(x, b.data());
    float lo = 0, hi = 0;
    for (Index k = 0; k < x.size(); ++k) lo = std::min(lo, x.data()[k]), hi = std::max(hi, x.data()[k]);
    const ActivationQuantization q = chooseActivationQuantization(lo, hi);
    double worst = 0, worstFloat = 0;
    for (Index r = 0; r < n; ++r)
      for (Index o = 0; o < out; ++o) {
        double sum = 0, exact = b[std::size_t(o)];
        for (Index i = 0; i < in; ++i) {
          sum += (double(quantizeActivation(x(r, i), q)) - q.zeroPoint) * double(l.at(o, i));
          exact += double(x(r, i)) * w[std::size_t(o * in + i)];
        }
        const double ref = double(q.scale) * double(l.scale()) * sum + b[std::size_t(o)];
        worst = std::max(worst, std::abs(double(y(r, o)) - ref));
        worstFloat = std::max(worstFloat, std::abs(double(y(r, o)) - exact));
      }
    EXPECT_LT(worst, 1e-5) << what;  // float's rounding of the product of scales and the sum
    // Against the float layer: each product is off by at most half a step of each operand, summed over the inputs.
    const double bound = double(in) * (0.5 * q.scale * 0.05 * 5 + 0.5 * l.scale() * std::max(-lo, hi));
    EXPECT_LT(worstFloat, bound) << what;
    return y;
  };
  Matrix x(n, in);
  for (Index k = 0; k < x.size(); ++k) x.data()[k] = normal(rng);
  check(x, "normal inputs");
  // All-zero and constant inputs: the output is the bias, and the bias plus a constant times each row's sum.
  const Matrix zero = check(Matrix::Zero(n, in), "all-zero inputs");
  for (Index o = 0; o < out; ++o) EXPECT_EQ(zero(0, o), b[std::size_t(o)]);
  const Matrix constant = check(Matrix::Constant(n, in, 2.0f), "constant inputs");
  for (Index o = 0; o < out; ++o) {
    double rowSum = 0;
    for (Index i = 0; i < in; ++i) rowSum += l.at(o, i);
    EXPECT_NEAR(constant(3, o), 2.0 * l.scale() * rowSum + b[std::size_t(o)], 1e-5);
  }
}

TEST(DynamicInt8, AQuantizedModelStaysNearItsFloatLogits) {
  // A small synthetic BERT (σ 0.02 weights, as BERT initialises) with its masked-LM head.
  BertConfig c = bertDefaults(BertFlavour::Bert);
  c.vocabSize = 200;
  c.hidden = 64;
  c.heads = 4;
  c.layers = 2;
  c.intermediate = 128;
  c.positions = 64;
  const BertModel model = BertModel::synthetic(c, /*head*/ true, 3);
  std::shared_ptr<LanguageModel> quantized = model.copy();
  applyPlan(*quantized, held(WeightStorage::Int8, false));
  std::vector<int> ids;
  for (int t = 0; t < 40; ++t) ids.push_back(5 + (t * 37) % 190);
  const ModelPass a = model.forward(ids), b = quantized->forward(ids);
  ASSERT_EQ(a.logits.rows(), b.logits.rows());
  double lo = a.logits(0, 0), hi = lo, off = 0;
  for (Index k = 0; k < a.logits.size(); ++k) {
    lo = std::min<double>(lo, a.logits.data()[k]);
    hi = std::max<double>(hi, a.logits.data()[k]);
    off = std::max<double>(off, std::abs(a.logits.data()[k] - b.logits.data()[k]));
  }
  const double spread = hi - lo;
  EXPECT_GT(off, 0.0);            // it is quantized
  EXPECT_LT(off, 0.05 * spread);  // within 5% of the logits' range
  // Its weights are one byte each plus a scale per layer: 2 layers × (4 of 64 × 64 + 64 × 128 + 128 × 64) and the
  // head's 64 × 64 transform.
  const Index count = 2 * (4 * 64 * 64 + 2 * 64 * 128) + 64 * 64;
  const LinearWeights weights = linearWeights(*quantized);
  EXPECT_EQ(weights.count, count);
  EXPECT_EQ(weights.bytes, double(count) + 4.0 * double(quantized->linears().size()));
  EXPECT_EQ(linearWeights(*model.copy()).bytes, 4.0 * double(count));
}

TEST(Compression, HalfPrecisionAndInt8OnStories260K) {
  const RuntimeModel m = openModel(kStories);
  const std::vector<int> ids = encodeText(m, kText);
  const std::shared_ptr<LanguageModel> full = m.model->copy();
  auto run = [&](const CompressionPlan& plan) {
    std::shared_ptr<LanguageModel> copy = m.model->copy();
    applyPlan(*copy, plan);
    return std::make_pair(compareModels(*full, *copy, ids, -1), copy);
  };
  const auto [fp16, fp16Model] = run(held(WeightStorage::Fp16, false));
  const auto [bf16, bf16Model] = run(held(WeightStorage::Bf16, false));
  const auto [mixed, mixedModel] = run(held(WeightStorage::Fp16, true));
  const auto [int8, int8Model] = run(held(WeightStorage::Int8, false));
  const Index count = 5 * (2 * 4096 + 2 * 2048 + 3 * 11008);
  EXPECT_EQ(fp16.compressed.bytes, 2.0 * double(count));
  EXPECT_EQ(int8.compressed.bytes, double(count) + 4.0 * 35);  // 7 linear layers a block, a scale each
  // Rounding to 11 significant bits changes the answers least, bf16's 8 more, int8's 8 bits over each whole tensor
  // most — and all of them keep most of the next tokens.
  EXPECT_GT(fp16.answers.klMean, 0.0);
  EXPECT_LT(fp16.answers.klMean, bf16.answers.klMean);
  EXPECT_LT(bf16.answers.klMean, int8.answers.klMean);
  EXPECT_EQ(fp16.answers.top1Agreement, 1.0);  // measured: every next token kept, KL 6e-8
  EXPECT_GE(int8.answers.top1Agreement, 0.9);  // measured: 35 of 36, KL 0.003
  EXPECT_EQ(mixedOverflows(*mixedModel), 0);
  // Pruning then quantizing: a pruned zero stays zero.
  const auto [both, bothModel] = run(held(WeightStorage::Int8, false, {{0.5, false}}));
  EXPECT_LE(both.compressed.nonZero, count - 5 * (2 * 2048 + 2 * 1024 + 3 * 5504));
  EXPECT_GT(both.answers.klMean, int8.answers.klMean);
}

TEST(Compression, Fp16RefusesWeightsItCannotHoldAndMixedModeCountsOverflows) {
  const RuntimeModel m = openModel(kStories);
  const std::vector<int> ids = encodeText(m, kText);
  std::shared_ptr<LanguageModel> big = m.model->copy();
  NamedLinear first = big->linears().front();
  std::vector<float> w = first.linear->weights();
  w[3] = 70000.0f;
  w[5] = -65520.0f;
  first.linear->setWeights(w);
  const std::string error = test::errorOf([&] { applyPlan(*big, held(WeightStorage::Fp16, false)); });
  EXPECT_NE(error.find("fp16 cannot hold this model: 2 weights of '" + first.name + "'"), std::string::npos) << error;
  EXPECT_NE(error.find("bf16"), std::string::npos);
  EXPECT_EQ(big->linears().front().linear->storage(), WeightStorage::Float32);  // refused before anything changed
  EXPECT_EQ(test::errorOf([&] { applyPlan(*big, held(WeightStorage::Bf16, false)); }), "");
  // A weight of 60,000 fits, but what it multiplies does not: the mixed pass's overflows are counted.
  std::shared_ptr<LanguageModel> loud = m.model->copy();
  NamedLinear q = loud->linears().front();
  w = q.linear->weights();
  for (Index i = 0; i < q.linear->in(); ++i) w[std::size_t(i)] = 60000.0f;
  q.linear->setWeights(w);
  applyPlan(*loud, held(WeightStorage::Fp16, true));
  loud->forward(ids);
  EXPECT_GT(mixedOverflows(*loud), 0);
  // Mixed precision needs a half format.
  EXPECT_NE(test::errorOf([&] { applyPlan(*loud, held(WeightStorage::Int8, true)); }).find("fp16 or bf16"),
            std::string::npos);
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

TEST(HeadPruning, TheLeastImportantByEachScoreTiesToTheLowerLayerAndHead) {
  const std::vector<std::vector<double>> scores{{3.0, 1.0, 2.0}, {1.0, 5.0, 0.5}};
  // output-norm: the smallest go first; 1.0 twice, (0, 1) before (1, 0).
  EXPECT_EQ(leastImportantHeads(scores, HeadScore::OutputNorm, 3), (std::vector<HeadId>{{1, 2}, {0, 1}, {1, 0}}));
  // entropy: the largest (most spread out) go first.
  EXPECT_EQ(leastImportantHeads(scores, HeadScore::Entropy, 2), (std::vector<HeadId>{{1, 1}, {0, 0}}));
  EXPECT_NE(test::errorOf([&] { leastImportantHeads(scores, HeadScore::Entropy, 6); }).find("at least one must stay"),
            std::string::npos);
  EXPECT_EQ(parseHeadScore("entropy"), HeadScore::Entropy);
  EXPECT_NE(test::errorOf([] { parseHeadScore("gradient"); }).find("expected output-norm"), std::string::npos);
}

TEST(HeadPruning, ScoresFollowTheirDefinitionAndRankingMatters) {
  const RuntimeModel m = openModel(kStories);
  const std::vector<int> ids = encodeText(m, kText);
  std::shared_ptr<LanguageModel> model = m.model->copy();
  const auto norms = headScores(*model, ids, HeadScore::OutputNorm);
  const auto entropies = headScores(*model, ids, HeadScore::Entropy);
  // Both written out in double from the pass: −Σ p ln p a row; ‖(A V) W_O,hᵀ‖ a row, W_O's columns 8h … 8h + 7.
  const ModelPass pass = model->forward(ids);
  const Index n = Index(ids.size());
  for (int l : {0, 4})
    for (int h : {0, 5}) {
      const Matrix& a = pass.attention[std::size_t(l)][std::size_t(h)];
      const Matrix& v = pass.vectors[std::size_t(l)][std::size_t(h)].v;
      std::vector<float> wo;
      for (const NamedLinear& x : model->linears())
        if (x.layer == l && x.name.find("o_proj") != std::string::npos) wo = x.linear->weights();
      ASSERT_EQ(wo.size(), 64u * 64u);
      double entropy = 0, norm = 0;
      for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j <= i; ++j) entropy -= double(a(i, j)) * std::log(double(a(i, j)));
        double row = 0;
        for (Index r = 0; r < 64; ++r) {
          double out = 0;
          for (Index c = 0; c < 8; ++c) {
            double av = 0;
            for (Index j = 0; j <= i; ++j) av += double(a(i, j)) * double(v(j, c));
            out += double(wo[std::size_t(r * 64 + 8 * h + c)]) * av;
          }
          row += out * out;
        }
        norm += std::sqrt(row);
      }
      EXPECT_NEAR(entropies[std::size_t(l)][std::size_t(h)], entropy / double(n), 1e-4);
      EXPECT_NEAR(norms[std::size_t(l)][std::size_t(h)], norm / double(n), 1e-4 * norm / double(n));
    }
  // Pruning 8 heads zeroes 8 × 64 × 8 weights of the output projections, and the answers move less when the 8 that
  // add least go than when the 8 that add most do.
  const Index before = linearWeights(*model).nonZero;
  CompressionPlan plan;
  plan.pruneHeads = 8;
  const std::vector<HeadId> least = applyPlan(*model, plan, ids);
  ASSERT_EQ(least.size(), 8u);
  EXPECT_EQ(linearWeights(*model).nonZero, before - 8 * 64 * 8);
  std::vector<std::vector<double>> negated = norms;
  for (auto& layer : negated)
    for (double& x : layer) x = -x;
  std::shared_ptr<LanguageModel> most = m.model->copy();
  pruneHeads(*most, leastImportantHeads(negated, HeadScore::OutputNorm, 8));
  const std::shared_ptr<LanguageModel> full = m.model->copy();
  const CompressionMeasures a = compareModels(*full, *model, ids, -1), b = compareModels(*full, *most, ids, -1);
  EXPECT_GT(a.answers.klMean, 0.0);
  EXPECT_LT(a.answers.klMean, b.answers.klMean);
  EXPECT_NE(test::errorOf([&] { applyPlan(*model, plan); }).find("ranks them on a text"), std::string::npos);
}

}  // namespace
}  // namespace attnscope

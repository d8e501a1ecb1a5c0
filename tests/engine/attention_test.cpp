// Attention kernels against a plain double-precision reference, mass kept, LSH buckets, .npy inputs.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/attention/attention.h"
#include "engine/attention/attention_compare.h"
#include "engine/attention/softmax_row.h"
#include "engine/util/parallel.h"
#include "engine/attention/tile_gemm.h"
#include "engine/util/error.h"
#include "engine/io/npy.h"
#include "engine/patterns/lsh.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::build;

// Largest absolute difference between float outputs and the double reference, over heads.
double maxDiff(const std::vector<Matrix>& out, const std::vector<MatrixD>& ref) {
  double m = 0;
  for (std::size_t h = 0; h < out.size(); ++h) m = std::max(m, (out[h].cast<double>() - ref[h]).cwiseAbs().maxCoeff());
  return m;
}

TEST(Attention, FullMatchesReference) {
  for (Index n : {1, 7, 64, 300}) {  // crosses tile edges (64 rows, 256 keys)
    const AttentionInputs in = syntheticInputs(2, n, 16, n);
    EXPECT_LT(maxDiff(fullAttention(in).out, referenceAttention(in, nullptr)), 2e-5) << n;
  }
}

TEST(Attention, EveryInstructionSetsTileMatchesTheReference) {
  // The full kernel's tile is chosen by the vector width: both widths' tiles run here whatever this machine has,
  // with n ending in part tiles of each (300 = 3 × 96 + 12 = 2 × 128 + 44; 3 × 256 + 32 and 8 × 96 + 32 keys).
  EXPECT_EQ(fullAttentionTile(16).rows, 96);
  EXPECT_EQ(fullAttentionTile(16).cols, 256);
  EXPECT_EQ(fullAttentionTile(8).rows, 128);
  EXPECT_EQ(fullAttentionTile(8).cols, 96);
  for (int width : {8, 16})
    for (Index n : {300, 800}) {
      const AttentionInputs in = syntheticInputs(2, n, 32, n + width);
      AttentionOptions o;
      o.tile = fullAttentionTile(width);
      EXPECT_LT(maxDiff(fullAttention(in, o).out, referenceAttention(in, nullptr)), 2e-5) << width << " n " << n;
    }
}

TEST(Attention, EveryMaskedQueryBlockMatchesTheReference) {
  // The masked kernel's query block is chosen by the vector width too: both, and the extremes allowed, on a window
  // (one key range a block) and a window with global tokens (gathered keys), n ending in a part block of each.
  EXPECT_EQ(maskedQueryRows(16), 16);
  EXPECT_EQ(maskedQueryRows(8), 24);
  const AttentionInputs in = syntheticInputs(2, 301, 32, 5);
  for (const SparseMask& mask :
       {build("window", 301, {{"radius", "20"}}), build("window+global", 301, {{"radius", "6"}, {"tokens", "0,150"}})})
    for (Index rows : {maskedQueryRows(16), maskedQueryRows(8), Index(1), kMaxMaskedQueryRows}) {
      AttentionOptions o;
      o.queryRows = rows;
      EXPECT_LT(maxDiff(maskedAttention(in, mask, o).out, referenceAttention(in, &mask)), 2e-5) << rows;
    }
  AttentionOptions tooMany;
  tooMany.queryRows = kMaxMaskedQueryRows + 1;
  EXPECT_THROW(maskedAttention(in, build("window", 301, {{"radius", "20"}}), tooMany), Error);
}

TEST(Attention, EveryTileBackendMatchesTheReferenceAtOddSizes) {
  // The fused kernels' tile products on libxsmm's JIT kernels and on Eigen (the fallback, forced here), with n
  // that ends in part tiles and head dims other than 64.
  const TileBackend before = tileBackend();
  for (TileBackend backend : {TileBackend::Eigen, TileBackend::Libxsmm}) {
    setTileBackend(backend);
    EXPECT_EQ(tileBackend(), libxsmmAvailable() ? backend : TileBackend::Eigen);
    const std::string name = tileBackendName(tileBackend());
    for (Index d : {48, 80}) {
      for (Index n : {333, 1001}) {
        const AttentionInputs in = syntheticInputs(2, n, d, 11);
        EXPECT_LT(maxDiff(fullAttention(in).out, referenceAttention(in, nullptr)), 2e-5)
            << name << " n " << n << " d " << d;
      }
      // Block-sparse: 21 blocks of 16 (an odd count), BigBird's layout, one a head; then the same mask through the
      // masked kernel's tiles (HfBigBirdExact.RepeatedBlocks… holds that kernel to repeated blocks).
      const SparseMask m = build("hf-bigbird", 336, {{"block_size", "16"}, {"num_heads", "2"}});
      const AttentionInputs in = syntheticInputs(2, 336, d, 12);
      EXPECT_LT(maxDiff(maskedAttention(in, m).out, referenceAttention(in, &m)), 2e-5) << name << " d " << d;
      AttentionOptions generic;
      generic.useBlockLayout = false;
      EXPECT_LT(maxDiff(maskedAttention(in, m, generic).out, referenceAttention(in, &m)), 2e-5) << name << " d " << d;
      // The masked kernel's tiles: a window (a contiguous key range a block, rows of 2r + 1 = 43 keys, which end
      // in part vectors) and a window with global tokens (gathered keys, rows that are not runs).
      const AttentionInputs odd = syntheticInputs(2, 333, d, 13);
      for (const SparseMask& mask : {build("window", 333, {{"radius", "21"}}),
                                     build("window+global", 333, {{"radius", "9"}, {"tokens", "0,200"}})})
        EXPECT_LT(maxDiff(maskedAttention(odd, mask).out, referenceAttention(odd, &mask)), 2e-5) << name << " d " << d;
    }
  }
  setTileBackend(before);
}

TEST(Attention, TheVectorisedPowersOfTwoAgreeWithDoublePrecision) {
  // The fused kernels' softmax rows (softmax_row.h): 2^(s − shift) in place and their sum, on rows whose lengths end
  // in part vectors, against std::exp2 in double. Arguments cover the clamp at −125 and the rounding ties at ±½;
  // the sum both returned (exp2ShiftedSum) and added into a row's running lanes (exp2ShiftedAccumulate).
  std::vector<float> args;
  for (int i = 0; i <= 20000; ++i) args.push_back(-130.0f * float(i) / 20000.0f);
  for (float t = -20.5f; t <= 0.0f; t += 0.5f) args.push_back(t);
  args.push_back(-std::nextafter(0.5f, 0.0f));
  const float shift = 3.25f;
  for (std::size_t len : {args.size(), std::size_t(37), std::size_t(1)}) {
    std::vector<float> row(len);
    for (std::size_t i = 0; i < len; ++i) row[i] = args[i] + shift;
    EXPECT_EQ(rowMax(row.data(), Index(len)), shift);
    std::vector<float> in = row, again = row;
    const float sum = exp2ShiftedSum(row.data(), Index(len), shift);
    std::vector<float> lanes(kSumLanes, 0.5f);  // a running sum of 0.5 · kSumLanes already
    exp2ShiftedAccumulate(again.data(), Index(len), shift, lanes.data());
    double exact = 0, worst = 0;
    for (std::size_t i = 0; i < len; ++i) {
      const double x = double(in[i]) - shift, want = std::exp2(std::max(x, -125.0));
      exact += want;
      worst = std::max(worst, std::abs(row[i] - want) / want);
      EXPECT_EQ(again[i], row[i]) << i;
    }
    EXPECT_LT(worst, 5e-7) << len;  // a few float ulp (6e-8 each)
    EXPECT_NEAR(sum, exact, 1e-6 * exact) << len;
    double accumulated = 0;
    for (float lane : lanes) accumulated += lane;
    EXPECT_NEAR(accumulated, exact + 0.5 * double(kSumLanes), 1e-6 * exact) << len;
  }
}

TEST(Attention, PowersAgainstAKnownIntegralShiftAgreeWithDoublePrecision) {
  // exp2BoundedSum/Accumulate: no clamp and the shift folded into the rounding, for integral shifts of either sign
  // and every argument s − shift the caller may pass, [−125, 1], with rounding ties, on rows ending in part vectors.
  std::vector<float> args;
  for (int i = 0; i <= 12600; ++i) args.push_back(1.0f - 126.0f * float(i) / 12600.0f);
  for (float t = -20.5f; t <= 1.0f; t += 0.5f) args.push_back(t);
  for (float shift : {31.0f, 1.0f, 0.0f, -17.0f}) {
    for (std::size_t len : {args.size(), std::size_t(45), std::size_t(3)}) {
      std::vector<float> row(len), again(len);
      for (std::size_t i = 0; i < len; ++i) row[i] = again[i] = args[i] + shift;
      const std::vector<float> in = row;
      const float sum = exp2BoundedSum(row.data(), Index(len), shift);
      std::vector<float> lanes(kSumLanes, 1.0f);
      exp2BoundedAccumulate(again.data(), Index(len), shift, lanes.data());
      double exact = 0, worst = 0;
      for (std::size_t i = 0; i < len; ++i) {
        const double want = std::exp2(double(in[i]) - shift);
        exact += want;
        worst = std::max(worst, std::abs(row[i] - want) / want);
        EXPECT_EQ(again[i], row[i]) << i;
      }
      EXPECT_LT(worst, 5e-7) << shift << " " << len;
      EXPECT_NEAR(sum, exact, 1e-6 * exact) << shift << " " << len;
      double accumulated = 0;
      for (float lane : lanes) accumulated += lane;
      EXPECT_NEAR(accumulated, exact + double(kSumLanes), 1e-6 * exact) << shift << " " << len;
    }
  }
}

TEST(Attention, KeysArePackedTransposedWithZeroPadding) {
  // packTransposed against the definition, on shapes that are and are not multiples of any vector width (the
  // register blocks and the edges copied one by one), and on enough keys that two threads share the work.
  for (auto [rows, cols] : {std::pair<Index, Index>{1, 1}, {5, 3}, {37, 19}, {64, 64}, {300, 48}, {4100, 64}}) {
    Matrix k(rows, cols);
    for (Index i = 0; i < rows; ++i)
      for (Index j = 0; j < cols; ++j) k(i, j) = float(i * 1000 + j);
    Matrix t(3, 3);
    t.setConstant(-1.0f);
    packTransposed(k, t);
    ASSERT_EQ(t.rows(), cols);
    ASSERT_EQ(t.cols(), rows + kTransposedPad);
    Index wrong = 0;
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < t.cols(); ++i) wrong += t(j, i) != (i < rows ? float(i * 1000 + j) : 0.0f);
    EXPECT_EQ(wrong, 0) << rows << " x " << cols;
  }
  // transposeInto with strides of its own: a 21 × 35 corner of a wider matrix into a wider destination.
  Matrix src(30, 40), dst = Matrix::Constant(40, 50, -1.0f);
  for (Index i = 0; i < 30; ++i)
    for (Index j = 0; j < 40; ++j) src(i, j) = float(i * 100 + j);
  transposeInto(src.data(), 21, 35, src.cols(), dst.data(), dst.cols());
  Index wrong = 0;
  for (Index j = 0; j < 40; ++j)
    for (Index i = 0; i < 50; ++i) wrong += dst(j, i) != (j < 35 && i < 21 ? float(i * 100 + j) : -1.0f);
  EXPECT_EQ(wrong, 0);
}

TEST(ParallelChunks, HandsOutChunksInTheOrderGiven) {
  // The block-sparse kernel hands out its heaviest row blocks first. On one thread the chunks run in exactly the
  // order given, and onDone hears of the real row ranges; on two, each chunk still runs once.
  const std::vector<Index> order = {2, 0, 1};
  std::vector<std::pair<Index, Index>> ran, done;
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  parallelChunks(
      25, 10, Progress{}, 0, 1, [&](Index b, Index e) { ran.emplace_back(b, e); },
      [&](Index b, Index e) { done.emplace_back(b, e); }, &order);
  const std::vector<std::pair<Index, Index>> expected = {{20, 25}, {0, 10}, {10, 20}};
  EXPECT_EQ(ran, expected);
  EXPECT_EQ(done, expected);
  omp_set_num_threads(2);
  std::vector<std::atomic<int>> runs(3);
  parallelChunks(
      25, 10, Progress{}, 0, 1, [&](Index b, Index) { ++runs[static_cast<std::size_t>(b / 10)]; }, nullptr, &order);
  for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
  omp_set_num_threads(before);
}

TEST(Attention, TheFullPatternTakesTheFusedKernel) {
  // `run --pattern full` used to time the masked kernel over an all-ones mask. A mask with every cell active now
  // goes to the fused kernel: its output is the fused kernel's to the bit (the masked kernel sums in another order).
  const AttentionInputs in = syntheticInputs(2, 300, 48, 5);
  const AttentionOutput fused = fullAttention(in);
  const AttentionOutput masked = maskedAttention(in, build("full", 300));
  ASSERT_EQ(masked.out.size(), 2u);
  for (int h = 0; h < 2; ++h) EXPECT_TRUE(masked.out[h] == fused.out[h]) << "head " << h;
  // And it still agrees with the double-precision reference.
  const auto reference = referenceAttention(in, nullptr);
  for (int h = 0; h < 2; ++h) EXPECT_LT((masked.out[h].cast<double>() - reference[h]).cwiseAbs().maxCoeff(), 1e-5);
}

TEST(Attention, FullWithLargeScoresStaysFinite) {
  AttentionInputs in = syntheticInputs(1, 100, 8, 3);
  in.q[0] *= 40.0f;  // scores in the thousands: a naive softmax would overflow
  const auto out = fullAttention(in).out;
  EXPECT_TRUE(out[0].allFinite());
  EXPECT_LT(maxDiff(out, referenceAttention(in, nullptr)), 1e-3);
}

TEST(Attention, RowsWithAndWithoutABoundOnTheirScoresMatchTheReference) {
  // The fused kernels take a row's powers against a fixed shift when ‖q‖·max‖k‖ bounds its base-2 scores by 30, and
  // against its running maximum otherwise. Here one block holds both kinds: rows scaled up past the bound, a row
  // whose best score sits at the bound itself (head 0: its query along the longest key), and in head 1 rows whose
  // every score lies near −B (queries against keys that all point one way; B = 25, and 70 where only the running
  // maximum will do), through the full, block-sparse and masked kernels.
  const Index n = 300, d = 32;
  AttentionInputs in = syntheticInputs(2, n, d, 9);
  const double base2 = std::log2(std::exp(1.0)) / std::sqrt(double(d));
  for (int h = 0; h < 2; ++h) {
    Matrix& q = in.q[h];
    Matrix& k = in.k[h];
    for (Index i = 0; i < n; i += 3) q.row(i) *= 6.0f;  // B ≈ 65: the running maximum
    Index longest = 0;
    k.rowwise().norm().maxCoeff(&longest);
    const double kk = k.row(longest).squaredNorm();
    q.row(1) = k.row(longest) * float(29.5 / (kk * base2));  // its score with that key is B = 29.5
    if (h == 1) {  // every key along one direction, the query against it: all scores near −B
      const Eigen::RowVectorXf u = Eigen::RowVectorXf::Ones(d) / std::sqrt(float(d));
      for (Index j = 0; j < n; ++j) k.row(j) = u * 4.0f + k.row(j) * 0.05f;
      q.row(2) = -u * float(25.0 / (4.2 * base2));
      q.row(4) = -u * float(70.0 / (4.2 * base2));  // all scores near −70: a fixed shift could not serve it
    }
  }
  EXPECT_LT(maxDiff(fullAttention(in).out, referenceAttention(in, nullptr)), 2e-5);
  for (int width : {8, 16}) {
    AttentionOptions o;
    o.tile = fullAttentionTile(width);
    EXPECT_LT(maxDiff(fullAttention(in, o).out, referenceAttention(in, nullptr)), 2e-5) << width;
  }
  for (const SparseMask& m :
       {build("hf-bigbird", n, {{"block_size", "10"}, {"num_heads", "2"}}), build("window", n, {{"radius", "40"}})}) {
    const auto ref = referenceAttention(in, &m);
    EXPECT_LT(maxDiff(maskedAttention(in, m).out, ref), 2e-5);
    AttentionOptions generic;
    generic.useBlockLayout = false;
    EXPECT_LT(maxDiff(maskedAttention(in, m, generic).out, ref), 2e-5);
  }
}

TEST(Attention, MaskedMatchesReferenceForManyPatterns) {
  const std::vector<std::pair<std::string, test::Params>> cases = {
      {"window", {{"radius", "5"}}},                              // contiguous tiles
      {"window", {{"radius", "3"}, {"causal", "true"}}},          // causal
      {"window+global", {{"radius", "4"}, {"tokens", "0,100"}}},  // gathered tiles
      {"random", {{"per_row", "3"}}},                             // row by row
      {"window", {{"radius", "2"}, {"dilation", "7"}}},           // sparse spans
      {"causal", {}},
      {"deepspeed-bigbird", {{"block", "16"}, {"num_random_blocks", "1"}}},  // block-sparse kernel
      {"hf-bigbird", {{"block_size", "8"}, {"num_heads", "2"}}},             // block-sparse, one layout per head
  };
  for (const auto& [name, params] : cases) {
    const SparseMask m = build(name, 256, params);
    const AttentionInputs in = syntheticInputs(2, 256, 32, 5);
    const auto ref = referenceAttention(in, &m);
    EXPECT_LT(maxDiff(maskedAttention(in, m).out, ref), 2e-5) << name;
    AttentionOptions generic;
    generic.useBlockLayout = false;
    EXPECT_LT(maxDiff(maskedAttention(in, m, generic).out, ref), 2e-5) << name << " (generic kernel)";
  }
}

TEST(Attention, EmptyRowsGiveZeroAndAreCounted) {
  // Tokens 1 and 3 attend nothing.
  const SparseMask m = SparseMask::fromRows(4, {{{0, 1}, {}, {2}, {}}});
  const AttentionInputs in = syntheticInputs(3, 4, 8, 1);
  const AttentionOutput out = maskedAttention(in, m);
  EXPECT_EQ(out.emptyRows, 2 * 3);
  for (int h = 0; h < 3; ++h) {
    EXPECT_TRUE(out.out[h].row(1).isZero());
    EXPECT_TRUE(out.out[h].row(3).isZero());
    EXPECT_TRUE(out.out[h].row(2).isApprox(in.v[h].row(2)));  // one key: weight 1
  }
  EXPECT_LT(maxDiff(out.out, referenceAttention(in, &m)), 2e-5);
}

TEST(Attention, WeightsAreSoftmaxRowsOnActiveCells) {
  const SparseMask m = build("window", 40, {{"radius", "3"}});
  const AttentionInputs in = syntheticInputs(2, 40, 8, 9);
  AttentionOptions options;
  options.wantWeights = true;
  const AttentionOutput out = maskedAttention(in, m, options);
  ASSERT_TRUE(out.weights.has_value());
  for (int h = 0; h < 2; ++h)
    for (Index i = 0; i < 40; ++i) {
      double sum = 0;
      for (KeyIndex k : m.row(0, i)) sum += out.weights->at(h, i, k);
      EXPECT_NEAR(sum, 1.0, 1e-5);
      EXPECT_EQ(out.weights->at(h, i, (i + 20) % 40), 0.0f);
      // Weights reproduce the output: Σ_j w_ij v_j.
      Eigen::RowVectorXf o = Eigen::RowVectorXf::Zero(8);
      for (KeyIndex k : m.row(0, i)) o += out.weights->at(h, i, k) * in.v[h].row(k);
      EXPECT_LT((o - out.out[h].row(i)).cwiseAbs().maxCoeff(), 1e-5);
    }
  // Different heads, different weights, though the mask is shared.
  EXPECT_NE(out.weights->at(0, 5, 5), out.weights->at(1, 5, 5));
}

TEST(Attention, HeadMismatchIsAnError) {
  const SparseMask m = build("deepspeed-fixed", 64, {{"num_heads", "3"}});
  EXPECT_NE(test::errorOf([&] { maskedAttention(syntheticInputs(2, 64, 8, 0), m); }).find("3 heads"),
            std::string::npos);
  EXPECT_NE(test::errorOf([&] { maskedAttention(syntheticInputs(3, 32, 8, 0), m); }).find("n = 64"), std::string::npos);
}

TEST(Attention, FinishedRowsAreReportedOnceOnTheCallersThread) {
  // onRows is how a view fills in block-row by block-row: every row exactly once per head, on the caller's thread.
  const AttentionInputs in = syntheticInputs(2, 1000, 8, 1);
  for (bool full : {true, false}) {
    std::vector<std::vector<int>> seen(2, std::vector<int>(1000, 0));
    bool otherThread = false;
    const auto caller = std::this_thread::get_id();
    AttentionOptions options;
    options.onRows = [&](int head, Index begin, Index end) {
      otherThread = otherThread || std::this_thread::get_id() != caller;
      for (Index i = begin; i < end; ++i) ++seen[head][i];
    };
    if (full)
      fullAttention(in, options);
    else
      maskedAttention(in, build("window", 1000, {{"radius", "3"}}), options);
    EXPECT_FALSE(otherThread);
    for (int h = 0; h < 2; ++h)
      for (Index i = 0; i < 1000; ++i) EXPECT_EQ(seen[h][i], 1) << full << " " << h << " " << i;
  }
}

TEST(MassKept, FullKeepsEverything) {
  const AttentionInputs in = syntheticInputs(2, 50, 8, 2);
  EXPECT_NEAR(attentionMassKept(in, build("full", 50)), 1.0, 1e-6);
  const Comparison c = compareWithFull(in, build("full", 50));
  EXPECT_NEAR(c.massKept, 1.0, 1e-6);
  EXPECT_LT(c.relError, 1e-5);
}

TEST(MassKept, MatchesAHandComputation) {
  // Two tokens, dim 1, q = k = (1, 2) → scores q_i k_j / √1: row 0 = (1, 2), row 1 = (2, 4).
  // The pattern keeps only the diagonal: row 0 keeps e¹/(e¹+e²), row 1 keeps e⁴/(e²+e⁴).
  AttentionInputs in;
  Matrix x(2, 1);
  x << 1, 2;
  in.q = {x};
  in.k = {x};
  in.v = {x};
  const SparseMask diagonal = SparseMask::fromRows(2, {{{0}, {1}}});
  const double row0 = std::exp(1.0) / (std::exp(1.0) + std::exp(2.0));
  const double row1 = std::exp(4.0) / (std::exp(2.0) + std::exp(4.0));
  EXPECT_NEAR(attentionMassKept(in, diagonal), (row0 + row1) / 2, 1e-6);
}

TEST(MassKept, FromWeightsMatchesTheSeparatePass) {
  const AttentionInputs in = syntheticInputs(2, 96, 16, 5);
  const SparseMask window = build("window", 96, {{"radius", "4"}});
  AttentionOptions weights;
  weights.wantWeights = true;
  const AttentionOutput full = fullAttention(in, weights);
  ASSERT_TRUE(full.weights);
  EXPECT_NEAR(massKeptFromWeights(*full.weights, window), attentionMassKept(in, window), 1e-5);
}

TEST(CompareHooks, ReportEveryRowOfBothRunsAndKeepTheWeights) {
  const AttentionInputs in = syntheticInputs(1, 300, 16, 9);
  const SparseMask window = build("window", 300, {{"radius", "2"}});
  std::vector<int> seen[2] = {std::vector<int>(300, 0), std::vector<int>(300, 0)};
  std::vector<int> stages;
  CompareHooks hooks;
  hooks.wantWeights = true;
  hooks.repeatBelowMs = 1e9;  // five timed passes each; only the first reports its rows
  hooks.onRows = [&](bool full, int, Index b, Index e) {
    if (!stages.empty()) EXPECT_EQ(stages.back(), full ? 1 : 0);  // rows arrive within their own stage
    for (Index i = b; i < e; ++i) ++seen[full][i];
  };
  hooks.onStage = [&](int stage) { stages.push_back(stage); };
  AttentionOutput pattern, full;
  const Comparison c = compareWithFull(in, window, {}, &pattern, &full, hooks);
  EXPECT_EQ(stages, (std::vector<int>{0, 1, 2}));
  for (int f = 0; f < 2; ++f)
    for (Index i = 0; i < 300; ++i) EXPECT_EQ(seen[f][i], 1) << f << " " << i;
  ASSERT_TRUE(pattern.weights && full.weights);
  EXPECT_EQ(pattern.weights->mask.nnz(), window.nnz());
  // A row of weights sums to 1 in both runs.
  double rowSum = 0;
  for (Index k = 0; k < 300; ++k) rowSum += full.weights->at(0, 17, k);
  EXPECT_NEAR(rowSum, 1.0, 1e-5);
  EXPECT_NEAR(pattern.weights->at(0, 17, 15) + pattern.weights->at(0, 17, 16) + pattern.weights->at(0, 17, 17) +
                  pattern.weights->at(0, 17, 18) + pattern.weights->at(0, 17, 19),
              1.0, 1e-5);
  EXPECT_NEAR(c.massKept, attentionMassKept(in, window), 1e-5);
}

TEST(Lsh, BucketsAgainstAHandRotation) {
  // R = identity (dim 2, 4 buckets): [xR, −xR] = [x0, x1, −x0, −x1]; argmax picks the bucket.
  Matrix x(4, 2);
  x << 1, 0, 0, 1, -1, 0, 0.2f, -3;
  const Matrix R = Matrix::Identity(2, 2);
  EXPECT_EQ(lsh::buckets(x, R), (std::vector<int>{0, 1, 2, 3}));
}

TEST(Lsh, IdenticalVectorsShareABucketAndAttendEachOther) {
  // Identical vectors always hash alike. Neighbouring identical tokens are neighbours in the bucket-sorted order
  // too, so the later one always attends the earlier (same chunk, or the chunk before), and both ways when they
  // share a chunk. (Chunking gives no such promise for identical tokens far apart in a crowded bucket.)
  AttentionInputs in = syntheticInputs(1, 32, 16, 4);
  in.q[0].row(20) = in.q[0].row(3);
  in.q[0].row(11) = in.q[0].row(10);
  const PatternSpec spec = PatternSpec::parse("lsh");
  int bothWays = 0;
  for (int seed = 0; seed < 20; ++seed) {
    const auto b = lsh::buckets(in.q[0], lsh::rotation(16, 4, seed, 0, 0));
    EXPECT_EQ(b[3], b[20]);
    EXPECT_EQ(b[10], b[11]);
    const SparseMask m =
        spec.build({{"buckets", "4"}, {"chunk", "4"}, {"seed", std::to_string(seed)}}, 32, {}, {}, &in);
    EXPECT_TRUE(m.contains(0, 11, 10)) << seed;
    bothWays += m.contains(0, 10, 11);
  }
  EXPECT_GT(bothWays, 10);  // sharing a chunk is the common case (3 of 4 places in a chunk of 4)
  // With one chunk spanning everything, identical tokens anywhere attend each other.
  const SparseMask wide = spec.build({{"buckets", "4"}, {"chunk", "32"}}, 32, {}, {}, &in);
  EXPECT_TRUE(wide.contains(0, 3, 20) && wide.contains(0, 20, 3));
}

TEST(Lsh, NoSelfAttentionWhenOtherKeysExistAndHashesUnite) {
  const AttentionInputs in = syntheticInputs(1, 64, 16, 8);
  const PatternSpec spec = PatternSpec::parse("lsh");
  const SparseMask one = spec.build({{"chunk", "4"}}, 64, {}, {}, &in);
  const SparseMask two = spec.build({{"chunk", "4"}, {"hashes", "2"}}, 64, {}, {}, &in);
  for (Index i = 0; i < 64; ++i) {
    EXPECT_FALSE(one.contains(0, i, i));
    EXPECT_EQ(one.degree(0, i), 7);  // own chunk of 4 and the previous one, less itself
  }
  EXPECT_EQ(intersect(two, one), one);  // the union over rounds contains round 0
  EXPECT_GT(two.nnz(), one.nnz());
  // One token alone: it attends itself.
  const SparseMask alone = spec.build({{"chunk", "1"}}, 1, {}, {}, nullptr);
  EXPECT_TRUE(alone.contains(0, 0, 0));
  EXPECT_NE(test::errorOf([&] {
              spec.build({{"buckets", "5"}}, 64, {}, {}, &in);
            }).find("'buckets' = 5"),
            std::string::npos);
}

TEST(Inputs, TextTokensAndStructure) {
  const AttentionInputs in = textInputs("The cat sat. the cat ran!", 2, 16, 1);
  EXPECT_EQ(in.tokens, (std::vector<std::string>{"The", "cat", "sat", ".", "the", "cat", "ran", "!"}));
  EXPECT_EQ(in.n(), 8);
  EXPECT_EQ(in.heads(), 2);
  EXPECT_EQ(in.dim(), 16);
  // "cat" at 1 and 5 share a type: their queries are closer than those of unrelated tokens.
  const float same = (in.q[0].row(1) - in.q[0].row(5)).norm();
  const float other = (in.q[0].row(1) - in.q[0].row(6)).norm();
  EXPECT_LT(same, other);
  EXPECT_THROW(textInputs("   ", 1, 8, 0), Error);
  EXPECT_EQ(tokenize("[CLS] a [b c] <s> x </s> [SEP]"),
            (std::vector<std::string>{"[CLS]", "a", "[", "b", "c", "]", "<s>", "x", "</s>", "[SEP]"}));
}

class NpyInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("attnscope-npy-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
};

TEST_F(NpyInputs, RoundTripAndShapes) {
  const AttentionInputs a = syntheticInputs(2, 10, 4, 3);
  std::vector<float> flat;
  for (const Matrix& m : a.q) flat.insert(flat.end(), m.data(), m.data() + m.size());
  writeNpyFloat(path("q.npy"), {2, 10, 4}, flat.data());
  const NpyArray back = readNpy(path("q.npy"));
  EXPECT_EQ(back.shape, (std::vector<Index>{2, 10, 4}));
  EXPECT_TRUE(std::equal(flat.begin(), flat.end(), back.data.begin()));
  const AttentionInputs in = npyInputs(path("q.npy"), path("q.npy"), path("q.npy"));
  EXPECT_EQ(in.heads(), 2);
  EXPECT_TRUE(in.q[1].isApprox(a.q[1]));
  // [n, dim] is one head.
  writeNpyFloat(path("k.npy"), {10, 4}, flat.data());
  EXPECT_EQ(npyInputs(path("k.npy"), path("k.npy"), path("k.npy")).heads(), 1);
}

TEST_F(NpyInputs, Float64AndErrors) {
  // A float64 file written by hand: header then doubles.
  {
    std::ofstream out(path("d.npy"), std::ios::binary);
    std::ostringstream header;
    writeNpyHeader(out, "<f8", {3, 2});
    const double values[6] = {1, 2, 3, 4, 5, 6};
    out.write(reinterpret_cast<const char*>(values), sizeof values);
  }
  const NpyArray d = readNpy(path("d.npy"));
  EXPECT_EQ(d.data[5], 6.0f);
  const float small[4] = {1, 2, 3, 4};
  writeNpyFloat(path("small.npy"), {2, 2}, small);
  EXPECT_NE(test::errorOf([&] { npyInputs(path("d.npy"), path("small.npy"), path("d.npy")); }).find("--k"),
            std::string::npos);
  const float nan[4] = {1, std::nanf(""), 3, 4};
  writeNpyFloat(path("nan.npy"), {2, 2}, nan);
  EXPECT_NE(
      test::errorOf([&] { npyInputs(path("nan.npy"), path("nan.npy"), path("nan.npy")); }).find("NaN at [0, 0, 1]"),
      std::string::npos);
  EXPECT_NE(test::errorOf([&] { readNpy(path("missing.npy")); }).find("cannot read"), std::string::npos);
  {
    std::ofstream out(path("u8.npy"), std::ios::binary);
    writeNpyHeader(out, "|u1", {2});
    out.write("\x01\x02", 2);
  }
  EXPECT_NE(test::errorOf([&] { readNpy(path("u8.npy")); }).find("dtype |u1 is not supported"), std::string::npos);
}

}  // namespace
}  // namespace attnscope

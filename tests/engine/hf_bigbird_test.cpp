// Hugging Face BigBird's random blocks, bit for bit: NumPy's legacy generator, the paper's plan, the plan-based
// generator, eval mode, and the weight of key blocks the library gathers twice.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "engine/attention/attention.h"
#include "engine/util/numpy_random.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::build;
using test::layoutRow;
using V = std::vector<Index>;

TEST(NumpyLegacyRandom, SeedingIsInitGenrand) {
  // np.random.seed(s) is MT19937's init_genrand(s), as std::mt19937(s) is: the two streams must agree.
  for (std::uint32_t seed : {0u, 1u, 5489u, 4294967295u}) {
    NumpyLegacyRandom ours(seed);
    std::mt19937 standard(seed);
    for (int i = 0; i < 2000; ++i) ASSERT_EQ(ours.next32(), standard()) << "seed " << seed << " draw " << i;
  }
  // The C++ standard's check value: the 10,000th output of the default seed 5489.
  NumpyLegacyRandom r(5489);
  for (int i = 1; i < 10000; ++i) r.next32();
  EXPECT_EQ(r.next32(), 4123659995u);
}

TEST(NumpyLegacyRandom, PermutationShufflesFromTheEndByMaskedRejection) {
  // Seed 0's first outputs are 2357136044, 2546248239, 3071714933, 3626093760, … For i = 9 the mask is 15:
  // 2357136044 & 15 = 12 and 2546248239 & 15 = 15 exceed 9 and are rejected; 3071714933 & 15 = 5 swaps a[9]
  // and a[5]. For i = 8 (mask 15) 3626093760 & 15 = 0 swaps a[8] and a[0]; and so on down to i = 1.
  NumpyLegacyRandom r(0);
  EXPECT_EQ(r.permutation({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), (std::vector<std::int64_t>{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}));
  NumpyLegacyRandom one(1);
  EXPECT_EQ(one.permutation({0, 1, 2, 3, 4, 5, 6, 7, 8, 9}), (std::vector<std::int64_t>{2, 9, 6, 4, 0, 3, 1, 7, 8, 5}));
  // interval(0) draws nothing; a one-element permutation draws nothing either.
  NumpyLegacyRandom a(3), b(3);
  EXPECT_EQ(a.interval(0), 0u);
  EXPECT_EQ(a.permutation({7}), (std::vector<std::int64_t>{7}));
  EXPECT_EQ(a.next32(), b.next32());
}

// The random blocks of query block `row`: its layout row without the blocks every such row has.
std::set<Index> randomPart(const SparseMask& m, Index row, int head = 0) {
  const Index nb = m.blockLayout().n();
  std::set<Index> base = {0, nb - 1, row - 1, row, row + 1};
  std::set<Index> out;
  for (Index b : layoutRow(m, row, head))
    if (!base.count(b)) out.insert(b);
  return out;
}

TEST(HfBigBirdExact, PaperPlanAt1024WithSeedZero) {
  // n = 1024 is one of the paper's lengths: np.random.seed(0), then _bigbird_block_rand_mask over
  // max_position_embeddings = 4096 (64 blocks) with last_idx = 1024, so last = 1024/64 − 1 = 15. Query block 1
  // draws permutation(middle_seq[2:15]) = permutation([3 … 15]); with seed 0 that is 9, 14, 7, 13, … and the first
  // three are kept. Block 2 draws from [4 … 15] on the same stream, and so on; rows past the first 14 are drawn too
  // (the stream must advance) and dropped. These rows were worked through that way; NumPy 1.24's np.random agrees.
  const SparseMask m = build("hf-bigbird", 1024, {{"seed", "0"}});
  const std::vector<std::set<Index>> expected = {{9, 14, 7}, {9, 6, 7},  {10, 5, 14}, {6, 8, 12},   {2, 13, 1},
                                                 {4, 11, 3}, {1, 10, 5}, {2, 3, 15},  {13, 11, 14}, {15, 13, 8},
                                                 {9, 7, 4},  {1, 2, 5},  {8, 9, 7},   {2, 6, 5}};
  for (Index row = 1; row <= 14; ++row) {
    std::set<Index> want = expected[row - 1];
    for (Index b : {Index(0), Index(15), row - 1, row, row + 1}) want.erase(b);
    EXPECT_EQ(randomPart(m, row), want) << "query block " << row;
  }
  EXPECT_EQ(layoutRow(m, 1), (V{0, 1, 2, 7, 9, 14, 15}));
  // Block 8 drew block 15, which is also its global block: the library gathers it twice, so it weighs twice.
  ASSERT_NE(m.blockCopies(), nullptr);
  EXPECT_EQ(m.blockCopies()->copiesOf(0, 8 * 64 + 3, 15 * 64 + 1, 64), 2);
  EXPECT_EQ(m.blockCopies()->copiesOf(0, 8 * 64, 3 * 64, 64), 1);
}

TEST(HfBigBirdExact, PlanBasedGeneratorDrawsRowByRowWithHeadsInnermost) {
  // n = 2048: _get_rand_attn_plan gives [(2·3+5)·64 = 704, 2048] with [3, 0] random blocks, so every query block
  // draws 3 blocks from [0, 11) minus its window, block 0 and block 10 (the plan segment's own last block), the
  // heads taking turns row by row on one stream seeded with 1.
  const SparseMask m = build("hf-bigbird", 2048, {{"seed", "1"}, {"num_heads", "2"}});
  const std::vector<std::vector<std::set<Index>>> expected = {
      {{3, 4, 6}, {9, 5, 6}, {7, 1, 5}, {6, 1, 8}, {8, 3, 1}, {8, 1, 3}},
      {{7, 3, 8}, {5, 8, 4}, {7, 9, 8}, {6, 8, 2}, {2, 3, 1}, {2, 3, 1}}};
  for (int h = 0; h < 2; ++h)
    for (Index row = 1; row <= 6; ++row) EXPECT_EQ(randomPart(m, row, h), expected[h][row - 1]) << h << " " << row;
  for (int seed = 0; seed < 10; ++seed) {
    const SparseMask s = build("hf-bigbird", 2048, {{"seed", std::to_string(seed)}, {"num_heads", "3"}});
    for (int h = 0; h < 3; ++h)
      for (Index row = 1; row + 1 < 32; ++row) {
        const auto part = randomPart(s, row, h);
        EXPECT_EQ(part.size(), 3u);
        for (Index b : part) {
          EXPECT_GE(b, 1);
          EXPECT_LT(b, 10);  // never block 0 or 10, never past the plan's 11 blocks
          EXPECT_FALSE(row == 1 && b == 9);
          EXPECT_FALSE(row == 9 && b == 1);
        }
      }
  }
}

TEST(HfBigBirdExact, EvalModeGathersBlockZeroInEveryRandomSlot) {
  const SparseMask m = build("hf-bigbird", 1024, {{"mode", "eval"}, {"num_heads", "3"}});
  EXPECT_TRUE(m.sharesRows(0, 2));
  EXPECT_EQ(layoutRow(m, 1), (V{0, 1, 2, 15}));
  EXPECT_EQ(layoutRow(m, 7), (V{0, 6, 7, 8, 15}));
  EXPECT_EQ(layoutRow(m, 14), (V{0, 13, 14, 15}));
  ASSERT_NE(m.blockCopies(), nullptr);
  for (Index row = 1; row <= 14; ++row) EXPECT_EQ(m.blockCopies()->copiesOf(2, row * 64, 5, 64), 4) << row;
  EXPECT_EQ(m.blockCopies()->copiesOf(0, 0, 5, 64), 1);  // the global rows attend every key once
  EXPECT_EQ(m.blockCopies()->copiesOf(0, 1000, 5, 64), 1);
}

TEST(HfBigBirdExact, PaperPlanNeedsMaxPositionsOfAtLeastN) {
  EXPECT_EQ(test::errorOf([] {
              build("hf-bigbird", 4096, {{"max_position_embeddings", "2048"}});
            }),
            "n = 4096 is not allowed for hf-bigbird: the paper's plan draws over max_position_embeddings = 2,048, "
            "which must be at least n");
}

TEST(HfBigBirdExact, SaysWhereTheLibraryItselfWouldFail) {
  // n = 640, r = 3: 10 blocks ≤ 3 + 5? no, so the plan is [8·64, 640] with [1, 2]; the second segment [8, 10) has
  // no legal block for query block 1 and numpy cannot broadcast nothing into two slots. The model would use full
  // attention here anyway (640 ≤ 11·64).
  const auto spec = PatternSpec::parse("hf-bigbird");
  const auto p = spec.make(spec.resolve({{"seed", "3"}}), 640);
  bool failsNote = false;
  for (const auto& note : p->notes()) failsNote = failsNote || note.find("fails at this length") != std::string::npos;
  EXPECT_TRUE(failsNote);
}

// Dense double-precision attention that does what the library does: for each query block it concatenates the key
// blocks (window, globals, then every gathered random block, repeats included) and takes one softmax over them.
std::vector<MatrixD> concatenatedReference(const AttentionInputs& in, const SparseMask& m, Index block) {
  std::vector<MatrixD> out;
  const Index n = in.n(), nb = n / block;
  const double scale = 1.0 / std::sqrt(double(in.dim()));
  for (int h = 0; h < in.heads(); ++h) {
    MatrixD O = MatrixD::Zero(n, in.valueDim());
    for (Index i = 0; i < n; ++i) {
      const Index qb = i / block;
      std::vector<Index> keyBlocks;
      for (Index b : layoutRow(m, qb, h)) {
        const int times = (qb == 0 || qb == nb - 1) ? 1
                          : m.blockCopies()         ? m.blockCopies()->copiesOf(h, i, b * block, block)
                                                    : 1;
        for (int t = 0; t < times; ++t) keyBlocks.push_back(b);
      }
      std::vector<double> s;
      std::vector<Index> keys;
      for (Index b : keyBlocks)
        for (Index j = b * block; j < (b + 1) * block; ++j) {
          keys.push_back(j);
          s.push_back(in.q[h].row(i).cast<double>().dot(in.k[h].row(j).cast<double>()) * scale);
        }
      const double mx = *std::max_element(s.begin(), s.end());
      double sum = 0;
      for (double& x : s) sum += (x = std::exp(x - mx));
      for (std::size_t t = 0; t < keys.size(); ++t) O.row(i) += (s[t] / sum) * in.v[h].row(keys[t]).cast<double>();
    }
    out.push_back(O);
  }
  return out;
}

TEST(HfBigBirdExact, RepeatedBlocksWeighAsOftenAsTheLibraryGathersThem) {
  for (const char* mode : {"eval", "train"}) {
    // n = 1024 with blocks of 64 as in the paper plan, heads of dim 16.
    const SparseMask m = build("hf-bigbird", 1024, {{"mode", mode}, {"num_heads", "2"}, {"seed", "0"}});
    ASSERT_NE(m.blockCopies(), nullptr) << mode;
    const AttentionInputs in = syntheticInputs(2, 1024, 16, 7);
    const auto want = concatenatedReference(in, m, 64);
    AttentionOptions generic;
    generic.useBlockLayout = false;
    for (const AttentionOutput& got : {maskedAttention(in, m), maskedAttention(in, m, generic)})
      for (int h = 0; h < 2; ++h)
        EXPECT_LT((got.out[h].cast<double>() - want[h]).cwiseAbs().maxCoeff(), 2e-5) << mode << " head " << h;
    const auto reference = referenceAttention(in, &m);
    for (int h = 0; h < 2; ++h) EXPECT_LT((reference[h] - want[h]).cwiseAbs().maxCoeff(), 1e-12) << mode;
    // The weights come back summed over the copies: every row still sums to 1.
    AttentionOptions withWeights;
    withWeights.wantWeights = true;
    const AttentionOutput w = maskedAttention(in, m, withWeights);
    double rowSum = 0;
    for (KeyIndex k : m.row(0, 200)) rowSum += w.weights->at(0, 200, k);
    EXPECT_NEAR(rowSum, 1.0, 1e-5);
  }
}

}  // namespace
}  // namespace attnscope

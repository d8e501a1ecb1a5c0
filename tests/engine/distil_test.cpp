// Distillation's comparison of heads (issue 25): the Hungarian assignment against every permutation, a model against
// itself, and a model against a copy with two heads swapped.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>

#include "engine/compression/distil.h"
#include "engine/runtime/inference.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

const std::string kStories = std::string(ATTNSCOPE_STORIES_DIR) + "/stories260K.bin";
const std::string kText =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.";

double assignmentCost(const std::vector<std::vector<double>>& cost, const std::vector<int>& a) {
  double total = 0;
  for (std::size_t r = 0; r < a.size(); ++r) total += cost[r][std::size_t(a[r])];
  return total;
}

TEST(Hungarian, FindsTheCheapestAssignmentThatEveryPermutationConfirms) {
  // By hand: 1 + 2 + 2 = 5 (row 0 → 1, row 1 → 0, row 2 → 2) beats the diagonal's 4 + 0 + 2 = 6.
  const std::vector<std::vector<double>> small{{4, 1, 3}, {2, 0, 5}, {3, 2, 2}};
  EXPECT_EQ(hungarian(small), (std::vector<int>{1, 0, 2}));
  // Random rectangular costs, against all the ways of giving 5 rows distinct columns out of 7.
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<std::vector<double>> cost(5, std::vector<double>(7));
    for (auto& row : cost)
      for (double& c : row) c = u(rng);
    const std::vector<int> a = hungarian(cost);
    std::vector<int> seen = a;
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());  // distinct columns
    std::vector<int> columns(7);
    std::iota(columns.begin(), columns.end(), 0);
    double best = 1e9;
    do {
      best = std::min(best, assignmentCost(cost, std::vector<int>(columns.begin(), columns.begin() + 5)));
    } while (std::next_permutation(columns.begin(), columns.end()));
    EXPECT_NEAR(assignmentCost(cost, a), best, 1e-12);
  }
  EXPECT_NE(test::errorOf([] { hungarian({{1.0}, {2.0}}); }).find("at least as many columns"), std::string::npos);
}

// Head a and b of `layer` trade places: their rows of q_proj and their columns of o_proj (stories260K's heads 2k and
// 2k + 1 share key-value head k, so nothing else moves). The model computes the same function.
void swapHeads(LanguageModel& model, int layer, int a, int b) {
  const int hd = model.headDim();
  for (const NamedLinear& l : model.linears()) {
    if (l.layer != layer) continue;
    std::vector<float> w = l.linear->weights();
    const Index in = l.linear->in();
    if (l.name.find("q_proj") != std::string::npos) {
      for (Index c = 0; c < hd; ++c)
        for (Index i = 0; i < in; ++i)
          std::swap(w[std::size_t((a * hd + c) * in + i)], w[std::size_t((b * hd + c) * in + i)]);
    } else if (l.attentionOutput) {
      for (Index r = 0; r < l.linear->out(); ++r)
        for (Index c = 0; c < hd; ++c)
          std::swap(w[std::size_t(r * in + a * hd + c)], w[std::size_t(r * in + b * hd + c)]);
    } else {
      continue;
    }
    l.linear->setWeights(w);
  }
}

TEST(Distil, AModelAgainstItselfAndAgainstACopyWithTwoHeadsSwapped) {
  const RuntimeModel m = openModel(kStories);
  const std::vector<int> ids = encodeText(m, kText);
  const ModelPass pass = m.model->forward(ids, {}, LogitRows::at({}));
  const DistilComparison self = compareHeads(pass, pass);
  ASSERT_EQ(self.similarity.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(self.similarity[std::size_t(i)][std::size_t(i)], 0.0);
  ASSERT_EQ(self.matching.size(), 40u);
  for (const HeadMatch& h : self.matching) {
    EXPECT_EQ(h.teacherLayer, h.studentLayer);
    EXPECT_EQ(h.teacherHead, h.studentHead);
  }
  EXPECT_EQ(self.matchingMean, 0.0);
  EXPECT_EQ(self.layerMapping, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(self.evenMapping, (std::vector<int>{0, 1, 2, 3, 4}));
  ASSERT_EQ(self.miniLmKl.size(), 8u);
  for (double kl : self.miniLmKl) EXPECT_EQ(kl, 0.0);
  // Heads 4 and 5 of layer 2 swapped: the matching finds the swap, and nothing else moves.
  std::shared_ptr<LanguageModel> swapped = m.model->copy();
  swapHeads(*swapped, 2, 4, 5);
  const ModelPass other = swapped->forward(ids, {}, LogitRows::at({}));
  EXPECT_GT(headDivergence(pass.attention[2][4], other.attention[2][4]), 1e-3);  // they are different heads
  const DistilComparison d = compareHeads(pass, other);
  for (const HeadMatch& h : d.matching) {
    EXPECT_EQ(h.teacherLayer, h.studentLayer);
    const int expected = h.studentLayer == 2 && h.studentHead == 4   ? 5
                         : h.studentLayer == 2 && h.studentHead == 5 ? 4
                                                                     : h.studentHead;
    EXPECT_EQ(h.teacherHead, expected) << "student layer " << h.studentLayer << " head " << h.studentHead;
    EXPECT_LT(h.divergence, 1e-6);
  }
  EXPECT_EQ(d.layerMapping, (std::vector<int>{0, 1, 2, 3, 4}));
  // MiniLM's figure compares heads by position, so a swap in the last layer shows there.
  std::shared_ptr<LanguageModel> last = m.model->copy();
  swapHeads(*last, 4, 0, 1);
  const DistilComparison l = compareHeads(pass, last->forward(ids, {}, LogitRows::at({})));
  EXPECT_GT(l.miniLmKl[0], 1e-3);
  EXPECT_LT(l.miniLmKl[2], 1e-6);
}

TEST(Distil, AShallowerStudentMapsOntoRisingTeacherLayers) {
  // A "student" made of the teacher's layers 0, 2 and 4 (the pass's attention kept for those layers alone): the best
  // rising mapping is exactly those layers, and DistilBERT's own rule (first, last, evenly between) agrees.
  const RuntimeModel m = openModel(kStories);
  const std::vector<int> ids = encodeText(m, kText);
  const ModelPass teacher = m.model->forward(ids, {}, LogitRows::at({}));
  ModelPass student;
  for (int l : {0, 2, 4}) student.attention.push_back(teacher.attention[std::size_t(l)]);
  const DistilComparison d = compareHeads(teacher, student);
  EXPECT_EQ(d.layerMapping, (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(d.evenMapping, (std::vector<int>{0, 2, 4}));
  EXPECT_EQ(d.layerMappingMean, 0.0);
  EXPECT_EQ(d.matching.size(), 24u);  // each of the student's heads gets one of the teacher's 40
  // 12 → 6 as DistilBERT: 0, 2, 4, 7, 9, 11.
  ModelPass twelve, six;
  for (int l = 0; l < 12; ++l) twelve.attention.push_back(teacher.attention[std::size_t(l % 5)]);
  for (int l = 0; l < 6; ++l) six.attention.push_back(teacher.attention[std::size_t(l % 5)]);
  EXPECT_EQ(compareHeads(twelve, six).evenMapping, (std::vector<int>{0, 2, 4, 7, 9, 11}));
  ModelPass shorter;
  shorter.attention = {{Matrix::Identity(3, 3)}};
  EXPECT_NE(test::errorOf([&] { compareHeads(teacher, shorter); }).find("must read the same tokens"),
            std::string::npos);
}

}  // namespace
}  // namespace attnscope

// The approximations against plain double-precision references of their formulas, and the properties the issue
// names: output = Â·V for every method, Performer's Â positive with rows summing to 1 and its error falling with
// more features, Linformer's Â of rank ≤ k.
#include <gtest/gtest.h>

#include <Eigen/SVD>
#include <omp.h>

#include <cmath>
#include <atomic>
#include <map>
#include <set>

#include "engine/approx/approx_measure.h"
#include "engine/approx/favor.h"
#include "engine/attention/attention.h"
#include "engine/inputs/attention_inputs.h"
#include "engine/patterns/routing.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::errorOf;

MatrixD weightsOf(const ApproxHead& h, Index n) {
  MatrixD W(n, n);
  std::vector<float> row(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    h.weightsRow(i, row.data());
    for (Index j = 0; j < n; ++j) W(i, j) = row[static_cast<std::size_t>(j)];
  }
  return W;
}

std::unique_ptr<ApproxHead> runOne(const std::string& name, const std::vector<std::pair<std::string, std::string>>& p,
                                   const AttentionInputs& in, int head = 0) {
  const ApproxMethod& m = findApproxMethod(name);
  auto h = m.run(resolveApproxParams(m, in.dim(), p), in.q[head], in.k[head], in.v[head], head);
  h->prepareWeights();
  return h;
}

TEST(Approx, EveryMethodsOutputIsItsWeightsTimesV) {
  const AttentionInputs in = syntheticInputs(1, 128, 16, 3);
  const MatrixD V = in.v[0].cast<double>();
  for (const auto& [name, params] :
       std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>>{
           {"linear", {}},
           {"linear", {{"causal", "true"}}},
           {"performer", {{"nb_features", "32"}}},
           {"performer", {{"kernel", "relu"}}},
           {"linformer", {{"k", "16"}}},
           {"nystrom", {{"num_landmarks", "8"}}}}) {
    const auto h = runOne(name, params, in);
    const MatrixD want = weightsOf(*h, 128) * V;
    EXPECT_LT((h->out.cast<double>() - want).cwiseAbs().maxCoeff(), 2e-4 * (1 + want.cwiseAbs().maxCoeff())) << name;
  }
}

TEST(Approx, LinearAgainstItsFormula) {
  // φ(x) = elu(x) + 1; Â_ij = φ(q_i)·φ(k_j) / Σ_l φ(q_i)·φ(k_l), over l ≤ i when causal. No 1/√d.
  const AttentionInputs in = syntheticInputs(1, 70, 8, 5);
  auto phi = [](const Matrix& X) {
    MatrixD out = X.cast<double>();
    for (Index r = 0; r < out.rows(); ++r)
      for (Index c = 0; c < out.cols(); ++c) out(r, c) = out(r, c) > 0 ? out(r, c) + 1 : std::exp(out(r, c));
    return out;
  };
  const MatrixD q = phi(in.q[0]), k = phi(in.k[0]), V = in.v[0].cast<double>();
  for (bool causal : {false, true}) {
    MatrixD A = q * k.transpose();
    if (causal)
      for (Index i = 0; i < 70; ++i)
        for (Index j = i + 1; j < 70; ++j) A(i, j) = 0;
    for (Index i = 0; i < 70; ++i) A.row(i) /= A.row(i).sum();
    const auto h = runOne("linear", {{"causal", causal ? "true" : "false"}}, in);
    EXPECT_LT((weightsOf(*h, 70) - A).cwiseAbs().maxCoeff(), 1e-5) << causal;
    EXPECT_LT((h->out.cast<double>() - A * V).cwiseAbs().maxCoeff(), 1e-4) << causal;
  }
}

TEST(Approx, NystromAgainstItsFormula) {
  const Index n = 96, d = 16, m = 12, seg = n / m;
  const AttentionInputs in = syntheticInputs(1, n, d, 9);
  const double s = std::pow(double(d), -0.25);
  const MatrixD Q = in.q[0].cast<double>() * s, K = in.k[0].cast<double>() * s, V = in.v[0].cast<double>();
  MatrixD Ql(m, d), Kl(m, d);
  for (Index l = 0; l < m; ++l) {
    Ql.row(l) = Q.middleRows(l * seg, seg).colwise().mean();
    Kl.row(l) = K.middleRows(l * seg, seg).colwise().mean();
  }
  auto softmax = [](MatrixD S) {
    for (Index r = 0; r < S.rows(); ++r) {
      S.row(r) = (S.row(r).array() - S.row(r).maxCoeff()).exp();
      S.row(r) /= S.row(r).sum();
    }
    return S;
  };
  const MatrixD F1 = softmax(Q * Kl.transpose()), A = softmax(Ql * Kl.transpose()), F3 = softmax(Ql * K.transpose());
  MatrixD Z = A.transpose() / A.colwise().sum().maxCoeff();
  const MatrixD I = MatrixD::Identity(m, m);
  for (int it = 0; it < 6; ++it) {
    const MatrixD AZ = A * Z;
    Z = 0.25 * Z * (13 * I - AZ * (15 * I - AZ * (7 * I - AZ)));
  }
  const MatrixD W = F1 * Z * F3;
  const auto h = runOne("nystrom", {{"num_landmarks", "12"}}, in);
  EXPECT_LT((weightsOf(*h, n) - W).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_LT((h->out.cast<double>() - W * V).cwiseAbs().maxCoeff(), 1e-3);
  EXPECT_EQ(errorOf([&] {
              findApproxMethod("nystrom").check(
                  resolveApproxParams(findApproxMethod("nystrom"), d, {{"num_landmarks", "7"}}), n, d);
            }),
            "n = 96 is not allowed for nystrom: it must be a multiple of num_landmarks = 7");
}

TEST(Approx, LinformerWeightsHaveRankAtMostK) {
  const AttentionInputs in = syntheticInputs(1, 120, 16, 2);
  for (int k : {4, 10}) {
    const auto h = runOne("linformer", {{"k", std::to_string(k)}}, in);
    const Eigen::JacobiSVD<MatrixD> svd(weightsOf(*h, 120));
    const auto& sv = svd.singularValues();
    Index rank = 0;
    for (Index i = 0; i < sv.size(); ++i) rank += sv[i] > 1e-6 * sv[0];
    EXPECT_LE(rank, k);
    EXPECT_GE(rank, k - 1);
  }
  const ApproxMethod& l = findApproxMethod("linformer");
  EXPECT_NE(errorOf([&] {
              l.check(resolveApproxParams(l, 16, {{"k", "200"}}), 120, 16);
            }).find("expected at most n = 120"),
            std::string::npos);
}

TEST(Approx, PerformerIsPositiveNormalisedAndImprovesWithFeatures) {
  const AttentionInputs in = syntheticInputs(1, 256, 16, 4);
  const auto h = runOne("performer", {{"nb_features", "64"}}, in);
  const MatrixD W = weightsOf(*h, 256);
  EXPECT_GT(W.minCoeff(), 0.0);
  for (Index i = 0; i < 256; ++i) EXPECT_NEAR(W.row(i).sum(), 1.0, 1e-5);
  // The L1 distance from exact softmax falls as nb_features grows, averaged over 6 seeds.
  const ApproxMethod& p = findApproxMethod("performer");
  double previous = 1e9;
  for (int m : {8, 64, 512}) {
    double sum = 0;
    for (int seed = 0; seed < 6; ++seed) {
      ApproxOptions o;
      o.timeFull = false;
      sum += measureApprox(
                 p, resolveApproxParams(p, 16, {{"nb_features", std::to_string(m)}, {"seed", std::to_string(seed)}}),
                 in, o)
                 .weightsL1;
    }
    EXPECT_LT(sum / 6, previous) << m;
    previous = sum / 6;
  }
}

// FAVOR+ in double precision from the same random features: φ(x) = exp(W x̃ − ‖x̃‖²/2 − stabiliser) + 10⁻⁴ with
// x̃ = x·d^(−1/4), each query's stabiliser the largest entry of its own W q̃, the keys' the largest over all keys
// (performer-pytorch's softmax_kernel), or relu(W x̃) + 10⁻³. Rows of φ(Q) and φ(K).
std::pair<MatrixD, MatrixD> performerFeatures(const Matrix& W, const Matrix& Qf, const Matrix& Kf, bool relu) {
  const Index n = Qf.rows(), d = Qf.cols();
  const double s = std::pow(double(d), -0.25);
  const MatrixD Wd = W.cast<double>(), Q = Qf.cast<double>() * s, K = Kf.cast<double>() * s;
  const MatrixD dq = Q * Wd.transpose(), dk = K * Wd.transpose();
  MatrixD pq = dq, pk = dk;
  const double keyMax = dk.maxCoeff();
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < W.rows(); ++j) {
      if (relu) {
        pq(i, j) = std::max(dq(i, j), 0.0) + 1e-3;
        pk(i, j) = std::max(dk(i, j), 0.0) + 1e-3;
      } else {
        pq(i, j) = std::exp(dq(i, j) - Q.row(i).squaredNorm() / 2 - dq.row(i).maxCoeff()) + 1e-4;
        pk(i, j) = std::exp(dk(i, j) - K.row(i).squaredNorm() / 2 - keyMax) + 1e-4;
      }
    }
  return {pq, pk};
}

TEST(Approx, PerformerAgainstItsFormula) {
  // 4,400 keys: 18 blocks of 256 in the key pass's 16 parts, so some parts sum two blocks, the last one short. The
  // key whose features are the largest is in block 8, the second of its part: the stabiliser rises inside a part
  // and between parts, and what was summed before is rescaled. 40 features: the vector loops' tails are taken too.
  // Â_ij ∝ φ(q_i)·φ(k_j), over j ≤ i when causal; rows checked: the blocks' edges, the large key, and a spread.
  const Index n = 4400, d = 16, m = 40;
  AttentionInputs in = syntheticInputs(1, n, d, 6);
  in.k[0].row(2100) *= 3.0f;
  const MatrixD V = in.v[0].cast<double>();
  const Matrix W = performerFeatureMatrix(m, d, true, 5, 0);
  std::vector<Index> rows = {0, 1, 255, 256, 2047, 2100, 4351, 4352, 4399};
  for (Index i = 3; i < n; i += 211) rows.push_back(i);
  std::vector<float> got(static_cast<std::size_t>(n));
  for (const char* kernel : {"softmax", "relu"})
    for (const char* causal : {"false", "true"}) {
      const auto [pq, pk] = performerFeatures(W, in.q[0], in.k[0], kernel == std::string("relu"));
      const auto h =
          runOne("performer", {{"nb_features", "40"}, {"seed", "5"}, {"kernel", kernel}, {"causal", causal}}, in);
      double weightErr = 0, outErr = 0, outMax = 0;
      for (Index i : rows) {
        Eigen::RowVectorXd a = pq.row(i) * pk.transpose();
        if (causal == std::string("true")) a.tail(n - i - 1).setZero();
        a /= a.sum();
        const Eigen::RowVectorXd want = a * V;
        h->weightsRow(i, got.data());
        for (Index j = 0; j < n; ++j) weightErr = std::max(weightErr, std::fabs(got[std::size_t(j)] - a[j]));
        outErr = std::max(outErr, (h->out.row(i).cast<double>() - want).cwiseAbs().maxCoeff());
        outMax = std::max(outMax, want.cwiseAbs().maxCoeff());
      }
      EXPECT_LT(weightErr, 1e-7) << kernel << " causal " << causal;
      EXPECT_LT(outErr, 1e-4 * (1 + outMax)) << kernel << " causal " << causal;
    }
  // The features are orthogonal blocks of d rows, each row with the norm of a Gaussian d-vector.
  const MatrixD block = W.topRows(d).cast<double>();
  const Eigen::VectorXd norms = block.rowwise().norm();
  const MatrixD unit = norms.cwiseInverse().asDiagonal() * block;
  EXPECT_LT((unit * unit.transpose() - MatrixD::Identity(d, d)).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_GT(norms.minCoeff(), 1.0);
  EXPECT_LT(norms.maxCoeff(), 8.0);
}

TEST(Approx, PerformerGivesTheSameOutputOnAnyNumberOfThreads) {
  // 5,000 keys: 20 blocks in the key pass's 16 parts, joined in order whatever the threads.
  const AttentionInputs in = syntheticInputs(1, 5000, 32, 8);
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = runOne("performer", {}, in);
  omp_set_num_threads(3);
  const auto three = runOne("performer", {}, in);
  omp_set_num_threads(before);
  EXPECT_TRUE(one->out == three->out);
  Progress cancelled;
  cancelled.token.cancel();
  const ApproxMethod& p = findApproxMethod("performer");
  EXPECT_THROW(p.run(resolveApproxParams(p, 32, {}), in.q[0], in.k[0], in.v[0], 0, cancelled), Cancelled);
}

TEST(Approx, MeasuresAgainstAPlainReference) {
  // Uniform attention's L1 and the output error, worked out directly.
  const AttentionInputs in = syntheticInputs(2, 64, 8, 1);
  const ApproxMethod& lin = findApproxMethod("linear");
  ApproxOptions o;
  o.wantWeights = true;
  const ApproxReport r = measureApprox(lin, resolveApproxParams(lin, 8, {}), in, o);
  const auto exact = referenceAttention(in, nullptr);
  double uniform = 0, l1 = 0, diff = 0, norm = 0;
  for (int h = 0; h < 2; ++h) {
    const MatrixD Q = in.q[h].cast<double>(), K = in.k[h].cast<double>();
    const auto head = runOne("linear", {}, in, h);
    const MatrixD W = weightsOf(*head, 64);
    for (Index i = 0; i < 64; ++i) {
      Eigen::VectorXd s = K * Q.row(i).transpose() / std::sqrt(8.0);
      s = (s.array() - s.maxCoeff()).exp();
      s /= s.sum();
      for (Index j = 0; j < 64; ++j) {
        uniform += std::fabs(1.0 / 64 - s[j]);
        l1 += std::fabs(W(i, j) - s[j]);
      }
    }
    diff += (head->out.cast<double>() - exact[h]).squaredNorm();
    norm += exact[h].squaredNorm();
  }
  EXPECT_NEAR(r.uniformL1, uniform / 128, 1e-5);
  EXPECT_NEAR(r.weightsL1, l1 / 128, 1e-5);
  EXPECT_NEAR(r.outputRelError, std::sqrt(diff / norm), 1e-4);
  EXPECT_EQ(r.negativeShare, 0);
  EXPECT_LT(r.rowSumMaxDev, 1e-5);
  ASSERT_TRUE(r.weights);
  EXPECT_EQ(r.weights->rows(), 64);
  EXPECT_EQ(errorOf([] { findApproxMethod("nope"); }),
            "method 'nope' is unknown: expected one of linear, performer, linformer, nystrom");
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

TEST(Topk, KeepsExactlyTheKLargestScores) {
  const AttentionInputs in = syntheticInputs(2, 50, 8, 6);
  const auto spec = PatternSpec::parse("topk");
  for (bool causal : {false, true}) {
    const SparseMask m =
        buildMask(*spec.make(spec.resolve({{"k", "7"}, {"causal", causal ? "true" : "false"}}), 50, &in));
    ASSERT_EQ(m.heads(), 2);
    for (int h = 0; h < 2; ++h)
      for (Index i = 0; i < 50; ++i) {
        // The plain way: score every allowed key, sort by (score descending, key), keep the first 7.
        std::vector<std::pair<double, Index>> s;
        for (Index j = 0; j < (causal ? i + 1 : 50); ++j) s.push_back({-double(in.q[h].row(i).dot(in.k[h].row(j))), j});
        std::sort(s.begin(), s.end());
        std::vector<Index> want;
        for (std::size_t t = 0; t < std::min<std::size_t>(7, s.size()); ++t) want.push_back(s[t].second);
        std::sort(want.begin(), want.end());
        EXPECT_EQ(test::row(m, i, h), want) << causal << " " << h << " " << i;
      }
  }
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

// Inputs whose queries and keys are both the given 2-d directions (degrees), values the identity-ish rows.
AttentionInputs directions(const std::vector<double>& degrees) {
  const Index n = static_cast<Index>(degrees.size());
  AttentionInputs in;
  Matrix x(n, 2), v = Matrix::Zero(n, n);
  for (Index i = 0; i < n; ++i) {
    const double a = degrees[static_cast<std::size_t>(i)] * 3.14159265358979 / 180;
    x(i, 0) = static_cast<float>(3 * std::cos(a));  // lengths are normalised away
    x(i, 1) = static_cast<float>(3 * std::sin(a));
    v(i, i) = 1;
  }
  in.q = {x};
  in.k = {x};
  in.v = {v};
  return in;
}

SparseMask routingMask(const AttentionInputs& in, const std::vector<std::pair<std::string, std::string>>& values) {
  const auto spec = PatternSpec::parse("routing");
  return buildMask(*spec.make(spec.resolve(values), in.n(), &in));
}

TEST(Routing, TwoDirectionsMakeTwoClustersWorkedByHand) {
  // Even tokens point east (0°…21°), odd ones north (70°…90°): k-means over queries and keys finds the two groups
  // whatever the seed, each cluster routes its 4 tokens, and a query attends exactly its own group.
  const AttentionInputs in = directions({0, 90, 7, 83, 14, 77, 21, 70});
  for (const char* seed : {"0", "1", "2", "3"}) {
    const SparseMask m = routingMask(in, {{"window", "4"}, {"seed", seed}});
    for (Index i = 0; i < 8; ++i) {
      const std::vector<Index> want = i % 2 == 0 ? std::vector<Index>{0, 2, 4, 6} : std::vector<Index>{1, 3, 5, 7};
      EXPECT_EQ(test::row(m, i), want) << "seed " << seed << " query " << i;
    }
    const SparseMask causal = routingMask(in, {{"window", "4"}, {"seed", seed}, {"causal", "true"}});
    EXPECT_EQ(test::row(causal, 4), (std::vector<Index>{0, 2, 4}));
    EXPECT_EQ(test::row(causal, 1), (std::vector<Index>{1}));
    // Shared queries and keys: a token attends itself only when it has no other key.
    const SparseMask shared = routingMask(in, {{"window", "4"}, {"seed", seed}, {"shared_qk", "true"}});
    EXPECT_EQ(test::row(shared, 4), (std::vector<Index>{0, 2, 6}));
    const SparseMask both =
        routingMask(in, {{"window", "4"}, {"seed", seed}, {"shared_qk", "true"}, {"causal", "true"}});
    EXPECT_EQ(test::row(both, 0), (std::vector<Index>{0}));
    EXPECT_EQ(test::row(both, 6), (std::vector<Index>{0, 2, 4}));
  }
}

TEST(Routing, ATokenNoClusterChoseHasNoKeysAndAZeroOutput) {
  // Worked by hand: the groups {0°, 5°, 30°} and {60°, 85°, 90°} settle on means along their sums of unit vectors,
  // at 11.59° and 78.41°; with window 2 each keeps its two nearest tokens, so 30° (token 2) and 60° (token 5) are
  // routed nowhere. The library's scatter_mean leaves their output zero; so does the kernel, which counts them as empty
  // rows.
  const AttentionInputs in = directions({0, 5, 30, 90, 85, 60});
  const SparseMask m = routingMask(in, {{"window", "2"}, {"clusters", "2"}});
  EXPECT_EQ(test::row(m, 0), (std::vector<Index>{0, 1}));
  EXPECT_EQ(test::row(m, 1), (std::vector<Index>{0, 1}));
  EXPECT_TRUE(test::row(m, 2).empty());
  EXPECT_EQ(test::row(m, 3), (std::vector<Index>{3, 4}));
  EXPECT_TRUE(test::row(m, 5).empty());
  const AttentionOutput out = maskedAttention(in, m);
  EXPECT_EQ(out.emptyRows, 2);
  EXPECT_EQ(out.out[0].row(2).squaredNorm(), 0.0f);
  EXPECT_NEAR(out.out[0].row(0).sum(), 1.0f, 1e-6);
  const routing::Clustering c = routing::cluster(in.q[0], in.k[0], 2, 2, 10, 0, false, 0);
  const double a = std::atan2(c.means(0, 1), c.means(0, 0)) * 180 / 3.14159265358979;
  const double b = std::atan2(c.means(1, 1), c.means(1, 0)) * 180 / 3.14159265358979;
  EXPECT_NEAR(std::min(a, b), 11.593, 0.01);
  EXPECT_NEAR(std::max(a, b), 78.407, 0.01);
}

TEST(Routing, EachRoundIsOneSphericalKmeansStepAndTheMembersAreTheNearest) {
  // Against a plain double-precision reading of the library's kmeans_iter and distribution(): one more round moves
  // the means to the normalised sums of the points nearest each (an empty cluster keeps its mean), and each cluster's
  // members are its `window` nearest queries and keys. The mask is the union over a query's clusters.
  const AttentionInputs in = syntheticInputs(2, 96, 8, 11);
  const Index clusters = 6, window = 16;
  for (int h = 0; h < 2; ++h) {
    std::vector<MatrixD> points;
    for (const Matrix* x : {&in.q[h], &in.k[h]}) {
      MatrixD p = x->cast<double>();
      for (Index i = 0; i < p.rows(); ++i) p.row(i).normalize();
      points.push_back(p);
    }
    const routing::Clustering before = routing::cluster(in.q[h], in.k[h], clusters, window, 3, 5, false, h);
    const routing::Clustering after = routing::cluster(in.q[h], in.k[h], clusters, window, 4, 5, false, h);
    MatrixD sums = MatrixD::Zero(clusters, 8);
    for (const MatrixD& p : points)
      for (Index i = 0; i < p.rows(); ++i) {
        Index best = 0;
        (before.means.cast<double>() * p.row(i).transpose()).maxCoeff(&best);
        sums.row(best) += p.row(i);
      }
    for (Index c = 0; c < clusters; ++c) {
      const Eigen::RowVectorXd want =
          sums.row(c).norm() > 0 ? Eigen::RowVectorXd(sums.row(c).normalized()) : before.means.row(c).cast<double>();
      EXPECT_LT((after.means.row(c).cast<double>() - want).norm(), 1e-5) << "head " << h << " cluster " << c;
    }
    for (int side = 0; side < 2; ++side)
      for (Index c = 0; c < clusters; ++c) {
        std::vector<std::pair<double, Index>> s;
        for (Index i = 0; i < 96; ++i) s.push_back({-points[side].row(i).dot(after.means.row(c).cast<double>()), i});
        std::sort(s.begin(), s.end());
        std::vector<KeyIndex> want;
        for (Index t = 0; t < window; ++t) want.push_back(static_cast<KeyIndex>(s[static_cast<std::size_t>(t)].second));
        std::sort(want.begin(), want.end());
        EXPECT_EQ(side == 0 ? after.queries[c] : after.keys[c], want) << "head " << h << " cluster " << c;
      }
    const SparseMask m = routingMask(in, {{"window", "16"}, {"clusters", "6"}, {"iterations", "4"}, {"seed", "5"}});
    for (Index i = 0; i < 96; ++i) {
      std::set<Index> want;
      for (Index c = 0; c < clusters; ++c) {
        const auto& qs = after.queries[c];
        if (std::find(qs.begin(), qs.end(), i) != qs.end()) want.insert(after.keys[c].begin(), after.keys[c].end());
      }
      EXPECT_EQ(test::row(m, i, h), std::vector<Index>(want.begin(), want.end())) << "head " << h << " query " << i;
    }
  }
  EXPECT_EQ(
      errorOf([&] {
        routingMask(in, {{"clusters", "500"}});
      }),
      "parameter 'clusters' = 500 is not allowed: expected at most the 192 vectors clustered (n queries and n keys)");
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

TEST(ApproxSweeps, TimeAgainstNSkipsWhatDoesNotFitAndTheExactWeightsAreSoftmax) {
  // Nyström with 512 landmarks does not fit n = 256 (n must be a multiple); it is timed from 512 on, full
  // attention at every n.
  const ApproxMethod& nystrom = findApproxMethod("nystrom");
  ScalingOptions options;
  options.minN = 256;
  options.maxN = 1024;
  options.dim = 16;
  std::vector<Index> heard;
  const auto points = approxScalingSweep(nystrom, resolveApproxParams(nystrom, 16, {{"num_landmarks", "512"}}), options,
                                         1.0, [&](const ScalingPoint& p) { heard.push_back(p.n); });
  EXPECT_EQ(heard, (std::vector<Index>{256, 512, 1024}));
  ASSERT_EQ(points.size(), 3u);
  EXPECT_FALSE(points[0].skipped.empty());
  EXPECT_EQ(points[0].msPattern, 0);
  for (const ScalingPoint& p : points) EXPECT_GT(p.msFull, 0);
  EXPECT_TRUE(points[1].skipped.empty());
  EXPECT_GT(points[2].msPattern, 0);
  // A cancelled sweep stops.
  Progress cancelled;
  cancelled.token.cancel();
  EXPECT_THROW(approxScalingSweep(nystrom, resolveApproxParams(nystrom, 16, {}), options, 1.0, nullptr, cancelled),
               Cancelled);
  // The exact weights beside Â: each row the softmax of q·k/√d, in double precision.
  const AttentionInputs in = syntheticInputs(1, 40, 8, 3);
  ApproxOptions want;
  want.wantWeights = true;
  const ApproxReport r =
      measureApprox(findApproxMethod("linear"), resolveApproxParams(findApproxMethod("linear"), 8, {}), in, want);
  ASSERT_TRUE(r.exactWeights);
  for (Index i = 0; i < 40; ++i) {
    Eigen::VectorXd s = (in.k[0].cast<double>() * in.q[0].row(i).cast<double>().transpose()) / std::sqrt(8.0);
    s = (s.array() - s.maxCoeff()).exp();
    s /= s.sum();
    EXPECT_LT((r.exactWeights->row(i).cast<double>().transpose() - s).cwiseAbs().maxCoeff(), 1e-6) << i;
  }
  // The budget sweep: error steps for every budget that fits, none for a method without a budget.
  const ApproxMethod& linformer = findApproxMethod("linformer");
  const auto steps = approxBudgetSweep(linformer, resolveApproxParams(linformer, 8, {}), "k", in);
  ASSERT_EQ(steps.size(), 3u);  // k = 8, 16, 32: doubling while at most n = 40
  EXPECT_EQ(steps[2].value, 32);
  EXPECT_LT(steps[2].weightsL1, 2.0);
  // num_landmarks must divide n = 40: of 8, 16 and 32 only 8 does.
  const ApproxMethod& nys = findApproxMethod("nystrom");
  const auto landmarks =
      approxBudgetSweep(nys, resolveApproxParams(nys, 8, {{"num_landmarks", "8"}}), "num_landmarks", in);
  ASSERT_EQ(landmarks.size(), 1u);
  EXPECT_EQ(landmarks[0].value, 8);
  EXPECT_EQ(errorOf([&] {
              approxBudgetSweep(findApproxMethod("linear"), resolveApproxParams(findApproxMethod("linear"), 8, {}), "k",
                                in);
            }),
            "the budget 'k' is not a parameter of linear: expected none (linear has no budget)");
}

}  // namespace
}  // namespace attnscope

// `routing`: the Routing Transformer's data-dependent pattern (Roy et al. 2021), with the semantics of its reference
// implementation (lucidrains/routing-transformer, KmeansAttention):
//  - spherical k-means over the L2-normalised queries and keys, `clusters` of them (0: n / window, as the library's
//    max_seq_len // window_size), initialised from distinct points and run for `iterations` rounds (the library's
//    KMEAN_INIT_ITERS = 10);
//  - each cluster then takes the `window` queries and the `window` keys nearest its mean (a top-k over the tokens, so
//    a token may be routed to several clusters, or to none);
//  - a query attends the keys of every cluster it was routed to. A query routed nowhere has no keys: the library's
//    scatter_mean leaves its output zero, and so does every kernel here (an empty row).
// `shared_qk` clusters the queries alone and uses the same members as keys (the library's self-attention shares one
// projection); then, as there, a token attends itself only when it has no other key. `causal` keeps keys at or
// before the query. Decisions: the means are seeded from distinct points with our own generator (the library uses
// torch.randperm) and the k-means runs on the normalised vectors throughout (the library's first rounds see the raw
// ones); `causal` compares token positions (without sharing, the library compares places in each cluster's list);
// a query in several clusters gets one softmax over the union of their keys, where the library averages one output
// per cluster.
#include "engine/patterns/routing.h"

#include <algorithm>
#include <cmath>

#include "engine/inputs/attention_inputs.h"
#include "engine/masks/params.h"
#include "engine/patterns/families.h"
#include "engine/patterns/rows_pattern.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "engine/util/parallel.h"
#include "engine/util/random.h"

namespace attnscope {

namespace routing {
namespace {

constexpr Index kBlock = 1024;

Matrix normalisedRows(const Matrix& x) {
  Matrix out = x;
  for (Index i = 0; i < out.rows(); ++i) {
    const float norm = out.row(i).norm();
    out.row(i) /= std::max(norm, 1e-12f);  // torch.nn.functional.normalize's eps
  }
  return out;
}

// Candidate (score, token) is better than another when its score is larger, or equal with the smaller token.
bool better(const std::pair<float, KeyIndex>& a, const std::pair<float, KeyIndex>& b) {
  return a.first > b.first || (a.first == b.first && a.second < b.second);
}

// The `window` rows of points[from, to) with the largest dot product with each mean, per mean, sorted by token.
std::vector<std::vector<KeyIndex>> nearest(const Matrix& points, Index from, Index to, const Matrix& means,
                                           Index window, const CancellationToken& token) {
  const Index clusters = means.rows();
  std::vector<std::vector<std::pair<float, KeyIndex>>> heaps(static_cast<std::size_t>(clusters));
  for (Index b = from; b < to; b += kBlock) {
    token.throwIfCancelled();
    const Index rows = std::min(kBlock, to - b);
    const Matrix scores = points.middleRows(b, rows) * means.transpose();
    for (Index c = 0; c < clusters; ++c) {
      auto& heap = heaps[static_cast<std::size_t>(c)];
      for (Index r = 0; r < rows; ++r) {
        const std::pair<float, KeyIndex> candidate{scores(r, c), static_cast<KeyIndex>(b + r - from)};
        if (static_cast<Index>(heap.size()) < window) {
          heap.push_back(candidate);
          std::push_heap(heap.begin(), heap.end(), better);  // the worst member on top
        } else if (better(candidate, heap.front())) {
          std::pop_heap(heap.begin(), heap.end(), better);
          heap.back() = candidate;
          std::push_heap(heap.begin(), heap.end(), better);
        }
      }
    }
  }
  std::vector<std::vector<KeyIndex>> members(static_cast<std::size_t>(clusters));
  for (Index c = 0; c < clusters; ++c) {
    auto& list = members[static_cast<std::size_t>(c)];
    for (const auto& entry : heaps[static_cast<std::size_t>(c)]) list.push_back(entry.second);
    std::sort(list.begin(), list.end());
  }
  return members;
}

}  // namespace

Clustering cluster(const Matrix& q, const Matrix& k, Index clusters, Index window, int iterations, std::uint64_t seed,
                   bool sharedQk, int head, const Progress& progress) {
  const Index n = q.rows(), dim = q.cols();
  Matrix points(sharedQk ? n : 2 * n, dim);
  points.topRows(n) = normalisedRows(q);
  if (!sharedQk) points.bottomRows(n) = normalisedRows(k);
  const Index count = points.rows();
  SplitMix64 rng = rowStream(seed ^ 0x2A7E5ull, static_cast<std::uint64_t>(head), 0);
  const std::vector<Index> start = sampleDistinct(rng, count, clusters);
  Clustering result;
  result.means.resize(clusters, dim);
  for (Index c = 0; c < clusters; ++c) result.means.row(c) = points.row(start[static_cast<std::size_t>(c)]);
  std::vector<Index> assigned(static_cast<std::size_t>(count));
  for (int round = 0; round < iterations; ++round) {
    const double share = 1.0 / (iterations + 1);  // the last share: routing every mean's nearest tokens
    parallelChunks(count, kBlock, progress, round * share, (round + 1) * share, [&](Index b, Index e) {
      const Matrix scores = points.middleRows(b, e - b) * result.means.transpose();
      for (Index r = 0; r < e - b; ++r) {
        Index best = 0;
        scores.row(r).maxCoeff(&best);  // the first maximum, as torch.max
        assigned[static_cast<std::size_t>(b + r)] = best;
      }
    });
    Matrix sums = Matrix::Zero(clusters, dim);
    std::vector<Index> members(static_cast<std::size_t>(clusters), 0);
    for (Index i = 0; i < count; ++i) {
      sums.row(assigned[static_cast<std::size_t>(i)]) += points.row(i);
      ++members[static_cast<std::size_t>(assigned[static_cast<std::size_t>(i)])];
    }
    for (Index c = 0; c < clusters; ++c)
      if (members[static_cast<std::size_t>(c)] > 0)
        result.means.row(c) = sums.row(c) / std::max(sums.row(c).norm(), 1e-12f);
  }
  result.queries = nearest(points, 0, n, result.means, std::min(window, n), progress.token);
  result.keys =
      sharedQk ? result.queries : nearest(points, n, 2 * n, result.means, std::min(window, n), progress.token);
  progress.report(1.0);
  return result;
}

}  // namespace routing

namespace {

Index clusterCount(const ParamSet& p, Index n) {
  const Index given = p.getInt("clusters");
  return given > 0 ? given : std::max<Index>(1, n / std::min(n, p.getInt("window")));
}

class RoutingFamily : public PatternFamily {
 public:
  std::string name() const override { return "routing"; }
  std::string summary() const override {
    return "Routing Transformer: k-means clusters of the queries and keys; a query attends the keys routed to its "
           "clusters";
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("clusters", 0, 0, kMaxTokens, "number of k-means clusters (0: n / window)"),
            intParam("window", 64, 1, kMaxTokens, "queries and keys routed to each cluster (nearest its mean)"),
            intParam("iterations", 10, 0, 100, "k-means rounds"),
            intParam("seed", 0, 0, kMaxTokens, "seed of the initial means"),
            boolParam("causal", false, "keep only keys at or before the query"),
            boolParam("shared_qk", false, "cluster the queries alone and use them as keys too (self-attention)")};
  }
  bool needsInputs() const override { return true; }
  void checkWork(const ParamSet& p, Index n) const override {
    // Each k-means round compares every vector with every mean; a head may take at most kMaxComparisons of those
    // (at dim 64, about 2.6·10¹¹ multiply-adds, several seconds on two cores).
    const Index clusters = clusterCount(p, n), points = p.getBool("shared_qk") ? n : 2 * n;
    if (clusters > points)
      throw Error(paramError("clusters", std::to_string(clusters),
                             "expected at most the " + withSeparators(points) + " vectors clustered (" +
                                 (p.getBool("shared_qk") ? "the n queries" : "n queries and n keys") + ")"));
    const double comparisons = double(p.getInt("iterations") + 1) * double(points) * double(clusters);
    if (comparisons > kMaxComparisons)
      throw Error(paramError(
          p.getInt("clusters") > 0 ? "clusters" : "window",
          std::to_string(p.getInt("clusters") > 0 ? clusters : p.getInt("window")),
          "at n = " + withSeparators(n) + ", k-means of " + withSeparators(points) + " vectors into " +
              withSeparators(clusters) + " clusters" + (p.getInt("clusters") > 0 ? "" : " (n / window)") +
              " would make " + withSeparators(static_cast<Index>(comparisons)) +
              " vector comparisons a head, over the limit of " + withSeparators(static_cast<Index>(kMaxComparisons)) +
              "; choose a larger window, fewer clusters or fewer iterations"));
  }
  double makeBytes(const ParamSet& p, Index n) const override {
    // Synthetic inputs when none are given, the normalised points, a block of scores, each cluster's members and
    // each query's keys (at most window per cluster it is routed to: n · window over all queries), twice while rows
    // are gathered.
    const double clusters = double(std::min(clusterCount(p, n), 2 * n));
    const double window = double(std::min(n, p.getInt("window")));
    return 3.0 * double(n) * 64 * 4 + 2.0 * double(n) * 64 * 4 + 1024.0 * clusters * 4 + clusters * window * 24 +
           2.0 * clusters * window * window * 4 + 16.0 * double(n);
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress& progress) const override {
    return makeFromInputs(p, syntheticInputs(1, n, 64, 0), progress);
  }
  std::unique_ptr<Pattern> makeFromInputs(const ParamSet& p, const AttentionInputs& in,
                                          const Progress& progress) const override {
    const Index n = in.n(), window = std::min(n, p.getInt("window")), clusters = clusterCount(p, n);
    const bool shared = p.getBool("shared_qk"), causal = p.getBool("causal");
    const int iterations = static_cast<int>(p.getInt("iterations"));
    checkWork(p, n);
    const double cells = double(in.heads()) * double(clusters) * double(window) * double(window);
    if (cells > double(maskCellLimit()))
      throw Error(paramError("window", std::to_string(window),
                             "at n = " + withSeparators(n) + " the clusters could route up to " +
                                 withSeparators(static_cast<Index>(cells)) + " cells, over the " +
                                 withSeparators(maskCellLimit()) + "-cell limit; choose a smaller window"));
    const auto seed = static_cast<std::uint64_t>(p.getInt("seed"));
    std::vector<std::shared_ptr<const CsrRows>> heads;
    for (int h = 0; h < in.heads(); ++h) {
      const routing::Clustering found =
          routing::cluster(in.q[h], in.k[h], clusters, window, iterations, seed, shared, h,
                           progress.part(double(h) / in.heads(), double(h + 1) / in.heads()));
      std::vector<std::vector<Index>> routedTo(static_cast<std::size_t>(n));
      for (Index c = 0; c < clusters; ++c)
        for (KeyIndex i : found.queries[static_cast<std::size_t>(c)])
          routedTo[static_cast<std::size_t>(i)].push_back(c);
      auto rows = std::make_shared<CsrRows>();
      rows->offsets.push_back(0);
      std::vector<KeyIndex> row;
      for (Index i = 0; i < n; ++i) {
        row.clear();
        for (Index c : routedTo[static_cast<std::size_t>(i)])
          for (KeyIndex j : found.keys[static_cast<std::size_t>(c)])
            if (!causal || j <= i) row.push_back(j);
        std::sort(row.begin(), row.end());
        row.erase(std::unique(row.begin(), row.end()), row.end());
        if (shared && row.size() > 1) {
          const auto self = std::find(row.begin(), row.end(), static_cast<KeyIndex>(i));
          if (self != row.end()) row.erase(self);
        }
        rows->keys.insert(rows->keys.end(), row.begin(), row.end());
        rows->offsets.push_back(static_cast<Index>(rows->keys.size()));
      }
      heads.push_back(std::move(rows));
    }
    return std::make_unique<RowsPattern>(n, std::move(heads));
  }
};

}  // namespace

const PatternFamily& routingFamily() {
  static const RoutingFamily family;
  return family;
}

}  // namespace attnscope

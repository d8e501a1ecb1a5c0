// Multi-hop reachability against hand-checked cases and a plain breadth-first reference.
#include <gtest/gtest.h>

#include <queue>

#include "engine/util/error.h"
#include "engine/reach/reachability.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::build;
using V = std::vector<Index>;

// The plainest possible reference: std::queue over the mask's rows (union of heads by membership tests).
std::vector<int> referenceDistances(const SparseMask& m, Index source) {
  std::vector<int> dist(m.n(), -1);
  std::queue<Index> q;
  dist[source] = 0;
  q.push(source);
  while (!q.empty()) {
    const Index u = q.front();
    q.pop();
    for (Index v = 0; v < m.n(); ++v) {
      bool edge = false;
      for (int h = 0; h < m.heads(); ++h) edge = edge || m.contains(h, u, v);
      if (edge && dist[v] < 0) {
        dist[v] = dist[u] + 1;
        q.push(v);
      }
    }
  }
  return dist;
}

struct Reference {
  int diameter = 0;
  double unreachable = 0;
  std::vector<double> histogram;
};

Reference reference(const SparseMask& m) {
  Reference r;
  r.histogram.assign(1, 0.0);
  for (Index s = 0; s < m.n(); ++s) {
    const auto d = referenceDistances(m, s);
    for (Index t = 0; t < m.n(); ++t) {
      if (t == s) continue;
      if (d[t] < 0) {
        r.unreachable += 1;
        continue;
      }
      if (static_cast<std::size_t>(d[t]) >= r.histogram.size()) r.histogram.resize(d[t] + 1, 0.0);
      r.histogram[d[t]] += 1;
      r.diameter = std::max(r.diameter, d[t]);
    }
  }
  return r;
}

TEST(Reachability, SevenReachesThreeThroughFive) {
  const ReachGraph g(build("window", 16, {{"radius", "2"}}));
  const ShortestPath p = shortestPath(g, 7, 3);
  ASSERT_TRUE(p.hops.has_value());
  EXPECT_EQ(*p.hops, 2);
  EXPECT_EQ(p.path, (V{7, 5, 3}));
  EXPECT_EQ(shortestPath(g, 7, 8).path, (V{7, 8}));
  EXPECT_EQ(*shortestPath(g, 7, 8).hops, 1);
  EXPECT_EQ(*shortestPath(g, 4, 4).hops, 0);
  EXPECT_EQ(shortestPath(g, 4, 4).path, (V{4}));
  // The smallest sequence among shortest paths: 0 → 15 takes +2 steps, then the smallest key that is still
  // on a shortest path.
  EXPECT_EQ(shortestPath(g, 0, 15).path, (V{0, 1, 3, 5, 7, 9, 11, 13, 15}));
}

TEST(Reachability, UnreachableGivesNoPath) {
  const ReachGraph g(build("window", 16, {{"radius", "2"}, {"causal", "true"}}));
  const ShortestPath p = shortestPath(g, 3, 7);
  EXPECT_FALSE(p.hops.has_value());
  EXPECT_TRUE(p.path.empty());
  EXPECT_EQ(shortestPath(g, 7, 3).path, (V{7, 5, 3}));
}

TEST(Reachability, OutOfRangeTokens) {
  const ReachGraph g(build("window", 16));
  EXPECT_EQ(test::errorOf([&] { shortestPath(g, 16, 3); }), "from = 16 is not allowed: expected a token 0 … 15");
  EXPECT_EQ(test::errorOf([&] { shortestPath(g, 1, -1); }), "to = -1 is not allowed: expected a token 0 … 15");
}

TEST(Reachability, WindowOfFiveNeedsEightLayers) {
  const ReachSummary s = analyzeReachability(ReachGraph(build("window", 16, {{"radius", "2"}})));
  EXPECT_TRUE(s.allPairsExact);
  EXPECT_TRUE(s.diameter.exact);
  EXPECT_EQ(s.diameter.upper, 8);  // ⌈15 / 2⌉
  EXPECT_EQ(s.unreachablePairs, 0);
  ASSERT_TRUE(s.layersForFullReach.has_value());
  EXPECT_EQ(*s.layersForFullReach, 8);
  ASSERT_EQ(s.reachByLayer.size(), 8u);
  EXPECT_DOUBLE_EQ(s.reachByLayer[0], (74.0 - 16.0) / 240.0);  // direct edges, self excluded
  EXPECT_DOUBLE_EQ(s.reachByLayer.back(), 1.0);
}

TEST(Reachability, AnyGlobalTokenGivesDiameterTwo) {
  const std::vector<std::pair<std::string, test::Params>> cases = {
      {"window+global", {{"radius", "2"}, {"tokens", "0"}}},
      {"blocks+global", {{"block", "4"}, {"tokens", "9"}}},
      {"random+global", {{"per_row", "1"}, {"tokens", "5"}}},
      {"causal+global", {{"tokens", "17"}}},
      {"fixed+global", {{"tokens", "3"}}},
      {"global", {{"tokens", "0,1"}}},
  };
  for (const auto& [name, params] : cases) {
    const ReachSummary s = analyzeReachability(ReachGraph(build(name, 64, params)));
    EXPECT_EQ(s.diameter.upper, 2) << name;
    EXPECT_TRUE(s.diameter.exact) << name;
    EXPECT_EQ(s.unreachablePairs, 0) << name;
    EXPECT_EQ(s.layersForFullReach, 2) << name;
    ASSERT_EQ(s.reachByLayer.size(), 2u) << name;
    EXPECT_DOUBLE_EQ(s.reachByLayer[1], 1.0) << name;
  }
}

TEST(Reachability, CausalNeverReachesTheFuture) {
  const SparseMask m = build("window", 16, {{"radius", "2"}, {"causal", "true"}});
  const ReachGraph g(m);
  for (Index i = 0; i < 16; ++i) {
    const HopDistances d = hopDistances(g.forward(), i);
    for (Index j = i + 1; j < 16; ++j) EXPECT_EQ(d[j], -1) << i << "→" << j;
    for (Index j = 0; j <= i; ++j) EXPECT_GE(d[j], 0);
  }
  const ReachSummary s = analyzeReachability(g);
  EXPECT_EQ(s.unreachablePairs, 16 * 15 / 2);
  EXPECT_FALSE(s.layersForFullReach.has_value());
  EXPECT_EQ(s.diameter.upper, 8);
  EXPECT_TRUE(s.diameter.exact);
}

TEST(Reachability, BlocksWithoutGlobalNeverConnect) {
  const ReachSummary s = analyzeReachability(ReachGraph(build("blocks", 16, {{"block", "4"}})));
  EXPECT_EQ(s.unreachablePairs, 16 * 15 - 4 * (4 * 3));
  EXPECT_EQ(s.diameter.upper, 1);
  EXPECT_FALSE(s.layersForFullReach.has_value());
  EXPECT_TRUE(s.diameter.symmetric);
}

TEST(Reachability, RandomPatternsMatchPlainBfs) {
  for (int seed = 0; seed < 6; ++seed) {
    const SparseMask m = build("random", 40, {{"per_row", seed % 3 == 0 ? "1" : "2"}, {"seed", std::to_string(seed)}});
    const ReachGraph g(m);
    for (Index s = 0; s < 40; s += 7) {
      const HopDistances d = hopDistances(g.forward(), s);
      EXPECT_EQ(std::vector<int>(d.begin(), d.end()), referenceDistances(m, s)) << seed << " " << s;
    }
    const Reference ref = reference(m);
    const ReachSummary sum = analyzeReachability(g);
    EXPECT_EQ(sum.diameter.upper, ref.diameter) << seed;
    EXPECT_EQ(sum.unreachablePairs, ref.unreachable) << seed;
  }
}

TEST(Reachability, MultiHeadUsesTheUnionOfHeads) {
  // Head 0: i → i+1 only; head 1: i → i−1 only. Together every token reaches every other.
  std::vector<std::vector<Index>> up(6), down(6);
  for (Index i = 0; i < 6; ++i) {
    if (i + 1 < 6) up[i].push_back(i + 1);
    if (i > 0) down[i].push_back(i - 1);
  }
  const SparseMask m = SparseMask::fromRows(6, {up, down});
  const ReachSummary s = analyzeReachability(ReachGraph(m));
  EXPECT_EQ(s.unreachablePairs, 0);
  EXPECT_EQ(s.diameter.upper, 5);
}

TEST(Reachability, BitsetAgreesWithSearchesOnRandomMasks) {
  for (int trial = 0; trial < 8; ++trial) {
    const Index n = 50 + 31 * trial;  // crosses several 64-bit word boundaries
    std::vector<std::vector<Index>> rows(n);
    for (Index i = 0; i < n; ++i)
      for (int k = 0; k < 1 + trial % 3; ++k) rows[i].push_back(std::rand() % n);
    const SparseMask g = SparseMask::fromRows(n, {rows});
    std::vector<double> histBits, histBfs;
    std::vector<std::uint16_t> matBits(n * n), matBfs(n * n);
    allPairsBitset(g, histBits, matBits.data());
    allPairsBfs(g, histBfs, matBfs.data());
    EXPECT_EQ(histBits, histBfs) << trial;
    EXPECT_EQ(matBits, matBfs) << trial;
    for (Index s = 0; s < n; s += 13) {
      const auto d = referenceDistances(g, s);
      for (Index t = 0; t < n; ++t) EXPECT_EQ(matBits[s * n + t], d[t] < 0 ? kUnreachable : d[t]);
    }
  }
}

TEST(Reachability, BoundingDiametersSettlesEveryPatternInFewSearches) {
  const std::vector<std::pair<std::string, test::Params>> cases = {
      {"window", {{"radius", "3"}}},                           // symmetric, path-like
      {"window+random", {{"radius", "1"}, {"per_row", "1"}}},  // strongly connected, not symmetric
      {"blocks", {{"block", "10"}}},                           // several components
      {"full", {}},
      {"hf-longformer", {{"attention_window", "16"}, {"global_tokens", "0"}}},  // the radius bound: 2·e(0)
      {"fixed", {{"stride", "8"}, {"causal", "false"}}},  // dense, diameter 2: settled by the bit-parallel search
      {"strided", {{"stride", "7"}, {"causal", "false"}}},
  };
  for (const auto& [name, params] : cases) {
    const SparseMask m = build(name, 200, params);
    const int truth = reference(m).diameter;
    const DiameterResult d = boundDiameter(ReachGraph(m));
    EXPECT_TRUE(d.exact) << name;
    EXPECT_EQ(d.upper, truth) << name;
    EXPECT_LE(d.searches, 20) << name;
  }
}

TEST(Reachability, WideWindowsSettleInAFewSearches) {
  // A window's ends form a plateau of equally eccentric tokens; the centre's eccentricity (2·e = diameter) is what
  // settles them, so the centre must be probed even after it stopped being a candidate.
  for (const auto& [radius, diameter] : std::vector<std::pair<int, int>>{{64, 64}, {3, 1365}, {100, 41}}) {
    const DiameterResult d = boundDiameter(ReachGraph(build("window", 4096, {{"radius", std::to_string(radius)}})));
    EXPECT_TRUE(d.exact) << radius;
    EXPECT_EQ(d.upper, diameter) << radius;
    EXPECT_LE(d.searches, 12) << radius;  // breadth-first searches plus 64-source bit-parallel batches
  }
}

TEST(Reachability, LargeInputsSaySampledAndStayExactWhereTheyCan) {
  ReachOptions cheap;
  cheap.maxAllPairsWork = 1;  // force the sampled curve
  cheap.maxSampleSources = 16;
  const ReachSummary s = analyzeReachability(ReachGraph(build("window", 300, {{"radius", "4"}})), cheap);
  EXPECT_FALSE(s.allPairsExact);
  EXPECT_EQ(s.sampledSources, 16);
  EXPECT_TRUE(s.diameter.exact);
  EXPECT_EQ(s.diameter.upper, 75);  // ⌈299 / 4⌉
  EXPECT_TRUE(s.unreachableExact);
  EXPECT_EQ(s.unreachablePairs, 0);
  EXPECT_EQ(s.layersForFullReach, 75);
  EXPECT_EQ(s.reachByLayer.size(), 75u);
  EXPECT_DOUBLE_EQ(s.reachByLayer.back(), 1.0);

  const ReachSummary causal =
      analyzeReachability(ReachGraph(build("window", 300, {{"radius", "4"}, {"causal", "true"}})), cheap);
  EXPECT_FALSE(causal.unreachableExact);
  EXPECT_FALSE(causal.layersForFullReach.has_value());
  EXPECT_EQ(causal.diameter.lower, 75);  // token 299 → token 0, found by one of the searches
  EXPECT_FALSE(causal.diameter.exact);
}

TEST(Reachability, MatrixOnRequest) {
  ReachOptions withMatrix;
  withMatrix.wantMatrix = true;
  const ReachSummary s =
      analyzeReachability(ReachGraph(build("window", 16, {{"radius", "2"}, {"causal", "true"}})), withMatrix);
  ASSERT_EQ(s.distances.size(), 256u);
  EXPECT_EQ(s.distances[7 * 16 + 3], 2);
  EXPECT_EQ(s.distances[3 * 16 + 7], kUnreachable);
  EXPECT_EQ(s.distances[5 * 16 + 5], 0);
}

TEST(Reachability, Cancellable) {
  Progress cancel;
  cancel.token.cancel();
  const ReachGraph g(build("window", 5000, {{"radius", "1"}, {"causal", "true"}}));
  EXPECT_THROW(analyzeReachability(g, {}, cancel), Cancelled);
}

}  // namespace
}  // namespace attnscope

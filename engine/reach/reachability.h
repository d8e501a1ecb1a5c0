#pragma once
// Multi-hop reachability: what a token has heard from after k stacked layers of a pattern.
//
// Edge i → j when query i attends key j in any head (a layer's heads together carry information, so the graph is
// the union of heads). A path of k edges from i to j means i has heard from j after k layers. A token reaches
// itself in 0 hops; pair counts below are over ordered pairs i ≠ j.

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/util/default_init.h"
#include "engine/util/progress.h"
#include "engine/masks/sparse_mask.h"

namespace attnscope {

/// Hop distances from one token; -1 where it never gets there.
using HopDistances = std::vector<std::int32_t>;

/// The reachability graph of a mask: the union of its heads, and its transpose (built on demand).
class ReachGraph {
 public:
  explicit ReachGraph(const SparseMask& mask);
  Index n() const { return forward_.n(); }
  const SparseMask& forward() const { return forward_; }
  const SparseMask& backward() const;  ///< row j: the tokens that attend j
  Index edges() const { return forward_.nnz(); }
  /// True when i attends j exactly when j attends i.
  bool symmetric() const;

 private:
  SparseMask forward_;
  mutable std::optional<SparseMask> backward_;
  mutable std::optional<bool> symmetric_;
};

/// Breadth-first search from `source` over `graph` (pass ReachGraph::backward() to get distances *to* source).
/// O(n + edges). Throws Error if source is out of range.
HopDistances hopDistances(const SparseMask& graph, Index source);

/// One shortest path from `from` to `to`: among all shortest paths, the one whose token sequence is smallest
/// lexicographically (at each step the smallest key that is one hop closer). Empty when unreachable.
struct ShortestPath {
  std::optional<int> hops;
  std::vector<Index> path;  ///< from, …, to
};
ShortestPath shortestPath(const ReachGraph& graph, Index from, Index to);

/// The largest finite hop distance. `exact` says whether lower == upper was proven.
struct DiameterResult {
  int lower = 0;
  int upper = 0;
  bool exact = false;
  int searches = 0;  ///< breadth-first searches spent
  const char* method = "";
  bool symmetric = false;          ///< i attends j exactly when j attends i
  bool stronglyConnected = false;  ///< every token reaches every token
};

/// Exact diameter with few searches where the structure allows it: Takes and Kosters' BoundingDiameters on each
/// component of a symmetric graph, and its forward/backward variant on a strongly connected one; candidates still
/// open after a few searches are settled together by a bit-parallel search (64 sources a word) when affordable.
/// Other graphs get bounds from a few searches (exact only when the caller computes all pairs). Cancellable.
DiameterResult boundDiameter(const ReachGraph& graph, const Progress& progress = {});

struct ReachOptions {
  /// All-pairs work (word operations or edge visits) allowed before falling back to sampled sources.
  double maxAllPairsWork = 3e9;
  /// Work allowed for a sampled receptive-field curve.
  double maxSampleWork = 1e9;
  int maxSampleSources = 256;
  std::uint64_t sampleSeed = 1;
  /// Also return the n × n hop-distance matrix when all pairs are computed (and n ≤ maxMatrixTokens).
  bool wantMatrix = false;
  Index maxMatrixTokens = 4096;
};

/// Everything the statistics panel and `attnscope-cli stats` say about reachability.
struct ReachSummary {
  Index n = 0;
  bool allPairsExact = false;  ///< curve and unreachable count from every pair, not a sample
  int sampledSources = 0;      ///< when not exact: how many sources the curve was estimated from
  DiameterResult diameter;
  double unreachablePairs = 0;  ///< exact count, or the sample's estimate
  bool unreachableExact = false;
  /// reachByLayer[L-1]: fraction of ordered pairs i ≠ j with hop distance ≤ L, for L = 1 … diameter.
  std::vector<double> reachByLayer;
  /// Layers after which every pair has heard from each other; empty when some pair never does.
  std::optional<int> layersForFullReach;
  /// Row-major n × n distances (UINT16_MAX: unreachable) when asked for and affordable.
  BigVector<std::uint16_t> distances;
};

inline constexpr std::uint16_t kUnreachable = 0xFFFF;

ReachSummary analyzeReachability(const ReachGraph& graph, const ReachOptions& options = {},
                                 const Progress& progress = {});

/// All-pairs by bit-parallel frontier propagation: 64 targets per machine word, one pass over the edges per layer.
/// Fills histogram[k] = ordered pairs at distance k (k ≥ 1) and, if `matrix` is non-null, the distance matrix.
void allPairsBitset(const SparseMask& graph, std::vector<double>& histogram, std::uint16_t* matrix,
                    const Progress& progress = {});
/// The same by one breadth-first search per source (OpenMP over sources). For checking and for long diameters.
void allPairsBfs(const SparseMask& graph, std::vector<double>& histogram, std::uint16_t* matrix,
                 const Progress& progress = {});

}  // namespace attnscope

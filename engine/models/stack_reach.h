#pragma once
// Reachability through a stack of different layers. Layer ℓ's mask (the union of its heads) is hop ℓ, in order, and
// information stays at its token between layers (the residual stream): after layers 1 … ℓ query i has heard from
// key j when j = i, or i had already heard from j, or layer ℓ lets i attend some k that had heard from j.
//
// Each layer is kept as runs of consecutive keys per query (a window is one run, a BigBird row a few), never as
// cells. The state is a bitset per token of the sources it has heard from; one layer ORs, for every query, the
// bitsets of its keys, and a run's OR comes from a sparse table of power-of-two ranges in two lookups, so a layer
// costs O(n·log(run) + runs) words per 64 sources whatever its width. A layer that changes nothing leaves the state
// a fixed point for itself: repeats of it are skipped, so 32 equal window layers cost only until they saturate.

#include <memory>
#include <optional>
#include <vector>

#include "engine/models/layer_stack.h"
#include "engine/util/default_init.h"
#include "engine/util/progress.h"

namespace attnscope {

/// One layer's keys, the union over its heads, as runs per query.
struct LayerRuns {
  Index n = 0;
  BigVector<Index> offsets;  ///< n + 1
  BigVector<KeyRun> runs;
  Index maxRun = 1;  ///< the longest run
  std::span<const KeyRun> row(Index i) const {
    return {runs.data() + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i])};
  }
};

/// The most runs of keys one layer may hold here: the cell limit, and a quarter of the memory limit at 16 bytes each.
Index maxLayerRuns();
/// The error for a layer past maxLayerRuns().
[[noreturn]] void refuseLayerRuns();

/// The runs of a pattern (all heads together). Throws Error when they would pass the cell limit's memory.
LayerRuns layerRuns(const Pattern& pattern, const Progress& progress = {});

/// The share of cells each tile of a side × side grid holds (row-major, query rows), for thumbnails: O(runs · tiles
/// a run spans).
std::vector<float> layerDensity(const LayerRuns& runs, int side);

/// A stack ready for reachability: layer ℓ uses runs[ℓ]; equal layers share one.
struct StackGraph {
  Index n = 0;
  std::vector<std::shared_ptr<const LayerRuns>> layers;
};
StackGraph stackGraph(const std::vector<MadeLayer>& layers, const Progress& progress = {});

struct StackReachOptions {
  /// Exact all-pairs work (64-bit word operations) allowed before sources are sampled.
  double maxExactWork = 4e9;
  int sampleSources = 256;
  std::uint64_t sampleSeed = 1;
};

struct StackReach {
  Index n = 0;
  bool exact = true;       ///< every pair, or (false) sampled sources
  int sampledSources = 0;  ///< when not exact
  /// reachByLayer[ℓ − 1]: fraction of ordered pairs i ≠ j with i having heard from j after layers 1 … ℓ.
  std::vector<double> reachByLayer;
  double unreachablePairs = 0;  ///< after the last layer (estimated when sampled)
  /// The first layer after which every pair is connected; empty when none is (or, sampled, none seen).
  std::optional<int> layersForFullReach;
  /// The same over the pairs a causal model can connect at most, key before query (j < i): n(n − 1)/2 of them.
  std::vector<double> earlierReachByLayer;
  std::optional<int> layersForFullEarlierReach;
  int layersComputed = 0;  ///< layers actually propagated (the rest were fixed points)
};

StackReach analyzeStack(const StackGraph& graph, const StackReachOptions& options = {}, const Progress& progress = {});
/// The work analyzeStack would do exactly, in word operations (for choosing, and for tests).
double exactStackWork(const StackGraph& graph);

/// A shortest path through the stack: query `from` hears from key `to` after as few layers as possible. Each hop
/// names the layer (its 0-based index, as Hugging Face's layer_idx) in which the query attended the key; layer
/// indices strictly decrease along the path.
struct StackHop {
  Index query;
  Index key;
  int layer;
};
struct StackPath {
  std::optional<int> layers;   ///< how many layers it takes before `from` has heard from `to`; empty: never
  std::vector<StackHop> hops;  ///< from `from` down to `to`
};
StackPath stackPath(const StackGraph& graph, Index from, Index to, const Progress& progress = {});
/// A path written as the Matrix tab writes one, query first, with the layer of each hop:
/// "7 → 5 → 3 (2 hops: hop 1 in layer 1, hop 2 in layer 0)". Empty when the path never connects.
std::string describeStackPath(const StackPath& path, Index from);

}  // namespace attnscope

#include "engine/reach/reachability.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <tuple>

#include "engine/util/error.h"
#include "engine/util/parallel.h"
#include "engine/util/random.h"

namespace attnscope {

namespace {

constexpr std::int32_t kFar = std::numeric_limits<std::int32_t>::max() / 4;

// A breadth-first search with buffers that are reused: resetting costs only what the last search visited, so many
// searches over small components stay cheap.
class Bfs {
 public:
  explicit Bfs(Index n) : dist_(static_cast<std::size_t>(n), -1) { queue_.reserve(static_cast<std::size_t>(n)); }

  /// Runs from source; returns the eccentricity (largest distance reached).
  std::int32_t run(const SparseMask& g, Index source) {
    for (KeyIndex v : queue_) dist_[v] = -1;
    queue_.clear();
    dist_[source] = 0;
    queue_.push_back(static_cast<KeyIndex>(source));
    for (std::size_t head = 0; head < queue_.size(); ++head) {
      const KeyIndex u = queue_[head];
      const std::int32_t next = dist_[u] + 1;
      for (KeyIndex v : g.row(0, u))
        if (dist_[v] < 0) {
          dist_[v] = next;
          queue_.push_back(v);
        }
    }
    return dist_[queue_.back()];
  }
  std::int32_t dist(Index v) const { return dist_[v]; }
  const std::vector<KeyIndex>& visited() const { return queue_; }  ///< in order of distance

 private:
  std::vector<std::int32_t> dist_;
  std::vector<KeyIndex> queue_;
};

void checkToken(Index n, Index t, const char* what) {
  if (t < 0 || t >= n)
    throw Error(std::string(what) + " = " + std::to_string(t) + " is not allowed: expected a token 0 … " +
                std::to_string(n - 1));
}

// Degree without the self-loop: a token that attends every other token of its component has eccentricity 1.
Index degreeWithoutSelf(const SparseMask& g, Index v) {
  auto r = g.row(0, v);
  return static_cast<Index>(r.size()) - (std::binary_search(r.begin(), r.end(), static_cast<KeyIndex>(v)) ? 1 : 0);
}

// Exact forward eccentricities of many sources at once: bit s of a node's word says source s has reached it, and
// each layer ORs the frontier bits of a node's in-neighbours (rows of `in`: the tokens that attend it). A source's
// eccentricity is the last layer in which its bit spread. Work: layers × (edges + n) × ⌈sources / 64⌉ words.
std::vector<std::int32_t> eccentricities(const SparseMask& in, const std::vector<KeyIndex>& sources,
                                         const Progress& progress) {
  const Index n = in.n();
  const Index words = (static_cast<Index>(sources.size()) + 63) / 64;
  std::vector<std::uint64_t> reach(static_cast<std::size_t>(n * words), 0), frontier(reach.size(), 0),
      next(reach.size(), 0);
  std::vector<char> active(static_cast<std::size_t>(n), 0), nextActive(static_cast<std::size_t>(n), 0);
  for (std::size_t k = 0; k < sources.size(); ++k) {
    const Index v = sources[k];
    reach[v * words + k / 64] |= std::uint64_t(1) << (k % 64);
    frontier[v * words + k / 64] |= std::uint64_t(1) << (k % 64);
    active[v] = 1;
  }
  std::vector<std::int32_t> ecc(sources.size(), 0);
  std::vector<std::uint64_t> spread(static_cast<std::size_t>(words));
  for (std::int32_t layer = 1;; ++layer) {
    std::fill(spread.begin(), spread.end(), 0);
    Index anyActive = 0;
    parallelChunks(n, 512, progress, 0.0, 0.0, [&](Index begin, Index end) {
      std::vector<std::uint64_t> acc(static_cast<std::size_t>(words)), localSpread(static_cast<std::size_t>(words), 0);
      Index localActive = 0;
      for (Index t = begin; t < end; ++t) {
        std::fill(acc.begin(), acc.end(), 0);
        for (KeyIndex u : in.row(0, t)) {
          if (!active[u]) continue;
          const std::uint64_t* f = &frontier[static_cast<std::size_t>(u * words)];
          for (Index w = 0; w < words; ++w) acc[w] |= f[w];
        }
        std::uint64_t* r = &reach[static_cast<std::size_t>(t * words)];
        std::uint64_t* nx = &next[static_cast<std::size_t>(t * words)];
        bool any = false;
        for (Index w = 0; w < words; ++w) {
          nx[w] = acc[w] & ~r[w];
          r[w] |= nx[w];
          localSpread[w] |= nx[w];
          any = any || nx[w];
        }
        nextActive[t] = any;
        localActive += any;
      }
#pragma omp critical(attnscope_eccentricities)
      {
        for (Index w = 0; w < words; ++w) spread[w] |= localSpread[w];
        anyActive += localActive;
      }
    });
    if (anyActive == 0) break;
    for (Index w = 0; w < words; ++w)
      for (std::uint64_t bits = spread[w]; bits; bits &= bits - 1) ecc[w * 64 + std::countr_zero(bits)] = layer;
    frontier.swap(next);
    active.swap(nextActive);
  }
  return ecc;
}

// Takes and Kosters' BoundingDiameters, generalised. Each probe v gives its eccentricity e(v) and, for every
// candidate w, bounds on e(w):
//   e(w) ≤ d(w, v) + e(v)              (go to v first)
//   e(w) ≥ max(d(w, v), e(v) − d(v, w)) (v itself is a target; and the triangle inequality the other way)
// In a symmetric graph d(w, v) = d(v, w) and one search gives both; otherwise a backward search gives d(w, v).
// A candidate leaves when its upper bound cannot beat the best eccentricity found, or its bounds meet. Probes
// alternate between the largest upper bound and the smallest lower bound.
struct Bounding {
  // Dense graphs of diameter 2 are the weak case (every probe has eccentricity 2, so no bound drops below 3);
  // there all pairs by bitsets are cheap, so the caller settles it and this stops early with bounds.
  static constexpr int kMaxSearches = 64;
  static constexpr int kSearchesBeforeBits = 8;
  static constexpr double kMaxBitsWork = 2e9;

  std::int32_t maxUpper(const std::vector<KeyIndex>& cand) const {
    std::int32_t m = 0;
    for (KeyIndex w : cand) m = std::max(m, ub[w]);
    return m;
  }
  const SparseMask& fwd;
  const SparseMask* bwd;  // null when symmetric
  std::vector<std::int32_t> lb, ub;
  std::vector<char> probed;
  Bfs forward, backward;
  int searches = 0;

  Bounding(const SparseMask& f, const SparseMask* b)
      : fwd(f), bwd(b), lb(f.n(), 0), ub(f.n(), kFar), probed(f.n(), 0), forward(f.n()), backward(b ? f.n() : 1) {}

  // Largest eccentricity among `cand` (all mutually reachable): returns {lower, upper}, equal unless the search
  // budget ran out first.
  std::pair<std::int32_t, std::int32_t> run(std::vector<KeyIndex> cand, const Progress& progress) {
    const Index size = static_cast<Index>(cand.size());
    if (size <= 1) return {0, 0};
    const std::vector<KeyIndex> all = cand;
    std::int32_t best = 0;
    for (KeyIndex w : cand) {
      const Index deg = degreeWithoutSelf(fwd, w);
      if (deg >= size - 1)
        lb[w] = ub[w] = 1;  // attends every other token of its component
      else
        lb[w] = 2;
    }
    // The radius bound: every pair meets through any v, so D ≤ e(v) + e_back(v) (2·e(v) when symmetric).
    std::int32_t cap = kFar;
    if (!bwd)
      for (KeyIndex w : cand)
        if (ub[w] == 1) cap = 2;
    bool pickHigh = true;
    while (true) {
      // Drop settled candidates.
      std::size_t keep = 0;
      for (KeyIndex w : cand) {
        if (lb[w] == ub[w]) best = std::max(best, lb[w]);
        if (ub[w] <= best || lb[w] == ub[w]) continue;
        cand[keep++] = w;
      }
      cand.resize(keep);
      if (cand.empty() || best >= cap) return {best, best};
      // Many candidates left with similar bounds (a window's ends, a dense graph): settle them all at once when
      // the bit-parallel search is affordable.
      const double edges = double(fwd.nnz()) + double(fwd.n());
      const double bitsWork = double(std::min(cap, maxUpper(cand)) + 1) * edges * std::ceil(double(cand.size()) / 64.0);
      if (searches >= kSearchesBeforeBits && bitsWork <= kMaxBitsWork) {
        for (std::int32_t e : eccentricities(bwd ? *bwd : fwd, cand, progress)) best = std::max(best, e);
        searches += static_cast<int>(std::ceil(double(cand.size()) / 64.0));
        return {best, best};
      }
      if (searches >= kMaxSearches) {
        std::int32_t upper = best;
        for (KeyIndex w : cand) upper = std::max(upper, ub[w]);
        return {best, std::min(upper, cap)};
      }
      progress.throwIfCancelled();
      // High probe: the candidate that may be most eccentric (ties: larger lower bound, then fewer keys, which
      // finds the ends of a window). Low probe: the most central token (ties: smaller upper bound, more keys).
      // In a symmetric graph it is sought among all tokens, settled or not, because 2·e(centre) is the diameter of
      // a path-like pattern; in a directed one the cap e + e_back is rarely tight, so only candidates are tried.
      KeyIndex v = cand[0];
      if (pickHigh) {
        for (KeyIndex w : cand)
          if (std::tuple(ub[w], lb[w], -fwd.degree(0, w)) > std::tuple(ub[v], lb[v], -fwd.degree(0, v))) v = w;
      } else {
        bool found = false;
        for (KeyIndex w : bwd ? cand : all) {
          if (probed[w]) continue;
          if (!found || std::tuple(lb[w], ub[w], -fwd.degree(0, w)) < std::tuple(lb[v], ub[v], -fwd.degree(0, v)))
            v = w;
          found = true;
        }
        if (!found || cap <= best) v = cand[0];
      }
      pickHigh = !pickHigh;
      probed[v] = 1;
      const std::int32_t e = forward.run(fwd, v);
      ++searches;
      const Bfs* toV = &forward;
      std::int32_t eBack = e;
      if (bwd) {
        eBack = backward.run(*bwd, v);
        ++searches;
        toV = &backward;
      }
      cap = std::min(cap, e + eBack);
      best = std::max(best, e);
      lb[v] = ub[v] = e;
      for (KeyIndex w : all) {
        const std::int32_t from = forward.dist(w), to = toV->dist(w);
        ub[w] = std::min(ub[w], to + e);
        lb[w] = std::max({lb[w], to, e - from});
      }
    }
  }
};

// Components of a symmetric graph, as lists of tokens.
std::vector<std::vector<KeyIndex>> components(const SparseMask& g) {
  std::vector<std::vector<KeyIndex>> out;
  std::vector<char> seen(static_cast<std::size_t>(g.n()), 0);
  Bfs bfs(g.n());
  for (Index s = 0; s < g.n(); ++s) {
    if (seen[s]) continue;
    bfs.run(g, s);
    out.emplace_back(bfs.visited());
    for (KeyIndex v : bfs.visited()) seen[v] = 1;
  }
  return out;
}

bool reachesAll(const SparseMask& g, Index source) {
  Bfs bfs(g.n());
  bfs.run(g, source);
  return static_cast<Index>(bfs.visited().size()) == g.n();
}

}  // namespace

ReachGraph::ReachGraph(const SparseMask& mask) : forward_(mask.headUnion()) {}

const SparseMask& ReachGraph::backward() const {
  if (!backward_) backward_ = forward_.transposed();
  return *backward_;
}

bool ReachGraph::symmetric() const {
  if (!symmetric_) symmetric_ = forward_ == backward();
  return *symmetric_;
}

HopDistances hopDistances(const SparseMask& graph, Index source) {
  checkToken(graph.n(), source, "token");
  Bfs bfs(graph.n());
  bfs.run(graph, source);
  HopDistances out(static_cast<std::size_t>(graph.n()), -1);
  for (KeyIndex v : bfs.visited()) out[v] = bfs.dist(v);
  return out;
}

ShortestPath shortestPath(const ReachGraph& graph, Index from, Index to) {
  checkToken(graph.n(), from, "from");
  checkToken(graph.n(), to, "to");
  if (from == to) return {0, {from}};
  const HopDistances toTarget = hopDistances(graph.backward(), to);
  if (toTarget[from] < 0) return {std::nullopt, {}};
  ShortestPath result{toTarget[from], {from}};
  Index cur = from;
  while (cur != to) {
    for (KeyIndex v : graph.forward().row(0, cur))  // ascending: the first closer key is the smallest
      if (toTarget[v] == toTarget[cur] - 1) {
        cur = v;
        break;
      }
    result.path.push_back(cur);
  }
  return result;
}

DiameterResult boundDiameter(const ReachGraph& graph, const Progress& progress) {
  DiameterResult r;
  const Index n = graph.n();
  if (n <= 1) {
    r.exact = true;
    r.method = "trivial";
    return r;
  }
  if (graph.symmetric()) {
    Bounding b(graph.forward(), nullptr);
    for (auto& component : components(graph.forward())) {
      const auto [lo, hi] = b.run(std::move(component), progress);
      r.lower = std::max(r.lower, lo);
      r.upper = std::max(r.upper, hi);
    }
    r.exact = r.lower == r.upper;
    r.searches = b.searches;
    r.method = "bounding diameters (symmetric)";
    r.symmetric = true;
    return r;
  }
  if (reachesAll(graph.forward(), 0) && reachesAll(graph.backward(), 0)) {
    Bounding b(graph.forward(), &graph.backward());
    std::vector<KeyIndex> all(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) all[i] = static_cast<KeyIndex>(i);
    std::tie(r.lower, r.upper) = b.run(std::move(all), progress);
    r.exact = r.lower == r.upper;
    r.searches = b.searches + 2;
    r.method = "bounding diameters (strongly connected)";
    r.stronglyConnected = true;
    return r;
  }
  // Neither symmetric nor strongly connected: a lower bound from a few searches; exact only from all pairs.
  SplitMix64 rng(0x5EED);
  std::vector<Index> sources = {0, n - 1};
  for (Index s : sampleDistinct(rng, n, std::min<Index>(n, 14))) sources.push_back(s);
  Bfs bfs(n);
  for (Index s : sources) {
    progress.throwIfCancelled();
    r.lower = std::max(r.lower, bfs.run(graph.forward(), s));
    ++r.searches;
  }
  r.upper = static_cast<int>(n - 1);
  r.exact = r.lower == r.upper;
  r.method = "sampled lower bound";
  return r;
}

void allPairsBitset(const SparseMask& g, std::vector<double>& histogram, std::uint16_t* matrix,
                    const Progress& progress) {
  const Index n = g.n();
  const Index words = (n + 63) / 64;
  // reach[i]: targets i has reached; frontier[i]: targets i reached in the last layer. Bit t of word w is t = 64w + b.
  std::vector<std::uint64_t> reach(static_cast<std::size_t>(n * words), 0), frontier(reach.size(), 0),
      next(reach.size(), 0);
  std::vector<char> active(static_cast<std::size_t>(n), 1), nextActive(static_cast<std::size_t>(n), 0);
  for (Index i = 0; i < n; ++i) reach[i * words + i / 64] = frontier[i * words + i / 64] = std::uint64_t(1) << (i % 64);
  if (matrix) {
    std::fill(matrix, matrix + n * n, kUnreachable);
    for (Index i = 0; i < n; ++i) matrix[i * n + i] = 0;
  }
  histogram.assign(1, 0.0);
  for (int layer = 1;; ++layer) {
    double found = 0;
    Index anyActive = 0;
    parallelChunks(n, 256, progress, 0.0, 0.0, [&](Index begin, Index end) {
      std::vector<std::uint64_t> acc(static_cast<std::size_t>(words));
      double localFound = 0;
      Index localActive = 0;
      for (Index i = begin; i < end; ++i) {
        std::fill(acc.begin(), acc.end(), 0);
        for (KeyIndex j : g.row(0, i)) {
          if (!active[j]) continue;
          const std::uint64_t* f = &frontier[static_cast<std::size_t>(j * words)];
          for (Index w = 0; w < words; ++w) acc[w] |= f[w];
        }
        std::uint64_t* r = &reach[static_cast<std::size_t>(i * words)];
        std::uint64_t* nx = &next[static_cast<std::size_t>(i * words)];
        bool any = false;
        for (Index w = 0; w < words; ++w) {
          const std::uint64_t fresh = acc[w] & ~r[w];
          nx[w] = fresh;
          if (!fresh) continue;
          any = true;
          r[w] |= fresh;
          localFound += std::popcount(fresh);
          if (matrix)
            for (std::uint64_t bits = fresh; bits; bits &= bits - 1)
              matrix[i * n + w * 64 + std::countr_zero(bits)] = static_cast<std::uint16_t>(std::min(layer, 0xFFFE));
        }
        nextActive[i] = any;
        localActive += any;
      }
#pragma omp atomic
      found += localFound;
#pragma omp atomic
      anyActive += localActive;
    });
    if (anyActive == 0) break;
    histogram.push_back(found);
    frontier.swap(next);
    active.swap(nextActive);
  }
}

void allPairsBfs(const SparseMask& g, std::vector<double>& histogram, std::uint16_t* matrix, const Progress& progress) {
  const Index n = g.n();
  std::vector<double> total(1, 0.0);
  parallelChunks(n, 64, progress, 0.0, 1.0, [&](Index begin, Index end) {
    Bfs bfs(n);
    std::vector<double> local(1, 0.0);
    for (Index s = begin; s < end; ++s) {
      bfs.run(g, s);
      if (matrix) std::fill(matrix + s * n, matrix + (s + 1) * n, kUnreachable);
      for (KeyIndex v : bfs.visited()) {
        const std::int32_t d = bfs.dist(v);
        if (matrix) matrix[s * n + v] = static_cast<std::uint16_t>(std::min(d, 0xFFFE));
        if (d == 0) continue;
        if (static_cast<std::size_t>(d) >= local.size()) local.resize(d + 1, 0.0);
        local[d] += 1;
      }
    }
#pragma omp critical(attnscope_all_pairs_bfs)
    {
      if (local.size() > total.size()) total.resize(local.size(), 0.0);
      for (std::size_t d = 0; d < local.size(); ++d) total[d] += local[d];
    }
  });
  histogram = std::move(total);
}

ReachSummary analyzeReachability(const ReachGraph& graph, const ReachOptions& options, const Progress& progress) {
  ReachSummary s;
  const Index n = s.n = graph.n();
  const double pairs = double(n) * double(n - 1);
  const double edges = double(graph.edges()) + double(n);
  s.diameter = boundDiameter(graph, progress);

  // Unreachable pairs are known without all pairs for symmetric graphs (component sizes) and strongly connected
  // ones (none).
  std::optional<double> unreachable;
  if (graph.symmetric()) {
    double connected = 0;
    for (const auto& c : components(graph.forward())) connected += double(c.size()) * double(c.size() - 1);
    unreachable = pairs - connected;
  } else if (s.diameter.stronglyConnected) {
    unreachable = 0.0;
  }

  const double words = std::ceil(double(n) / 64.0);
  const double bitsetWork = double(s.diameter.upper + 1) * edges * words;
  const double bfsWork = 8.0 * double(n) * edges;  // a search's random accesses cost several word operations
  std::vector<double> histogram;  // histogram[d] = pairs at distance d (d ≥ 1), over all pairs or the sample
  double histogramPairs = pairs;
  if (std::min(bitsetWork, bfsWork) <= options.maxAllPairsWork) {
    if (options.wantMatrix && n <= options.maxMatrixTokens) s.distances.resize(static_cast<std::size_t>(n * n));
    std::uint16_t* matrix = s.distances.empty() ? nullptr : s.distances.data();
    if (bitsetWork <= bfsWork)
      allPairsBitset(graph.forward(), histogram, matrix, progress);
    else
      allPairsBfs(graph.forward(), histogram, matrix, progress);
    s.allPairsExact = true;
    double reached = 0;
    for (std::size_t d = 1; d < histogram.size(); ++d) reached += histogram[d];
    unreachable = pairs - reached;
    s.diameter.lower = s.diameter.upper = static_cast<int>(histogram.size()) - 1;
    s.diameter.exact = true;
    s.diameter.method = "all pairs";
  } else {
    const Index k = std::clamp<Index>(static_cast<Index>(options.maxSampleWork / edges), 8,
                                      std::min<Index>(options.maxSampleSources, n));
    SplitMix64 rng(options.sampleSeed);
    const std::vector<Index> sources = sampleDistinct(rng, n, std::min(k, n));
    s.sampledSources = static_cast<int>(sources.size());
    std::vector<double> total(1, 0.0);
    parallelChunks(static_cast<Index>(sources.size()), 1, progress, 0.0, 1.0, [&](Index begin, Index end) {
      Bfs bfs(n);
      std::vector<double> local(1, 0.0);
      for (Index idx = begin; idx < end; ++idx) {
        bfs.run(graph.forward(), sources[idx]);
        for (KeyIndex v : bfs.visited()) {
          const std::int32_t d = bfs.dist(v);
          if (d == 0) continue;
          if (static_cast<std::size_t>(d) >= local.size()) local.resize(d + 1, 0.0);
          local[d] += 1;
        }
      }
#pragma omp critical(attnscope_reach_sample)
      {
        if (local.size() > total.size()) total.resize(local.size(), 0.0);
        for (std::size_t d = 0; d < local.size(); ++d) total[d] += local[d];
      }
    });
    histogram = std::move(total);
    histogramPairs = double(sources.size()) * double(n - 1);
    s.diameter.lower = std::max<int>(s.diameter.lower, static_cast<int>(histogram.size()) - 1);
  }

  // The curve: fraction of pairs within L hops, for L = 1 … diameter (or as far as the sample saw).
  const int length = s.diameter.exact ? s.diameter.upper : static_cast<int>(histogram.size()) - 1;
  double cumulative = 0;
  for (int L = 1; L <= length; ++L) {
    if (static_cast<std::size_t>(L) < histogram.size()) cumulative += histogram[L];
    s.reachByLayer.push_back(histogramPairs > 0 ? cumulative / histogramPairs : 0.0);
  }
  s.unreachableExact = unreachable.has_value();
  if (unreachable)
    s.unreachablePairs = std::round(*unreachable);
  else
    s.unreachablePairs = std::round(pairs * (1.0 - (s.reachByLayer.empty() ? 0.0 : s.reachByLayer.back())));
  if (s.unreachableExact && s.unreachablePairs == 0 && s.diameter.exact) s.layersForFullReach = s.diameter.upper;
  return s;
}

}  // namespace attnscope

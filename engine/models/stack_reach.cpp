#include "engine/models/stack_reach.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "engine/util/parallel.h"
#include "engine/util/random.h"

namespace attnscope {

namespace {

constexpr Index kRowsPerChunk = 1024;

void checkToken(Index n, Index t, const char* what) {
  if (t < 0 || t >= n)
    throw Error(std::string(what) + " = " + std::to_string(t) + " is not allowed: expected a token 0 … " +
                std::to_string(n - 1));
}

}  // namespace

Index maxLayerRuns() {
  return std::min<Index>(maskCellLimit(), static_cast<Index>(memoryLimitBytes() / (4.0 * sizeof(KeyRun))));
}

void refuseLayerRuns() {
  throw Error("this layer's rows split into more than " + withSeparators(maxLayerRuns()) +
              " runs of keys, more than a stack may hold here; choose a smaller n or a sparser layer");
}

LayerRuns layerRuns(const Pattern& pattern, const Progress& progress) {
  const Index n = pattern.n();
  const Index chunks = (n + kRowsPerChunk - 1) / kRowsPerChunk;
  std::vector<std::vector<KeyRun>> chunkRuns(static_cast<std::size_t>(chunks));
  std::vector<std::vector<Index>> chunkCounts(static_cast<std::size_t>(chunks));
  std::vector<int> heads;
  for (int h = 0; h < pattern.heads(); ++h)
    if (pattern.sourceHead(h) == h) heads.push_back(h);
  std::atomic<Index> total{0};
  const Index limit = maxLayerRuns();
  auto refuse = [] { refuseLayerRuns(); };
  if (!pattern.hasCheapRuns() && pattern.hasCheapDegree()) {  // runs ≤ cells, and the cells are cheap to count
    double cells = 0;
    for (int h : heads)
      for (Index i = 0; i < n; ++i) cells += double(pattern.degree(h, i));
    if (cells > double(limit)) refuse();
  }
  std::atomic<bool> tooMany{false};
  parallelChunks(n, kRowsPerChunk, progress, 0.0, 1.0, [&](Index begin, Index end) {
    auto& out = chunkRuns[static_cast<std::size_t>(begin / kRowsPerChunk)];
    auto& counts = chunkCounts[static_cast<std::size_t>(begin / kRowsPerChunk)];
    std::vector<KeyRun> row, head;
    for (Index i = begin; i < end && !tooMany.load(std::memory_order_relaxed); ++i) {
      row.clear();
      for (int h : heads) {
        pattern.keyRuns(h, i, head);
        row.insert(row.end(), head.begin(), head.end());
      }
      if (heads.size() > 1)
        std::sort(row.begin(), row.end(), [](const KeyRun& a, const KeyRun& b) { return a.first < b.first; });
      const std::size_t before = out.size();
      for (const KeyRun& r : row) {
        if (out.size() > before && out.back().last + 1 >= r.first)
          out.back().last = std::max(out.back().last, r.last);
        else
          out.push_back(r);
      }
      counts.push_back(static_cast<Index>(out.size() - before));
    }
    if ((total += static_cast<Index>(out.size())) > limit) tooMany = true;
  });
  if (tooMany) refuse();
  LayerRuns lr;
  lr.n = n;
  lr.offsets.resize(static_cast<std::size_t>(n + 1));
  lr.runs.resize(static_cast<std::size_t>(total.load()));
  Index at = 0, i = 0;
  lr.offsets[0] = 0;
  for (std::size_t c = 0; c < chunkRuns.size(); ++c) {
    std::copy(chunkRuns[c].begin(), chunkRuns[c].end(), lr.runs.begin() + at);
    for (Index count : chunkCounts[c]) {
      at += count;
      lr.offsets[++i] = at;
    }
    for (const KeyRun& r : chunkRuns[c]) lr.maxRun = std::max(lr.maxRun, r.last - r.first + 1);
    std::vector<KeyRun>().swap(chunkRuns[c]);
  }
  return lr;
}

std::vector<float> layerDensity(const LayerRuns& lr, int side) {
  const Index n = lr.n;
  side = static_cast<int>(std::clamp<Index>(side, 1, std::max<Index>(n, 1)));
  std::vector<double> counts(static_cast<std::size_t>(side) * side, 0.0);
  auto start = [&](Index t) { return (t * n + side - 1) / side; };  // tile t covers [start(t), start(t + 1))
#pragma omp parallel for schedule(dynamic, 4)
  for (int tr = 0; tr < side; ++tr) {
    double* row = counts.data() + static_cast<std::size_t>(tr) * side;
    for (Index i = start(tr); i < start(tr + 1); ++i)
      for (const KeyRun& r : lr.row(i))
        for (Index c = (r.first * side) / n; c < side && start(c) <= r.last; ++c)
          row[c] += double(std::min(r.last + 1, start(c + 1)) - std::max(r.first, start(c)));
  }
  std::vector<float> out(counts.size());
  for (int tr = 0; tr < side; ++tr)
    for (int c = 0; c < side; ++c) {
      const double area = double(start(tr + 1) - start(tr)) * double(start(c + 1) - start(c));
      out[static_cast<std::size_t>(tr) * side + c] =
          area > 0 ? float(counts[static_cast<std::size_t>(tr) * side + c] / area) : 0.0f;
    }
  return out;
}

StackGraph stackGraph(const std::vector<MadeLayer>& layers, const Progress& progress) {
  StackGraph g;
  if (layers.empty()) return g;
  g.n = layers.front().pattern->n();
  std::vector<std::shared_ptr<const LayerRuns>> byDistinct(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    progress.throwIfCancelled();
    auto& slot = byDistinct[static_cast<std::size_t>(layers[l].distinct)];
    if (!slot)
      slot = std::make_shared<const LayerRuns>(
          layerRuns(*layers[l].pattern, progress.part(double(l) / layers.size(), double(l + 1) / layers.size())));
    g.layers.push_back(slot);
  }
  return g;
}

double exactStackWork(const StackGraph& g) {
  // Per 64 sources and layer: the prefix and suffix passes, the output pass, and a few lookups a run (short runs
  // inside a block cost up to their length).
  const double words = std::ceil(double(g.n) / 64.0);
  double perWord = 0;
  for (const auto& layer : g.layers)
    perWord += 4.0 * double(g.n) + double(layer->runs.size()) * double(std::min<Index>(layer->maxRun, 4));
  return words * perWord;
}

namespace {

// Propagates the bitsets of `sources` (W words a token) through every layer; adds to connected[ℓ] the ordered
// pairs (token, source), token ≠ source, connected after layer ℓ + 1.
// Buffers reused from batch to batch (allocating and first-touching them per batch costs more than the work).
struct Buffers {
  BigVector<std::uint64_t> X, Y, prefix, suffix;
  std::vector<BigVector<std::uint64_t>> blocks;  // level k: OR of 2^k whole blocks from each block on
};

// A run's OR over [a, b] in O(1) table lookups, van Herk / Gil-Werman style: the sequence is cut into blocks of
// kBlock tokens; prefix[t] ORs t's block from its start to t, suffix[t] from t to its end, and a sparse table over
// whole blocks covers the blocks a long run spans. Runs inside one block are ORed token by token (< kBlock terms).
constexpr Index kBlock = 64;

int blockLevelsFor(Index maxRun) {
  return std::bit_width(static_cast<std::uint64_t>(std::max<Index>(maxRun / kBlock, 1)));
}

double stateWords(Index n, Index W, int blockLevels) {
  return double(n) * double(W) * 4.0 + double(n / kBlock + 1) * double(W) * double(blockLevels);
}

void propagate(const StackGraph& g, const std::vector<Index>& sources, std::vector<double>& connected,
               std::vector<double>& earlier, int& computed, Buffers& buf, const Progress& progress, double from,
               double to) {
  const Index n = g.n, W = (static_cast<Index>(sources.size()) + 63) / 64, nb = (n + kBlock - 1) / kBlock;
  const std::size_t L = g.layers.size();
  int maxLevels = 1;
  for (const auto& layer : g.layers) maxLevels = std::max(maxLevels, blockLevelsFor(layer->maxRun));
  checkMemory(stateWords(n, W, maxLevels) * 8.0, "reachability through the stack at n = " + withSeparators(n),
              "choose a smaller n");
  auto& X = buf.X;
  auto& Y = buf.Y;
  for (auto* v : {&X, &Y, &buf.prefix, &buf.suffix}) v->resize(static_cast<std::size_t>(n * W));
  std::fill(X.begin(), X.end(), 0);
  for (std::size_t s = 0; s < sources.size(); ++s) X[sources[s] * W + Index(s) / 64] |= std::uint64_t(1) << (s % 64);
  buf.blocks.resize(static_cast<std::size_t>(maxLevels));
  for (auto& level : buf.blocks) level.resize(static_cast<std::size_t>(nb * W));
  const double full = double(sources.size()) * double(n - 1);
  std::vector<const LayerRuns*> stable;
  double count = 0, earlierCount = 0;
  bool saturated = false;
  for (std::size_t l = 0; l < L; ++l) {
    progress.throwIfCancelled();
    progress.report(from + (to - from) * double(l) / double(L));
    const LayerRuns* layer = g.layers[l].get();
    if (saturated || std::find(stable.begin(), stable.end(), layer) != stable.end()) {
      connected[l] += count;
      earlier[l] += earlierCount;
      continue;
    }
    ++computed;
    std::uint64_t* P = buf.prefix.data();
    std::uint64_t* S = buf.suffix.data();
    const bool longRuns = layer->maxRun > 2;
    if (longRuns) {
#pragma omp parallel for schedule(static)
      for (Index blk = 0; blk < nb; ++blk) {
        const Index b0 = blk * kBlock, b1 = std::min(n, b0 + kBlock);
        for (Index w = 0; w < W; ++w) P[b0 * W + w] = X[b0 * W + w];
        for (Index t = b0 + 1; t < b1; ++t)
          for (Index w = 0; w < W; ++w) P[t * W + w] = P[(t - 1) * W + w] | X[t * W + w];
        for (Index w = 0; w < W; ++w) S[(b1 - 1) * W + w] = X[(b1 - 1) * W + w];
        for (Index t = b1 - 2; t >= b0; --t)
          for (Index w = 0; w < W; ++w) S[t * W + w] = S[(t + 1) * W + w] | X[t * W + w];
        for (Index w = 0; w < W; ++w) buf.blocks[0][blk * W + w] = S[b0 * W + w];
      }
      const int levels = blockLevelsFor(layer->maxRun);
      for (int k = 1; k < levels; ++k) {
        const std::uint64_t* prev = buf.blocks[static_cast<std::size_t>(k - 1)].data();
        std::uint64_t* cur = buf.blocks[static_cast<std::size_t>(k)].data();
        const Index half = Index(1) << (k - 1), last = nb - (Index(1) << k);
#pragma omp parallel for schedule(static)
        for (Index blk = 0; blk <= last; ++blk)
          for (Index w = 0; w < W; ++w) cur[blk * W + w] = prev[blk * W + w] | prev[(blk + half) * W + w];
      }
    }
    std::atomic<bool> changed{false};
    double total = 0, totalEarlier = 0;
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : total, totalEarlier)
    for (Index i = 0; i < n; ++i) {
      std::uint64_t* y = &Y[static_cast<std::size_t>(i * W)];
      const std::uint64_t* x = &X[static_cast<std::size_t>(i * W)];
      for (Index w = 0; w < W; ++w) y[w] = x[w];
      auto orIn = [&](const std::uint64_t* src) {
        for (Index w = 0; w < W; ++w) y[w] |= src[w];
      };
      for (const KeyRun& r : layer->row(i)) {
        const Index ba = r.first / kBlock, bb = r.last / kBlock;
        if (ba == bb) {
          if (longRuns && r.first % kBlock == 0)
            orIn(P + r.last * W);
          else if (longRuns && (r.last % kBlock == kBlock - 1 || r.last == n - 1))
            orIn(S + r.first * W);
          else
            for (Index t = r.first; t <= r.last; ++t) orIn(&X[static_cast<std::size_t>(t * W)]);
          continue;
        }
        orIn(S + r.first * W);
        orIn(P + r.last * W);
        if (ba + 1 <= bb - 1) {  // whole blocks ba+1 … bb−1: two overlapping power-of-two ranges
          const Index span = bb - 1 - ba;
          const int k = std::bit_width(static_cast<std::uint64_t>(span)) - 1;
          const std::uint64_t* level = buf.blocks[static_cast<std::size_t>(k)].data();
          orIn(level + (ba + 1) * W);
          orIn(level + (bb - (Index(1) << k)) * W);
        }
      }
      bool any = false;
      // Sources are sorted, so those before token i are the first `before` bits.
      const Index before = std::lower_bound(sources.begin(), sources.end(), i) - sources.begin();
      for (Index w = 0; w < W; ++w) {
        any = any || y[w] != x[w];
        total += std::popcount(y[w]);
        const Index bits = std::clamp<Index>(before - w * 64, 0, 64);
        if (bits > 0) totalEarlier += std::popcount(bits == 64 ? y[w] : y[w] & ((std::uint64_t(1) << bits) - 1));
      }
      if (any) changed.store(true, std::memory_order_relaxed);
    }
    count = total - double(sources.size());
    earlierCount = totalEarlier;
    connected[l] += count;
    earlier[l] += earlierCount;
    if (changed) {  // a new state: nothing is known to be a fixed point of it yet
      X.swap(Y);
      stable.clear();
    } else {  // the state is a fixed point of this layer: its repeats change nothing until the state does
      stable.push_back(layer);
    }
    saturated = count >= full;
  }
}

}  // namespace

StackReach analyzeStack(const StackGraph& g, const StackReachOptions& options, const Progress& progress) {
  StackReach out;
  const Index n = out.n = g.n;
  const std::size_t L = g.layers.size();
  std::vector<double> connected(L, 0.0), earlier(L, 0.0);
  const double pairs = double(n) * double(n - 1);
  if (n <= 1 || L == 0) {
    out.reachByLayer.assign(L, 1.0);
    out.earlierReachByLayer.assign(L, 1.0);
    if (L) out.layersForFullReach = out.layersForFullEarlierReach = 1;
    return out;
  }
  // Fractions and the first layer that reaches all of them, from per-layer counts over `total` pairs.
  auto curve = [&](const std::vector<double>& counts, double total, std::vector<double>& fractions,
                   std::optional<int>& fullAfter) {
    for (std::size_t l = 0; l < L; ++l) {
      fractions.push_back(total > 0 ? counts[l] / total : 1.0);
      if (!fullAfter && counts[l] >= total) fullAfter = static_cast<int>(l + 1);
    }
  };
  if (exactStackWork(g) <= options.maxExactWork) {
    // Batches of 512 sources (8 words a token): each batch's state and table stay in cache-friendly strips.
    const Index batch = 512, batches = (n + batch - 1) / batch;
    Buffers buffers;
    for (Index b = 0; b < batches; ++b) {
      std::vector<Index> sources;
      for (Index s = b * batch; s < std::min(n, (b + 1) * batch); ++s) sources.push_back(s);
      int computed = 0;
      propagate(g, sources, connected, earlier, computed, buffers, progress, double(b) / batches,
                double(b + 1) / batches);
      out.layersComputed = std::max(out.layersComputed, computed);
    }
    out.exact = true;
    curve(connected, pairs, out.reachByLayer, out.layersForFullReach);
    curve(earlier, pairs / 2.0, out.earlierReachByLayer, out.layersForFullEarlierReach);
    out.unreachablePairs = std::round(pairs - connected.back());
  } else {
    SplitMix64 rng(options.sampleSeed);
    // Past a million tokens 64 sources (one word a token) keep the state within a few hundred MB.
    const Index k = std::min<Index>(
        n, std::max(1, n > (Index(1) << 20) ? std::min(64, options.sampleSources) : options.sampleSources));
    const std::vector<Index> sources = sampleDistinct(rng, n, k);
    Buffers buffers;
    propagate(g, sources, connected, earlier, out.layersComputed, buffers, progress, 0.0, 1.0);
    out.exact = false;
    out.sampledSources = static_cast<int>(sources.size());
    // Pairs (token t, sampled source s) with t ≠ s, and those with s < t.
    double earlierPairs = 0;
    for (Index s : sources) earlierPairs += double(n - 1 - s);
    curve(connected, double(sources.size()) * double(n - 1), out.reachByLayer, out.layersForFullReach);
    curve(earlier, earlierPairs, out.earlierReachByLayer, out.layersForFullEarlierReach);
    out.unreachablePairs = std::round(pairs * (1.0 - out.reachByLayer.back()));
  }
  progress.report(1.0);
  return out;
}

StackPath stackPath(const StackGraph& g, Index from, Index to, const Progress& progress) {
  checkToken(g.n, from, "query");
  checkToken(g.n, to, "key");
  StackPath path;
  if (from == to) {
    path.layers = 0;
    return path;
  }
  const Index n = g.n;
  // first[t]: the first layer after which t has heard from `to` (0 for `to` itself, −1 not yet).
  std::vector<int> first(static_cast<std::size_t>(n), -1);
  first[to] = 0;
  std::vector<Index> prefix(static_cast<std::size_t>(n + 1));
  for (std::size_t l = 0; l < g.layers.size() && first[from] < 0; ++l) {
    progress.throwIfCancelled();
    prefix[0] = 0;
    for (Index t = 0; t < n; ++t) prefix[t + 1] = prefix[t] + (first[t] >= 0);
    std::vector<Index> fresh;
    for (Index t = 0; t < n; ++t) {
      if (first[t] >= 0) continue;
      for (const KeyRun& r : g.layers[l]->row(t))
        if (prefix[r.last + 1] > prefix[r.first]) {
          fresh.push_back(t);
          break;
        }
    }
    for (Index t : fresh) first[t] = static_cast<int>(l + 1);
  }
  if (first[from] < 0) return path;
  path.layers = first[from];
  Index cur = from;
  int layer = first[from];
  while (cur != to) {
    Index best = -1;
    for (const KeyRun& r : g.layers[static_cast<std::size_t>(layer - 1)]->row(cur))
      for (Index k = r.first; k <= r.last; ++k) {
        if (first[k] < 0 || first[k] >= layer) continue;
        const auto rank = [&](Index c) { return std::tuple(c != to, first[c], std::llabs(c - to), c); };
        if (best < 0 || rank(k) < rank(best)) best = k;
      }
    if (best < 0) throw Error("internal: no hop found on a stack path");
    path.hops.push_back({cur, best, layer - 1});
    cur = best;
    layer = first[best];
  }
  return path;
}

std::string describeStackPath(const StackPath& path, Index from) {
  if (!path.layers) return {};
  std::string tokens = std::to_string(from), layers;
  for (std::size_t h = 0; h < path.hops.size(); ++h) {
    tokens += " → " + std::to_string(path.hops[h].key);
    layers += (h ? ", hop " : "hop ") + std::to_string(h + 1) + " in layer " + std::to_string(path.hops[h].layer);
  }
  return tokens + " (" + counted(static_cast<Index>(path.hops.size()), "hop", "hops") + ": " + layers + ")";
}

}  // namespace attnscope

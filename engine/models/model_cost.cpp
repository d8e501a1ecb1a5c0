#include "engine/models/model_cost.h"

#include <algorithm>
#include <atomic>

#include "engine/models/stack_reach.h"
#include "engine/util/error.h"
#include "engine/util/parallel.h"

namespace attnscope {

Precision parsePrecision(std::string_view text) {
  if (text == "fp32") return Precision::Fp32;
  if (text == "bf16") return Precision::Bf16;
  if (text == "fp16") return Precision::Fp16;
  if (text == "int8") return Precision::Int8;
  throw Error("precision '" + std::string(text) + "' is not allowed: expected fp32, bf16, fp16 or int8");
}

const char* precisionName(Precision p) {
  switch (p) {
    case Precision::Fp32: return "fp32";
    case Precision::Bf16: return "bf16";
    case Precision::Fp16: return "fp16";
    case Precision::Int8: return "int8";
  }
  return "?";
}

int bytesPerElement(Precision p) { return p == Precision::Fp32 ? 4 : p == Precision::Int8 ? 1 : 2; }

Index cachedWindow(const StackLayer& layer) {
  // Sliding layers are the causal windows a config makes: radius W − 1 keeps the last W tokens.
  if (layer.pattern != "window") return 0;
  bool causal = false;
  Index radius = -1;
  for (const auto& [k, v] : layer.params) {
    if (k == "causal") causal = v == "true";
    if (k == "radius") radius = std::stoll(v);
  }
  return causal && radius >= 0 ? radius + 1 : 0;
}

namespace {

// Active cells over the pattern's heads, scaled to the model's heads when the pattern has one head for all.
double cellsOf(const Pattern& p, Index modelHeads, const Progress& progress) {
  std::vector<int> heads;
  for (int h = 0; h < p.heads(); ++h) heads.push_back(h);
  double total = 0;
  std::vector<double> perHead(heads.size(), 0.0);
  for (std::size_t hi = 0; hi < heads.size(); ++hi) {
    const int h = heads[hi];
    if (p.sourceHead(h) != h) {
      perHead[hi] = perHead[static_cast<std::size_t>(p.sourceHead(h))];
      continue;
    }
    std::atomic<Index> count{0}, runCount{0};
    const Index runLimit = maxLayerRuns();
    std::atomic<bool> tooMany{false};
    parallelChunks(p.n(), 4096, progress, 0.0, 1.0, [&](Index b, Index e) {
      Index local = 0, localRuns = 0;
      std::vector<KeyRun> runs;
      for (Index i = b; i < e && !tooMany.load(std::memory_order_relaxed); ++i) {
        if (p.hasCheapDegree())
          local += p.degree(h, i);
        else {  // generating keys costs O(cells): bounded as layerRuns bounds it
          p.keyRuns(h, i, runs);
          localRuns += static_cast<Index>(runs.size());
          for (const KeyRun& r : runs) local += r.last - r.first + 1;
        }
      }
      count += local;
      if ((runCount += localRuns) > runLimit) tooMany = true;
    });
    if (tooMany) refuseLayerRuns();
    perHead[hi] = double(count.load());
  }
  for (double c : perHead) total += c;
  return p.heads() == 1 ? total * double(modelHeads) : total * double(modelHeads) / double(p.heads());
}

struct Totals {
  double attention = 0, projection = 0, feedForward = 0;
};

}  // namespace

ModelCost modelCost(const LayerStack& stack, const std::vector<MadeLayer>& layers, Precision precision,
                    const Progress& progress) {
  ModelCost c;
  c.n = stack.n;
  c.precision = precision;
  const ModelDims& d = stack.dims;
  const double n = double(stack.n), bytes = bytesPerElement(precision);
  std::vector<double> cellsByDistinct(layers.size(), -1.0);
  for (std::size_t l = 0; l < layers.size(); ++l) {
    progress.throwIfCancelled();
    double& cells = cellsByDistinct[static_cast<std::size_t>(layers[l].distinct)];
    if (cells < 0)
      cells =
          cellsOf(*layers[l].pattern, d.heads, progress.part(double(l) / layers.size(), double(l + 1) / layers.size()));
    LayerCost lc;
    lc.index = static_cast<int>(l);
    lc.kind = stack.layers[l].kind;
    lc.pattern = stack.layers[l].pattern;
    for (const auto& [k, v] : stack.layers[l].params) {
      if (!lc.params.empty()) lc.params += " ";
      lc.params += k + "=" + v;
    }
    lc.activeCells = cells;
    lc.heads = static_cast<int>(d.heads);
    lc.cellsPerHead = cells / double(d.heads);
    lc.density = cells / (double(d.heads) * n * n);
    lc.attentionFlops = 4.0 * cells * double(d.headDim);
    const double qo = double(d.heads * d.headDim), kv = double(d.keyValueHeads * d.headDim);
    lc.projectionFlops = 2.0 * n * double(d.hiddenSize) * (2.0 * qo + 2.0 * kv);
    lc.feedForwardFlops =
        2.0 * n * double(d.hiddenSize) * double(d.intermediateSize) * (d.gatedFeedForward ? 3.0 : 2.0);
    lc.scoreMatrixBytes = double(d.heads) * n * n * bytes;
    const Index window = cachedWindow(stack.layers[l]);
    lc.tokensKept = window > 0 ? std::min(n, double(window)) : n;
    lc.windowed = lc.tokensKept < n;
    lc.kvCacheBytes = 2.0 * double(d.keyValueHeads) * double(d.headDim) * n * bytes;
    lc.kvCacheBytesWindowed = 2.0 * double(d.keyValueHeads) * double(d.headDim) * lc.tokensKept * bytes;
    c.attentionFlops += lc.attentionFlops;
    c.projectionFlops += lc.projectionFlops;
    c.feedForwardFlops += lc.feedForwardFlops;
    c.activeCells += lc.activeCells;
    c.kvCacheBytes += lc.kvCacheBytes;
    c.kvCacheBytesWindowed += lc.kvCacheBytesWindowed;
    c.scoreMatrixBytes = std::max(c.scoreMatrixBytes, lc.scoreMatrixBytes);
    c.layers.push_back(std::move(lc));
  }
  if (!c.layers.empty()) c.density = c.activeCells / (double(c.layers.size()) * double(d.heads) * n * n);
  return c;
}

std::vector<CostPoint> costCurve(const LayerStack& stack, const std::vector<Index>& lengths, const Progress& progress) {
  std::vector<CostPoint> out;
  for (std::size_t p = 0; p < lengths.size(); ++p) {
    progress.throwIfCancelled();
    LayerStack at = stack;
    at.n = lengths[p];
    try {
      const auto layers = makeLayers(at);
      const ModelCost c = modelCost(at, layers, Precision::Bf16,
                                    progress.part(double(p) / lengths.size(), double(p + 1) / lengths.size()));
      out.push_back({at.n, c.attentionFlops, c.feedForwardFlops, c.projectionFlops});
    } catch (const Cancelled&) {
      throw;
    } catch (const Error&) {
      // a block size that does not divide this n, a window wider than allowed: this point is left out
    }
  }
  return out;
}

}  // namespace attnscope

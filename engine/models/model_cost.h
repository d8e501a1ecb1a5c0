#pragma once
// What each layer of a stack costs at a sequence length and precision, by counting: attention FLOPs from the active
// cells (4 · cells · head_dim per head: QKᵀ and PV, a multiply and an add each), the projections and the
// feed-forward layer from the model's sizes, the score matrix a naive implementation would hold, and the key-value
// cache with every token kept and with sliding layers keeping only their window.

#include <string>
#include <vector>

#include "engine/models/layer_stack.h"

namespace attnscope {

enum class Precision { Fp32, Bf16, Fp16, Int8 };
/// "fp32" … "int8" → Precision; throws Error naming what is allowed.
Precision parsePrecision(std::string_view text);
const char* precisionName(Precision p);
int bytesPerElement(Precision p);

struct LayerCost {
  int index = 0;  ///< 0-based
  std::string kind, pattern, params;
  double activeCells = 0;      ///< summed over the model's attention heads
  int heads = 0;               ///< the model's attention heads
  double cellsPerHead = 0;     ///< activeCells / heads: one head's matrix (the mean when heads differ), ≤ n²
  double density = 0;          ///< activeCells / (heads · n²): the share of the full matrices kept
  double attentionFlops = 0;   ///< 4 · cells · head_dim
  double projectionFlops = 0;  ///< Q, K, V and output projections
  double feedForwardFlops = 0;
  double scoreMatrixBytes = 0;  ///< heads · n² elements, what a naive kernel materialises
  double tokensKept = 0;        ///< in the key-value cache of a windowed implementation
  bool windowed = false;        ///< whether a windowed cache keeps fewer than every token (a sliding layer)
  double kvCacheBytes = 0;      ///< 2 · kv heads · head_dim · n · bytes
  double kvCacheBytesWindowed = 0;
};

struct ModelCost {
  Index n = 0;
  Precision precision = Precision::Bf16;
  std::vector<LayerCost> layers;
  double attentionFlops = 0, projectionFlops = 0, feedForwardFlops = 0, activeCells = 0;
  double density = 0;                                                       ///< activeCells / (layers · heads · n²)
  double kvCacheBytes = 0, kvCacheBytesWindowed = 0, scoreMatrixBytes = 0;  ///< the score matrix: the largest layer's
};

/// Counts every layer's cells (equal layers once, O(rows) for families that know a row's size) and the rest from
/// stack.dims. Cancellable.
ModelCost modelCost(const LayerStack& stack, const std::vector<MadeLayer>& layers, Precision precision,
                    const Progress& progress = {});

/// The attention and feed-forward totals at other lengths, for a chart: each point rebuilds the layers at that n
/// (rounded up to what the stack's padding needs). Points whose layers cannot be made there are left out.
struct CostPoint {
  Index n = 0;
  double attentionFlops = 0, feedForwardFlops = 0, projectionFlops = 0;
};
std::vector<CostPoint> costCurve(const LayerStack& stack, const std::vector<Index>& lengths,
                                 const Progress& progress = {});
/// The sliding window a layer keeps in its cache, or 0 when it keeps every token.
Index cachedWindow(const StackLayer& layer);

}  // namespace attnscope

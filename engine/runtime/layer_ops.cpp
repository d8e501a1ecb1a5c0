#include "engine/runtime/layer_ops.h"

#include <unsupported/Eigen/SpecialFunctions>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "engine/attention/tile_gemm.h"
#include "engine/util/error.h"

namespace attnscope {

namespace {
// Below this many values a row loop stays on one thread: starting the others costs more than it saves.
constexpr Index kParallelFloats = 1 << 14;
}  // namespace

Matrix layerNorm(const Matrix& x, const Eigen::RowVectorXf& weight, const Eigen::RowVectorXf& bias, double eps) {
  Matrix out(x.rows(), x.cols());
#pragma omp parallel for schedule(static) if (x.size() >= kParallelFloats)
  for (Index r = 0; r < x.rows(); ++r) {
    const float mean = x.row(r).mean();
    const Eigen::RowVectorXf centred = x.row(r).array() - mean;
    const float variance = centred.squaredNorm() / static_cast<float>(x.cols());
    out.row(r) = centred.cwiseProduct(weight) * (1.0f / std::sqrt(variance + static_cast<float>(eps))) + bias;
  }
  return out;
}

Matrix rmsNorm(const Matrix& x, const float* weight, double eps) {
  Matrix out(x.rows(), x.cols());
  const Eigen::Map<const Eigen::RowVectorXf> w(weight, x.cols());
#pragma omp parallel for schedule(static) if (x.size() >= kParallelFloats)
  for (Index r = 0; r < x.rows(); ++r) {
    const float ms = x.row(r).squaredNorm() / static_cast<float>(x.cols()) + static_cast<float>(eps);
    out.row(r) = x.row(r).cwiseProduct(w) * (1.0f / std::sqrt(ms));
  }
  return out;
}

bool knownActivation(const std::string& name) {
  return name == "gelu" || name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "relu";
}

void activate(Matrix& h, const std::string& name) {
  const bool relu = name == "relu", erf = name == "gelu";
  const float c = std::sqrt(2.0f / static_cast<float>(M_PI));
#pragma omp parallel for schedule(static) if (h.size() >= kParallelFloats)
  for (Index r = 0; r < h.rows(); ++r) {
    auto v = h.row(r).array();
    if (relu)
      v = v.max(0.0f);
    else if (erf)  // erf, as nn.GELU(): Eigen's vectorised rational erf (a couple of ulp on [−4, 4])
      v = 0.5f * v * (1.0f + (v * static_cast<float>(M_SQRT1_2)).erf());
    else  // gelu_new, gelu_pytorch_tanh: the tanh approximation
      v = 0.5f * v * (1.0f + (c * (v + 0.044715f * v.cube())).tanh());
  }
}

Matrix logitRowsOf(const Matrix& x, const LogitRows& rows, std::vector<Index>& positions) {
  positions.clear();
  if (rows.all) {
    for (Index r = 0; r < x.rows(); ++r) positions.push_back(r);
    return x;
  }
  Matrix out(static_cast<Index>(rows.only.size()), x.cols());
  for (std::size_t i = 0; i < rows.only.size(); ++i) {
    const Index r = rows.only[i];
    if (r < 0 || r >= x.rows())
      throw Error("logits at position " + std::to_string(r) + " were asked of a pass over " + std::to_string(x.rows()) +
                  " tokens");
    out.row(static_cast<Index>(i)) = x.row(r);
    positions.push_back(r);
  }
  return out;
}

namespace {

// One head through an approximation: the queries scaled by scale·√d, so that the method's own 1/√d gives the
// model's scale; its output, and its effective weights Â row by row for the pass's attention.
Matrix approxHead(const MatrixBlock& q, const MatrixBlock& k, const MatrixBlock& v, float scale, bool causal, Matrix& p,
                  const AttentionApprox& approx, int layer, int head) {
  const Index n = q.rows(), d = q.cols();
  // The model's own direction: a decoder's method runs causally (checkApprox made sure it can), an encoder's not.
  ParamSet params = approx.params;
  if (causal || params.has("causal")) params.set("causal", causal);
  const Matrix Q = q * (scale * std::sqrt(float(d))), K = k, V = v;
  // Each layer and head draws its own seeded projections.
  const std::unique_ptr<ApproxHead> h = approx.method->run(params, Q, K, V, layer * 4096 + head);
  h->prepareWeights();
  p.resize(n, K.rows());
  for (Index i = 0; i < n; ++i) h->weightsRow(i, p.row(i).data());  // rows are contiguous: Matrix is row-major
  return h->out;
}

}  // namespace

Matrix attendHead(const MatrixBlock& q, const MatrixBlock& k, const MatrixBlock& v, float scale, bool causal,
                  int window, Matrix& p, const PassOptions& options, int layer, int head) {
  if (options.approx && options.approx->in(layer))
    return approxHead(q, k, v, scale, causal, p, *options.approx, layer, head);
  const SparseMask* mask = options.masks ? options.masks->at(layer) : nullptr;
  const int maskHead = mask && mask->heads() > 1 ? head : 0;
  const AttentionTopK* topK = options.topK && options.topK->in(layer) ? options.topK : nullptr;
  const Index n = q.rows(), keys = k.rows(), d = q.cols(), dv = v.cols();
  // Q·Kᵀ and P·V on the attention kernels' tile products (Kᵀ packed as they read it), a block of queries at a time
  // over the span of keys its rows may see: a causal block stops at its last query, a window's or a sparse
  // pattern's block reads only the keys around it. Blocks are independent: they run in parallel.
  Matrix kt;
  packTransposed(Matrix(k), kt);
  p.resize(n, keys);
  Matrix out = Matrix::Zero(n, dv);
  constexpr Index kBlock = 64;
  const Index blocks = (n + kBlock - 1) / kBlock;
  const double work = double(n) * double(keys) * double(d + dv);
#pragma omp parallel for schedule(dynamic) if (blocks > 1 && work > 4e5)
  for (Index b = 0; b < blocks; ++b) {
    const Index r0 = b * kBlock, rows = std::min(kBlock, n - r0);
    // Each row's keys [lo, hi): those it may see ([first, last): the model's causal mask and window), narrowed to
    // the first and last the substitute allows (empty when it allows none).
    Index lo[kBlock], hi[kBlock];
    std::vector<Index> order;  // a row's keys, for top-k
    Index spanLo = keys, spanHi = 0;
    for (Index r = 0; r < rows; ++r) {
      const Index i = r0 + r;
      Index first = window > 0 ? std::max<Index>(0, i - window + 1) : 0;
      Index last = causal || (topK && topK->causal) ? std::min(i + 1, keys) : keys;
      if (mask) {
        const std::span<const KeyIndex> allowed = mask->row(maskHead, i);
        const auto from = std::lower_bound(allowed.begin(), allowed.end(), KeyIndex(first));
        const auto to = std::lower_bound(from, allowed.end(), KeyIndex(last));
        if (from == to) {
          first = last = 0;
        } else {
          first = *from;
          last = Index(*(to - 1)) + 1;
        }
      }
      lo[r] = first;
      hi[r] = last;
      if (last > first) spanLo = std::min(spanLo, first), spanHi = std::max(spanHi, last);
    }
    if (spanHi <= spanLo) {  // no row of the block sees a key: zero weights, zero output
      p.middleRows(r0, rows).setZero();
      continue;
    }
    const Index span = spanHi - spanLo;
    float* pBlock = p.data() + r0 * keys + spanLo;
    tileScores(rows, span, d, q.data() + r0 * q.outerStride(), q.outerStride(), kt.data() + spanLo, kt.cols(), pBlock,
               keys);
    for (Index r = 0; r < rows; ++r) {
      auto row = p.row(r0 + r);
      if (hi[r] <= lo[r]) {
        row.setZero();
        continue;
      }
      if (mask) {
        // Keys between the first and last allowed that the mask leaves out get −∞ before the softmax.
        const std::span<const KeyIndex> allowed = mask->row(maskHead, r0 + r);
        auto it = std::lower_bound(allowed.begin(), allowed.end(), KeyIndex(lo[r]));
        for (Index j = lo[r]; j < hi[r]; ++j) {
          if (it != allowed.end() && Index(*it) == j)
            ++it;
          else
            row(j) = -std::numeric_limits<float>::infinity();
        }
      }
      if (topK && hi[r] - lo[r] > topK->k) {
        // Only the k highest scores (ties: the smaller key) stay; the others get −∞ before the softmax.
        order.resize(std::size_t(hi[r] - lo[r]));
        std::iota(order.begin(), order.end(), lo[r]);
        const auto better = [&row](Index a, Index b) { return row(a) > row(b) || (row(a) == row(b) && a < b); };
        std::nth_element(order.begin(), order.begin() + topK->k - 1, order.end(), better);
        const Index kth = order[std::size_t(topK->k - 1)];
        for (Index j = lo[r]; j < hi[r]; ++j)
          if (better(kth, j)) row(j) = -std::numeric_limits<float>::infinity();
      }
      auto seen = row.segment(lo[r], hi[r] - lo[r]).array();
      seen *= scale;
      seen = (seen - seen.maxCoeff()).exp();
      seen /= seen.sum();
      row.head(lo[r]).setZero();
      row.tail(keys - hi[r]).setZero();
    }
    tileAccumulate(rows, span, dv, pBlock, keys, v.data() + spanLo * v.outerStride(), v.outerStride(),
                   out.data() + r0 * dv, dv);
  }
  return out;
}

}  // namespace attnscope

#include "engine/runtime/packed_linear.h"

#include <algorithm>

#include "engine/attention/tile_gemm.h"

namespace attnscope {

namespace {

// Packs W given by element (o, i) → value.
template <typename At>
void pack(std::vector<float>& panels, Index out, Index in, At at) {
  const Index blocks = (out + PackedLinear::kOutBlock - 1) / PackedLinear::kOutBlock;
  panels.assign(static_cast<std::size_t>(blocks * in * PackedLinear::kOutBlock), 0.0f);
  for (Index b = 0; b < blocks; ++b) {
    float* p = panels.data() + b * in * PackedLinear::kOutBlock;
    const Index o0 = b * PackedLinear::kOutBlock, width = std::min(PackedLinear::kOutBlock, out - o0);
    for (Index i = 0; i < in; ++i)
      for (Index c = 0; c < width; ++c) p[i * PackedLinear::kOutBlock + c] = at(o0 + c, i);
  }
}

}  // namespace

PackedLinear PackedLinear::fromOutIn(const float* weight, Index out, Index in, const float* bias) {
  PackedLinear l;
  l.in_ = in;
  l.out_ = out;
  pack(l.panels_, out, in, [&](Index o, Index i) { return weight[o * in + i]; });
  if (bias) l.bias_.assign(bias, bias + out);
  return l;
}

PackedLinear PackedLinear::fromInOut(const float* weight, Index in, Index out, const float* bias) {
  PackedLinear l;
  l.in_ = in;
  l.out_ = out;
  pack(l.panels_, out, in, [&](Index o, Index i) { return weight[i * out + o]; });
  if (bias) l.bias_.assign(bias, bias + out);
  return l;
}

Eigen::RowVectorXf PackedLinear::row(Index o) const {
  Eigen::RowVectorXf r(in_);
  const float* p = panel(o / kOutBlock) + o % kOutBlock;
  for (Index i = 0; i < in_; ++i) r(i) = p[i * kOutBlock];
  return r;
}

Matrix PackedLinear::operator()(const Matrix& x) const {
  const Index n = x.rows();
  Matrix y(n, out_);
  const Index outBlocks = (out_ + kOutBlock - 1) / kOutBlock, tokenBlocks = (n + kTokenBlock - 1) / kTokenBlock;
  // A block of y whose columns run past out_ (the last panel's padding) is computed in a scratch tile.
  const bool ragged = out_ % kOutBlock != 0;
  const double work = double(n) * double(in_) * double(out_);
#pragma omp parallel for collapse(2) schedule(static) if (work > 4e6)
  for (Index tb = 0; tb < tokenBlocks; ++tb)
    for (Index ob = 0; ob < outBlocks; ++ob) {
      const Index t0 = tb * kTokenBlock, rows = std::min(kTokenBlock, n - t0), o0 = ob * kOutBlock;
      const Index width = std::min(kOutBlock, out_ - o0);
      float scratch[kTokenBlock * kOutBlock];
      const bool inScratch = ragged && width < kOutBlock;
      float* c = inScratch ? scratch : y.data() + t0 * out_ + o0;
      const Index ldc = inScratch ? kOutBlock : out_;
      for (Index d0 = 0; d0 < in_; d0 += kDepthBlock) {
        const Index depth = std::min(kDepthBlock, in_ - d0);
        tileProduct(rows, kOutBlock, depth, x.data() + t0 * in_ + d0, in_, panel(ob) + d0 * kOutBlock, kOutBlock, c,
                    ldc, d0 > 0);
      }
      if (inScratch)
        for (Index r = 0; r < rows; ++r) std::copy_n(scratch + r * kOutBlock, width, y.data() + (t0 + r) * out_ + o0);
      if (!bias_.empty())
        for (Index r = 0; r < rows; ++r)
          for (Index j = 0; j < width; ++j) y(t0 + r, o0 + j) += bias_[std::size_t(o0 + j)];
    }
  return y;
}

}  // namespace attnscope

#include "engine/runtime/packed_linear.h"

#include <algorithm>
#include <string>

#include "engine/attention/tile_gemm.h"
#include "engine/util/error.h"

namespace attnscope {

namespace {

// Packs W, given by element (o, i) → value, into panels `width` outputs wide.
template <typename At>
void pack(std::vector<float>& panels, Index out, Index in, Index width, At at) {
  const Index blocks = (out + width - 1) / width;
  panels.assign(static_cast<std::size_t>(blocks * in * width), 0.0f);
  for (Index b = 0; b < blocks; ++b) {
    float* p = panels.data() + b * in * width;
    const Index o0 = b * width, w = std::min(width, out - o0);
    for (Index i = 0; i < in; ++i)
      for (Index c = 0; c < w; ++c) p[i * width + c] = at(o0 + c, i);
  }
}

}  // namespace

PackedLinear PackedLinear::packed(Index out, Index in, const float* bias) {
  PackedLinear l;
  l.in_ = in;
  l.out_ = out;
  // Four vectors wide: measured best with AVX-512 (64; 48 as good, 32 and 128 worse) and with AVX2 (32; 16, 48 and
  // 64 worse) on the DistilRoBERTa-shaped pass (docs/PERFORMANCE.md).
  l.width_ = std::min<Index>(kMostWidth, 4 * tileVectorFloats());
  if (bias) l.bias_.assign(bias, bias + out);
  return l;
}

PackedLinear PackedLinear::fromOutIn(const float* weight, Index out, Index in, const float* bias) {
  PackedLinear l = packed(out, in, bias);
  pack(l.panels_, out, in, l.width_, [&](Index o, Index i) { return weight[o * in + i]; });
  return l;
}

PackedLinear PackedLinear::fromInOut(const float* weight, Index in, Index out, const float* bias) {
  PackedLinear l = packed(out, in, bias);
  pack(l.panels_, out, in, l.width_, [&](Index o, Index i) { return weight[i * out + o]; });
  return l;
}

const char* weightStorageName(WeightStorage storage) {
  switch (storage) {
    case WeightStorage::Float32: return "fp32";
    case WeightStorage::Fp16: return "fp16";
    case WeightStorage::Bf16: return "bf16";
    case WeightStorage::Int8: return "int8";
  }
  return "?";
}

Eigen::RowVectorXf PackedLinear::row(Index o) const {
  Eigen::RowVectorXf r(in_);
  if (int8_) {
    for (Index i = 0; i < in_; ++i) r(i) = int8_->scale() * float(int8_->at(o, i));
    return r;
  }
  const float* p = panel(o / width_) + o % width_;
  for (Index i = 0; i < in_; ++i) r(i) = p[i * width_];
  return r;
}

std::vector<float> PackedLinear::weights() const {
  if (int8_) return int8_->dequantized();
  std::vector<float> w(static_cast<std::size_t>(out_ * in_));
  for (Index o = 0; o < out_; ++o) {
    const float* p = panel(o / width_) + o % width_;
    for (Index i = 0; i < in_; ++i) w[std::size_t(o * in_ + i)] = p[i * width_];
  }
  return w;
}

void PackedLinear::setWeights(const std::vector<float>& weights) {
  if (weights.size() != static_cast<std::size_t>(out_ * in_))
    throw Error("a weight of " + std::to_string(weights.size()) + " values cannot replace one of " +
                std::to_string(out_) + " × " + std::to_string(in_));
  if (storage_ == WeightStorage::Int8) {
    int8_ = std::make_shared<const Int8Linear>(Int8Linear::quantize(weights.data(), out_, in_));
    return;
  }
  if (storage_ == WeightStorage::Float32) {
    pack(panels_, out_, in_, width_, [&](Index o, Index i) { return weights[std::size_t(o * in_ + i)]; });
    return;
  }
  std::vector<float> rounded = weights;
  roundToHalf(rounded, storage_ == WeightStorage::Fp16 ? HalfFormat::Fp16 : HalfFormat::Bf16);
  pack(panels_, out_, in_, width_, [&](Index o, Index i) { return rounded[std::size_t(o * in_ + i)]; });
}

void PackedLinear::store(WeightStorage storage, bool mixed) {
  if (mixed && storage != WeightStorage::Fp16 && storage != WeightStorage::Bf16)
    throw Error(std::string("a layer computes in mixed precision only with fp16 or bf16 weights, not ") +
                weightStorageName(storage));
  std::vector<float> w = weights();
  storage_ = storage;
  mixed_ = mixed;
  overflows_ = std::make_shared<std::atomic<Index>>(0);
  int8_.reset();
  if (storage == WeightStorage::Int8) std::vector<float>().swap(panels_);
  setWeights(w);
}

double PackedLinear::bytes() const {
  const double count = double(out_) * double(in_);
  switch (storage_) {
    case WeightStorage::Float32: return 4 * count;
    case WeightStorage::Fp16:
    case WeightStorage::Bf16: return 2 * count;
    case WeightStorage::Int8: return count + 4;
  }
  return 4 * count;
}

Matrix PackedLinear::operator()(const Matrix& x) const {
  if (int8_) return (*int8_)(x, bias_.empty() ? nullptr : bias_.data());
  if (mixed_) {
    // The input and the output rounded to the half format, the products (of rounded weights) summed in float32.
    const HalfFormat format = storage_ == WeightStorage::Fp16 ? HalfFormat::Fp16 : HalfFormat::Bf16;
    Matrix rounded = x;
    Index overflows = roundToHalf(std::span<float>(rounded.data(), std::size_t(rounded.size())), format);
    Matrix y = product(rounded);
    overflows += roundToHalf(std::span<float>(y.data(), std::size_t(y.size())), format);
    if (overflows) *overflows_ += overflows;
    return y;
  }
  return product(x);
}

Matrix PackedLinear::product(const Matrix& x) const {
  const Index n = x.rows();
  Matrix y(n, out_);
  const Index outBlocks = (out_ + width_ - 1) / width_, tokenBlocks = (n + kTokenBlock - 1) / kTokenBlock;
  // A block of y whose columns run past out_ (the last panel's padding) is computed in a scratch tile.
  const bool ragged = out_ % width_ != 0;
  const double work = double(n) * double(in_) * double(out_);
#pragma omp parallel for collapse(2) schedule(static) if (work > 4e6)
  for (Index tb = 0; tb < tokenBlocks; ++tb)
    for (Index ob = 0; ob < outBlocks; ++ob) {
      const Index t0 = tb * kTokenBlock, rows = std::min(kTokenBlock, n - t0), o0 = ob * width_;
      const Index width = std::min(width_, out_ - o0);
      float scratch[kTokenBlock * kMostWidth];
      const bool inScratch = ragged && width < width_;
      float* c = inScratch ? scratch : y.data() + t0 * out_ + o0;
      const Index ldc = inScratch ? width_ : out_;
      for (Index d0 = 0; d0 < in_; d0 += kDepthBlock) {
        const Index depth = std::min(kDepthBlock, in_ - d0);
        tileProduct(rows, width_, depth, x.data() + t0 * in_ + d0, in_, panel(ob) + d0 * width_, width_, c, ldc,
                    d0 > 0);
      }
      if (inScratch)
        for (Index r = 0; r < rows; ++r) std::copy_n(scratch + r * width_, width, y.data() + (t0 + r) * out_ + o0);
      if (!bias_.empty())
        for (Index r = 0; r < rows; ++r)
          for (Index j = 0; j < width; ++j) y(t0 + r, o0 + j) += bias_[std::size_t(o0 + j)];
    }
  return y;
}

}  // namespace attnscope

#pragma once
// A linear layer's weight, packed once when the model is read, for y = x · Wᵀ + b on the attention kernels' tile
// products (libxsmm's JIT kernels for this processor's vector width; Eigen without libxsmm). The weight is kept as
// panels of four vectors' worth of output columns (64 with AVX-512, 32 with AVX2: tileVectorFloats() when it is
// packed), each [in, width] row-major, so a tile product reads a panel's rows contiguously; y is computed in blocks
// of kTokenBlock rows × one panel, summing over the input in chunks of kDepthBlock, the blocks shared among
// OpenMP's threads. docs/PERFORMANCE.md says how the sizes were chosen and what it gains over Eigen's and
// OpenBLAS's SGEMM here.

#include <vector>

#include "engine/util/types.h"

namespace attnscope {

class PackedLinear {
 public:
  static constexpr Index kTokenBlock = 64, kDepthBlock = 256, kMostWidth = 64;

  PackedLinear() = default;
  /// nn.Linear's weight [out, in], row-major, and its bias [out] (or null).
  static PackedLinear fromOutIn(const float* weight, Index out, Index in, const float* bias = nullptr);
  /// GPT-2's Conv1D weight [in, out], row-major, and its bias [out] (or null).
  static PackedLinear fromInOut(const float* weight, Index in, Index out, const float* bias = nullptr);

  Index in() const { return in_; }
  Index out() const { return out_; }
  bool empty() const { return out_ == 0; }
  /// x · Wᵀ + b for x [n, in]: [n, out].
  Matrix operator()(const Matrix& x) const;
  /// Row `o` of W (the weights into output o), [in]: a tied embedding's lookup reads its token's row here.
  Eigen::RowVectorXf row(Index o) const;
  /// W as nn.Linear holds it, [out, in] row-major (unpacked: what a compression step reads).
  std::vector<float> weights() const;
  /// Packs a new W [out, in] (same shape; the bias stays): what a compression step writes back.
  void setWeights(const std::vector<float>& weights);

 private:
  static PackedLinear packed(Index out, Index in, const float* bias);
  const float* panel(Index block) const { return panels_.data() + block * in_ * width_; }
  Index in_ = 0, out_ = 0, width_ = 0;
  std::vector<float> panels_;  ///< block b: [in, width_] row-major (the last one padded with zeros)
  std::vector<float> bias_;    ///< empty when there is none
};

}  // namespace attnscope

#pragma once
// A linear layer's weight, packed once when the model is read, for y = x · Wᵀ + b on the attention kernels' tile
// products (libxsmm's JIT kernels for this processor's vector width; Eigen without libxsmm). The weight is kept as
// panels of four vectors' worth of output columns (64 with AVX-512, 32 with AVX2: tileVectorFloats() when it is
// packed), each [in, width] row-major, so a tile product reads a panel's rows contiguously; y is computed in blocks
// of kTokenBlock rows × one panel, summing over the input in chunks of kDepthBlock, the blocks shared among
// OpenMP's threads. docs/PERFORMANCE.md says how the sizes were chosen and what it gains over Eigen's and
// OpenBLAS's SGEMM here.

#include <atomic>
#include <cstdint>
#include <string>
#include <memory>
#include <vector>

#include "engine/quantization/dynamic_int8.h"
#include "engine/quantization/half.h"
#include "engine/util/types.h"

namespace attnscope {

/// How a linear layer holds its weight (the compression lab, issue 25): float32; rounded to FP16 or BF16 (two bytes
/// a weight; computed in float32, or with `mixed` in that precision); int8, quantized dynamically as
/// quantization/dynamic_int8 describes (one byte a weight, the integer kernel).
enum class WeightStorage { Float32, Fp16, Bf16, Int8 };
const char* weightStorageName(WeightStorage storage);  ///< "fp32", "fp16", "bf16", "int8"

/// Where a linear layer's weight was read from, so a compressed model can be written in its checkpoint's own form:
/// a safetensors tensor (nn.Linear [out, in], or GPT-2's Conv1D [in, out]) or a float offset into a llama2.c
/// checkpoint's data.
struct WeightSource {
  std::string tensor;
  bool inOut = false;
  std::int64_t offset = -1;
};

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
  /// Packs a new W [out, in] (same shape; the bias stays): what a compression step writes back. It is held as the
  /// layer holds its weight now (rounded to half precision, or quantized again).
  void setWeights(const std::vector<float>& weights);

  void setSource(WeightSource source) { source_ = std::move(source); }
  const WeightSource& source() const { return source_; }

  /// Holds the weight as `storage` from now on (from the float32 weight, or from what an earlier step left: rounding
  /// is not undone). `mixed` (FP16 and BF16 only): the layer also computes in that precision, its input and output
  /// rounded to it and the products summed in float32, as a matrix product under torch.autocast does.
  void store(WeightStorage storage, bool mixed = false);
  WeightStorage storage() const { return storage_; }
  bool mixed() const { return mixed_; }
  /// The weight's bytes as held (int8 adds its float scale); the bias is float32 and not counted.
  double bytes() const;
  /// How many finite values the mixed mode's rounding has turned infinite (FP16 above 65,504) since store().
  Index overflows() const { return overflows_ ? overflows_->load() : 0; }

 private:
  static PackedLinear packed(Index out, Index in, const float* bias);
  Matrix product(const Matrix& x) const;  ///< x · Wᵀ + b on the float panels
  const float* panel(Index block) const { return panels_.data() + block * in_ * width_; }
  Index in_ = 0, out_ = 0, width_ = 0;
  std::vector<float> panels_;  ///< block b: [in, width_] row-major (the last one padded with zeros)
  std::vector<float> bias_;    ///< empty when there is none
  WeightSource source_;
  WeightStorage storage_ = WeightStorage::Float32;
  bool mixed_ = false;
  std::shared_ptr<const Int8Linear> int8_;         ///< the weight when storage_ is Int8 (panels_ is then empty)
  std::shared_ptr<std::atomic<Index>> overflows_;  ///< shared by copies made after store(); null until then
};

}  // namespace attnscope

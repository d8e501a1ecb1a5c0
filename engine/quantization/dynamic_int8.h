#pragma once
// Dynamic int8 quantization of a linear layer, as PyTorch's
// `torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)` runs it on x86 (FBGEMM; the oneDNN
// engine gives the same numbers):
// - The weight W [out, in], once: per tensor, symmetric (the default weight observer, MinMaxObserver with
//   qint8 and per_tensor_symmetric): scale s_w = max|w| / 127.5 in float (at least float's epsilon, 2^-23), zero
//   point 0, q = round(w · (1 / s_w)) half to even, clamped to [−128, 127].
// - The input x [n, in], at every call, over the whole tensor (quantized::linear_dynamic with reduce_range = true):
//   the range [min(x, 0), max(x, 0)] onto uint8 0 … 127 (reduce_range halves 255, so the x86 kernels' pairwise
//   16-bit sums cannot saturate). ChooseQuantizationParams: s_x = (max − min) / 127 (in double, kept as float; 0.1
//   when it is 0 or its inverse overflows; raised to 6.1e-5 with the range widened when smaller), the zero point
//   from whichever end adds less rounding error, rounded half to even and clamped to [0, 127]; then
//   q = round(zero point + x · (1 / s_x)) (one fused multiply-add, as FBGEMM's vector code), clamped to [0, 255].
// - y = (s_x · s_w) · (Σ_k q_x q_w − z_x · Σ_k q_w) + b: the products summed in int32, the bias in float.
// The integer products run on this processor's integer dot products: AVX-512 VNNI's vpdpbusd (64 multiply-adds of
// uint8 by int8 an instruction), AVX2's vpmaddubsw + vpmaddwd, or plain C++ (int8KernelName() says which).

#include <cstdint>
#include <span>
#include <vector>

#include "engine/util/types.h"

namespace attnscope {

/// s_w for a weight tensor: max|w| / 127.5 (float), at least 2^-23.
float int8WeightScale(std::span<const float> weights);
/// round(w · (1 / scale)) half to even, clamped to [−128, 127].
std::int8_t quantizeInt8(float value, float scale);

struct ActivationQuantization {
  float scale = 0.1f;
  int zeroPoint = 0;
};
/// The parameters for an input whose values lie in [lo, hi] (reduce_range: quantized range 0 … 127).
ActivationQuantization chooseActivationQuantization(float lo, float hi);
/// round(zeroPoint + x · (1 / scale)) half to even (a fused multiply-add), clamped to [0, 255]; NaN gives the zero
/// point.
std::uint8_t quantizeActivation(float value, const ActivationQuantization& q);

/// Which integer kernel this build runs: "AVX-512 VNNI (vpdpbusd)", "AVX2 (vpmaddubsw)" or "portable C++".
const char* int8KernelName();

/// A weight [out, in] quantized and packed for the integer kernel: panels of kPanel outputs, each holding for every
/// four inputs the panel's outputs' four int8 weights side by side (what one vpdpbusd multiplies), inputs padded with
/// zeros to a multiple of four.
class Int8Linear {
 public:
  Int8Linear() = default;
  /// From nn.Linear's weight [out, in], row-major.
  static Int8Linear quantize(const float* weight, Index out, Index in);

  Index in() const { return in_; }
  Index out() const { return out_; }
  float scale() const { return scale_; }
  /// The quantized weight q_w(o, i).
  std::int8_t at(Index o, Index i) const;
  /// The weight as the model now computes with it: scale · q_w, [out, in] row-major.
  std::vector<float> dequantized() const;
  /// y = x · Wᵀ + b for x [n, in] (b: [out] or null), as described above.
  Matrix operator()(const Matrix& x, const float* bias) const;
  /// The inputs padded to a multiple of four: the row length integerProduct reads.
  Index paddedIn() const { return 4 * groups_; }
  /// The integer products alone: acc[r·out + o] = Σ_{i < in} xq[r·ldx + i] · q_w(o, i) for uint8 rows xq of ldx ≥
  /// paddedIn() bytes (the bytes past `in` are read and multiplied by zero) whose values are at most 127 (the
  /// reduced range: the AVX2 kernel's 16-bit pair sums need it).
  void integerProduct(Index n, const std::uint8_t* xq, Index ldx, std::int32_t* acc) const;

  static constexpr Index kPanel = 64;

 private:
  Index in_ = 0, out_ = 0, groups_ = 0;  ///< groups_: the input padded to fours, over four
  float scale_ = 1;
  std::vector<std::int8_t> panels_;  ///< panel p: [groups_][kPanel][4]
  std::vector<std::int32_t> sums_;   ///< Σ_i q_w(o, i), for the zero point's correction
};

}  // namespace attnscope

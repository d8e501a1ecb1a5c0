#pragma once
// Half precision as the compression lab stores weights (issue 25): IEEE binary16 (FP16: 5 exponent bits, 10 of
// mantissa, largest finite 65,504) and bfloat16 (BF16: float32's 8 exponent bits, 7 of mantissa). A float rounds to
// the nearest value the format holds, ties to the even one, as PyTorch's `.half()` and `.bfloat16()` round on x86:
// - FP16: a value of magnitude 65,520 or more (half-way from 65,504 to 2^16) becomes ±∞ (an overflow, counted by the
//   callers, never hidden); magnitudes under 2^-14 become subnormals (steps of 2^-24), under 2^-25 zero.
// - BF16: float32's top 16 bits, rounded to nearest even; NaN stays NaN (quiet).

#include <cstdint>
#include <span>

#include "engine/util/types.h"

namespace attnscope {

enum class HalfFormat { Fp16, Bf16 };
const char* halfFormatName(HalfFormat format);  ///< "fp16", "bf16"

std::uint16_t floatToHalfBits(float value);
std::uint16_t floatToBfloat16Bits(float value);
float bfloat16BitsToFloat(std::uint16_t bits);
/// `value` as `format` holds it, back in a float.
float roundToHalf(float value, HalfFormat format);
/// Rounds every value in place; returns how many finite values became infinite (FP16's overflow).
Index roundToHalf(std::span<float> values, HalfFormat format);

/// The largest finite value of the format (65,504 for FP16, about 3.39e38 for BF16).
float halfFormatMax(HalfFormat format);

}  // namespace attnscope

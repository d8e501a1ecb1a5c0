#include "engine/quantization/half.h"

#include <cmath>
#include <cstring>

#include "engine/io/npy.h"

namespace attnscope {

const char* halfFormatName(HalfFormat format) { return format == HalfFormat::Fp16 ? "fp16" : "bf16"; }

std::uint16_t floatToHalfBits(float value) { return floatToHalf(value); }
std::uint16_t floatToBfloat16Bits(float value) { return floatToBfloat16(value); }
float bfloat16BitsToFloat(std::uint16_t bits) { return bfloat16ToFloat(bits); }

float roundToHalf(float value, HalfFormat format) {
  return format == HalfFormat::Fp16 ? halfToFloat(floatToHalfBits(value))
                                    : bfloat16BitsToFloat(floatToBfloat16Bits(value));
}

Index roundToHalf(std::span<float> values, HalfFormat format) {
  Index overflows = 0;
  for (float& v : values) {
    const bool finite = std::isfinite(v);
    v = roundToHalf(v, format);
    overflows += finite && std::isinf(v);
  }
  return overflows;
}

float halfFormatMax(HalfFormat format) { return format == HalfFormat::Fp16 ? 65504.0f : bfloat16BitsToFloat(0x7f7fu); }

}  // namespace attnscope

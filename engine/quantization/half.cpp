#include "engine/quantization/half.h"

#include <cmath>
#include <cstring>

#include "engine/io/npy.h"

namespace attnscope {

namespace {

std::uint32_t bitsOf(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

}  // namespace

const char* halfFormatName(HalfFormat format) { return format == HalfFormat::Fp16 ? "fp16" : "bf16"; }

std::uint16_t floatToHalfBits(float value) {
  const std::uint32_t b = bitsOf(value);
  const std::uint16_t sign = std::uint16_t((b >> 16) & 0x8000u);
  const std::uint32_t magnitude = b & 0x7fffffffu;
  if (magnitude >= 0x7f800000u)  // ∞ stays ∞; NaN stays a quiet NaN
    return std::uint16_t(sign | 0x7c00u | (magnitude > 0x7f800000u ? 0x200u | ((magnitude >> 13) & 0x3ffu) : 0u));
  const int exponent = int(magnitude >> 23) - 127;  // of the float (−127 for float subnormals: far below FP16's)
  if (exponent >= 16) return std::uint16_t(sign | 0x7c00u);
  if (exponent < -25) return sign;  // under half the smallest subnormal 2^-24 (a tie at 2^-25 goes to even: 0)
  // The significand with its hidden bit (24 bits), shifted so the bits FP16 keeps sit at the bottom; the dropped
  // bits decide the rounding. Normal FP16 keeps 11 significant bits; a subnormal keeps fewer (exponent < −14).
  const std::uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
  const int drop = exponent >= -14 ? 13 : 13 + (-14 - exponent);  // 13 … 24
  std::uint32_t kept = significand >> drop;
  const std::uint32_t rest = significand & ((1u << drop) - 1u), half = 1u << (drop - 1);
  if (rest > half || (rest == half && (kept & 1u))) ++kept;  // nearest, ties to even
  // Normal: the exponent field is exponent + 15 and kept carries the hidden bit (0x400), which adds 1 to that field
  // when added; a carry out of the mantissa rolls into the exponent the same way (to ∞ past 65,504).
  if (exponent >= -14) return std::uint16_t(sign | ((std::uint32_t(exponent + 14) << 10) + kept));
  return std::uint16_t(sign | kept);  // subnormal (a carry to 0x400 is the smallest normal, correctly)
}

std::uint16_t floatToBfloat16Bits(float value) {
  const std::uint32_t b = bitsOf(value);
  if ((b & 0x7fffffffu) > 0x7f800000u) return std::uint16_t((b >> 16) | 0x40u);  // NaN: keep it quiet
  const std::uint32_t rounded = b + 0x7fffu + ((b >> 16) & 1u);                  // nearest, ties to even
  return std::uint16_t(rounded >> 16);
}

float bfloat16BitsToFloat(std::uint16_t bits) {
  const std::uint32_t b = std::uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

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

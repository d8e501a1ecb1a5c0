#include "engine/util/numpy_random.h"

#include <utility>

namespace attnscope {

NumpyLegacyRandom::NumpyLegacyRandom(std::uint32_t seed) {
  state_[0] = seed;
  for (std::uint32_t i = 1; i < 624; ++i) state_[i] = 1812433253u * (state_[i - 1] ^ (state_[i - 1] >> 30)) + i;
  position_ = 624;
}

void NumpyLegacyRandom::twist() {
  constexpr std::uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
  for (int i = 0; i < 624; ++i) {
    const std::uint32_t y = (state_[i] & kUpper) | (state_[(i + 1) % 624] & kLower);
    state_[i] = state_[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
  }
  position_ = 0;
}

std::uint32_t NumpyLegacyRandom::next32() {
  if (position_ >= 624) twist();
  std::uint32_t y = state_[position_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

std::uint32_t NumpyLegacyRandom::interval(std::uint32_t max) {
  if (max == 0) return 0;
  std::uint32_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  std::uint32_t value;
  while ((value = next32() & mask) > max) {
  }
  return value;
}

std::vector<std::int64_t> NumpyLegacyRandom::permutation(std::vector<std::int64_t> values) {
  for (std::size_t i = values.size(); i-- > 1;) std::swap(values[i], values[interval(static_cast<std::uint32_t>(i))]);
  return values;
}

}  // namespace attnscope

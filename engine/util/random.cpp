#include "engine/util/random.h"

#include <cmath>
#include <numbers>
#include <set>

namespace attnscope {

double SplitMix64::normal() {
  // Two uniforms in (0, 1]; one normal is kept.
  const double u1 = (double(next() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = double(next() >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

std::pair<float, float> SplitMix64::normalPair() {
  const std::uint64_t bits = next();
  const float u1 = float((bits >> 40) + 1) * 0x1.0p-24f;  // (0, 1]
  const float u2 = float((bits >> 16) & 0xFFFFFF) * 0x1.0p-24f;
  const float r = std::sqrt(-2.0f * std::log(u1)), angle = 2.0f * std::numbers::pi_v<float> * u2;
  return {r * std::cos(angle), r * std::sin(angle)};
}

std::vector<Index> sampleDistinct(SplitMix64& rng, Index range, Index count) {
  std::vector<Index> out;
  out.reserve(count);
  // Floyd: for j in range-count .. range-1, pick t in [0, j]; take t unless taken, else j.
  for (Index j = range - count; j < range; ++j) {
    const Index t = static_cast<Index>(rng.below(static_cast<std::uint64_t>(j + 1)));
    if (std::find(out.begin(), out.end(), t) == out.end())
      out.push_back(t);
    else
      out.push_back(j);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Index> sampleFrom(SplitMix64& rng, std::vector<Index> pool, Index count) {
  if (count >= static_cast<Index>(pool.size())) {
    std::sort(pool.begin(), pool.end());
    return pool;
  }
  std::vector<Index> out;
  for (Index idx : sampleDistinct(rng, static_cast<Index>(pool.size()), count)) out.push_back(pool[idx]);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace attnscope

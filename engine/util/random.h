#pragma once
// Reproducible random draws that do not depend on thread scheduling: every (seed, head, row) gets its own stream.

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "engine/util/types.h"

namespace attnscope {

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough to pick attention cells.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, bound), without modulo bias (rejection).
  std::uint64_t below(std::uint64_t bound) {
    const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % bound);
    std::uint64_t x;
    do x = next();
    while (x >= limit);
    return x % bound;
  }
  /// A standard normal value (Box–Muller).
  double normal();
  /// Two independent standard normal values in single precision from one 64-bit draw (both Box–Muller outputs of
  /// two 24-bit uniforms; tails end near 5.8σ), for filling large matrices fast.
  std::pair<float, float> normalPair();

 private:
  std::uint64_t state_;
};

/// The stream for one row of one head under a seed.
inline SplitMix64 rowStream(std::uint64_t seed, std::uint64_t head, std::uint64_t row) {
  SplitMix64 mix(seed ^ 0xA0761D6478BD642Full);
  const std::uint64_t a = mix.next() ^ (head * 0xE7037ED1A0B428DBull);
  SplitMix64 mix2(a);
  return SplitMix64(mix2.next() ^ (row * 0x8EBC6AF09C88C6E3ull));
}

/// `count` distinct values from [0, range), sorted (Floyd's algorithm: O(count log count)). count ≤ range.
std::vector<Index> sampleDistinct(SplitMix64& rng, Index range, Index count);

/// `count` distinct elements of `pool` chosen uniformly (all of them, sorted, when count ≥ pool size).
std::vector<Index> sampleFrom(SplitMix64& rng, std::vector<Index> pool, Index count);

}  // namespace attnscope

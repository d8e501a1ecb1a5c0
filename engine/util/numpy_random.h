#pragma once
// NumPy's legacy generator (np.random.seed / np.random.permutation), reproduced bit for bit, because Hugging Face's
// BigBird draws its random blocks with it: MT19937 seeded by init_genrand, integers in [0, max] by masked rejection
// over 32-bit outputs, and the Fisher–Yates shuffle that runs from the last element down.

#include <array>
#include <cstdint>
#include <vector>

namespace attnscope {

class NumpyLegacyRandom {
 public:
  /// np.random.seed(seed) for an integer seed (0 … 2³² − 1): MT19937's init_genrand.
  explicit NumpyLegacyRandom(std::uint32_t seed);
  /// The next 32-bit output of MT19937.
  std::uint32_t next32();
  /// A uniform integer in [0, max]: the smallest all-ones mask ≥ max, 32-bit outputs masked until one is ≤ max
  /// (NumPy's random_interval for max < 2³²). max = 0 draws nothing.
  std::uint32_t interval(std::uint32_t max);
  /// np.random.permutation(values): a shuffled copy; for i = len − 1 … 1, swap element i with interval(i).
  std::vector<std::int64_t> permutation(std::vector<std::int64_t> values);

 private:
  void twist();
  std::array<std::uint32_t, 624> state_{};
  int position_ = 624;
};

}  // namespace attnscope

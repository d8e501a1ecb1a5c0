#pragma once
// How time grows with n: the pattern and full attention timed on the same Gaussian inputs for n doubling, and the
// n from which the pattern is the faster of the two.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/patterns/pattern_registry.h"
#include "engine/util/progress.h"

namespace attnscope {

struct ScalingPoint {
  Index n = 0;
  double msPattern = 0;  ///< best of ScalingOptions::repeat; 0 when skipped
  double msFull = 0;
  double cellsPattern = 0;  ///< active cells over the heads
  std::string skipped;      ///< why the pattern has no figure at this n (its parameters do not fit it), else empty
};

struct ScalingOptions {
  Index minN = 256;
  Index maxN = 16384;
  Index dim = 64;
  std::uint64_t seed = 0;
  int repeat = 1;             ///< timed runs per kernel and n, the best kept
  double repeatBelowMs = 20;  ///< … and more, up to 5 in all, while a kernel's best stays below this
};

/// n = minN, 2·minN, … ≤ maxN. At each n the pattern is built with `params` (as the command line and the GUI give
/// them) and timed against full attention with as many heads as the pattern has. `onPoint` hears of each point as
/// soon as it is measured (on the caller's thread). Throws Error for parameters that are wrong at every n, and
/// Cancelled when asked.
std::vector<ScalingPoint> scalingSweep(const PatternSpec& spec,
                                       const std::vector<std::pair<std::string, std::string>>& params,
                                       const ScalingOptions& options,
                                       const std::function<void(const ScalingPoint&)>& onPoint = nullptr,
                                       const Progress& progress = {});

/// The best of `repeat` timings of f(), in milliseconds; more (up to 5 in all) while the best is below
/// `repeatBelowMs`: a first short run also pays for starting threads and touching fresh memory.
template <typename F>
double bestOfMs(int repeat, F&& f, double repeatBelowMs = 0) {
  double best = 1e300;
  for (int r = 0; r < std::max(1, repeat) || (r < 5 && best < repeatBelowMs); ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

/// The smallest n from which the pattern is faster than full attention at that point and every later measured
/// one; 0 when it never is.
Index crossover(const std::vector<ScalingPoint>& points);

}  // namespace attnscope

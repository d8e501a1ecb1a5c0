#pragma once
// Parallel loops that report progress and honour cancellation without touching the caller's callbacks from
// worker threads: only the calling thread (OpenMP thread 0) reports and asks whether to stop.

#include <algorithm>
#include <atomic>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine/progress.h"
#include "engine/types.h"

namespace attnscope {

/// Splits [0, count) into chunks of `size` and runs body(begin, end) on each, in parallel (dynamic schedule).
/// Progress goes from `from` to `to`; a stop request skips the remaining chunks and throws Cancelled after the loop.
template <typename Body>
void parallelChunks(Index count, Index size, const Progress& progress, double from, double to, Body body) {
  const Index chunks = (count + size - 1) / size;
  std::atomic<bool> stop{false};
  std::atomic<Index> done{0};
#pragma omp parallel for schedule(dynamic, 1)
  for (Index c = 0; c < chunks; ++c) {
    if (stop.load(std::memory_order_relaxed)) continue;
    body(c * size, std::min(count, (c + 1) * size));
    const Index d = done.fetch_add(1) + 1;
#ifdef _OPENMP
    const bool caller = omp_get_thread_num() == 0;
#else
    const bool caller = true;
#endif
    if (caller) {
      if (progress.cancelled()) stop = true;
      progress.report(from + (to - from) * double(d) / double(chunks));
    }
  }
  if (stop) throw Cancelled();
}

}  // namespace attnscope

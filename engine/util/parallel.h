#pragma once
// Parallel loops that report progress and honour cancellation without touching the caller's callbacks from
// worker threads: only the calling thread (OpenMP thread 0) reports and asks whether to stop.

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine/util/progress.h"
#include "engine/util/types.h"

namespace attnscope {

/// Splits [0, count) into chunks of `size` and runs body(begin, end) on each, in parallel (dynamic schedule).
/// Progress goes from `from` to `to`; a stop request skips the remaining chunks and throws Cancelled after the loop.
/// Any thread skips the remaining chunks as soon as progress.stopFlag is set, and a body may return early on it.
/// `onDone(begin, end)`, when given, hears of every finished chunk — also on the calling thread only: chunks that
/// other threads finish are queued and handed over between chunks and at the end. `order`, when given, is the
/// order in which chunks are handed out (a permutation of the chunk indices): the heaviest first, so that no
/// thread is left with a long chunk while the others are idle.
template <typename Body>
void parallelChunks(Index count, Index size, const Progress& progress, double from, double to, Body body,
                    const std::function<void(Index, Index)>& onDone = nullptr,
                    const std::vector<Index>* order = nullptr) {
  const Index chunks = (count + size - 1) / size;
  std::atomic<bool> stop{false};
  std::atomic<Index> done{0};
  std::mutex mutex;
  std::vector<std::pair<Index, Index>> finished;
  auto drain = [&] {
    std::vector<std::pair<Index, Index>> ready;
    {
      std::lock_guard lock(mutex);
      ready.swap(finished);
    }
    for (auto [b, e] : ready) onDone(b, e);
  };
#pragma omp parallel for schedule(dynamic, 1)
  for (Index c = 0; c < chunks; ++c) {
    if (stop.load(std::memory_order_relaxed)) continue;
    if (progress.stopRequested()) {  // a chunk skipped must never pass for done
      stop = true;
      continue;
    }
    const Index chunk = order ? (*order)[static_cast<std::size_t>(c)] : c;
    const Index b = chunk * size, e = std::min(count, (chunk + 1) * size);
    body(b, e);
    if (progress.stopRequested()) {  // the body may have stopped part-way: this chunk is not done
      stop = true;
      continue;
    }
    if (onDone) {
      std::lock_guard lock(mutex);
      finished.emplace_back(b, e);
    }
    const Index d = done.fetch_add(1) + 1;
#ifdef _OPENMP
    const bool caller = omp_get_thread_num() == 0;
#else
    const bool caller = true;
#endif
    if (caller) {
      if (progress.cancelled()) stop = true;
      progress.report(from + (to - from) * double(d) / double(chunks));
      if (onDone) drain();
    }
  }
  if (onDone) drain();
  if (stop || progress.stopRequested()) throw Cancelled();
}

}  // namespace attnscope

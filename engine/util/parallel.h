#pragma once
// Parallel loops over chunks of rows that every thread can stop and every thread reports from.

#include <algorithm>
#include <atomic>
#include <exception>
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
///
/// - Cancellation: every thread polls progress.token before and after each chunk; once it is set the remaining
///   chunks are skipped, and the call throws Cancelled. A body may also return early on it. A call whose token
///   was cancelled at any moment before it returns always throws Cancelled, whatever the number of threads; one
///   whose token was never cancelled never does.
/// - Progress: the chunks done are counted in an atomic; whichever thread finishes a chunk reports from `from`
///   towards `to`, one report at a time and never decreasing (a report counts every chunk done when it is made);
///   a call that was not stopped ends with a report of `to` itself.
/// - Errors: an exception thrown by a body (an Error, bad_alloc) stops the remaining chunks and is rethrown here,
///   on the calling thread: it never leaves the parallel region, which would end the program.
/// - `onDone(begin, end)`, when given, hears of every finished chunk on the calling thread: chunks that other
///   threads finish are queued and handed over between the caller's chunks and at the end.
/// - `order`, when given, is the order in which chunks are handed out (a permutation of the chunk indices): the
///   heaviest first, so that no thread is left with a long chunk while the others are idle.
template <typename Body>
void parallelChunks(Index count, Index size, const Progress& progress, double from, double to, Body body,
                    const std::function<void(Index, Index)>& onDone = nullptr,
                    const std::vector<Index>* order = nullptr) {
  const Index chunks = (count + size - 1) / size;
  const CancellationToken& token = progress.token;
  std::atomic<Index> done{0};
  std::mutex reporting;  // one report at a time
  Index reported = -1;   // chunks done at the last report, read and written under `reporting`
  auto reportDone = [&] {
    if (!progress.onProgress) return;
    std::lock_guard lock(reporting);
    const Index d = done.load();
    if (d <= reported) return;  // a later finisher reported this chunk already
    reported = d;
    progress.report(chunks == 0 ? to : from + (to - from) * double(d) / double(chunks));
  };
  std::mutex queue;
  std::vector<std::pair<Index, Index>> finished;
  auto drain = [&] {
    std::vector<std::pair<Index, Index>> ready;
    {
      std::lock_guard lock(queue);
      ready.swap(finished);
    }
    for (auto [b, e] : ready) onDone(b, e);
  };
  std::atomic<bool> failed{false};
  std::exception_ptr failure;  // the first exception a body threw, set once under `queue`
#pragma omp parallel for schedule(dynamic, 1)
  for (Index c = 0; c < chunks; ++c) {
    if (token.cancelled() || failed.load(std::memory_order_relaxed)) continue;  // never passes for done: we throw
    const Index chunk = order ? (*order)[static_cast<std::size_t>(c)] : c;
    const Index b = chunk * size, e = std::min(count, (chunk + 1) * size);
    try {  // an exception must not leave an OpenMP region (that ends the program): it is carried out below
      body(b, e);
    } catch (...) {
      std::lock_guard lock(queue);
      if (!failure) failure = std::current_exception();
      failed = true;
      continue;
    }
    if (token.cancelled()) continue;  // the body may have stopped part-way: this chunk is not done
    if (onDone) {
      std::lock_guard lock(queue);
      finished.emplace_back(b, e);
    }
    done.fetch_add(1);
    reportDone();
#ifdef _OPENMP
    if (onDone && omp_get_thread_num() == 0) drain();
#else
    if (onDone) drain();
#endif
  }
  if (failure) std::rethrow_exception(failure);
  reportDone();  // before the last check: a stop asked for from inside a report still ends in Cancelled
  token.throwIfCancelled();
  if (onDone) drain();
}

}  // namespace attnscope

#include "engine/masks/pattern.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <numeric>

#include "engine/util/format.h"
#include "engine/util/parallel.h"

namespace attnscope {

Index Pattern::degree(int h, Index i) const {
  thread_local std::vector<KeyIndex> buffer;
  generate(h, i, buffer);
  return static_cast<Index>(buffer.size());
}

void Pattern::fill(int h, Index i, KeyIndex* out) const {
  thread_local std::vector<KeyIndex> buffer;
  generate(h, i, buffer);
  std::copy(buffer.begin(), buffer.end(), out);
}

namespace {

// Rows are processed in at most 256 chunks of at least 1,024 rows a pass: every thread polls the cancellation token
// between its chunks and reports the chunks it finished.
struct Chunks {
  Index n, size;
  explicit Chunks(Index n_) : n(n_), size(std::max<Index>(1024, (n_ + 255) / 256)) {}
  template <typename Body>
  void run(const Progress& progress, double from, double to, Body body) const {
    parallelChunks(n, size, progress, from, to, body);
  }
};

[[noreturn]] void tooLarge(Index cells, Index limit) {
  throw Error("the mask would have " + withSeparators(cells) + " active cells; the limit is " + withSeparators(limit) +
              " (choose a smaller n or a sparser pattern)");
}

// Rows whose size is known up front: offsets by a prefix sum, then every row written straight into place.
std::shared_ptr<CsrRows> buildDirect(const Pattern& p, int h, Index budget, const BuildOptions& options,
                                     const Progress& progress, double from, double to) {
  const Index n = p.n();
  auto rows = std::make_shared<CsrRows>();
  rows->offsets.resize(n + 1);
  rows->offsets[0] = 0;
  const Chunks chunks(n);
  const double mid = from + (to - from) * 0.1;
  chunks.run(progress, from, mid, [&](Index begin, Index end) {
    for (Index i = begin; i < end; ++i) rows->offsets[i + 1] = p.degree(h, i);
  });
  std::partial_sum(rows->offsets.begin(), rows->offsets.end(), rows->offsets.begin());
  if (rows->offsets[n] > budget) tooLarge(options.maxCells - budget + rows->offsets[n], options.maxCells);
  rows->keys.resize(rows->offsets[n]);
  chunks.run(progress, mid, to, [&](Index begin, Index end) {
    for (Index i = begin; i < end; ++i) p.fill(h, i, rows->keys.data() + rows->offsets[i]);
  });
  return rows;
}

// Rows whose size needs generating: each chunk generates into its own buffer, then the buffers are copied into
// place. One generation per row, at the price of a transient second copy.
std::shared_ptr<CsrRows> buildBuffered(const Pattern& p, int h, Index budget, const BuildOptions& options,
                                       const Progress& progress, double from, double to) {
  const Index n = p.n();
  const Chunks chunks(n);
  std::vector<std::vector<KeyIndex>> buffers((n + chunks.size - 1) / chunks.size);
  auto rows = std::make_shared<CsrRows>();
  rows->offsets.resize(n + 1);
  rows->offsets[0] = 0;
  std::atomic<Index> total{0};
  std::atomic<bool> over{false};
  const double mid = from + (to - from) * 0.8;
  chunks.run(progress, from, mid, [&](Index begin, Index end) {
    if (over) return;
    std::vector<KeyIndex> row;
    auto& buf = buffers[begin / chunks.size];
    for (Index i = begin; i < end; ++i) {
      p.generate(h, i, row);
      buf.insert(buf.end(), row.begin(), row.end());
      rows->offsets[i + 1] = static_cast<Index>(row.size());
    }
    if (total.fetch_add(static_cast<Index>(buf.size())) + static_cast<Index>(buf.size()) > budget) over = true;
  });
  if (over) tooLarge(options.maxCells - budget + total.load(), options.maxCells);
  std::partial_sum(rows->offsets.begin(), rows->offsets.end(), rows->offsets.begin());
  rows->keys.resize(rows->offsets[n]);
  chunks.run(progress, mid, to, [&](Index begin, Index) {
    auto& buf = buffers[begin / chunks.size];
    if (!buf.empty()) std::memcpy(rows->keys.data() + rows->offsets[begin], buf.data(), buf.size() * 4);
    std::vector<KeyIndex>().swap(buf);
  });
  return rows;
}

}  // namespace

void Pattern::keyRuns(int h, Index i, std::vector<KeyRun>& runs) const {
  runs.clear();
  thread_local std::vector<KeyIndex> keys;
  generate(h, i, keys);
  for (KeyIndex k : keys) {
    if (!runs.empty() && runs.back().last + 1 == Index(k))
      runs.back().last = k;
    else
      runs.push_back({k, k});
  }
}

SparseMask buildMask(const Pattern& pattern, const BuildOptions& options, const Progress& progress) {
  const int heads = pattern.heads();
  int distinct = 0;
  for (int h = 0; h < heads; ++h) distinct += pattern.sourceHead(h) == h;
  std::vector<std::shared_ptr<const CsrRows>> rows(heads);
  Index budget = options.maxCells;
  int built = 0;
  for (int h = 0; h < heads; ++h) {
    const int src = pattern.sourceHead(h);
    if (src != h) {  // shared storage costs nothing more
      rows[h] = rows[src];
      continue;
    }
    const double from = double(built) / distinct, to = double(built + 1) / distinct;
    auto head = pattern.hasCheapDegree() ? buildDirect(pattern, h, budget, options, progress, from, to)
                                         : buildBuffered(pattern, h, budget, options, progress, from, to);
    budget -= head->nnz();
    rows[h] = std::move(head);
    ++built;
  }
  SparseMask mask(pattern.n(), std::move(rows));
  if (const SparseMask* layout = pattern.blockLayout()) mask.setBlockLayout(pattern.blockSize(), *layout);
  if (const BlockCopies* copies = pattern.blockCopies()) mask.setBlockCopies(*copies);
  progress.throwIfCancelled();  // the last pass reported 1.0; a stop asked for since then still counts
  return mask;
}

}  // namespace attnscope

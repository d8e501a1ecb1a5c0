#include "engine/attention/attention.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <numeric>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "engine/util/default_init.h"
#include "engine/util/error.h"
#include "engine/attention/softmax_row.h"
#include "engine/attention/tile_gemm.h"
#include "engine/util/parallel.h"

namespace attnscope {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr double kLog2e = 1.44269504088896341;  // exp(x) = 2^(x·log2(e))
// Sizes chosen by `attnscope-cli bench` (docs/PERFORMANCE.md); the full kernel's tile is fullAttentionTile() and the
// masked kernel's query block maskedQueryRows().
constexpr double kTileDensity = 0.25;  // below this share of active cells in a block's key union, go row by row

using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// Runs body(r0, r1) over blocks of rows in parallel, telling options.onRows (on the caller's thread) about every
// finished block.
template <typename Body>
void forRowBlocks(Index n, Index block, int head, const AttentionOptions& options, const Progress& progress,
                  double from, double to, Body body, const std::vector<Index>* order = nullptr) {
  std::function<void(Index, Index)> onDone;
  if (options.onRows) onDone = [&](Index b, Index e) { options.onRows(head, b, e); };
  parallelChunks(n, block, progress, from, to, body, onDone, order);
}

// Rows whose scores are bounded beforehand. By Cauchy–Schwarz a row's base-2 scores lie within ±B = ‖q̃‖·max‖k‖ (q̃
// the scaled query); when B ≤ kBoundedScores the row's powers are taken against one fixed integral shift, ⌈B⌉ + 1
// (the 1 absorbs the products' rounding), for every tile: every argument then lies in [−2B − 2, 1] ⊂ [−125, 1], so
// no maximum pass, no rescaling and no clamp are needed (exp2BoundedAccumulate), and the smallest power, 2^−62, is
// far from the denormals even after a product with a small value. Softmax does not depend on the shift. Rows with
// larger bounds (large norms, or a repeated key block's log2 copies on top) keep the running maximum.
constexpr float kBoundedScores = 30.0f;

// Each row's fixed shift for the scaled queries Qs (rows × d) against keys of largest norm keyNorm, plus `extra`
// (a bound on what is added to the scores afterwards); 0 for a row that needs the running maximum.
Eigen::VectorXf boundedShifts(const Matrix& Qs, float keyNorm, float extra) {
  Eigen::VectorXf shift(Qs.rows());
  for (Index r = 0; r < Qs.rows(); ++r) {
    const float bound = Qs.row(r).norm() * keyNorm + extra;
    shift[r] = bound <= kBoundedScores ? std::ceil(bound) + 1.0f : 0.0f;
  }
  return shift;
}

// The online-softmax update shared by the fused kernels: turn a tile of scores S (rows × cols, in base 2: scaled by
// log2(e)/√d, every cell active) into powers of 2, update the running sums l (rows × kSumLanes, a row's sum kept
// lane by lane) and rescale the accumulators acc; the caller then adds S · V into acc (tileAccumulate). After all
// tiles, out = acc / Σ l. A row with a fixed shift (boundedShifts) takes one pass; any other row is taken against
// its running maximum m, so nothing overflows: two passes (its maximum, then the exponentials with their sum), and
// acc rescaled only when the maximum grew, which after the first few tiles is rare.
template <typename Scores>
void softmaxTile(Scores& S, const Eigen::VectorXf& fixed, Eigen::VectorXf& m, Matrix& l, Matrix& acc) {
  const Index cols = S.cols();
  for (Index r = 0; r < S.rows(); ++r) {
    float* s = S.data() + r * S.outerStride();
    if (fixed[r] > 0) {
      exp2BoundedAccumulate(s, cols, fixed[r], l.row(r).data());
      continue;
    }
    const float rowMaximum = rowMax(s, cols);
    if (rowMaximum > m[r]) {
      if (m[r] != kNegInf) {  // on the first tile there is nothing to rescale
        const float correction = std::exp2(m[r] - rowMaximum);
        l.row(r) *= correction;
        acc.row(r) *= correction;
      }
      m[r] = rowMaximum;
    }
    if (m[r] == kNegInf) {  // nothing active yet in this row
      std::fill(s, s + cols, 0.0f);
      continue;
    }
    exp2ShiftedAccumulate(s, cols, m[r], l.row(r).data());
  }
}

// The same, then S · V into acc: Vt is cols × dim_v, rows contiguous.
template <typename Scores>
void foldTile(Scores& S, const float* v, Index ldv, const Eigen::VectorXf& fixed, Eigen::VectorXf& m, Matrix& l,
              Matrix& acc) {
  softmaxTile(S, fixed, m, l, acc);
  tileAccumulate(S.rows(), S.cols(), acc.cols(), S.data(), S.outerStride(), v, ldv, acc.data(), acc.cols());
}

// Running sums for `rows` rows, each kept in kSumLanes lanes (softmaxTile).
Matrix laneSums(Index rows) { return Matrix::Zero(rows, kSumLanes); }

void finishRows(const Matrix& l, const Matrix& acc, Matrix& out, Index r0, Index& empty) {
  for (Index r = 0; r < acc.rows(); ++r) {
    const float sum = l.row(r).sum();
    if (sum > 0)
      out.row(r0 + r) = acc.row(r) / sum;
    else {
      out.row(r0 + r).setZero();
      ++empty;
    }
  }
}

// The largest Euclidean norm of a row (of the keys: the bound in boundedShifts).
float largestRowNorm(const Matrix& k) { return k.rows() == 0 ? 0.0f : k.rowwise().norm().maxCoeff(); }

float scaleOf(const AttentionInputs& in) { return 1.0f / std::sqrt(static_cast<float>(in.dim())); }
// The fused kernels' scores are in base 2 (softmax_row.h): exp(q·k/√d) = 2^(q·k · log2(e)/√d).
float base2ScaleOf(const AttentionInputs& in) { return scaleOf(in) * float(kLog2e); }

// An output matrix whose pages are asked to be huge before the kernel first writes it (page faults on a fresh
// 16 MiB output cost more than the attention of a long window in this VM).
Matrix outputMatrix(const AttentionInputs& in) {
  Matrix m(in.n(), in.valueDim());
  adviseHugePages(m.data(), static_cast<std::size_t>(m.size()) * sizeof(float));
  return m;
}

// Full attention for one head: tiles of fullAttentionTile()'s queries × keys.
void fullHead(const AttentionInputs& in, int h, Matrix& Kt, Matrix& out, const AttentionOptions& options,
              const Progress& progress, double from, double to) {
  const Matrix& Q = in.q[h];
  const Matrix& K = in.k[h];
  const Matrix& V = in.v[h];
  const Index n = in.n(), d = Q.cols();
  const float scale = base2ScaleOf(in);
  const FullTile tile = options.tile.rows > 0 && options.tile.cols > 0 ? options.tile : fullAttentionTile();
  packTransposed(K, Kt);  // once a head (O(n·d)): every key tile is a column range of it
  const float keyNorm = largestRowNorm(K);
  forRowBlocks(n, tile.rows, h, options, progress, from, to, [&](Index r0, Index r1) {
    const Index rows = r1 - r0;
    const Matrix Qs = Q.middleRows(r0, rows) * scale;
    const Eigen::VectorXf fixed = boundedShifts(Qs, keyNorm, 0.0f);
    Matrix S(rows, tile.cols), acc = Matrix::Zero(rows, V.cols());
    Eigen::VectorXf m = Eigen::VectorXf::Constant(rows, kNegInf);
    Matrix l = laneSums(rows);
    for (Index c0 = 0; c0 < n; c0 += tile.cols) {
      if (progress.cancelled()) return;  // a row block of a long sequence is many tiles: stop within it
      const Index cols = std::min(tile.cols, n - c0);
      auto St = S.leftCols(cols);
      tileScores(rows, cols, d, Qs.data(), d, Kt.data() + c0, Kt.cols(), S.data(), tile.cols);
      foldTile(St, V.row(c0).data(), V.cols(), fixed, m, l, acc);
    }
    Index empty = 0;
    finishRows(l, acc, out, r0, empty);
  });
}

// Block-sparse attention for one head: the same fused tile loop, over the active blocks of the layout only.
void blockSparseHead(const AttentionInputs& in, int h, const SparseMask& layout, int layoutHead, Index block,
                     const BlockCopies* copies, Matrix& Kt, Matrix& out, Index& emptyRows,
                     const AttentionOptions& options, const Progress& progress, double from, double to) {
  const Matrix& Q = in.q[h];
  const Matrix& K = in.k[h];
  const Matrix& V = in.v[h];
  const Index n = in.n(), d = Q.cols();
  const float scale = base2ScaleOf(in);
  packTransposed(K, Kt);  // once a head: every key block is a column range of it
  const float keyNorm = largestRowNorm(K);
  // Row blocks with the most key blocks first (BigBird's global rows attend every block): handed out last, one of
  // them kept a thread busy while the other idled.
  std::vector<Index> order(static_cast<std::size_t>((n + block - 1) / block));
  std::iota(order.begin(), order.end(), Index(0));
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) {
    return layout.row(layoutHead, a).size() > layout.row(layoutHead, b).size();
  });
  std::atomic<Index> empty{0};
  const auto rowBlock = [&](Index r0, Index r1) {
    const Index rows = r1 - r0;
    const Matrix Qs = Q.middleRows(r0, rows) * scale;
    float extra = 0;  // repeated key blocks add log2(copies) to their scores
    if (copies)
      for (const BlockCopies::Entry& e : copies->row(layoutHead, r0 / block))
        extra = std::max(extra, std::log2(static_cast<float>(e.copies)));
    const Eigen::VectorXf fixed = boundedShifts(Qs, keyNorm, extra);
    Matrix S(rows, block), acc = Matrix::Zero(rows, V.cols());
    Eigen::VectorXf m = Eigen::VectorXf::Constant(rows, kNegInf);
    Matrix l = laneSums(rows);
    for (KeyIndex c : layout.row(layoutHead, r0 / block)) {
      if (progress.cancelled()) return;
      tileScores(rows, block, d, Qs.data(), d, Kt.data() + Index(c) * block, Kt.cols(), S.data(), block);
      if (copies)  // a key block counted k times in the softmax: 2^(s + log2 k) = k·2^s
        for (const BlockCopies::Entry& e : copies->row(layoutHead, r0 / block))
          if (e.keyBlock == Index(c)) S.array() += std::log2(static_cast<float>(e.copies));
      foldTile(S, V.row(Index(c) * block).data(), V.cols(), fixed, m, l, acc);
    }
    Index e = 0;
    finishRows(l, acc, out, r0, e);
    empty += e;
  };
  forRowBlocks(n, block, h, options, progress, from, to, rowBlock, &order);
  emptyRows += empty;
}

// Repeated key blocks of one mask head, applied to a row's scores as + ln(copies).
struct CopiesOfHead {
  const BlockCopies* table = nullptr;
  int head = 0;
  Index block = 1;
  template <class Add>
  void apply(Index query, std::span<const KeyIndex> keys, Add add) const {
    for (const BlockCopies::Entry& e : table->row(head, query / block)) {
      const auto lo = std::lower_bound(keys.begin(), keys.end(), static_cast<KeyIndex>(e.keyBlock * block));
      const auto hi = std::lower_bound(lo, keys.end(), static_cast<KeyIndex>((e.keyBlock + 1) * block));
      const float bias = std::log(static_cast<float>(e.copies));
      for (auto it = lo; it != hi; ++it) add(static_cast<std::size_t>(it - keys.begin()), bias);
    }
  }
  /// The most a row of queries [q0, q1) has added to a score, in base 2: log2 of the most copies of a key block.
  float largestLog2(Index q0, Index q1) const {
    float most = 0;
    if (table)
      for (Index b = q0 / block; b * block < q1; ++b)
        for (const BlockCopies::Entry& e : table->row(head, b))
          most = std::max(most, std::log2(static_cast<float>(e.copies)));
    return most;
  }
};

// One thread's working space in the masked kernel, kept from block to block.
struct Scratch {
  std::vector<std::int32_t> slot;  // where each key sits in the block's union (−1: not in it)
  Matrix q, s, kt, v;              // scaled queries, scores, packed K_Uᵀ, gathered V_U
  Eigen::VectorXf sums;            // each row's sum of powers
  RowVector row;                   // one row's gathered scores
};

// Masked attention for one head over compressed rows. Each block of maskedQueryRows() queries gathers the union U of
// its keys; when the block's active cells fill at least kTileDensity of rows × |U|, scores come from one tile
// product Q_blk K_Uᵀ (K_Uᵀ a column range of the packed Kᵀ when U is a range, else gathered), the softmax runs
// over each row's active cells only, and a second tile product P V_U gives the outputs. Scattered rows are done
// one by one with dot products.
void sparseHead(const AttentionInputs& in, int h, const CsrRows& rows, const CopiesOfHead& copies, Matrix& Kt,
                Matrix& out, Index& emptyRows, float* weights, const AttentionOptions& options,
                const Progress& progress, double from, double to) {
  const Matrix& Q = in.q[h];
  const Matrix& K = in.k[h];
  const Matrix& V = in.v[h];
  const Index n = in.n(), d = in.dim(), dv = in.valueDim();
  const float scale = scaleOf(in), base2Scale = base2ScaleOf(in);
  // Kᵀ packed once a head (n·d floats, counted in the run's memory estimate): key ranges are column ranges of it.
  // Packing each block's range instead transposes |U|/rows times as much and cost a third of a window's time.
  packTransposed(K, Kt);
  const float keyNorm = largestRowNorm(K);
  std::atomic<Index> empty{0};
#ifdef _OPENMP
  const int threads = omp_get_max_threads();
#else
  const int threads = 1;
#endif
  // Per-thread scratch: where each key sits in the block's union (−1: not in it), and the tiles.
  std::vector<Scratch> scratches(threads);
  const Index queryRows = options.queryRows > 0 ? options.queryRows : maskedQueryRows();
  if (queryRows > kMaxMaskedQueryRows)
    throw Error("a masked query block of " + std::to_string(queryRows) + " rows was asked for: at most " +
                std::to_string(kMaxMaskedQueryRows));
  forRowBlocks(n, queryRows, h, options, progress, from, to, [&](Index r0, Index r1) {
#ifdef _OPENMP
    Scratch& scratch = scratches[omp_get_thread_num()];
#else
    Scratch& scratch = scratches[0];
#endif
    std::vector<std::int32_t>& slot = scratch.slot;
    // The block's key union U. Fast path: every row is a run of consecutive keys and the runs join into one
    // range (windows, causal masks, blocks) — then U is that range, found from two keys a row. Otherwise U is
    // gathered key by key, with slot[k] its position.
    Index lo = n, hi = -1, blockNnz = 0;
    bool range = true;
    // The next block's row ends are a cache miss each once the mask outgrows the cache (rows lie ~4·width bytes
    // apart): ask for them now, while this block computes.
    for (Index i = r1; i < std::min(n, r1 + queryRows); ++i) {
      __builtin_prefetch(rows.keys.data() + rows.offsets[i]);
      __builtin_prefetch(rows.keys.data() + std::max(rows.offsets[i], rows.offsets[i + 1] - 1));
    }
    {
      std::pair<Index, Index> runs[kMaxMaskedQueryRows];
      Index count = 0;
      for (Index i = r0; i < r1 && range; ++i) {
        const auto keys = rows.row(i);
        if (keys.empty()) continue;
        blockNnz += static_cast<Index>(keys.size());
        range = keys.back() - keys.front() + 1 == static_cast<Index>(keys.size());
        runs[count++] = {keys.front(), keys.back()};
      }
      if (range && count > 0) {
        std::sort(runs, runs + count);
        lo = runs[0].first;
        hi = runs[0].second;
        for (Index t = 1; t < count && range; ++t) {
          range = runs[t].first <= hi + 1;
          hi = std::max(hi, runs[t].second);
        }
      }
    }
    std::vector<KeyIndex> U;
    if (!range) {
      if (slot.empty()) slot.assign(static_cast<std::size_t>(n), -1);
      blockNnz = 0;
      for (Index i = r0; i < r1; ++i)
        for (KeyIndex k : rows.row(i)) {
          ++blockNnz;
          if (slot[k] < 0) {
            slot[k] = 0;
            U.push_back(k);
          }
        }
      std::sort(U.begin(), U.end());
      for (std::size_t c = 0; c < U.size(); ++c) slot[U[c]] = static_cast<std::int32_t>(c);
    }
    const Index blockRows = r1 - r0, width = range ? std::max<Index>(0, hi - lo + 1) : static_cast<Index>(U.size());
    auto slotOf = [&](KeyIndex k) -> Index { return range ? k - lo : slot[k]; };
    Index e = 0;

    if (width > 0 && double(blockNnz) >= kTileDensity * double(blockRows) * double(width)) {
      // Scores S = Q_blk K_Uᵀ and outputs P V_U as two tile products (tile_gemm.h), in base 2 like the fused
      // kernels. When U is not contiguous, its keys and values are gathered first.
      const bool contiguous = range || U.back() - U.front() + 1 == width;
      const Index first = range ? lo : (U.empty() ? 0 : U.front());
      // A contiguous U is a column range of the head's packed Kᵀ; otherwise U's keys are packed for this block.
      const float* kt = Kt.data() + first;
      Index ldkt = Kt.cols();
      const float* v = V.row(first).data();
      if (!contiguous) {
        scratch.kt.resize(d, width);
        scratch.v.resize(width, dv);
        for (Index c = 0; c < width; ++c) {
          scratch.kt.col(c) = K.row(U[c]).transpose();
          scratch.v.row(c) = V.row(U[c]);
        }
        kt = scratch.kt.data();
        ldkt = width;
        v = scratch.v.data();
      }
      scratch.q = Q.middleRows(r0, blockRows) * base2Scale;
      const Eigen::VectorXf fixed = boundedShifts(scratch.q, keyNorm, copies.largestLog2(r0, r1));
      // A row's powers against its fixed shift when it has one (boundedShifts), else against its maximum.
      const auto powers = [&](float* x, Index len, Index r) {
        return fixed[r] > 0 ? exp2BoundedSum(x, len, fixed[r]) : exp2ShiftedSum(x, len, rowMax(x, len));
      };
      scratch.s.resize(blockRows, width);
      float* const S = scratch.s.data();
      tileScores(blockRows, width, d, scratch.q.data(), d, kt, ldkt, S, width);
      if (copies.table)
        for (Index r = 0; r < blockRows; ++r)
          copies.apply(r0 + r, rows.row(r0 + r), [&](std::size_t t, float bias) {
            S[r * width + slotOf(rows.row(r0 + r)[t])] += bias * float(kLog2e);  // ln k in base 2
          });
      // Softmax over each row's active cells, which become powers of 2 in place, unnormalised; every other cell of
      // the row becomes 0. A row whose keys are a run of U works on that segment; any other row gathers its scores.
      Eigen::VectorXf& sums = scratch.sums;
      sums.resize(blockRows);
      for (Index r = 0; r < blockRows; ++r) {
        const auto keys = rows.row(r0 + r);
        float* const row = S + r * width;
        sums[r] = 0;
        if (keys.empty()) {
          std::fill(row, row + width, 0.0f);
          ++e;
          continue;
        }
        const Index a = slotOf(keys.front()), len = static_cast<Index>(keys.size());
        if (slotOf(keys.back()) - a + 1 == len) {
          sums[r] = powers(row + a, len, r);
          std::fill(row, row + a, 0.0f);
          std::fill(row + a + len, row + width, 0.0f);
          if (weights)
            for (Index t = 0; t < len; ++t) weights[rows.offsets[r0 + r] + t] = row[a + t] / sums[r];
        } else {
          RowVector& active = scratch.row;
          active.resize(len);
          for (Index t = 0; t < len; ++t) active[t] = row[slotOf(keys[t])];
          sums[r] = powers(active.data(), len, r);
          std::fill(row, row + width, 0.0f);
          for (Index t = 0; t < len; ++t) row[slotOf(keys[t])] = active[t];
          if (weights)
            for (Index t = 0; t < len; ++t) weights[rows.offsets[r0 + r] + t] = active[t] / sums[r];
        }
      }
      // out = P V_U: the same plain product as the scores (P is rows × |U|, V_U is |U| × dv), then each row / its sum.
      auto block = out.middleRows(r0, blockRows);
      tileScores(blockRows, dv, width, S, width, v, dv, block.data(), dv);
      for (Index r = 0; r < blockRows; ++r)
        if (sums[r] > 0) block.row(r) /= sums[r];
    } else {
      RowVector scores;
      for (Index i = r0; i < r1; ++i) {
        const auto keys = rows.row(i);
        if (keys.empty()) {
          out.row(i).setZero();
          ++e;
          continue;
        }
        scores.resize(static_cast<Index>(keys.size()));
        const auto q = Q.row(i);
        for (std::size_t t = 0; t < keys.size(); ++t) scores[t] = q.dot(K.row(keys[t])) * scale;
        if (copies.table) copies.apply(i, keys, [&](std::size_t t, float bias) { scores[t] += bias; });
        const float mx = scores.maxCoeff();
        scores = (scores.array() - mx).exp();
        scores /= scores.sum();
        out.row(i).setZero();
        for (std::size_t t = 0; t < keys.size(); ++t) out.row(i) += scores[t] * V.row(keys[t]);
        if (weights) std::copy(scores.data(), scores.data() + keys.size(), weights + rows.offsets[i]);
      }
    }
    for (KeyIndex k : U) slot[k] = -1;
    for (Index r = r0; r < r1 && e > 0; ++r)
      if (rows.row(r).empty()) out.row(r).setZero();
    empty += e;
  });
  emptyRows += empty;
}

}  // namespace

FullTile fullAttentionTile(int vectorFloats) { return vectorFloats >= 16 ? FullTile{96, 256} : FullTile{128, 96}; }
FullTile fullAttentionTile() { return fullAttentionTile(tileVectorFloats()); }
Index maskedQueryRows(int vectorFloats) { return vectorFloats >= 16 ? 16 : 24; }
Index maskedQueryRows() { return maskedQueryRows(tileVectorFloats()); }

float SparseWeights::at(int head, Index query, Index key) const {
  const int mh = maskHead(head);
  const auto r = mask.row(mh, query);
  const auto it = std::lower_bound(r.begin(), r.end(), static_cast<KeyIndex>(key));
  if (it == r.end() || *it != key) return 0.0f;
  return values[head][static_cast<std::size_t>(mask.headRows(mh).offsets[query] + (it - r.begin()))];
}

void checkMaskFits(const AttentionInputs& in, const SparseMask& mask) {
  if (mask.n() != in.n())
    throw Error("the pattern has n = " + std::to_string(mask.n()) +
                " but the inputs have n = " + std::to_string(in.n()) + ": they must match");
  if (mask.heads() != 1 && mask.heads() != in.heads())
    throw Error("the pattern has " + std::to_string(mask.heads()) + " heads but the inputs have " +
                std::to_string(in.heads()) + ": heads must match, or the pattern must have one");
}

AttentionOutput fullAttention(const AttentionInputs& in, const AttentionOptions& options, const Progress& progress) {
  if (options.wantWeights) {
    // The weights are n² floats anyway: compute them through the masked kernel on a full mask.
    auto rows = std::make_shared<CsrRows>();
    const Index n = in.n();
    rows->offsets.resize(n + 1);
    rows->keys.resize(n * n);
    for (Index i = 0; i <= n; ++i) rows->offsets[i] = i * n;
    for (Index i = 0; i < n; ++i) std::iota(rows->keys.data() + i * n, rows->keys.data() + (i + 1) * n, KeyIndex(0));
    AttentionOptions generic = options;
    generic.useBlockLayout = false;
    return maskedAttention(in, SparseMask(n, {rows}), generic, progress);
  }
  AttentionOutput result;
  Matrix Kt;  // every head's packed Kᵀ, one buffer
  for (int h = 0; h < in.heads(); ++h) {
    result.out.push_back(outputMatrix(in));
    fullHead(in, h, Kt, result.out.back(), options, progress, double(h) / in.heads(), double(h + 1) / in.heads());
  }
  return result;
}

AttentionOutput maskedAttention(const AttentionInputs& in, const SparseMask& mask, const AttentionOptions& options,
                                const Progress& progress) {
  checkMaskFits(in, mask);
  AttentionOutput result;
  if (options.wantWeights) {
    result.weights = SparseWeights{mask, {}};
    for (int h = 0; h < in.heads(); ++h) result.weights->values.emplace_back(mask.nnz(mask.heads() == 1 ? 0 : h));
  }
  const bool blockSparse = options.useBlockLayout && !options.wantWeights && mask.hasBlockLayout();
  const Index n = in.n();
  Matrix Kt;  // every head's packed Kᵀ, one buffer
  for (int h = 0; h < in.heads(); ++h) {
    const int mh = mask.heads() == 1 ? 0 : h;
    result.out.push_back(outputMatrix(in));
    const double from = double(h) / in.heads(), to = double(h + 1) / in.heads();
    // A head with every cell active (the `full` pattern) is full attention: the fused kernel does it fastest.
    if (!options.wantWeights && mask.nnz(mh) == n * n && !mask.blockCopies())
      fullHead(in, h, Kt, result.out.back(), options, progress, from, to);
    else if (blockSparse)
      blockSparseHead(in, h, mask.blockLayout(), mh, mask.blockSize(), mask.blockCopies(), Kt, result.out.back(),
                      result.emptyRows, options, progress, from, to);
    else
      sparseHead(in, h, mask.headRows(mh), CopiesOfHead{mask.blockCopies(), mh, std::max<Index>(mask.blockSize(), 1)},
                 Kt, result.out.back(), result.emptyRows,
                 options.wantWeights ? result.weights->values[h].data() : nullptr, options, progress, from, to);
  }
  return result;
}

std::vector<MatrixD> referenceAttention(const AttentionInputs& in, const SparseMask* mask) {
  std::vector<MatrixD> out;
  const Index n = in.n();
  const double scale = 1.0 / std::sqrt(double(in.dim()));
  for (int h = 0; h < in.heads(); ++h) {
    const MatrixD Q = in.q[h].cast<double>(), K = in.k[h].cast<double>(), V = in.v[h].cast<double>();
    MatrixD O = MatrixD::Zero(n, V.cols());
    for (Index i = 0; i < n; ++i) {
      std::vector<Index> keys;
      if (mask)
        for (KeyIndex k : mask->row(mask->heads() == 1 ? 0 : h, i)) keys.push_back(k);
      else
        for (Index j = 0; j < n; ++j) keys.push_back(j);
      if (keys.empty()) continue;
      std::vector<double> s;
      for (Index j : keys) s.push_back(Q.row(i).dot(K.row(j)) * scale);
      const double mx = *std::max_element(s.begin(), s.end());
      double sum = 0;
      const BlockCopies* copies = mask ? mask->blockCopies() : nullptr;
      for (std::size_t t = 0; t < keys.size(); ++t) {
        const int times = copies ? copies->copiesOf(mask->heads() == 1 ? 0 : h, i, keys[t], mask->blockSize()) : 1;
        sum += (s[t] = times * std::exp(s[t] - mx));
      }
      for (std::size_t t = 0; t < keys.size(); ++t) O.row(i) += (s[t] / sum) * V.row(keys[t]);
    }
    out.push_back(std::move(O));
  }
  return out;
}

}  // namespace attnscope

#pragma once
// A pattern against full attention on the same inputs: time, useful GFLOP/s, the attention mass the pattern
// keeps, and the error of its output.

#include "engine/attention/attention.h"

namespace attnscope {

struct Comparison {
  double msPattern = 0, msFull = 0;
  double speedup = 0;        ///< msFull / msPattern
  double gflopsPattern = 0;  ///< useful work: 2·nnz·(dim + dim_v), i.e. 4·nnz·dim when dim_v = dim
  double gflopsFull = 0;     ///< 2·n²·(dim + dim_v) per head
  double massKept = 0;       ///< mean over (head, query) of full attention's weight on the pattern's keys
  double relError = 0;       ///< ‖O_pattern − O_full‖_F / ‖O_full‖_F
  Index emptyRows = 0;
  double usefulCells = 0;  ///< active cells over all input heads
};

/// Useful floating-point operations of attention over `cells` cells.
double attentionFlops(double cells, Index dim, Index valueDim);

/// For each (head, query): the sum of full-attention softmax weights on the mask's keys, averaged. O(n²·dim),
/// tiled: no n × n matrix is held.
double attentionMassKept(const AttentionInputs& inputs, const SparseMask& mask, const Progress& progress = {});

/// The mass kept computed from full attention's weights (as fullAttention returns them with wantWeights): the same
/// figure as attentionMassKept without another pass over n² scores.
double massKeptFromWeights(const SparseWeights& fullWeights, const SparseMask& mask);

/// What a live view needs while a comparison runs; every callback is called on the caller's thread.
struct CompareHooks {
  /// Also return both runs' softmax weights (full attention's are heads · n² floats), from a pass after the
  /// timed runs, so the times stay those of the fast kernels.
  bool wantWeights = false;
  /// Rows [begin, end) of `head` are done, in the pattern's run (full = false) or full attention's.
  std::function<void(bool full, int head, Index begin, Index end)> onRows;
  /// A timed run shorter than this many milliseconds is run again, up to 5 times in all, and the best time is
  /// kept: the first run of a small problem also pays for starting threads and touching fresh memory. Only the
  /// first pass reports rows. 0: one pass each.
  double repeatBelowMs = 0;
  /// Timed passes of each kernel at least (the best is kept), as `bench` times them with bestOfMs: the first pass,
  /// which reports its rows, counts as one. 1: the first pass alone.
  int repeat = 1;
  /// A stage starts: 0 the pattern's run, 1 full attention, 2 the mass kept (and the weights).
  std::function<void(int stage)> onStage;
};

/// Throws Error when n is past what is compared with full attention (kMaxFullAttentionTokens): for callers that check
/// before their inputs are made or read.
void checkComparedN(Index n);

/// Runs the pattern and full attention, timing each, and measures mass kept and output error.
/// patternOut and fullOut, when given, receive the outputs.
Comparison compareWithFull(const AttentionInputs& inputs, const SparseMask& mask, const Progress& progress = {},
                           AttentionOutput* patternOut = nullptr, AttentionOutput* fullOut = nullptr,
                           const CompareHooks& hooks = {});

}  // namespace attnscope

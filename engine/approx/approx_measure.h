#pragma once
// One method against exact softmax attention on the same inputs, with the same measures for every method: the
// output's relative error, the mean per-row L1 distance of Â from the exact weights (0 … 2) beside the same figure
// for uniform attention (1/n everywhere), the share of negative entries of Â, the largest deviation of a row sum
// from 1, and the time of the method's own kernel against the fused full kernel.

#include <optional>

#include "engine/approx/approx_method.h"
#include "engine/inputs/attention_inputs.h"
#include "engine/attention/scaling_sweep.h"

namespace attnscope {

struct ApproxOptions {
  /// Rows of Â measured: every row up to this n, else this many rows evenly spread (the figures say so).
  Index maxWeightRows = 2048;
  /// Also return Â and the exact softmax weights of head 0 as n × n floats (up to kMaxApproxWeightsTokens).
  bool wantWeights = false;
  /// Time full attention too (off: msFull stays 0 and the exact output is computed untimed).
  bool timeFull = true;
  /// Timed passes of the method and of full attention, the best of each kept (as `bench` keeps the best): a first
  /// pass also pays for generating the products' code and touching fresh memory.
  int repeat = 1;
};

/// Â is written out up to this n (n² floats: 64 MB).
inline constexpr Index kMaxApproxWeightsTokens = 4096;

struct ApproxReport {
  double msMethod = 0, msFull = 0;
  double outputRelError = 0;           ///< ‖O − O_exact‖_F / ‖O_exact‖_F over all heads
  double weightsL1 = 0;                ///< mean over measured (head, row) of Σ_j |Â_ij − A_ij|
  double uniformL1 = 0;                ///< the same for Â = 1/n
  double negativeShare = 0;            ///< share of measured entries of Â below 0
  double rowSumMaxDev = 0;             ///< max over measured rows of |Σ_j Â_ij − 1|
  Index rowsMeasured = 0;              ///< per head
  bool allRows = true;                 ///< every row measured (else evenly spread rows)
  std::vector<Matrix> out;             ///< per head, the method's output
  std::optional<Matrix> weights;       ///< Â of head 0 when asked for
  std::optional<Matrix> exactWeights;  ///< softmax(QKᵀ/√d) of head 0 when asked for
};

/// Checks the request (the method's parameters against n, the memory of a head, n for the full comparison and the
/// weights) before anything is computed; throws Error.
void checkApprox(const ApproxMethod& method, const ParamSet& params, Index heads, Index n, Index dim, Index valueDim,
                 const ApproxOptions& options);

/// Runs the method on every head and measures it. Cancellable.
ApproxReport measureApprox(const ApproxMethod& method, const ParamSet& params, const AttentionInputs& inputs,
                           const ApproxOptions& options = {}, const Progress& progress = {});

/// The parameter that sets a method's budget (linformer: k, performer: nb_features, nystrom: num_landmarks), or
/// empty for a method without one (linear).
std::string approxBudgetKey(const ApproxMethod& method);

struct ApproxBudgetStep {
  Index value = 0;  ///< the budget parameter's value
  double msMethod = 0, outputRelError = 0, weightsL1 = 0, uniformL1 = 0;
};

/// The error as the budget `key` doubles from 8 up to min(n, 4,096), the other parameters as given; values the
/// method refuses at this n (num_landmarks must divide n) are left out. `onStep` hears of each step as it is
/// measured (on the caller's thread). Throws Error when `key` is not an integer parameter of the method, and
/// Cancelled when asked.
std::vector<ApproxBudgetStep> approxBudgetSweep(const ApproxMethod& method, const ParamSet& params,
                                                const std::string& key, const AttentionInputs& inputs,
                                                const std::function<void(const ApproxBudgetStep&)>& onStep = nullptr,
                                                const Progress& progress = {});

/// How the method's time grows with n against the fused full kernel: Gaussian inputs (one head, options.dim wide,
/// queries scaled by `scale`) for n = options.minN, doubling, ≤ options.maxN; ScalingPoint::msPattern is the
/// method's time, skipped (with the reason) where its parameters do not fit n. `crossover()` of the points is the
/// n from which the method is faster. Throws Cancelled when asked.
std::vector<ScalingPoint> approxScalingSweep(const ApproxMethod& method, const ParamSet& params,
                                             const ScalingOptions& options, double scale,
                                             const std::function<void(const ScalingPoint&)>& onPoint = nullptr,
                                             const Progress& progress = {});

}  // namespace attnscope

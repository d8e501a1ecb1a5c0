#pragma once
// The second road to efficient attention: methods that replace softmax(QKᵀ/√d) by something cheaper. Each computes
// its output with its own fast algorithm, and can give any row of its effective weights Â (output = Â·V) on demand,
// without ever holding n × n numbers. Parameters are data, as pattern families' are, with the libraries' names.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/masks/params.h"
#include "engine/util/progress.h"
#include "engine/util/types.h"

namespace attnscope {

/// One head, computed: the output, and the state that gives rows of Â.
class ApproxHead {
 public:
  virtual ~ApproxHead() = default;
  Matrix out;  ///< n × dim_v
  /// Makes what weightsRow needs (the timed kernel keeps only what its output needs, in row blocks, so that no
  /// n × m matrix is allocated and touched on the clock). Call once, before weightsRow; the inputs run() was given
  /// must still live.
  virtual void prepareWeights() {}
  /// Writes row i of Â (n values) to `row`. Safe to call from several threads after prepareWeights().
  virtual void weightsRow(Index i, float* row) const = 0;
};

class ApproxMethod {
 public:
  virtual ~ApproxMethod() = default;
  virtual std::string name() const = 0;
  virtual std::string summary() const = 0;
  /// Parameters for a head dimension (defaults may depend on it, as Performer's ⌊d·ln d⌋ features do).
  virtual std::vector<ParamSpec> params(Index dim) const = 0;
  /// Throws Error for what depends on n or several parameters (n not a multiple of num_landmarks, k > n).
  virtual void check(const ParamSet& p, Index n, Index dim) const;
  /// Runs one head. `head` varies the seeded projections between heads. Cancellable between stages.
  virtual std::unique_ptr<ApproxHead> run(const ParamSet& p, const Matrix& Q, const Matrix& K, const Matrix& V,
                                          int head, const Progress& progress = {}) const = 0;
  /// How many things each query attends through, in place of the n keys: linear attention's d features, Performer's
  /// m random features, Linformer's k projected keys, Nyströmformer's landmarks.
  virtual Index rank(const ParamSet& p, Index dim) const = 0;
  /// An upper bound of the memory run() takes for one head, in bytes.
  virtual double runBytes(const ParamSet& p, Index n, Index dim, Index valueDim) const = 0;
};

/// Every method, in the order users see them.
const std::vector<const ApproxMethod*>& approxMethods();
/// The method of that name; throws Error naming the known ones.
const ApproxMethod& findApproxMethod(std::string_view name);
/// The defaults overridden by key=value texts, checked; throws Error as patterns' parameters do.
ParamSet resolveApproxParams(const ApproxMethod& method, Index dim,
                             const std::vector<std::pair<std::string, std::string>>& texts);

}  // namespace attnscope

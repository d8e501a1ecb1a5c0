#pragma once
// The registry of pattern families, and pattern names that join token-level families with '+'.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/masks/pattern_family.h"
#include "engine/util/limits.h"

namespace attnscope {

/// Every family, in the order users see them.
const std::vector<const PatternFamily*>& patternFamilies();
/// nullptr when there is no such family.
const PatternFamily* findFamily(std::string_view name);

/// A pattern name resolved: one family, or token-level families joined by '+' ("window+global+random").
/// The members draw their parameters from one merged list; a name two members share takes one value
/// (with the first member's default).
class PatternSpec {
 public:
  /// Throws Error for an unknown family, a repeated member, or a block family inside a union.
  static PatternSpec parse(std::string_view name);

  const std::string& name() const { return name_; }
  const std::vector<const PatternFamily*>& members() const { return members_; }
  const std::vector<ParamSpec>& params() const { return params_; }
  const ParamSpec* param(std::string_view name) const;
  bool isBlock() const { return members_.size() == 1 && members_[0]->isBlockFamily(); }

  ParamSet defaults() const;
  /// The defaults overridden by key=value texts; unknown keys, a key given twice and bad values throw Error.
  ParamSet resolve(const std::vector<std::pair<std::string, std::string>>& texts) const;
  /// An upper bound of the memory making and building this pattern at n takes: what make() allocates, each stored
  /// head's row offsets, and its cells (at most maskCellLimit(), stored once and buffered once).
  double buildBytes(const ParamSet& values, Index n) const;
  /// What make() alone allocates (no mask cells): for callers that walk a pattern's rows without storing them.
  double makeBytes(const ParamSet& values, Index n) const;
  /// Throws Error when a member refuses the work (PatternFamily::checkWork) or buildBytes passes the memory limit:
  /// the one wording of those refusals, for make() and for callers that check before making inputs or changing
  /// controls.
  void checkBuildMemory(const ParamSet& values, Index n) const;
  /// Checks n (1 … kMaxSequenceLength) and buildBytes against the memory limit, then builds the instance; throws
  /// Error. Families that need attention inputs use `inputs` (whose n must be n), or seeded synthetic ones when it
  /// is null.
  std::unique_ptr<Pattern> make(const ParamSet& values, Index n, const AttentionInputs* inputs = nullptr) const;
  /// The same for callers that walk the rows (Pattern::keyRuns) without building a mask: only what make() itself
  /// allocates is checked against the memory limit. Data-dependent members get seeded synthetic inputs.
  std::unique_ptr<Pattern> makeForRows(const ParamSet& values, Index n) const;
  /// Whether any member builds its mask from attention inputs.
  bool needsInputs() const;
  /// Shorthand: resolve, make and build the mask.
  SparseMask build(const std::vector<std::pair<std::string, std::string>>& texts, Index n,
                   const BuildOptions& options = {}, const Progress& progress = {},
                   const AttentionInputs* inputs = nullptr) const;

 private:
  std::unique_ptr<Pattern> makeChecked(const ParamSet& values, Index n, const AttentionInputs* inputs,
                                       bool forMask) const;
  std::string name_;
  std::vector<const PatternFamily*> members_;
  std::vector<ParamSpec> params_;
};

}  // namespace attnscope

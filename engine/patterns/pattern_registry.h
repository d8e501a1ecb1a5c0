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
  /// How many heads of the mask have rows (and pictures) of their own: the most any member stores.
  int storedHeads(const ParamSet& values) const;
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
  /// Shorthand for CheckedPattern::check(*this, values, n).make(inputs, progress): the one check, then the instance.
  /// Families that need attention inputs use `inputs` (whose n must be n), or seeded synthetic ones when it is null.
  std::unique_ptr<Pattern> make(const ParamSet& values, Index n, const AttentionInputs* inputs = nullptr,
                                const Progress& progress = {}) const;
  /// The same for callers that walk the rows (Pattern::keyRuns) without building a mask (CheckedPattern::Use::Rows).
  std::unique_ptr<Pattern> makeForRows(const ParamSet& values, Index n) const;
  /// Whether any member builds its mask from attention inputs.
  bool needsInputs() const;
  /// Shorthand: resolve, make and build the mask.
  SparseMask build(const std::vector<std::pair<std::string, std::string>>& texts, Index n,
                   const BuildOptions& options = {}, const Progress& progress = {},
                   const AttentionInputs* inputs = nullptr) const;

 private:
  std::string name_;
  std::vector<const PatternFamily*> members_;
  std::vector<ParamSpec> params_;
};

/// A pattern request checked once, where it enters (a command line, the GUI's controls, a preset, a stack's layer):
/// every parameter value in its range, n in 1 … kMaxSequenceLength, each member's work (PatternFamily::checkWork)
/// and the memory it takes, all before any input or mask exists. Holding one is the proof that all of that passed:
/// make() checks only what the inputs add (their n) and what a family can only see while making.
class CheckedPattern {
 public:
  /// What the pattern is made for: a mask (its cells count against the memory limit), or walking its rows without
  /// storing them (only what make() itself allocates counts).
  enum class Use { Mask, Rows };
  /// Throws Error with the one wording of each refusal.
  static CheckedPattern check(PatternSpec spec, ParamSet values, Index n, Use use = Use::Mask);

  const PatternSpec& spec() const { return spec_; }
  const ParamSet& values() const { return values_; }
  Index n() const { return n_; }
  /// The instance. A data-dependent member uses `inputs` (their n must be n) or seeded synthetic ones; a member
  /// whose making is real work polls `progress` and throws Cancelled.
  std::unique_ptr<Pattern> make(const AttentionInputs* inputs = nullptr, const Progress& progress = {}) const;
  /// Makes the instance and builds its mask, reporting both through one `progress`: making takes the first
  /// makeShare() of it (half for a data-dependent pattern, whose making is the work; none for the others).
  SparseMask build(const AttentionInputs* inputs = nullptr, const BuildOptions& options = {},
                   const Progress& progress = {}) const;
  double makeShare() const;

 private:
  CheckedPattern(PatternSpec spec, ParamSet values, Index n)
      : spec_(std::move(spec)), values_(std::move(values)), n_(n) {}
  PatternSpec spec_;
  ParamSet values_;
  Index n_;
};

}  // namespace attnscope

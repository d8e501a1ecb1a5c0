#pragma once
// A pattern family: its name, its parameters as data, and a factory for instances.

#include <memory>
#include <string>
#include <vector>

#include "engine/inputs/attention_inputs.h"
#include "engine/masks/params.h"
#include "engine/masks/pattern.h"
#include "engine/util/progress.h"

namespace attnscope {

class PatternFamily {
 public:
  virtual ~PatternFamily() = default;
  virtual std::string name() const = 0;
  /// One line: what the family does.
  virtual std::string summary() const = 0;
  virtual std::vector<ParamSpec> params() const = 0;
  /// Block families define their pattern over blocks and cannot be joined with '+'.
  virtual bool isBlockFamily() const { return false; }
  /// `p` holds a range-checked value for every parameter. Throws Error for what depends on n or on several
  /// parameters together (a block size that does not divide n, a token index past the end). A family whose make()
  /// does real work (clustering, scoring, random draws) polls `progress`'s token between pieces of it and throws
  /// Cancelled, and reports how far it got; the others ignore it.
  virtual std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress& progress) const = 0;

  /// How many heads need rows of their own: num_heads, or 1 when every head shares one layout (no num_heads
  /// parameter, or different_layout_per_head off).
  virtual int storedHeads(const ParamSet& p) const;
  /// An upper bound of what make() itself allocates for these parameters at n, in bytes (the mask's rows are
  /// counted by PatternSpec::buildBytes). The default fits token-level families: a flag or two a token.
  virtual double makeBytes(const ParamSet& p, Index n) const;

  /// Throws Error when making at n would take more work than is allowed (a data-dependent family's clustering),
  /// before any input or mask exists. Most families have nothing to refuse here.
  virtual void checkWork(const ParamSet& p, Index n) const {
    (void)p;
    (void)n;
  }

  /// Data-dependent families (Reformer's LSH) build their mask from attention inputs.
  virtual bool needsInputs() const { return false; }
  virtual std::unique_ptr<Pattern> makeFromInputs(const ParamSet& p, const AttentionInputs& inputs,
                                                  const Progress& progress) const {
    return make(p, inputs.n(), progress);
  }
};

// Builders for parameter descriptions, so each family reads as a table.
ParamSpec intParam(std::string name, Index def, Index min, Index max, std::string help);
ParamSpec boolParam(std::string name, bool def, std::string help);
ParamSpec choiceParam(std::string name, std::string def, std::vector<std::string> choices, std::string help);
ParamSpec listParam(std::string name, std::string def, Index min, Index max, bool mayBeEmpty, std::string help);

/// Throws Error("n = 100 is not allowed for <family>: <reason>").
[[noreturn]] void rejectN(const std::string& family, Index n, const std::string& reason);

}  // namespace attnscope

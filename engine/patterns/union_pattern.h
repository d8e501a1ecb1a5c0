#pragma once
// The cell-wise union of token-level patterns ("window+global+random").

#include <memory>
#include <vector>

#include "engine/masks/pattern.h"

namespace attnscope {

class UnionPattern : public Pattern {
 public:
  UnionPattern(Index n, std::vector<std::unique_ptr<Pattern>> parts);
  void generate(int h, Index i, std::vector<KeyIndex>& keys) const override;
  /// The members, in the order the name joins them.
  const std::vector<std::unique_ptr<Pattern>>& parts() const { return parts_; }

 private:
  std::vector<std::unique_ptr<Pattern>> parts_;
};

}  // namespace attnscope

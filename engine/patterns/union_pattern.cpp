#include "engine/patterns/union_pattern.h"

#include <algorithm>

namespace attnscope {

UnionPattern::UnionPattern(Index n, std::vector<std::unique_ptr<Pattern>> parts)
    : Pattern(n), parts_(std::move(parts)) {
  for (const auto& p : parts_) notes_.insert(notes_.end(), p->notes().begin(), p->notes().end());
}

void UnionPattern::generate(int h, Index i, std::vector<KeyIndex>& keys) const {
  thread_local std::vector<KeyIndex> part, merged;
  parts_[0]->generate(h, i, keys);
  for (std::size_t m = 1; m < parts_.size(); ++m) {
    parts_[m]->generate(h, i, part);
    merged.clear();
    std::set_union(keys.begin(), keys.end(), part.begin(), part.end(), std::back_inserter(merged));
    keys.swap(merged);
  }
}

}  // namespace attnscope

#pragma once
// Helpers for engine tests: build a pattern by name and read rows as plain vectors.

#include <string>
#include <utility>
#include <vector>

#include "engine/patterns/pattern_registry.h"

namespace attnscope::test {

using Params = std::vector<std::pair<std::string, std::string>>;

inline SparseMask build(const std::string& pattern, Index n, const Params& params = {}) {
  return PatternSpec::parse(pattern).build(params, n);
}

inline std::vector<Index> row(const SparseMask& m, Index i, int head = 0) {
  auto r = m.row(head, i);
  return {r.begin(), r.end()};
}

inline std::vector<Index> layoutRow(const SparseMask& m, Index blockRow, int head = 0) {
  return row(m.blockLayout(), blockRow, head);
}

inline std::vector<Index> range(Index from, Index to) {  // [from, to)
  std::vector<Index> v;
  for (Index i = from; i < to; ++i) v.push_back(i);
  return v;
}

/// The error message a call throws, or "" when it does not throw.
template <typename F>
std::string errorOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

}  // namespace attnscope::test

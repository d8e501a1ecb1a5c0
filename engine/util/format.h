#pragma once
// Small text helpers for user-facing numbers.

#include <string>

#include "engine/util/types.h"

namespace attnscope {

/// 1234567 → "1,234,567".
std::string withSeparators(Index value);

}  // namespace attnscope

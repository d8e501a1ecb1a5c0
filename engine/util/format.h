#pragma once
// Small text helpers for user-facing numbers and for quoting what a user gave.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/util/types.h"

namespace attnscope {

/// 1234567 → "1,234,567".
std::string withSeparators(Index value);
/// A count and its noun: (1, "hop", "hops") → "1 hop", (2, …) → "2 hops", (1234, "layer", "layers") → "1,234 layers".
std::string counted(Index value, std::string_view one, std::string_view many);

/// What a user gave, fit to be quoted in a message: control characters escaped (see oneLine in error.h) and at
/// most `most` bytes of it, cut at a character boundary with "…" and the whole length.
std::string quoted(std::string_view text, std::size_t most = 60);
/// Code point `cp` (at most U+10FFFF) appended to `out` as UTF-8.
void appendUtf8(std::string& out, std::uint32_t cp);

}  // namespace attnscope

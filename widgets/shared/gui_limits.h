#pragma once
// What the app computes and draws without being asked twice: budgets that keep the window answering within a
// frame or two. The engine's own limits (what any request may take) are in engine/util/limits.h.

#include "engine/util/types.h"

namespace attnscope {

/// Pictures the app and `render` draw are at most this many cells a side (larger masks are shown by density).
inline constexpr int kMaxPictureSide = 1024;
/// Reachability is computed up to this many active cells (well under a second), with these work budgets for exact
/// all-pairs figures and for sampled ones.
inline constexpr Index kGuiReachCells = 4'000'000;
inline constexpr double kGuiAllPairsWork = 3e8;
inline constexpr double kGuiSampleWork = 2e8;

}  // namespace attnscope

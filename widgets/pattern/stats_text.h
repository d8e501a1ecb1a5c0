#pragma once
// The statistics of a mask in the words the app shows them.

#include <QString>

#include "engine/masks/mask_stats.h"

namespace attnscope {

/// "74 of 256 cells, 28.9%, ≈4.6 per token".
QString cellsSummary(const MaskStats& stats);

}  // namespace attnscope

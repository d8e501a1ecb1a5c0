#pragma once
// Every limit on what AttnScope agrees to compute, in one place, and the machine memory requests are measured
// against. Error messages that name a limit are built from these constants, never written out by hand.

#include <string>
#include <string_view>

#include "engine/util/types.h"

namespace attnscope {

/// The longest sequence any command or view accepts (the command line and the GUI alike).
inline constexpr Index kMaxSequenceLength = Index(1) << 24;  // 16,777,216 tokens
/// The most active cells a mask may store (4 bytes each); lowered on small machines, see maskCellLimit().
inline constexpr Index kMaxMaskCells = Index(1) << 29;
/// Block families build a dense layout per head first: at most this many blocks a side.
inline constexpr Index kMaxLayoutBlocks = 16384;
/// The most attention heads and the largest head dimension a request may ask for.
inline constexpr int kMaxHeads = 256;
inline constexpr Index kMaxHeadDim = 4096;
/// A mask written as .png has one pixel a cell.
inline constexpr Index kMaxPngSide = 32768;
/// The largest dense file (.npy, .csv) a command writes.
inline constexpr double kMaxDenseFileBytes = 1024.0 * 1024.0 * 1024.0;
/// Dense outputs that also live in memory as n × n floats (attention weights) stop at this n.
inline constexpr Index kMaxDenseWeightsTokens = 16384;
/// Presets are small JSON files; anything larger is refused before it is read.
inline constexpr Index kMaxPresetBytes = 1024 * 1024;
/// Comparisons against full attention (run, bench, sweeps, the Run tab) do n² work: they stop at this n, minutes of
/// work on one laptop core, so that no command runs for hours.
inline constexpr Index kMaxFullAttentionTokens = Index(1) << 18;
/// Inputs from files: the bound ‖q‖·‖k‖/√d on any score, and the largest |v|, stay well inside single precision's
/// 3.4e38, so scores, sums and the squares behind the error figures are always finite.
inline constexpr double kMaxInputScore = 1e30;
inline constexpr double kMaxInputValue = 1e15;
/// A request may plan to use at most this share of the machine's physical memory.
inline constexpr double kMemoryShare = 0.5;
/// Work a data-dependent family may do to make one head's pattern, refused up front (PatternFamily::checkWork):
/// vector comparisons (routing's k-means, topk's scores; at dim 64 about 2.6·10¹¹ multiply-adds, several seconds
/// on two cores) and random draws (hf-bigbird's permutations, a few nanoseconds each).
inline constexpr double kMaxComparisons = 4e9;
inline constexpr double kMaxRandomDraws = 1e9;

/// The machine's physical memory in bytes (or a cgroup's limit, when lower).
double physicalMemoryBytes();
/// What one request may use: kMemoryShare of physicalMemoryBytes(), lowered by the environment variable
/// ATTNSCOPE_MEMORY_LIMIT (bytes, or with a K, M or G suffix) when it is set and smaller.
double memoryLimitBytes();
/// Where the limit comes from, for messages: "half of this machine's 23.4 GB", or "ATTNSCOPE_MEMORY_LIMIT".
std::string memoryLimitSource();
/// The cell cap actually applied: kMaxMaskCells, or fewer where a mask of that size (stored once, and once more
/// while it is being built) would pass half of memoryLimitBytes().
Index maskCellLimit();

/// "8.8 GB", "512 MB", "3.0 KB".
std::string formatBytes(double bytes);

/// Throws Error when `bytes` pass memoryLimitBytes(): "<what> needs about 8.9 GB; the limit here is 11.7 GB (half
/// of this machine's memory): <wayOut>". Called with estimates, before anything that large is allocated.
void checkMemory(double bytes, std::string_view what, std::string_view wayOut);

/// Checks a sequence length against kMaxSequenceLength; throws Error naming n.
void checkSequenceLength(Index n);

}  // namespace attnscope

#pragma once
// The cheapest pattern that keeps a chosen share of each head's attention mass. One pass over a head gathers its
// mass by distance from the query (both ways and backwards), its first column and its first row; from these the
// mass every window radius keeps follows exactly, for four families: `window`, `window causal=true`, and each with
// the first token global (`window+global tokens=0`: the attention sink), besides `causal` and `full`. The best is
// the candidate with the fewest cells whose mass kept reaches the share; the Pareto front (cells against mass) of
// radii about two an octave is kept for plotting.

#include <string>
#include <utility>
#include <vector>

#include "engine/util/progress.h"
#include "engine/weights/attention_dump.h"

namespace attnscope {

struct FitCandidate {
  std::string pattern;                                      ///< "window", "window+global", "causal", "full"
  std::vector<std::pair<std::string, std::string>> params;  ///< as the command line takes them
  Index cells = 0;                                          ///< active cells of the n × n mask
  double massKept = 0;                                      ///< mean over non-padding rows
  /// "window radius=3 causal=true"
  std::string text() const;
};

struct HeadFit {
  FitCandidate best;
  std::vector<FitCandidate> front;  ///< non-dominated candidates, fewest cells first
};

struct FitOptions {
  double keep = 0.9;                  ///< the share of each head's mass to keep, 0 < keep ≤ 1
  Index fromLayer = 0, toLayer = -1;  ///< [from, to); −1: to the last
  /// The first problem with these options as the line a user sees ("" when none): the one check of the share, for
  /// fitPatterns and for callers that check before they measure.
  std::string check() const;
};

/// Cells of the candidates' masks at n, in closed form (the tests hold them against built masks).
Index windowCells(Index n, Index radius, bool causal, bool firstGlobal);

/// [layer − fromLayer][head]. Throws Error for a share outside (0, 1] or layers not in the dump; Cancelled.
std::vector<std::vector<HeadFit>> fitPatterns(const AttentionDump& dump, const FitOptions& options = {},
                                              const Progress& progress = {});

}  // namespace attnscope

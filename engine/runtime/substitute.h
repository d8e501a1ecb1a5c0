#pragma once
// What a pattern costs a model: the same text run with full attention and with a substitute (a mask of the keys
// each query may see, per layer or for every layer), and what the model says differently — the first part of issue
// 24. The predictions compared are a decoder's next token at every position and an encoder's words at its masks (or
// at every position when the text has none).

#include <optional>
#include <vector>

#include "engine/runtime/language_model.h"

namespace attnscope {

struct SubstituteMeasures {
  Index positions = 0;           ///< predictions compared
  double shareOfCells = 1;       ///< cells the substitute computes ÷ cells the model's own attention computes
  double top1Agreement = 1;      ///< share of positions whose likeliest token is the same
  double klMean = 0, klMax = 0;  ///< KL(full ‖ substitute) of the output distributions, in nats
  Index klMaxPosition = -1;
  /// A decoder's perplexity on the text itself (each token from the ones before it), full and substituted.
  std::optional<double> perplexityFull, perplexity;
  std::vector<double> driftByLayer;  ///< ‖h_sub − h_full‖ ÷ ‖h_full‖ of the residual stream after each layer
  Index emptyRows = 0;               ///< query rows (over layers and heads) the substitute left with no key
  double msFull = 0, ms = 0;         ///< the two passes' times
};

/// Runs `ids` through `model` with full attention and with `masks` (checked as the pass checks them) and compares
/// them. `maskToken`: an encoder's mask token (its predictions are compared there), or −1.
SubstituteMeasures measureSubstitute(const LanguageModel& model, const std::vector<int>& ids,
                                     const AttentionMasks& masks, int maskToken, const Progress& progress = {});

}  // namespace attnscope

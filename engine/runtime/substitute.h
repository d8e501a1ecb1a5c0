#pragma once
// What a pattern costs a model: the same text run with full attention and with a substitute (a mask of the keys
// each query may see, per layer or for every layer), and what the model says differently — the first part of issue
// 24. The predictions compared are a decoder's next token at every position and an encoder's words at its masks (or
// at every position when the text has none).

#include <optional>
#include <vector>

#include "engine/models/layer_stack.h"
#include "engine/runtime/language_model.h"

namespace attnscope {

struct SubstituteMeasures {
  Index positions = 0;       ///< predictions compared (0: the model gives none, and the comparisons below mean nothing)
  double shareOfCells = 1;   ///< cells the substitute computes ÷ cells the model's own attention computes
  double top1Agreement = 1;  ///< share of positions whose likeliest token is the same
  double klMean = 0, klMax = 0;  ///< KL(full ‖ substitute) of the output distributions, in nats
  Index klMaxPosition = -1;
  /// A decoder's perplexity on the text itself (each token from the ones before it), full and substituted.
  std::optional<double> perplexityFull, perplexity;
  std::vector<double> driftByLayer;  ///< ‖h_sub − h_full‖ ÷ ‖h_full‖ of the residual stream after each layer
  Index emptyRows = 0;               ///< query rows (over layers and heads) the substitute left with no key
  double msFull = 0, ms = 0;         ///< the two passes' times
};

/// The full model's pass over a text, kept so that many substitutes are compared with one run of it: the positions
/// whose predictions are compared, the pass (logits there, the residual stream after every layer) and its time.
struct SubstituteReference {
  std::vector<int> ids;
  std::vector<Index> positions;
  ModelPass pass;
  double ms = 0;
};

/// Runs `ids` through `model` with its own full attention. `maskToken`: an encoder's mask token (its predictions
/// are compared there, or at every position when the text has none), or −1; a decoder's every next token is
/// compared.
SubstituteReference referencePass(const LanguageModel& model, std::vector<int> ids, int maskToken,
                                  const Progress& progress = {});
/// Runs the reference's text with `masks` (checked as the pass checks them) in place of the attention and compares.
SubstituteMeasures measureAgainst(const LanguageModel& model, const SubstituteReference& reference,
                                  const AttentionMasks& masks, const Progress& progress = {});
/// Both: the full pass, then the substitute's.
SubstituteMeasures measureSubstitute(const LanguageModel& model, const std::vector<int>& ids,
                                     const AttentionMasks& masks, int maskToken, const Progress& progress = {});

/// What each layer tolerates: `masks` substituted in one layer at a time (layer l alone, its own attention in the
/// others), the measures of each — the l-th of the result. `masks` gives one mask for every layer or one a layer.
std::vector<SubstituteMeasures> measureLayerByLayer(const LanguageModel& model, const SubstituteReference& reference,
                                                    const AttentionMasks& masks, const Progress& progress = {});

/// A stack's layers as the substitute of a model's, layer l on layer l, at n: the stack must have as many layers as
/// the model (a stack of one layer serves every layer). Equal layers share one mask. A family made from the inputs
/// (lsh, routing, top-k) is refused: it would need the model's own queries and keys. Throws Error("layer 3: …").
AttentionMasks stackMasks(const LayerStack& stack, int modelLayers, Index n, const Progress& progress = {});

}  // namespace attnscope

#pragma once
// What a pattern costs a model: the same text run with full attention and with a substitute (a mask of the keys
// each query may see, per layer or for every layer), and what the model says differently — the first part of issue
// 24. The predictions compared are a decoder's next token at every position and an encoder's words at its masks (or
// at every position when the text has none).

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/models/layer_stack.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/runtime/language_model.h"
#include "engine/weights/fit.h"

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
  Index windows = 1;                 ///< passes of a sliding evaluation (1: the text in one pass)

  /// The sums the figures above come from, so that the windows of a sliding evaluation add up: attention cells
  /// kept and the model's own, agreements, KL, a decoder's predicted tokens and their negative log-likelihoods, and
  /// per layer the squared norms of the residual stream's difference and of the full one.
  struct Sums {
    double cellsKept = 0, cellsOwn = 0, agree = 0, kl = 0, nllFull = 0, nll = 0;
    Index predicted = 0;
    std::vector<double> diff2, norm2;
  } sums;
  /// Adds another window's measures (same model) and recomputes the figures from the sums.
  void add(const SubstituteMeasures& other);
  /// The figures from the sums.
  void finish(bool decoder);
};

/// What attends instead of the model's full attention: masks (a pattern, a stack, the fitted heads), the top-k of the
/// model's own scores, or an approximation (its method's parameters; the runtime sets `causal` for a decoder).
struct Substitute {
  Substitute() = default;
  Substitute(AttentionMasks m) : masks(std::move(m)) {}    // NOLINT: masks alone are a substitute
  Substitute(AttentionApprox a) : approx(std::move(a)) {}  // NOLINT: so is an approximation
  Substitute(AttentionTopK t) : topK(t) {}                 // NOLINT: and the top-k of the model's scores
  AttentionMasks masks;
  std::optional<AttentionApprox> approx;
  std::optional<AttentionTopK> topK;
};

/// A pattern as a substitute at n: its masks, or for `topk` (made from the inputs) the top-k of the model's own
/// scores. Other families made from the inputs (lsh, routing, or a union with one) are refused: they would need
/// the model's queries and keys to hash or cluster. Throws Error.
Substitute patternSubstitute(const PatternSpec& spec, const ParamSet& values, Index n);
/// Throws patternSubstitute's refusal of a pattern made from the inputs, before anything is read or run.
void checkSubstitutable(const PatternSpec& spec);

/// What a user should know about an approximation standing in for a trained model's softmax: whether it
/// approximates softmax itself or needs training the model never had (Linformer's seeded E and F).
std::string approximationNote(const ApproxMethod& method);

/// The measures as named fields, in the order files show them (share_of_cells, positions, top1_agreement, kl_mean,
/// kl_max, kl_max_position, empty_rows, ms_full, ms, perplexity_full, perplexity): nullopt for what was not
/// measured (the comparisons of a model with no predictions, an encoder's perplexity). drift_by_layer is the list.
std::vector<std::pair<std::string, std::optional<double>>> measureFields(const SubstituteMeasures& m);

/// The full model's pass over a text, kept so that many substitutes are compared with one run of it: the positions
/// whose predictions are compared, the pass (logits there, the residual stream after every layer) and its time.
struct SubstituteReference {
  std::vector<int> ids;
  std::vector<Index> positions;
  Index countFrom = 0, countTo = 0;  ///< the rows measured: [countFrom, countTo)
  ModelPass pass;
  double ms = 0;
};

/// Runs `ids` through `model` with its own full attention. `maskToken`: an encoder's mask token (its predictions
/// are compared there, or at every position when the text has none), or −1; a decoder's every next token is
/// compared. `counted`: the rows [first, last) measured (last −1: to the end), the rest context only — a window
/// of a sliding evaluation.
SubstituteReference referencePass(const LanguageModel& model, std::vector<int> ids, int maskToken,
                                  const Progress& progress = {}, std::pair<Index, Index> counted = {0, -1});
/// Runs the reference's text with `masks` (checked as the pass checks them) in place of the attention and compares.
SubstituteMeasures measureAgainst(const LanguageModel& model, const SubstituteReference& reference,
                                  const Substitute& substitute, const Progress& progress = {});
/// Compares another pass over the reference's text (logits at its positions, the residual stream kept) with the
/// reference: agreement, KL, perplexity and drift into `m`'s sums, then its figures. measureAgainst's comparison,
/// for a pass of another model too (a compressed copy).
void compareOutputs(const LanguageModel& model, const SubstituteReference& reference, const ModelPass& other,
                    SubstituteMeasures& m);
/// Both: the full pass, then the substitute's.
SubstituteMeasures measureSubstitute(const LanguageModel& model, const std::vector<int>& ids,
                                     const Substitute& substitute, int maskToken, const Progress& progress = {});

/// What each layer tolerates: `masks` substituted in one layer at a time (layer l alone, its own attention in the
/// others), the measures of each — the l-th of the result. `masks` gives one mask for every layer or one a layer.
std::vector<SubstituteMeasures> measureLayerByLayer(const LanguageModel& model, const SubstituteReference& reference,
                                                    const Substitute& substitute, const Progress& progress = {});

/// A sliding evaluation of a text longer than the model's positions (the "perplexity of fixed-length models" of
/// Hugging Face's guide): windows of `window` tokens, each `stride` after the one before, the last ending at the
/// text's end; window k measures the rows from where window k − 1 stopped to its own end less one (the last window
/// to its end), so each prediction is counted once, with at least window − stride − 1 tokens before it.
struct SlidingWindow {
  Index begin = 0, end = 0;          ///< the tokens run: [begin, end)
  Index countFrom = 0, countTo = 0;  ///< the rows measured, in the text's positions
};
/// The windows over `tokens` (one when they fit in `window`). Throws Error for a longer text unless
/// 1 ≤ stride < window.
std::vector<SlidingWindow> slidingWindows(Index tokens, Index window, Index stride);

/// measureAgainst over every window of a sliding evaluation, the substitute made for each window's length by
/// `substituteAt(n)`. With one window it is measureSubstitute.
SubstituteMeasures measureSliding(const LanguageModel& model, const std::vector<int>& ids,
                                  const std::function<Substitute(Index n)>& substituteAt, int maskToken, Index stride,
                                  const Progress& progress = {});

/// One mask for every layer: `spec` with `values`, checked and built at n.
AttentionMasks patternMasks(const PatternSpec& spec, const ParamSet& values, Index n);

/// The fitted heads (fits[layer][head], the Best pattern page's) as the substitute: each head through its own
/// pattern, built at n.
AttentionMasks fitMasks(const std::vector<std::vector<HeadFit>>& fits, Index n, const Progress& progress = {});

/// The Pareto front of (share of cells, quality) points where less share and more quality are better: the indices
/// of the points no other point beats in both (ties kept once), by rising share.
std::vector<std::size_t> paretoFront(const std::vector<std::pair<double, double>>& points);

/// `substitute` in layer `layer` alone (of `layers`): the others keep their own attention. Shares the mask.
Substitute onlyLayer(const Substitute& substitute, int layer, int layers);

/// A stack's layers as the substitute of a model's, layer l on layer l, at n: the stack must have as many layers as
/// the model (a stack of one layer serves every layer). Equal layers share one mask. A family made from the inputs
/// (lsh, routing, top-k) is refused: it would need the model's own queries and keys. Throws Error("layer 3: …").
AttentionMasks stackMasks(const LayerStack& stack, int modelLayers, Index n, const Progress& progress = {});

}  // namespace attnscope

#pragma once
// What a compression step does to a model (issue 25): the uncompressed model and a compressed copy run on the same
// text, and compared — their predictions (top-1 agreement, KL, perplexity, the residual stream's drift, as
// runtime/substitute compares a substitute), each head's attention (the Jensen–Shannon divergence of its rows), and
// what the linear layers hold (their weights, the share still non-zero, their bytes as stored).

#include <vector>

#include "engine/runtime/substitute.h"

namespace attnscope {

/// The linear layers' weights: how many, how many are not zero, and their bytes as the layers hold them (float32,
/// fp16/bf16 or int8 with its scale; dense: a pruned weight takes the room it took).
struct LinearWeights {
  Index count = 0, nonZero = 0;
  double bytes = 0;
};
LinearWeights linearWeights(LanguageModel& model);

struct CompressionMeasures {
  SubstituteMeasures answers;  ///< agreement, KL, perplexity, drift and both passes' times (shareOfCells is 1)
  /// [layer][head]: the mean over query rows of JS(full ‖ compressed) between the two attention rows, in nats
  /// (0 … ln 2).
  std::vector<std::vector<double>> jsByHead;
  LinearWeights full, compressed;
};

/// Prunes every linear layer's weight of `model` (biases, embeddings and norms untouched), as
/// `prune.l1_unstructured(module, "weight", amount)` on each (`global`: false) or one `prune.global_unstructured` over
/// them all (true). A weight already zero counts as pruned, so a second step prunes a share of what remains, as
/// PyTorch's PruningContainer does. Throws Error for an amount outside [0, 1).
void pruneLinears(LanguageModel& model, double amount, bool global);

/// Runs `ids` through both models (the same architecture and tokenizer; checked) and compares them. `maskToken`: an
/// encoder's mask token, as for referencePass.
CompressionMeasures compareModels(LanguageModel& full, LanguageModel& compressed, const std::vector<int>& ids,
                                  int maskToken, const Progress& progress = {});

}  // namespace attnscope

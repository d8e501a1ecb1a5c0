#pragma once
// A compression of a model as a list of steps applied in a fixed order — whole heads first (ranked on the
// uncompressed model), then magnitude pruning (each step in the order given), then how the weights are held (FP16 or
// BF16, optionally computed in that precision; or dynamic int8) — the order in which the source notes combine them
// ("prune then quantize"): quantizing first and pruning after would prune values already rounded.

#include <optional>
#include <string>
#include <vector>

#include "engine/compression/head_pruning.h"
#include "engine/runtime/language_model.h"

namespace attnscope {

struct PruneStep {
  double amount = 0;
  bool global = false;           ///< global_unstructured over every linear layer, else L1Unstructured per layer
  std::string describe() const;  ///< "l1=0.2"
};

struct CompressionPlan {
  int pruneHeads = 0;  ///< the least important heads removed, ranked by headScore over the whole model
  HeadScore headScore = HeadScore::OutputNorm;
  std::vector<PruneStep> prune;
  WeightStorage storage = WeightStorage::Float32;
  bool mixed = false;  ///< compute the linear layers in fp16/bf16 (storage must be one of them)

  /// Throws Error for a plan that cannot be run (mixed without fp16 or bf16).
  void check() const;
  bool empty() const { return pruneHeads == 0 && prune.empty() && storage == WeightStorage::Float32; }
  /// "4 heads (output-norm) + l1=0.2 + int8", "fp16 mixed", "none".
  std::string describe() const;
};

/// Throws Error when `model`'s linear weights cannot be held as `storage`: FP16 above 65,504 (the layer, how many and
/// the largest named, BF16 suggested). Reads every weight; allocates nothing large.
void checkStorage(LanguageModel& model, WeightStorage storage);

/// Applies `plan` to `model` (a copy: LanguageModel::copy), checked first. Pruning heads ranks them on `ids` (required
/// then) before anything changes; returns the heads pruned, least important first, and with `scores` every head's
/// score ([layer][head]; left empty when no head is pruned).
std::vector<HeadId> applyPlan(LanguageModel& model, const CompressionPlan& plan, const std::vector<int>& ids = {},
                              std::vector<std::vector<double>>* scores = nullptr);

/// The values the mixed mode's rounding turned infinite in `model`'s linear layers since the plan was applied.
Index mixedOverflows(LanguageModel& model);

}  // namespace attnscope

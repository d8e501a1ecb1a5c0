#include "engine/compression/compress.h"

#include <cmath>
#include <sstream>

#include "engine/compression/compare_models.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope {

std::string PruneStep::describe() const {
  std::ostringstream s;
  s << (global ? "global=" : "l1=") << amount;
  return s.str();
}

void CompressionPlan::check() const {
  if (pruneHeads < 0) throw Error("the heads to prune must be 0 or more, not " + std::to_string(pruneHeads));
  for (const PruneStep& p : prune)
    if (!(p.amount >= 0 && p.amount < 1))
      throw Error("a pruning amount must be in [0, 1), not " + std::to_string(p.amount));
  if (mixed && storage != WeightStorage::Fp16 && storage != WeightStorage::Bf16)
    throw Error("mixed precision computes the linear layers in fp16 or bf16: choose one of them as the precision");
}

std::string CompressionPlan::describe() const {
  std::string s;
  if (pruneHeads > 0)
    s = std::to_string(pruneHeads) + (pruneHeads == 1 ? " head (" : " heads (") + headScoreName(headScore) + ")";
  for (const PruneStep& p : prune) s += (s.empty() ? "" : " + ") + p.describe();
  if (storage != WeightStorage::Float32)
    s += (s.empty() ? "" : " + ") + std::string(weightStorageName(storage)) + (mixed ? " mixed" : "");
  return s.empty() ? "none" : s;
}

void checkStorage(LanguageModel& model, WeightStorage storage) {
  if (storage != WeightStorage::Fp16) return;  // BF16 has float32's range; int8 scales each tensor to its own
  for (const NamedLinear& l : model.linears()) {
    Index over = 0;
    float largest = 0;
    for (float w : l.linear->weights()) {
      largest = std::max(largest, std::fabs(w));
      over += std::fabs(w) >= 65520.0f;  // rounds to infinity
    }
    if (over) {
      std::ostringstream s;
      s << "fp16 cannot hold this model: " << counted(over, "weight", "weights") << " of '" << l.name
        << "' round to infinity (largest |w| " << largest << ", fp16 holds up to 65,504); bf16 keeps float32's range";
      throw Error(s.str());
    }
  }
}

std::vector<HeadId> applyPlan(LanguageModel& model, const CompressionPlan& plan, const std::vector<int>& ids,
                              std::vector<std::vector<double>>* scores) {
  plan.check();
  checkStorage(model, plan.storage);
  std::vector<HeadId> heads;
  if (plan.pruneHeads > 0) {
    if (ids.empty()) throw Error("pruning heads ranks them on a text: give the text's tokens");
    const std::vector<std::vector<double>> ranked = headScores(model, ids, plan.headScore);
    heads = leastImportantHeads(ranked, plan.headScore, plan.pruneHeads);
    pruneHeads(model, heads);
    if (scores) *scores = ranked;
  }
  for (const PruneStep& p : plan.prune) pruneLinears(model, p.amount, p.global);
  if (plan.storage != WeightStorage::Float32 || plan.mixed)
    for (const NamedLinear& l : model.linears()) l.linear->store(plan.storage, plan.mixed);
  return heads;
}

Index mixedOverflows(LanguageModel& model) {
  Index n = 0;
  for (const NamedLinear& l : model.linears()) n += l.linear->overflows();
  return n;
}

}  // namespace attnscope

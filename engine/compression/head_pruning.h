#pragma once
// Structured pruning: whole attention heads removed (issue 25), ranked by an importance score measured on a text
// with the uncompressed model and shown on screen by name:
// - output-norm: the mean over positions of ‖(A_h V_h) W_O,hᵀ‖₂, the length of what head h adds to the residual
//   stream (W_O,h: the output projection's columns of the head). The heads that add least go first.
// - entropy: the mean over query rows of the row's entropy −Σ p ln p, in nats. The heads whose attention is most
//   spread out (nearest a plain average) go first.
// A pruned head's columns of the output projection are zeroed: what it writes is gone, as after Hugging Face's
// prune_heads (which also drops its q, k and v rows; here they are left, and no longer change anything). Heads are
// ranked over the whole model; ties go to the lower layer, then the lower head.

#include <string>
#include <utility>
#include <vector>

#include "engine/runtime/language_model.h"

namespace attnscope {

enum class HeadScore { OutputNorm, Entropy };
const char* headScoreName(HeadScore score);  ///< "output-norm", "entropy"
/// Throws Error naming the scores allowed.
HeadScore parseHeadScore(const std::string& text);

using HeadId = std::pair<int, int>;  ///< (layer, head)

/// [layer][head]: the score as named above (output-norm: larger is more important; entropy: in nats, larger is
/// less important), from one pass of `model` over `ids`.
std::vector<std::vector<double>> headScores(LanguageModel& model, const std::vector<int>& ids, HeadScore score);
/// The `count` least important heads by `scores`, least first. Throws Error unless 0 ≤ count < the heads.
std::vector<HeadId> leastImportantHeads(const std::vector<std::vector<double>>& scores, HeadScore score, int count);
/// Zeroes each head's columns of its layer's output projection. Throws Error for a head the model does not have.
void pruneHeads(LanguageModel& model, const std::vector<HeadId>& heads);

}  // namespace attnscope

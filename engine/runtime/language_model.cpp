#include "engine/runtime/language_model.h"

#include "engine/util/error.h"
#include "engine/util/limits.h"

namespace attnscope {

void LanguageModel::checkTokens(const std::vector<int>& ids) const {
  if (ids.empty() || ids.size() > static_cast<std::size_t>(maxPositions()))
    throw Error(std::to_string(ids.size()) + " tokens cannot be run: this model takes 1 … " +
                std::to_string(maxPositions()) + " (its positions)");
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocabSize())
      throw Error("token " + std::to_string(i) + " has id " + std::to_string(ids[i]) + ": expected 0 … " +
                  std::to_string(vocabSize() - 1));
  const double n = double(ids.size());
  checkMemory(4.0 * layers() * heads() * n * n, "the attention of every layer and head", "run a shorter text");
}

std::vector<int> LanguageModel::generateGreedy(const std::vector<int>& prompt, int count, int stop,
                                               const Progress& progress) const {
  checkTokens(prompt);
  std::vector<int> sequence = prompt, generated;
  for (int i = 0; i < count && static_cast<int>(sequence.size()) < maxPositions(); ++i) {
    progress.throwIfCancelled();
    const ModelPass pass = forward(sequence);
    Index best = 0;
    pass.logits.row(pass.logits.rows() - 1).maxCoeff(&best);
    if (best == stop) break;
    sequence.push_back(static_cast<int>(best));
    generated.push_back(static_cast<int>(best));
    progress.report(double(i + 1) / count);
  }
  return generated;
}

}  // namespace attnscope

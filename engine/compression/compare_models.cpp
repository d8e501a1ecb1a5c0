#include "engine/compression/compare_models.h"

#include <chrono>
#include <cmath>
#include <string>

#include "engine/compression/prune.h"
#include "engine/util/error.h"

namespace attnscope {

namespace {

// JS(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q) / 2, in nats; terms with a zero weight add nothing.
double jensenShannon(const float* p, const float* q, Index n) {
  double js = 0;
  for (Index j = 0; j < n; ++j) {
    const double a = p[j], b = q[j], m = 0.5 * (a + b);
    if (a > 0) js += 0.5 * a * std::log(a / m);
    if (b > 0) js += 0.5 * b * std::log(b / m);
  }
  return js;
}

}  // namespace

void pruneLinears(LanguageModel& model, double amount, bool global) {
  pruneCount(amount, 0);  // the amount is checked before any weight is read
  std::vector<NamedLinear> linears = model.linears();
  // What a step before pruned is zero now, and counts as pruned: the share is of what remains, as PyTorch's
  // PruningContainer takes it (a weight that was zero before any pruning counts as pruned too).
  const auto kept = [](const std::vector<float>& w) {
    PruneMask mask(w.size());
    for (std::size_t i = 0; i < w.size(); ++i) mask[i] = w[i] != 0.0f;
    return mask;
  };
  if (!global) {
    for (NamedLinear& l : linears) {
      std::vector<float> w = l.linear->weights();
      applyMask(w, l1Unstructured(w, amount, kept(w)));
      l.linear->setWeights(w);
    }
    return;
  }
  std::vector<std::vector<float>> all;
  std::vector<PruneMask> before;
  for (const NamedLinear& l : linears) {
    all.push_back(l.linear->weights());
    before.push_back(kept(all.back()));
  }
  const std::vector<PruneMask> masks =
      globalUnstructured(std::vector<std::span<const float>>(all.begin(), all.end()), amount, before);
  for (std::size_t t = 0; t < linears.size(); ++t) {
    applyMask(all[t], masks[t]);
    linears[t].linear->setWeights(all[t]);
  }
}

LinearWeights linearWeights(LanguageModel& model) {
  LinearWeights w;
  for (const NamedLinear& l : model.linears()) {
    const std::vector<float> values = l.linear->weights();
    w.count += Index(values.size());
    for (float v : values) w.nonZero += v != 0.0f;
    w.bytes += l.linear->bytes();
  }
  return w;
}

CompressionMeasures compareModels(LanguageModel& full, LanguageModel& compressed, const std::vector<int>& ids,
                                  int maskToken, const Progress& progress) {
  if (full.layers() != compressed.layers() || full.heads() != compressed.heads() ||
      full.vocabSize() != compressed.vocabSize() || full.describe() != compressed.describe())
    throw Error("the two models differ in shape: " + full.describe() + " and " + compressed.describe() +
                "; a compressed copy keeps its model's");
  compressed.checkTokens(ids);
  CompressionMeasures m;
  const SubstituteReference reference = referencePass(full, ids, maskToken, progress.part(0, 0.5));
  PassOptions options(LogitRows::at(reference.positions));
  options.keepHidden = true;
  const auto t0 = std::chrono::steady_clock::now();
  const ModelPass other = compressed.forward(ids, progress.part(0.5, 1), options);
  m.answers.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  m.answers.msFull = reference.ms;
  compareOutputs(full, reference, other, m.answers);
  const Index n = static_cast<Index>(ids.size());
  for (std::size_t l = 0; l < other.attention.size(); ++l) {
    m.jsByHead.emplace_back();
    for (std::size_t h = 0; h < other.attention[l].size(); ++h) {
      const Matrix& p = reference.pass.attention[l][h];
      const Matrix& q = other.attention[l][h];
      double sum = 0;
      for (Index i = 0; i < n; ++i) sum += jensenShannon(p.row(i).data(), q.row(i).data(), n);
      m.jsByHead.back().push_back(sum / double(n));
    }
  }
  m.full = linearWeights(full);
  m.compressed = linearWeights(compressed);
  return m;
}

}  // namespace attnscope

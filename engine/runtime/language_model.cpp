#include "engine/runtime/language_model.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/util/error.h"
#include "engine/util/limits.h"

namespace attnscope {

void LanguageModel::checkTokens(const std::vector<int>& ids, const AttentionMasks* masks) const {
  if (ids.empty() || ids.size() > static_cast<std::size_t>(maxPositions()))
    throw Error(std::to_string(ids.size()) + " tokens cannot be run: this model takes 1 … " +
                std::to_string(maxPositions()) + " (its positions)");
  for (std::size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= vocabSize())
      throw Error("token " + std::to_string(i) + " has id " + std::to_string(ids[i]) + ": expected 0 … " +
                  std::to_string(vocabSize() - 1));
  if (masks && !masks->layers.empty()) {
    if (masks->layers.size() != 1 && masks->layers.size() != std::size_t(layers()))
      throw Error("a substitute for the attention has " + std::to_string(masks->layers.size()) +
                  " layers: expected one for every layer, or " + std::to_string(layers()));
    for (const auto& m : masks->layers)
      if (m && (m->n() != Index(ids.size()) || (m->heads() != 1 && m->heads() != heads())))
        throw Error("a substitute mask of n = " + std::to_string(m->n()) + " and " + std::to_string(m->heads()) +
                    " heads cannot serve this pass: expected n = " + std::to_string(ids.size()) + " and 1 or " +
                    std::to_string(heads()) + " heads");
  }
  const double n = double(ids.size());
  checkMemory(4.0 * layers() * heads() * n * n, "the attention of every layer and head", "run a shorter text");
}

void LanguageModel::checkApprox(const AttentionApprox& approx, Index n) const {
  if (!approx.method) throw Error("no approximation is chosen");
  const std::vector<ParamSpec> params = approx.method->params(headDim());
  const bool runsCausally =
      std::any_of(params.begin(), params.end(), [](const ParamSpec& p) { return p.name == "causal"; });
  if (!encoder() && !runsCausally)
    throw Error(approx.method->name() +
                " cannot serve a decoder: each of its queries would draw on later keys (its projections and "
                "landmarks mix the whole sequence); choose linear or performer, which run causally by running sums");
  if (approx.layer >= layers()) throw Error("layer " + std::to_string(approx.layer) + " is not in this model");
  approx.method->check(approx.params, n, headDim());
}

std::vector<int> LanguageModel::generateGreedy(const std::vector<int>& prompt, int count, int stop,
                                               const Progress& progress) const {
  checkTokens(prompt);
  std::vector<int> sequence = prompt, generated;
  for (int i = 0; i < count && static_cast<int>(sequence.size()) < maxPositions(); ++i) {
    progress.throwIfCancelled();
    const ModelPass pass = forward(sequence, {}, LogitRows::at({static_cast<Index>(sequence.size()) - 1}));
    Index best = 0;
    pass.logits.row(0).maxCoeff(&best);
    if (best == stop) break;
    sequence.push_back(static_cast<int>(best));
    generated.push_back(static_cast<int>(best));
    progress.report(double(i + 1) / count);
  }
  return generated;
}

HeadAnatomy headAnatomy(const ModelPass& pass, int layer, int head, int query) {
  if (layer < 0 || layer >= static_cast<int>(pass.vectors.size()))
    throw Error("layer " + std::to_string(layer) + " is not allowed: the pass has " +
                std::to_string(pass.vectors.size()) + " layers with their vectors");
  const auto& heads = pass.vectors[std::size_t(layer)];
  if (head < 0 || head >= static_cast<int>(heads.size()))
    throw Error("head " + std::to_string(head) + " is not allowed: expected 0 … " + std::to_string(heads.size() - 1));
  const HeadVectors& h = heads[std::size_t(head)];
  if (query < 0 || query >= h.q.rows())
    throw Error("query " + std::to_string(query) + " is not allowed: expected 0 … " + std::to_string(h.q.rows() - 1));
  HeadAnatomy a;
  a.layer = layer, a.head = head, a.query = query, a.headSize = static_cast<int>(h.q.cols());
  const Index keys = pass.causal ? query + 1 : h.k.rows();
  const int window = std::size_t(layer) < pass.windows.size() ? pass.windows[std::size_t(layer)] : 0;
  a.firstKey = window > 0 ? std::max(0, query - window + 1) : 0;
  const double root = std::sqrt(double(a.headSize));
  double most = -std::numeric_limits<double>::infinity();
  for (Index k = a.firstKey; k < keys; ++k) {
    double dot = 0;
    for (Index i = 0; i < h.q.cols(); ++i) dot += double(h.q(query, i)) * double(h.k(k, i));
    a.dot.push_back(dot);
    a.scaled.push_back(dot / root);
    most = std::max(most, dot / root);
  }
  double sum = 0;
  for (double s : a.scaled) sum += std::exp(s - most);
  a.output.assign(static_cast<std::size_t>(h.v.cols()), 0.0);
  for (Index k = a.firstKey; k < keys; ++k) {
    const double w = std::exp(a.scaled[std::size_t(k - a.firstKey)] - most) / sum;
    a.weight.push_back(w);
    for (Index i = 0; i < h.v.cols(); ++i) a.output[std::size_t(i)] += w * double(h.v(k, i));
  }
  return a;
}

}  // namespace attnscope

#include "engine/compression/head_pruning.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/util/error.h"

namespace attnscope {

const char* headScoreName(HeadScore score) { return score == HeadScore::OutputNorm ? "output-norm" : "entropy"; }

HeadScore parseHeadScore(const std::string& text) {
  if (text == "output-norm") return HeadScore::OutputNorm;
  if (text == "entropy") return HeadScore::Entropy;
  throw Error("head score '" + text +
              "' is not allowed: expected output-norm (what a head adds to the residual stream) or entropy (how "
              "spread out its attention is)");
}

namespace {

PackedLinear* outputProjection(LanguageModel& model, int layer) {
  for (const NamedLinear& l : model.linears())
    if (l.attentionOutput && l.layer == layer) return l.linear;
  throw Error("this model names no attention output projection for layer " + std::to_string(layer));
}

}  // namespace

std::vector<std::vector<double>> headScores(LanguageModel& model, const std::vector<int>& ids, HeadScore score) {
  model.checkTokens(ids);
  const ModelPass pass = model.forward(ids, {}, LogitRows::at({}));
  const Index n = static_cast<Index>(ids.size());
  const int hd = model.headDim();
  std::vector<std::vector<double>> out(pass.attention.size());
  for (std::size_t l = 0; l < pass.attention.size(); ++l) {
    std::vector<float> wo;  // the output projection, read (not changed) once a layer
    Index dim = 0, in = 0;
    if (score == HeadScore::OutputNorm) {
      const PackedLinear* o = outputProjection(model, int(l));
      wo = o->weights();
      dim = o->out();
      in = o->in();
    }
    for (std::size_t h = 0; h < pass.attention[l].size(); ++h) {
      const Matrix& a = pass.attention[l][h];
      double total = 0;
      if (score == HeadScore::Entropy) {
        for (Index i = 0; i < n; ++i)
          for (Index j = 0; j < n; ++j)
            if (a(i, j) > 0) total -= double(a(i, j)) * std::log(double(a(i, j)));
      } else {
        const Matrix attended = a * pass.vectors[l][h].v;  // n × hd: what the head passes to the projection
        const Index c0 = Index(h) * hd;
        for (Index i = 0; i < n; ++i) {
          double norm = 0;
          for (Index r = 0; r < dim; ++r) {
            double s = 0;
            for (Index c = 0; c < hd; ++c) s += double(wo[std::size_t(r * in + c0 + c)]) * attended(i, c);
            norm += s * s;
          }
          total += std::sqrt(norm);
        }
      }
      out[l].push_back(total / double(n));
    }
  }
  return out;
}

std::vector<HeadId> leastImportantHeads(const std::vector<std::vector<double>>& scores, HeadScore score, int count) {
  std::vector<HeadId> heads;
  for (std::size_t l = 0; l < scores.size(); ++l)
    for (std::size_t h = 0; h < scores[l].size(); ++h) heads.push_back({int(l), int(h)});
  if (count < 0 || count >= int(heads.size()))
    throw Error("--prune-heads " + std::to_string(count) + " is not allowed: this model has " +
                std::to_string(heads.size()) + " heads, and at least one must stay");
  // Least important first: the smallest output norm, or the largest entropy; ties in the order listed.
  std::stable_sort(heads.begin(), heads.end(), [&](const HeadId& a, const HeadId& b) {
    const double x = scores[std::size_t(a.first)][std::size_t(a.second)],
                 y = scores[std::size_t(b.first)][std::size_t(b.second)];
    return score == HeadScore::OutputNorm ? x < y : x > y;
  });
  heads.resize(std::size_t(count));
  return heads;
}

void pruneHeads(LanguageModel& model, const std::vector<HeadId>& heads) {
  const int hd = model.headDim();
  for (const auto& [layer, head] : heads) {
    if (layer < 0 || layer >= model.layers() || head < 0 || head >= model.heads())
      throw Error("head " + std::to_string(head) + " of layer " + std::to_string(layer) + " is not in this model (" +
                  std::to_string(model.layers()) + " layers of " + std::to_string(model.heads()) + " heads)");
    PackedLinear* o = outputProjection(model, layer);
    std::vector<float> w = o->weights();
    for (Index r = 0; r < o->out(); ++r)
      for (Index c = 0; c < hd; ++c) w[std::size_t(r * o->in() + Index(head) * hd + c)] = 0.0f;
    o->setWeights(w);
  }
}

}  // namespace attnscope

#include "engine/runtime/llama_block.h"

#include <cmath>

#include "engine/runtime/layer_ops.h"

namespace attnscope {

namespace {

// Rotates every head of `x` (row t at position t) by t · θ^(−2i / headDim) on the pairs the checkpoint uses.
void rope(Matrix& x, int headDim, double theta, RopePairs pairs) {
  const int half = headDim / 2;
  std::vector<double> frequency(static_cast<std::size_t>(half));
  for (int i = 0; i < half; ++i) frequency[std::size_t(i)] = std::pow(theta, -2.0 * i / headDim);
  for (Index t = 0; t < x.rows(); ++t)
    for (Index head = 0; head + headDim <= x.cols(); head += headDim)
      for (int i = 0; i < half; ++i) {
        const double angle = double(t) * frequency[std::size_t(i)];
        const float cos = static_cast<float>(std::cos(angle)), sin = static_cast<float>(std::sin(angle));
        const Index a = pairs == RopePairs::Interleaved ? head + 2 * i : head + i;
        const Index b = pairs == RopePairs::Interleaved ? a + 1 : a + half;
        const float u = x(t, a), w = x(t, b);
        x(t, a) = u * cos - w * sin;
        x(t, b) = u * sin + w * cos;
      }
}

}  // namespace

Eigen::RowVectorXf LlamaWeights::embed(int token) const {
  if (embedding.empty()) return classifier.row(token);
  const Index dim = classifier.in();
  return Eigen::Map<const Eigen::RowVectorXf>(embedding.data() + std::size_t(token) * dim, dim);
}

std::vector<NamedLinear> LlamaWeights::linears() {
  std::vector<NamedLinear> out;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    LlamaLayer& L = layers[l];
    for (auto [name, linear] : {std::pair{"self_attn.q_proj", &L.q},
                                {"self_attn.k_proj", &L.k},
                                {"self_attn.v_proj", &L.v},
                                {"self_attn.o_proj", &L.o},
                                {"mlp.gate_proj", &L.gate},
                                {"mlp.up_proj", &L.up},
                                {"mlp.down_proj", &L.down}})
      out.push_back({p + name, linear, int(l), linear == &L.o});
  }
  if (!embedding.empty()) out.push_back({"lm_head", &classifier});
  return out;
}

double LlamaWeights::floats(const LlamaShape& s, bool tied) {
  const double q = double(s.heads) * s.headDim, kv = double(s.kvHeads) * s.headDim;
  return double(s.vocab) * s.dim * (tied ? 1 : 2) +
         double(s.layers) * (2.0 * q * s.dim + 2.0 * kv * s.dim + 3.0 * s.hidden * s.dim + 2.0 * s.dim);
}

ModelPass llamaForward(const LlamaShape& s, const LlamaWeights& weights, const std::vector<int>& tokens,
                       const Progress& progress, const PassOptions& options) {
  const Index n = static_cast<Index>(tokens.size()), dim = s.dim, hd = s.headDim, qDim = Index(s.heads) * hd;
  ModelPass pass;
  pass.causal = true;
  Matrix x(n, dim);
  for (Index t = 0; t < n; ++t) x.row(t) = weights.embed(tokens[std::size_t(t)]);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const int group = s.heads / s.kvHeads;
  pass.attention.resize(static_cast<std::size_t>(s.layers));
  pass.vectors.resize(static_cast<std::size_t>(s.layers));
  for (int l = 0; l < s.layers; ++l) {
    progress.throwIfCancelled();
    const LlamaLayer& L = weights.layers[std::size_t(l)];
    const Matrix xb = rmsNorm(x, L.attnNorm.data(), s.rmsEps);
    Matrix q = L.q(xb), k = L.k(xb), v = L.v(xb);
    rope(q, s.headDim, s.ropeTheta, s.rope);
    rope(k, s.headDim, s.ropeTheta, s.rope);
    const int window = s.window.empty() ? 0 : s.window[std::size_t(l)];
    pass.windows.push_back(window);
    Matrix mixed(n, qDim);
    auto& probabilities = pass.attention[std::size_t(l)];
    probabilities.assign(static_cast<std::size_t>(s.heads), Matrix());
    auto& vectors = pass.vectors[std::size_t(l)];
    for (int h = 0; h < s.heads; ++h) {
      const Index kvHead = h / group;
      const auto qh = q.middleCols(h * hd, hd), kh = k.middleCols(kvHead * hd, hd), vh = v.middleCols(kvHead * hd, hd);
      vectors.push_back({qh, kh, vh});
      mixed.middleCols(h * hd, hd) =
          attendHead(qh, kh, vh, scale, /*causal*/ true, window, probabilities[std::size_t(h)], options, l, h);
    }
    x += L.o(mixed);
    const Matrix xf = rmsNorm(x, L.ffnNorm.data(), s.rmsEps);
    Matrix gate = L.gate(xf);
    const Matrix up = L.up(xf);
    gate = (gate.array() / (1.0f + (-gate.array()).exp())).matrix().cwiseProduct(up);  // silu(gate x) · up x
    x += L.down(gate);
    if (options.keepHidden) pass.hidden.push_back(x);
    progress.report(double(l + 1) / s.layers);
  }
  const Matrix last = logitRowsOf(x, options.logits, pass.logitPositions);
  pass.logits = weights.classifier(rmsNorm(last, weights.finalNorm.data(), s.rmsEps));
  return pass;
}

double llamaPassFlops(const LlamaShape& s, Index n) {
  const double dim = s.dim, hidden = s.hidden, q = double(s.heads) * s.headDim, kv = double(s.kvHeads) * s.headDim;
  const double linear = 2.0 * n * (2 * q * dim + 2 * kv * dim + 3 * hidden * dim);
  double attention = 0;
  for (int l = 0; l < s.layers; ++l) {
    const Index w = s.window.empty() ? 0 : s.window[std::size_t(l)];
    double keys = 0;  // Σ over queries of the keys each sees
    for (Index i = 0; i < n; ++i) keys += double(w > 0 ? std::min(i + 1, w) : i + 1);
    attention += 2.0 * 2.0 * s.heads * s.headDim * keys;
  }
  return s.layers * linear + attention + 2.0 * n * s.vocab * dim;
}

}  // namespace attnscope

#include "engine/runtime/gpt2_model.h"

#include <cmath>

#include "engine/io/json.h"
#include "engine/io/safetensors.h"
#include "engine/runtime/config_fields.h"
#include "engine/runtime/layer_ops.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

Gpt2Config readGpt2Config(const std::string& path) {
  const ConfigFields f(path);
  Gpt2Config c;
  f.integer("vocab_size", c.vocabSize, 1);
  f.integer("n_positions", c.positions, 1);
  f.integer("n_embd", c.embd, 1);
  f.integer("n_layer", c.layers, 1);
  f.integer("n_head", c.heads, 1);
  f.integer("n_inner", c.inner, 1);
  f.epsilon("layer_norm_epsilon", c.layerNormEps);
  f.activation("activation_function", c.activation);
  if (c.embd % c.heads != 0)
    f.fail("n_head " + std::to_string(c.heads) + " does not divide n_embd " + std::to_string(c.embd));
  return c;
}

Gpt2Model Gpt2Model::read(const std::string& folder) {
  Gpt2Model m;
  m.config_ = readGpt2Config(folder + "/config.json");
  const Gpt2Config& c = m.config_;
  const double floats = double(c.vocabSize + c.positions) * c.embd +
                        double(c.layers) * (4.0 * c.embd * c.embd + 2.0 * c.embd * c.innerDim());
  checkMemory(4.0 * floats, "this model's weights", "choose a smaller model");
  const SafetensorsWeights weights = SafetensorsWeights::open(folder);
  const std::string prefix = weights.has("transformer.wte.weight") ? "transformer." : "";
  const Index d = c.embd, inner = c.innerDim();
  auto matrix = [&](const std::string& name, Index rows, Index cols) {
    const std::vector<float> v = weights.read(prefix + name, {rows, cols});
    return Matrix(Eigen::Map<const Matrix>(v.data(), rows, cols));
  };
  auto vector = [&](const std::string& name, Index size) {
    const std::vector<float> v = weights.read(prefix + name, {size});
    return Eigen::RowVectorXf(Eigen::Map<const Eigen::RowVectorXf>(v.data(), size));
  };
  // A Conv1D [in, out] and its bias, packed.
  auto conv = [&](const std::string& name, Index in, Index out) {
    const std::vector<float> w = weights.read(prefix + name + ".weight", {in, out});
    const std::vector<float> b = weights.read(prefix + name + ".bias", {out});
    PackedLinear l = PackedLinear::fromInOut(w.data(), in, out, b.data());
    l.setSource({prefix + name + ".weight", true});
    return l;
  };
  {
    const std::vector<float> wte = weights.read(prefix + "wte.weight", {c.vocabSize, d});
    m.wte = PackedLinear::fromOutIn(wte.data(), c.vocabSize, d);
  }
  m.wpe = matrix("wpe.weight", c.positions, d);
  for (int l = 0; l < c.layers; ++l) {
    const std::string h = "h." + std::to_string(l) + ".";
    Layer L;
    L.ln1w = vector(h + "ln_1.weight", d);
    L.ln1b = vector(h + "ln_1.bias", d);
    L.attn = conv(h + "attn.c_attn", d, 3 * d);
    L.proj = conv(h + "attn.c_proj", d, d);
    L.ln2w = vector(h + "ln_2.weight", d);
    L.ln2b = vector(h + "ln_2.bias", d);
    L.fc = conv(h + "mlp.c_fc", d, inner);
    L.mlpProj = conv(h + "mlp.c_proj", inner, d);
    m.layers_.push_back(std::move(L));
  }
  m.lnfW = vector("ln_f.weight", d);
  m.lnfB = vector("ln_f.bias", d);
  return m;
}

std::string Gpt2Model::describe() const {
  const Gpt2Config& c = config_;
  return "GPT-2, " + std::to_string(c.layers) + " layers, " + std::to_string(c.heads) + " heads, dim " +
         std::to_string(c.embd) + ", vocabulary " + std::to_string(c.vocabSize) + ", " + std::to_string(c.positions) +
         " positions";
}

double Gpt2Model::passFlops(Index n) const {
  const double d = config_.embd, inner = config_.innerDim(), causalKeys = double(n) * double(n + 1) / 2;
  return config_.layers * (2.0 * n * (4 * d * d + 2 * d * inner) + 4.0 * d * causalKeys) +
         2.0 * n * d * config_.vocabSize;
}

ModelPass Gpt2Model::forward(const std::vector<int>& ids, const Progress& progress, const PassOptions& options) const {
  checkTokens(ids, options.masks);
  const Gpt2Config& c = config_;
  const Index n = static_cast<Index>(ids.size()), d = c.embd, hd = c.embd / c.heads;
  Matrix x(n, d);
  for (Index t = 0; t < n; ++t) x.row(t) = wte.row(ids[std::size_t(t)]) + wpe.row(t);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  ModelPass pass;
  pass.causal = true;
  pass.attention.resize(layers_.size());
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    progress.throwIfCancelled();
    const Layer& L = layers_[l];
    const Matrix a = layerNorm(x, L.ln1w, L.ln1b, c.layerNormEps);
    const Matrix qkv = L.attn(a);
    Matrix mixed(n, d);
    auto& probabilities = pass.attention[l];
    probabilities.assign(static_cast<std::size_t>(c.heads), Matrix());
    pass.vectors.emplace_back();
    for (int h = 0; h < c.heads; ++h) {
      const auto q = qkv.middleCols(h * hd, hd), k = qkv.middleCols(d + h * hd, hd),
                 v = qkv.middleCols(2 * d + h * hd, hd);
      pass.vectors.back().push_back({q, k, v});
      mixed.middleCols(h * hd, hd) = attendHead(q, k, v, scale, /*causal*/ true, /*window*/ 0,
                                                probabilities[static_cast<std::size_t>(h)], options, int(l), h);
    }
    x += L.proj(mixed);
    const Matrix b = layerNorm(x, L.ln2w, L.ln2b, c.layerNormEps);
    Matrix hidden = L.fc(b);
    activate(hidden, c.activation);
    x += L.mlpProj(hidden);
    if (options.keepHidden) pass.hidden.push_back(x);
    progress.report(double(l + 1) / double(layers_.size()));
  }
  pass.logits = wte(layerNorm(logitRowsOf(x, options.logits, pass.logitPositions), lnfW, lnfB, c.layerNormEps));
  return pass;
}

std::vector<NamedLinear> Gpt2Model::linears() {
  std::vector<NamedLinear> out;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const std::string p = "h." + std::to_string(l) + ".";
    Layer& L = layers_[l];
    for (auto [name, linear] :
         {std::pair{"attn.c_attn", &L.attn}, {"attn.c_proj", &L.proj}, {"mlp.c_fc", &L.fc}, {"mlp.c_proj", &L.mlpProj}})
      out.push_back({p + name, linear, int(l), linear == &L.proj});
  }
  return out;  // the head is wte, the token embeddings: not pruned
}

}  // namespace attnscope

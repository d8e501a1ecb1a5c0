#include "engine/runtime/bert_model.h"

#include <cmath>
#include <random>

#include "engine/io/json.h"
#include "engine/io/safetensors.h"
#include "engine/runtime/config_fields.h"
#include "engine/runtime/layer_ops.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

BertConfig bertDefaults(BertFlavour flavour) {
  BertConfig c;
  c.flavour = flavour;
  if (flavour == BertFlavour::DistilBert) {
    c.types = 0;  // DistilBERT has no token types
    c.layers = 6;
  }
  if (flavour == BertFlavour::Roberta) {  // RobertaConfig's defaults
    c.roberta = true;
    c.vocabSize = 50265;
    c.positions = 514;
    c.types = 1;
    c.padTokenId = 1;
    c.layerNormEps = 1e-5;
  }
  return c;
}

BertConfig readBertConfig(const std::string& path, BertFlavour flavour) {
  const bool distil = flavour == BertFlavour::DistilBert;
  const ConfigFields f(path);
  BertConfig c = bertDefaults(flavour);
  f.integer("vocab_size", c.vocabSize, 1);
  f.integer("max_position_embeddings", c.positions, 1);
  if (distil) {  // DistilBertConfig's names; its LayerNorms' eps is 1e-12, not configured
    f.integer("dim", c.hidden, 1);
    f.integer("n_layers", c.layers, 1);
    f.integer("n_heads", c.heads, 1);
    f.integer("hidden_dim", c.intermediate, 1);
    f.activation("activation", c.activation);
    if (const JsonValue* s = f.json().find("sinusoidal_pos_embds"); s && s->isBool() && s->asBool())
      f.fail("sinusoidal_pos_embds true is not run here: expected learned positions");
  } else {
    f.integer("hidden_size", c.hidden, 1);
    f.integer("num_hidden_layers", c.layers, 1);
    f.integer("num_attention_heads", c.heads, 1);
    f.integer("intermediate_size", c.intermediate, 1);
    f.integer("type_vocab_size", c.types, 1);
    f.integer("pad_token_id", c.padTokenId, 0);
    f.epsilon("layer_norm_eps", c.layerNormEps);
    f.activation("hidden_act", c.activation);
    if (const JsonValue* p = f.json().find("position_embedding_type");
        p && p->isString() && p->asString() != "absolute")
      f.fail("position_embedding_type '" + attnscope::quoted(p->asString()) + "' is not run here: expected absolute");
  }
  if (c.hidden % c.heads != 0)
    f.fail("the heads (" + std::to_string(c.heads) + ") do not divide the hidden size " + std::to_string(c.hidden));
  return c;
}

BertModel BertModel::read(const std::string& folder, BertFlavour flavour) {
  const bool roberta = flavour == BertFlavour::Roberta, distil = flavour == BertFlavour::DistilBert;
  BertModel m;
  m.config_ = readBertConfig(folder + "/config.json", flavour);
  const BertConfig& c = m.config_;
  checkMemory(4.0 * (double(c.vocabSize + c.positions + c.types) * c.hidden +
                     double(c.layers) * (4.0 * c.hidden * c.hidden + 2.0 * c.hidden * c.intermediate)),
              "this model's weights", "choose a smaller model");
  const SafetensorsWeights w = SafetensorsWeights::open(folder);
  const std::string family = roberta ? "roberta." : distil ? "distilbert." : "bert.";
  const std::string base = w.has(family + "embeddings.word_embeddings.weight") ? family : "";
  // Old checkpoints name LayerNorm's weight and bias gamma and beta.
  auto name = [&](const std::string& n) {
    if (w.has(n)) return n;
    for (const auto& [from, to] : {std::pair{".weight", ".gamma"}, std::pair{".bias", ".beta"}})
      if (n.size() > std::string(from).size() && n.ends_with(from) && n.find("LayerNorm") != std::string::npos) {
        const std::string old = n.substr(0, n.size() - std::string(from).size()) + to;
        if (w.has(old)) return old;
      }
    return n;
  };
  const Index h = c.hidden, inner = c.intermediate;
  auto matrix = [&](const std::string& n, Index rows, Index cols) {
    const std::vector<float> v = w.read(name(n), {rows, cols});
    return Matrix(Eigen::Map<const Matrix>(v.data(), rows, cols));
  };
  auto vector = [&](const std::string& n, Index size) {
    const std::vector<float> v = w.read(name(n), {size});
    return Eigen::RowVectorXf(Eigen::Map<const Eigen::RowVectorXf>(v.data(), size));
  };
  // An nn.Linear [out, in] and its bias, packed.
  auto linear = [&](const std::string& weight, const std::string& bias, Index out, Index in) {
    const std::vector<float> v = w.read(name(weight), {out, in}), b = w.read(name(bias), {out});
    PackedLinear l = PackedLinear::fromOutIn(v.data(), out, in, b.data());
    l.setSource({name(weight)});
    return l;
  };
  const std::string e = base + "embeddings.";
  m.words = matrix(e + "word_embeddings.weight", c.vocabSize, h);
  m.positions = matrix(e + "position_embeddings.weight", c.positions, h);
  if (c.types > 0) m.types = matrix(e + "token_type_embeddings.weight", c.types, h);
  m.embLnW = vector(e + "LayerNorm.weight", h);
  m.embLnB = vector(e + "LayerNorm.bias", h);
  // Each layer's parts by their names: BERT's and RoBERTa's, or DistilBERT's.
  const char* const bertNames[] = {
      "attention.self.query",       "attention.self.key", "attention.self.value", "attention.output.dense",
      "attention.output.LayerNorm", "intermediate.dense", "output.dense",         "output.LayerNorm"};
  const char* const distilNames[] = {"attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin",
                                     "sa_layer_norm",   "ffn.lin1",        "ffn.lin2",        "output_layer_norm"};
  const char* const* part = distil ? distilNames : bertNames;
  for (int l = 0; l < c.layers; ++l) {
    const std::string p = base + (distil ? "transformer.layer." : "encoder.layer.") + std::to_string(l) + ".";
    auto n = [&](int i, const char* what) { return p + part[i] + what; };
    Layer L;
    L.q = linear(n(0, ".weight"), n(0, ".bias"), h, h);
    L.k = linear(n(1, ".weight"), n(1, ".bias"), h, h);
    L.v = linear(n(2, ".weight"), n(2, ".bias"), h, h);
    L.o = linear(n(3, ".weight"), n(3, ".bias"), h, h);
    L.ln1w = vector(n(4, ".weight"), h);
    L.ln1b = vector(n(4, ".bias"), h);
    L.inter = linear(n(5, ".weight"), n(5, ".bias"), inner, h);
    L.out = linear(n(6, ".weight"), n(6, ".bias"), h, inner);
    L.ln2w = vector(n(7, ".weight"), h);
    L.ln2b = vector(n(7, ".bias"), h);
    m.layers_.push_back(std::move(L));
  }
  // The masked-LM head: BERT's cls.predictions.transform.{dense, LayerNorm}, RoBERTa's lm_head.{dense, layer_norm}.
  // DistilBERT's: vocab_transform, vocab_layer_norm, vocab_projector.
  const std::string head = roberta ? "lm_head." : distil ? "vocab_projector." : "cls.predictions.";
  const std::string dense = roberta ? "lm_head.dense" : distil ? "vocab_transform" : "cls.predictions.transform.dense";
  const std::string norm = roberta  ? "lm_head.layer_norm"
                           : distil ? "vocab_layer_norm"
                                    : "cls.predictions.transform.LayerNorm";
  m.hasHead_ = w.has(dense + ".weight");
  if (m.hasHead_) {
    m.headDense = linear(dense + ".weight", dense + ".bias", h, h);
    m.headLnW = vector(norm + ".weight", h);
    m.headLnB = vector(norm + ".bias", h);
    const Eigen::RowVectorXf bias =
        w.has(head + "bias") ? vector(head + "bias", c.vocabSize) : vector(head + "decoder.bias", c.vocabSize);
    // The decoder is tied to the word embeddings; a checkpoint that stores it gives the same matrix. Packed once, it
    // gives the embeddings' rows too.
    const std::string decoder = distil ? "vocab_projector.weight" : head + "decoder.weight";
    if (w.has(decoder)) m.words = matrix(decoder, c.vocabSize, h);
    m.decoder = PackedLinear::fromOutIn(m.words.data(), c.vocabSize, h, bias.data());
    m.words = Matrix();
  }
  return m;
}

std::string BertModel::describe() const {
  const BertConfig& c = config_;
  return std::string(c.roberta                              ? "RoBERTa, "
                     : c.flavour == BertFlavour::DistilBert ? "DistilBERT, "
                                                            : "BERT, ") +
         std::to_string(c.layers) + " layers, " + std::to_string(c.heads) + " heads, hidden " +
         std::to_string(c.hidden) + ", vocabulary " + std::to_string(c.vocabSize) + ", " + std::to_string(c.positions) +
         " positions" + (hasHead_ ? "" : " (no masked-LM head: no predictions)");
}

double BertModel::passFlops(Index n) const {
  const double h = config_.hidden, inner = config_.intermediate;
  const double body = config_.layers * (2.0 * n * (4 * h * h + 2 * h * inner) + 4.0 * h * double(n) * double(n));
  return body + (hasHead_ ? 2.0 * n * h * (h + config_.vocabSize) : 0.0);
}

BertModel BertModel::synthetic(const BertConfig& c, bool head, unsigned seed) {
  checkMemory(4.0 * (double(c.vocabSize + c.positions + c.types) * c.hidden +
                     double(c.layers) * (4.0 * c.hidden * c.hidden + 2.0 * c.hidden * c.intermediate)),
              "this model's weights", "choose a smaller shape");
  std::mt19937 random(seed);
  std::normal_distribution<float> normal(0.0f, 0.02f);
  auto matrix = [&](Index rows, Index cols) {
    return Matrix(Matrix::NullaryExpr(rows, cols, [&] { return normal(random); }));
  };
  auto linear = [&](Index out, Index in) {
    const Matrix w = matrix(out, in);
    const Eigen::RowVectorXf b = Eigen::RowVectorXf::Zero(out);
    return PackedLinear::fromOutIn(w.data(), out, in, b.data());
  };
  const Index h = c.hidden;
  BertModel m;
  m.config_ = c;
  m.words = matrix(c.vocabSize, h);
  m.positions = matrix(c.positions, h);
  if (c.types > 0) m.types = matrix(c.types, h);
  m.embLnW = Eigen::RowVectorXf::Ones(h);
  m.embLnB = Eigen::RowVectorXf::Zero(h);
  for (int l = 0; l < c.layers; ++l) {
    Layer L;
    L.q = linear(h, h);
    L.k = linear(h, h);
    L.v = linear(h, h);
    L.o = linear(h, h);
    L.inter = linear(c.intermediate, h);
    L.out = linear(h, c.intermediate);
    L.ln1w = L.ln2w = Eigen::RowVectorXf::Ones(h);
    L.ln1b = L.ln2b = Eigen::RowVectorXf::Zero(h);
    m.layers_.push_back(std::move(L));
  }
  m.hasHead_ = head;
  if (head) {
    m.headDense = linear(h, h);
    m.headLnW = Eigen::RowVectorXf::Ones(h);
    m.headLnB = Eigen::RowVectorXf::Zero(h);
    const Eigen::RowVectorXf bias = Eigen::RowVectorXf::Zero(c.vocabSize);
    m.decoder = PackedLinear::fromOutIn(m.words.data(), c.vocabSize, h, bias.data());
    m.words = Matrix();
  }
  return m;
}

ModelPass BertModel::forward(const std::vector<int>& ids, const Progress& progress, const PassOptions& options) const {
  checkTokens(ids, options.masks);
  const BertConfig& c = config_;
  const Index n = static_cast<Index>(ids.size()), h = c.hidden, hd = c.hidden / c.heads;
  Matrix x(n, h);
  // BERT's positions are 0, 1, …; RoBERTa's count the non-padding tokens from padding_idx + 1, and a padding token
  // has position padding_idx.
  Index counted = 0;
  for (Index t = 0; t < n; ++t) {
    const int id = ids[std::size_t(t)];
    Index position = t;
    if (c.roberta) position = id == c.padTokenId ? c.padTokenId : c.padTokenId + (++counted);
    if (position >= c.positions)
      throw Error("token " + std::to_string(t) + " would take position " + std::to_string(position) +
                  ": this model has " + std::to_string(c.positions) + " (max_position_embeddings)");
    x.row(t) = (hasHead_ ? decoder.row(id) : Eigen::RowVectorXf(words.row(id))) + positions.row(position);
    if (c.types > 0) x.row(t) += types.row(0);
  }
  x = layerNorm(x, embLnW, embLnB, c.layerNormEps);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  ModelPass pass;
  pass.attention.resize(layers_.size());
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    progress.throwIfCancelled();
    const Layer& L = layers_[l];
    const Matrix q = L.q(x), k = L.k(x), v = L.v(x);
    Matrix mixed(n, h);
    auto& probabilities = pass.attention[l];
    probabilities.assign(static_cast<std::size_t>(c.heads), Matrix());
    pass.vectors.emplace_back();
    for (int head = 0; head < c.heads; ++head) {
      const auto qh = q.middleCols(head * hd, hd), kh = k.middleCols(head * hd, hd), vh = v.middleCols(head * hd, hd);
      pass.vectors.back().push_back({qh, kh, vh});
      mixed.middleCols(head * hd, hd) =
          attendHead(qh, kh, vh, scale, /*causal*/ false, /*window*/ 0, probabilities[static_cast<std::size_t>(head)],
                     options, int(l), head);
    }
    const Matrix attended = layerNorm(L.o(mixed) + x, L.ln1w, L.ln1b, c.layerNormEps);
    Matrix inter = L.inter(attended);
    activate(inter, c.activation);
    x = layerNorm(L.out(inter) + attended, L.ln2w, L.ln2b, c.layerNormEps);
    if (options.keepHidden) pass.hidden.push_back(x);
    progress.report(double(l + 1) / double(layers_.size()));
  }
  if (hasHead_) {
    Matrix t = headDense(logitRowsOf(x, options.logits, pass.logitPositions));
    activate(t, c.activation);
    pass.logits = decoder(layerNorm(t, headLnW, headLnB, c.layerNormEps));
  }
  return pass;
}

std::vector<NamedLinear> BertModel::linears() {
  std::vector<NamedLinear> out;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    Layer& L = layers_[l];
    for (auto [name, linear] : {std::pair{"attention.query", &L.q},
                                {"attention.key", &L.k},
                                {"attention.value", &L.v},
                                {"attention.output", &L.o},
                                {"intermediate", &L.inter},
                                {"output", &L.out}})
      out.push_back({p + name, linear, int(l), linear == &L.o});
  }
  if (hasHead_) out.push_back({"lm_head.dense", &headDense});  // the decoder is the word embeddings: not pruned
  return out;
}

}  // namespace attnscope

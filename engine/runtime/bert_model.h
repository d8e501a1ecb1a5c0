#pragma once
// BERT from a Hugging Face folder (config.json, model.safetensors as BertForMaskedLM or BertModel saves them), run as
// transformers' modeling_bert defines it: word, absolute position and token-type (type 0) embeddings summed and
// LayerNorm-ed; per layer bidirectional self-attention (q, k, v as nn.Linear, [out, in]), its output dense added to
// the input and LayerNorm-ed (post-norm), the intermediate dense with the configured activation, the output dense
// added and LayerNorm-ed; then, when the checkpoint has it, the masked-LM head (dense, activation, LayerNorm, the
// decoder tied to the word embeddings, a bias) for the masked-word predictions. The config is read as BertConfig.
//
// RoBERTa (and DistilRoBERTa, a 6-layer RoBERTa) is the same network with its own names ("roberta.", "lm_head."),
// RobertaConfig's defaults, and positions counted from padding_idx + 1 (a padding token keeps position padding_idx),
// as create_position_ids_from_input_ids does. DistilBERT is the same again with its own names ("distilbert.",
// q_lin …, sa_layer_norm, ffn.lin1/lin2, vocab_transform …), DistilBertConfig's fields (dim, n_layers, n_heads,
// hidden_dim, activation) and no token types.

#include <algorithm>
#include <string>
#include <vector>

#include "engine/runtime/language_model.h"
#include "engine/runtime/packed_linear.h"

namespace attnscope {

enum class BertFlavour { Bert, Roberta, DistilBert };

struct BertConfig {
  BertFlavour flavour = BertFlavour::Bert;
  bool roberta = false;
  int vocabSize = 30522, hidden = 768, layers = 12, heads = 12, intermediate = 3072, positions = 512, types = 2;
  int padTokenId = 0;  ///< RoBERTa's padding_idx (positions start after it)
  double layerNormEps = 1e-12;
  std::string activation = "gelu";
};

/// The config class's defaults: BertConfig's, RobertaConfig's or DistilBertConfig's.
BertConfig bertDefaults(BertFlavour flavour);
/// Reads a BERT (or, with `roberta`, a RoBERTa) config.json as BertConfig (RobertaConfig) does, defaults included;
/// throws Error naming the field.
BertConfig readBertConfig(const std::string& path, BertFlavour flavour = BertFlavour::Bert);

class BertModel : public LanguageModel {
 public:
  static BertModel read(const std::string& folder, BertFlavour flavour = BertFlavour::Bert);
  const BertConfig& config() const { return config_; }
  std::string describe() const override;
  int layers() const override { return config_.layers; }
  int heads() const override { return config_.heads; }
  int headDim() const override { return config_.hidden / config_.heads; }
  int vocabSize() const override { return config_.vocabSize; }
  /// RoBERTa's positions start after padding_idx, so it takes that many fewer tokens than its table has rows.
  int maxPositions() const override {
    return config_.roberta ? std::max(0, config_.positions - config_.padTokenId - 1) : config_.positions;
  }
  bool encoder() const override { return true; }
  bool hasLogits() const override { return hasHead_; }
  double passFlops(Index n) const override;
  std::shared_ptr<LanguageModel> copy() const override { return std::make_shared<BertModel>(*this); }
  std::vector<NamedLinear> linears() override;
  ModelPass forward(const std::vector<int>& ids, const Progress& progress = {},
                    const PassOptions& options = {}) const override;
  /// A model of this shape with random weights (normal, σ 0.02, as BERT initialises), for benchmarks: the same work
  /// as a checkpoint of that shape. `head`: with the masked-LM head.
  static BertModel synthetic(const BertConfig& config, bool head, unsigned seed = 1);

 private:
  struct Layer {
    PackedLinear q, k, v, o, inter, out;  // nn.Linear [out, in], packed with their biases
    Eigen::RowVectorXf ln1w, ln1b, ln2w, ln2b;
  };
  BertConfig config_;
  Matrix words;  // [vocab, hidden]: only without the masked-LM head (with it, the decoder's rows are the words)
  Matrix positions, types;
  Eigen::RowVectorXf embLnW, embLnB;
  std::vector<Layer> layers_;
  bool hasHead_ = false;
  PackedLinear headDense;  // [hidden, hidden]
  Eigen::RowVectorXf headLnW, headLnB;
  PackedLinear decoder;  // [vocab, hidden] tied to the word embeddings, with its bias
};

}  // namespace attnscope

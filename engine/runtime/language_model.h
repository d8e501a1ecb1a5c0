#pragma once
// What the runtime asks of every model it runs (llama2.c checkpoints, Hugging Face GPT-2, Llama, BERT, …) and of its
// tokenizer, so that `infer`, the Real attention tab and the tests treat them alike.

#include <memory>
#include <string>
#include <vector>

#include "engine/approx/approx_method.h"
#include "engine/masks/sparse_mask.h"
#include "engine/runtime/packed_linear.h"
#include "engine/util/progress.h"
#include "engine/util/types.h"

namespace attnscope {

/// One head's vectors in one layer, as its attention used them: q, k and v, each [n, head size] (after rotary
/// embeddings; a grouped-query head's k and v are those of the key-value head it shares).
struct HeadVectors {
  Matrix q, k, v;
};

/// The positions a pass computes logits for: every one (the default), or those listed, in that order (none when the
/// list is empty). The model's head over the whole vocabulary can cost as much as its layers: a decoder that wants
/// its next token needs only the last position, an encoder only its masks.
struct LogitRows {
  bool all = true;
  std::vector<Index> only;
  static LogitRows at(std::vector<Index> positions) { return {false, std::move(positions)}; }
};

/// What attends instead of the model's full attention: a mask of the keys each query may see, for every layer (one
/// mask) or layer by layer (one a layer); a mask of one head serves every head. The model's own causal mask and
/// sliding window still apply on top. Masked keys are left out before the softmax, as the libraries do; a row left
/// with no key gives a zero output.
struct AttentionMasks {
  std::vector<std::shared_ptr<const SparseMask>> layers;
  /// Layer l's mask, or null when there is none (a null entry: that layer keeps its own attention).
  const SparseMask* at(int layer) const {
    if (layers.empty()) return nullptr;
    return layers.size() == 1 ? layers.front().get() : layers[std::size_t(layer)].get();
  }
};

/// An approximation of softmax attention (linear, Performer, Linformer, Nyströmformer: engine/approx) in place of
/// every head's attention, in every layer or in one. It gets each head's own q, k and v, the queries scaled so that
/// its 1/√d gives the model's own scale; a causal model needs a method that runs causally (its `causal` parameter,
/// set by the pass to the model's own direction). Seeded projections differ between layers and heads.
struct AttentionApprox {
  const ApproxMethod* method = nullptr;
  ParamSet params;
  int layer = -1;  ///< −1: every layer
  bool in(int l) const { return layer < 0 || layer == l; }
};

/// The `topk` pattern on the model's own scores: each query keeps the k keys with the highest q·k among those it may
/// see (ties: the smaller key), as engine/patterns/topk.cpp chooses them from given inputs; `causal` limits the
/// choice to keys at or before the query (an encoder's; a decoder's are anyway).
struct AttentionTopK {
  Index k = 0;
  bool causal = false;
  int layer = -1;  ///< −1: every layer
  bool in(int l) const { return layer < 0 || layer == l; }
};

/// How a pass is run: the logits it computes, a substitute for its attention (masks, the top-k of its own scores, or
/// an approximation), and whether it keeps the residual stream after every layer.
struct PassOptions {
  PassOptions(LogitRows l = {}) : logits(std::move(l)) {}  // NOLINT: a LogitRows alone is a pass's options
  LogitRows logits;
  const AttentionMasks* masks = nullptr;
  const AttentionApprox* approx = nullptr;
  const AttentionTopK* topK = nullptr;
  bool keepHidden = false;
};

/// What one pass over a sequence gives: every layer's attention probabilities and the logits it was asked for.
struct ModelPass {
  /// attention[layer][head] is n × n: row i the softmax over the keys it may see (zeros elsewhere).
  std::vector<std::vector<Matrix>> attention;
  /// One row a position of logitPositions, × vocab (empty when the model has no head that gives them).
  Matrix logits;
  std::vector<Index> logitPositions;  ///< the position of each row of logits
  /// Per layer, the sliding window W its queries saw (keys i − W < j ≤ i), or 0 for all the keys allowed.
  std::vector<int> windows;
  /// With PassOptions::keepHidden: the residual stream after each layer, n × hidden.
  std::vector<Matrix> hidden;
  /// vectors[layer][head]: what each head's attention was computed from (for the Head anatomy page).
  std::vector<std::vector<HeadVectors>> vectors;
  bool causal = false;  ///< each query saw only the keys up to itself
};

/// The steps of self-attention for one head and one query, on the model's own vectors, in doubles: q·k for every
/// key the query may see (from firstKey on), divided by √(head size), the softmax, and the weighted sum of the values.
struct HeadAnatomy {
  int layer = 0, head = 0, query = 0, headSize = 0, firstKey = 0;
  std::vector<double> dot, scaled, weight;  ///< per key it may see: key firstKey + i at i
  std::vector<double> output;               ///< Σ weight · v, head size values
};
/// Throws Error for a layer, head or query the pass does not have. A layer with a sliding window shows the keys in it.
HeadAnatomy headAnatomy(const ModelPass& pass, int layer, int head, int query);

/// A linear layer of a model by its name ("layers.0.self_attn.q_proj"), for a compression step to read and change.
struct NamedLinear {
  std::string name;
  PackedLinear* linear = nullptr;
  int layer = -1;                ///< the block it belongs to (−1: none, as an untied head)
  bool attentionOutput = false;  ///< the attention's output projection: head h writes through its columns
                                 ///< h · headDim() … (h + 1) · headDim() − 1
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  /// "llama2.c, 5 layers, 8 heads (4 key-value), dim 64, vocabulary 512, 512 positions".
  virtual std::string describe() const = 0;
  virtual int layers() const = 0;
  virtual int heads() const = 0;
  /// The size of each head's q, k and v.
  virtual int headDim() const = 0;
  virtual int vocabSize() const = 0;
  virtual int maxPositions() const = 0;
  /// An encoder attends both ways and predicts masked words; a decoder attends back and predicts the next token.
  virtual bool encoder() const { return false; }
  /// False for an encoder saved without its masked-LM head: it gives attention but no predictions.
  virtual bool hasLogits() const { return true; }
  /// FLOPs of one pass over n tokens, a multiply-add counting two: the linear layers, the attention products over
  /// the keys each query sees, and the logits when the model gives them.
  virtual double passFlops(Index n) const = 0;
  /// The pass over `ids` (checked with checkTokens), all positions at once; `progress` hears after each layer and
  /// stops the pass when cancelled.
  virtual ModelPass forward(const std::vector<int>& ids, const Progress& progress = {},
                            const PassOptions& options = {}) const = 0;
  /// Throws Error unless `ids` can be run: 1 … maxPositions() of them, each a valid id; and the attention kept
  /// (layers · heads · n² floats) fits in memory. With `masks` (none: no substitute): each has n queries, and one
  /// head or the model's.
  void checkTokens(const std::vector<int>& ids, const AttentionMasks* masks = nullptr) const;
  /// Throws Error unless `approx` can stand in for this model's attention over n tokens: a method that runs causally
  /// for a decoder, its parameters checked at n and the head size (Linformer's k ≤ n, Nyströmformer's landmarks
  /// dividing n), a layer the model has. It replaces the attention whole: a sliding window of the model's own too.
  void checkApprox(const AttentionApprox& approx, Index n) const;
  /// A copy whose weights a compression step may change (the original stays as it is).
  virtual std::shared_ptr<LanguageModel> copy() const = 0;
  /// Every linear layer (nn.Linear, and GPT-2's Conv1D, which is one), in the checkpoint's order: what pruning acts
  /// on. Embeddings, norms, and a head tied to the embeddings are not among them; an untied head is.
  virtual std::vector<NamedLinear> linears() = 0;
  /// Greedy decoding: `count` tokens after `prompt`, stopping early at `stop` (when ≥ 0) or at maxPositions().
  std::vector<int> generateGreedy(const std::vector<int>& prompt, int count, int stop,
                                  const Progress& progress = {}) const;
};

class TextTokenizer {
 public:
  virtual ~TextTokenizer() = default;
  /// The ids the model reads for `text`, with what the model's own tokenizer adds (llama2.c: BOS first).
  virtual std::vector<int> encode(const std::string& text) const = 0;
  /// A token as an axis label ("▁ball").
  virtual std::string label(int id) const = 0;
  /// The text `id` adds after `previous`, as the model's library prints a continuation.
  virtual std::string decode(int previous, int id) const = 0;
  /// The token a continuation stops at (llama2.c: BOS), or −1.
  virtual int stopToken() const { return -1; }
  /// The token an encoder predicts words at ([MASK], <mask>), or −1.
  virtual int maskToken() const { return -1; }
  /// Whether token `id` starts a word after `previous` (−1: the first token), as the tokenizer's pre-tokenizer cut
  /// the text: a WordPiece "##" piece continues one, a byte-level BPE piece continues its pre-token (same kind of
  /// character, no space before it), a SentencePiece piece continues until the next "▁". Special tokens are words
  /// of their own.
  virtual bool startsWord(int previous, int id) const { return previous < 0 || id >= 0; }
};

}  // namespace attnscope

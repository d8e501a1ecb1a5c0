#pragma once
// The model runtime's front door: open a model from a path, run a text or token ids through it, and keep what it
// says (the next token's likeliest choices, a greedy continuation) with every layer's attention, which can be
// written as the dump the Real attention tab and `attention` read.
//
// Models: llama2.c checkpoints (a .bin, with its tokenizer.bin or tok<vocab>.bin beside it) and Hugging Face folders
// (config.json, model.safetensors or shards, and tokenizer.json or the older vocab.txt / vocab.json and merges.txt)
// of BERT, DistilBERT, RoBERTa, GPT-2, Llama, Mistral and Qwen2. Another model_type is refused by name.

#include <memory>
#include <string>
#include <vector>

#include "engine/runtime/language_model.h"

namespace attnscope {

struct RuntimeModel {
  std::string path, tokenizerPath;
  std::shared_ptr<const LanguageModel> model;
  std::shared_ptr<const TextTokenizer> tokenizer;
  std::string describe() const { return model->describe(); }
};

/// Opens `path`: a llama2.c checkpoint (with `tokenizerPath`, or else tokenizer.bin or tok<vocab>.bin from its
/// folder) or a Hugging Face folder (with `tokenizerPath` a tokenizer.json or a folder of tokenizer files, or else
/// the model's folder: tokenizer.json first, as AutoTokenizer prefers it). A decoder's continuation stops at the
/// config's eos_token_id (llama2.c: at BOS, as run.c). Throws Error with one line naming what is wrong and what is
/// allowed.
RuntimeModel openModel(const std::string& path, const std::string& tokenizerPath = {});

/// A tokenizer opened by itself, to compare with a model's: `path` a tokenizer.json, or a folder holding one, or
/// the older files (vocab.txt: BERT's WordPiece, lower-cased unless its tokenizer_config.json says otherwise;
/// vocab.json and merges.txt: GPT-2's byte-level BPE, RoBERTa's when the folder's config.json says roberta).
/// `described` names what was read. Throws Error with one line (a llama2.c tokenizer.bin is read with its model).
struct OpenedTokenizer {
  std::shared_ptr<const TextTokenizer> tokenizer;
  std::string path, described;
};
OpenedTokenizer openTokenizer(const std::string& path);

struct TokenChoice {
  int id = 0;
  std::string label;  ///< as an axis shows it ("▁ball")
  double p = 0;
};

struct Inference {
  std::vector<int> ids;
  std::vector<std::string> labels;  ///< one a token, for axes
  ModelPass pass;
  std::vector<TokenChoice> next;  ///< a decoder's likeliest next tokens after the last one, most likely first
  /// An encoder's likeliest words at each masked position (position, choices), in order.
  std::vector<std::pair<int, std::vector<TokenChoice>>> masked;
  std::vector<int> generated;  ///< the greedy continuation's ids
  std::string generatedText;   ///< and its text, as the model's library prints it
};

/// Token ids for `text`, as the model's tokenizer gives them (llama2.c: BOS first).
std::vector<int> encodeText(const RuntimeModel& m, const std::string& text);
/// Runs `ids` (checked against the model), keeps the `top` likeliest next tokens and, when `generate` > 0, that many
/// greedy tokens more.
Inference infer(const RuntimeModel& m, const std::vector<int>& ids, int top, int generate,
                const Progress& progress = {});
/// Tokens grouped into words (for the attention between words that bertviz users ask for).
struct WordGroups {
  std::vector<int> wordOf;          ///< per token, its word
  std::vector<std::string> labels;  ///< per word, its pieces' labels joined
};
WordGroups wordsOf(const RuntimeModel& m, const std::vector<int>& ids);
/// The attention between words: for words a and b, the mean over a's query pieces of the sum over b's key pieces,
/// so every row is still a distribution. The logits are left out.
ModelPass mergeIntoWords(const ModelPass& pass, const WordGroups& words);

/// Writes every layer's attention as a dump: .npy [layers, heads, n, n] or .npz with members layer_0 … [heads, n, n]
/// (float32, uncompressed, as np.savez), all or nothing. Throws Error for another ending.
void writeAttention(const std::string& path, const ModelPass& pass);

}  // namespace attnscope

#pragma once
// The model runtime's front door: open a model from a path, run a text or token ids through it, and keep what it
// says (the next token's likeliest choices, a greedy continuation) with every layer's attention, which can be
// written as the dump the Real attention tab and `attention` read.
//
// Formats: llama2.c checkpoints (a .bin, with its tokenizer.bin or tok<vocab>.bin beside it). A Hugging Face folder
// is refused by name for now.

#include <string>
#include <vector>

#include "engine/runtime/llama2c_model.h"
#include "engine/tokenizers/llama2c_tokenizer.h"

namespace attnscope {

struct RuntimeModel {
  std::string path, tokenizerPath;
  std::string format = "llama2.c";
  Llama2cModel model;
  Llama2cTokenizer tokenizer;
  /// "llama2.c, 5 layers, 8 heads (4 key-value), dim 64, vocabulary 512, 512 positions".
  std::string describe() const;
};

/// Opens `path`: a llama2.c checkpoint, with `tokenizerPath` or else tokenizer.bin or tok<vocab>.bin from its folder.
/// Throws Error with one line naming what is wrong (a folder, a missing tokenizer, a bad header) and what is allowed.
RuntimeModel openModel(const std::string& path, const std::string& tokenizerPath = {});

struct TokenChoice {
  int id = 0;
  std::string label;  ///< as an axis shows it ("▁ball")
  double p = 0;
};

struct Inference {
  std::vector<int> ids;
  std::vector<std::string> labels;  ///< one a token, for axes
  ModelPass pass;
  std::vector<TokenChoice> next;  ///< the likeliest next tokens after the last one, most likely first
  std::vector<int> generated;     ///< the greedy continuation's ids
  std::string generatedText;      ///< and its text, as llama2.c prints it
};

/// Token ids for `text`: BOS, then the tokenizer's pieces (as llama2.c's run does with a prompt).
std::vector<int> encodeText(const RuntimeModel& m, const std::string& text);
/// Runs `ids` (checked against the model: 1 … seq_len valid ids), keeps the `top` likeliest next tokens and, when
/// `generate` > 0, that many greedy tokens more (stopping at BOS or seq_len).
Inference infer(const RuntimeModel& m, const std::vector<int>& ids, int top, int generate,
                const Progress& progress = {});
/// Writes every layer's attention as a dump: .npy [layers, heads, n, n] or .npz with members layer_0 … [heads, n, n]
/// (float32, uncompressed, as np.savez), all or nothing. Throws Error for another ending.
void writeAttention(const std::string& path, const ModelPass& pass);

}  // namespace attnscope

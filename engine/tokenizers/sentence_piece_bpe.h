#pragma once
// SentencePiece-style BPE as Hugging Face's tokenizers runs it for Llama, Mistral and their kind (a tokenizer.json
// whose model is BPE with byte_fallback): spaces become '▁' and a '▁' is put before the text (by the normalizer's
// Prepend and Replace, or by the Metaspace pre-tokenizer), the text is cut into characters, each looked up in the
// vocabulary or else written as its UTF-8 bytes' "<0xXX>" tokens (byte fallback) or the unknown token, and then the
// adjacent pair of lowest merge rank is merged, the leftmost first, again and again, until no ranked pair is left.
//
// This is the same tokenization llama2.c's run.c gives with its score-ordered merges when the merges are ranked by
// the score of the piece they make (as transformers' LlamaConverter writes them): the tests hold the two against
// each other on the shipped stories260K tokenizer.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizers/special_tokens.h"

namespace attnscope {

class SentencePieceBpe {
 public:
  /// Where the '▁' goes before a stretch of text: before every stretch between special tokens (Prepend, Metaspace
  /// "always"), only before the one that starts the text ("first"), or nowhere ("never").
  enum class Prepend { Always, First, Never };
  struct Options {
    bool byteFallback = true;
    bool fuseUnknown = true;        ///< consecutive unknown characters become one unknown token
    std::string unknown = "<unk>";  ///< "" for none
    Prepend prepend = Prepend::Always;
    bool split = false;  ///< Metaspace split: each '▁'-started word merged on its own
  };

  /// `tokens` by id ("" for an id the vocabulary skips); `merges` by rank. Throws Error naming `what` for a merge of
  /// symbols the vocabulary lacks or into a piece it lacks, or an unknown token it lacks.
  static SentencePieceBpe build(std::vector<std::string> tokens,
                                const std::vector<std::pair<std::string, std::string>>& merges, Options options,
                                const std::string& what);
  /// Tokens matched whole in the text before anything else (added tokens); `lstrip` ones take the spaces before.
  void setSpecialTokens(const std::vector<std::string>& tokens, const std::vector<std::string>& lstrip = {});
  bool isSpecial(int id) const;

  int size() const { return static_cast<int>(tokens_.size()); }
  /// Token ids for `text` (UTF-8), nothing added around it.
  std::vector<int> encode(std::string_view text) const;
  const std::string& token(int id) const;
  int id(std::string_view token) const;
  /// As an axis shows it: the piece as stored ("▁ball", "<0x0A>").
  std::string label(int id) const { return token(id); }
  /// The text `id` adds after `previous` (−1: none): '▁' as a space, a "<0xXX>" token as its byte, the leading space
  /// dropped at the start or after a special token (as the Strip decoder does).
  std::string decode(int previous, int id) const;

 private:
  void encodeWord(const std::string& word, std::vector<int>& out) const;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int> ids_;
  std::unordered_map<std::uint64_t, std::pair<int, int>> merges_;  ///< (left, right) → (rank, merged)
  std::vector<int> byteIds_;                                       ///< "<0xXX>" per byte, or −1
  Options options_;
  int unknown_ = -1;
  SpecialTokens specials_;
  std::vector<std::string> specialList_;
};

}  // namespace attnscope

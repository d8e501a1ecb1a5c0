#pragma once
// Byte-level BPE as GPT-2 and RoBERTa tokenize (OpenAI's encoder.py, Hugging Face's ByteLevel pre-tokenizer and
// BPE model): the text is split by GPT-2's pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// (matched here by hand over Unicode categories), each piece's UTF-8 bytes are written as printable characters
// (bytes_to_unicode: the printable Latin-1 bytes as themselves, the others as U+0100 onwards, so a space is 'Ġ'),
// and then the pair with the lowest merge rank is merged, again and again, until no ranked pair is left; the
// symbols are looked up in the vocabulary.
//
// Files: vocab.json (token → id) and merges.txt (a "#version" line, then one pair a line, by rank). Special tokens
// (RoBERTa's <s>, </s>, <mask>) are matched in the text before it is split, whole.

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizers/special_tokens.h"

namespace attnscope {

class ByteLevelBpe {
 public:
  /// Reads vocab.json and merges.txt; throws Error with one line naming the file and what is wrong (not JSON, an id
  /// that is not a non-negative integer or repeats, a merge line that is not two symbols, a merged symbol missing
  /// from the vocabulary).
  static ByteLevelBpe read(const std::string& vocabPath, const std::string& mergesPath);

  /// The same from a tokenizer.json's parts: `tokens` by id ("" for an id it skips) and `merges` by rank. Errors
  /// name `what`.
  static ByteLevelBpe build(std::vector<std::string> tokens,
                            const std::vector<std::pair<std::string, std::string>>& merges, const std::string& what);
  /// Tokens matched whole in the text before splitting (they must be in the vocabulary); those in `lstrip` also take
  /// the whitespace before them (RoBERTa's <mask>, an AddedToken with lstrip=True).
  void setSpecialTokens(const std::vector<std::string>& tokens, const std::vector<std::string>& lstrip = {});
  /// RoBERTa's and GPT-2's add_prefix_space: a space before the text when it does not start with one.
  void setAddPrefixSpace(bool add) { addPrefixSpace_ = add; }

  int size() const { return static_cast<int>(tokens_.size()); }
  /// Token ids for `text` (UTF-8), no special tokens added around it.
  std::vector<int> encode(std::string_view text) const;
  /// The pieces GPT-2's pattern cuts `text` into (before bytes are mapped and merged), for tests and teaching.
  static std::vector<std::string> preTokenize(std::string_view text);
  /// The text of `ids` (bytes mapped back).
  std::string decode(const std::vector<int>& ids) const;
  /// The token as the vocabulary writes it ("Ġworld"), or throws Error for an id out of range.
  const std::string& token(int id) const;
  /// The token as an axis label: its bytes as text, a leading space as '▁'.
  std::string label(int id) const;
  /// The id of a token, or −1.
  int id(std::string_view token) const;

 private:
  void addMerge(const std::string& left, const std::string& right, const std::string& where);
  std::vector<int> encodeWord(const std::string& bytes) const;
  std::vector<std::string> tokens_;  ///< by id ("" for ids the vocabulary skips)
  std::unordered_map<std::string, int> ids_;
  std::unordered_map<std::string, int> ranks_;  ///< "left right" → rank
  SpecialTokens specials_;
  bool addPrefixSpace_ = false;
};

}  // namespace attnscope

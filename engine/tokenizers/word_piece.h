#pragma once
// WordPiece as BERT tokenizes (Hugging Face's BertNormalizer, BertPreTokenizer and WordPiece model, which follow
// Google's tokenization.py): the text is cleaned (NUL, U+FFFD and control characters dropped, whitespace made a
// space), a space put around every CJK character, accents stripped (NFD, non-spacing marks removed) and lower-cased
// for an uncased model, then split at whitespace and around every punctuation character (ASCII symbols and Unicode
// P*); each word becomes the longest vocabulary piece from its start, then the longest "##" piece from there, and
// so on — or [UNK] whole when some rest has no piece, or when it is longer than 100 characters.
//
// The vocabulary: vocab.txt, one token a line, the id its line number (from 0). Special tokens ([CLS], [SEP],
// [MASK], …) written in the text are matched whole, before anything else is done to it.

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizers/special_tokens.h"

namespace attnscope {

class WordPiece {
 public:
  /// Reads vocab.txt; throws Error with one line naming the file and what is wrong (empty, a token twice, no
  /// unknown token).
  static WordPiece read(const std::string& vocabPath, const std::string& unknown = "[UNK]");

  /// The same from a tokenizer.json's vocabulary: `tokens` by id, every id from 0 used. Errors name `what`.
  static WordPiece build(std::vector<std::string> tokens, const std::string& unknown, const std::string& what);
  /// An uncased model lower-cases (and then strips accents); a cased one does neither.
  void setLowercase(bool lowercase) { lowercase_ = lowercase; }
  /// Tokens matched whole in the text (they must be in the vocabulary): [CLS], [SEP], [MASK], [PAD], [UNK] when
  /// the vocabulary has them, by default.
  void setSpecialTokens(const std::vector<std::string>& tokens);

  int size() const { return static_cast<int>(tokens_.size()); }
  /// Token ids for `text` (UTF-8), no [CLS] or [SEP] added.
  std::vector<int> encode(std::string_view text) const;
  /// The words the text is cut into (normalised, split at whitespace and punctuation), before WordPiece.
  std::vector<std::string> words(std::string_view text) const;
  const std::string& token(int id) const;
  /// The token as an axis label: as the vocabulary writes it ("##ing" keeps its ##, so a word's pieces show).
  std::string label(int id) const { return token(id); }
  int id(std::string_view token) const;
  int unknownId() const { return unknown_; }

 private:
  void finish(const std::string& unknown, const std::string& what);
  void wordPieces(const std::string& word, std::vector<int>& out) const;
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int> ids_;
  SpecialTokens specials_;
  int unknown_ = -1;
  bool lowercase_ = true;
};

}  // namespace attnscope

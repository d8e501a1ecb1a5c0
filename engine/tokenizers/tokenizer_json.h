#pragma once
// Hugging Face's tokenizer.json, read as the tokenizers library would run it, for the three tokenizers the runtime
// knows: byte-level BPE (GPT-2, RoBERTa, …: a ByteLevel pre-tokenizer), WordPiece (BERT: BertNormalizer and
// BertPreTokenizer) and SentencePiece-style BPE with byte fallback (Llama, Mistral: '▁' for spaces by the Prepend
// and Replace normalizers or the Metaspace pre-tokenizer). The file's parts decide what is done:
//   added_tokens     matched whole before anything else (lstrip honoured);
//   normalizer       null, BertNormalizer, Prepend, Replace (a string pattern), or a Sequence of those;
//   pre_tokenizer    null, ByteLevel, BertPreTokenizer, Metaspace, or a Sequence of one of them;
//   model            BPE (merges as "a b" strings or [a, b] pairs) or WordPiece;
//   post_processor   null, TemplateProcessing (its single template), BertProcessing, RobertaProcessing, ByteLevel, or
//                    a Sequence of those: the special tokens put around the text.
// Anything else (Unigram, a Split regex, NFKC, BPE dropout, …) is refused by name, in one line that says what is read.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizers/byte_level_bpe.h"
#include "engine/tokenizers/sentence_piece_bpe.h"
#include "engine/tokenizers/word_piece.h"

namespace attnscope {

struct TokenizerJson {
  enum class Kind { ByteLevel, WordPiece, SentencePiece };
  Kind kind = Kind::ByteLevel;
  std::optional<ByteLevelBpe> byteLevel;
  std::optional<WordPiece> wordPiece;
  std::optional<SentencePieceBpe> sentencePiece;
  std::vector<int> prefix, suffix;       ///< the post-processor's tokens before and after one sequence
  std::vector<std::string> addedTokens;  ///< matched whole in the text
  int size() const;
  /// The id of a token (added or in the model's vocabulary), or −1.
  int id(std::string_view token) const;
};

/// Reads `path` (at most 64 MB); throws Error with one line naming the file, the part and what is read.
TokenizerJson readTokenizerJson(const std::string& path);
/// The same from the file's text; `what` names it in errors.
TokenizerJson parseTokenizerJson(std::string_view text, const std::string& what);

}  // namespace attnscope

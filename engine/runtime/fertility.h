#pragma once
// Why tokenizers decide n (issue 25): the same sentence in several languages through one tokenizer, counted — its
// tokens per word and per character (the tokenizer's fertility), the pieces it could not spell (unknown, or fallen
// back to raw bytes), the resulting n, and what attention pays for that n: n² cells a head (so the square of the
// fertility), against the first sample's (English in the shipped set).

#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/language_model.h"

namespace attnscope {

struct LanguageSample {
  std::string language, code, script, text;
  std::vector<std::string> words;  ///< the text cut into words by hand (no punctuation)
};

/// Reads a sample set: {"samples": [{"language", "code", "script", "text", "words": [...]}, ...]} (at most 1 MB, at
/// most 100 samples, each text at most 4,096 bytes). Throws Error naming the file and what is wrong.
std::vector<LanguageSample> readLanguageSamples(const std::string& path);
std::vector<LanguageSample> parseLanguageSamples(std::string_view json, const std::string& what);

struct TokenCount {
  std::string language, script;
  Index words = 0, characters = 0;  ///< characters: Unicode code points, spaces left out
  Index tokens = 0;                 ///< the text's own tokens (without the specials the tokenizer adds around it)
  Index n = 0;                      ///< what the model reads: tokens and specials
  Index unknown = 0, bytePieces = 0;
  double perWord = 0, perCharacter = 0;
  double cellsPerHead = 0;          ///< n²
  double cellsRatio = 0;            ///< n² over the first sample's n²
  std::optional<double> passFlops;  ///< the model's whole pass at n (when a model is given and takes n tokens)
  std::vector<std::string> pieces;  ///< each token as an axis label
  std::vector<int> ids;
};

/// Counts every sample through `tokenizer`; `model` (or null) gives each n's FLOPs. The specials are what the
/// tokenizer puts around an empty text ([CLS] [SEP], <s> … </s>, llama2.c's BOS). A piece is unknown when its label
/// is [UNK], <unk> or <|unk|>, and a byte when it reads <0xXX>.
std::vector<TokenCount> countTokens(const TextTokenizer& tokenizer, const LanguageModel* model,
                                    const std::vector<LanguageSample>& samples);

}  // namespace attnscope

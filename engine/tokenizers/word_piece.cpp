#include "engine/tokenizers/word_piece.h"

#include <algorithm>

#include "engine/io/atomic_file.h"
#include "engine/tokenizers/unicode_text.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope {

namespace {

constexpr std::size_t kMostVocabBytes = std::size_t(64) << 20;
constexpr std::size_t kMostWordChars = 100;  // max_input_chars_per_word

// Hugging Face's BertNormalizer and BertPreTokenizer definitions (Rust's char methods).
bool bertWhitespace(char32_t c) { return c == U'\t' || c == U'\n' || c == U'\r' || unicode::isWhitespace(c); }
bool bertControl(char32_t c) { return c != U'\t' && c != U'\n' && c != U'\r' && unicode::isOther(c); }
bool bertPunctuation(char32_t c) {
  const bool ascii = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
  return ascii || unicode::isPunctuation(c);
}

}  // namespace

WordPiece WordPiece::read(const std::string& vocabPath, const std::string& unknown) {
  const std::string text = readSmallFile(vocabPath, kMostVocabBytes, "a WordPiece vocabulary");
  WordPiece t;
  std::size_t line = 0;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string token = text.substr(at, end - at);
    at = end + 1;
    if (!token.empty() && token.back() == '\r') token.pop_back();
    ++line;
    if (!t.ids_.emplace(token, static_cast<int>(t.tokens_.size())).second)
      throw Error("vocabulary '" + vocabPath + "': line " + std::to_string(line) + " repeats the token '" +
                  quoted(token) + "' (vocab.txt: one token a line, its id the line number from 0)");
    t.tokens_.push_back(std::move(token));
  }
  if (t.tokens_.empty()) throw Error("vocabulary '" + vocabPath + "' is empty: expected one token a line");
  t.finish(unknown, "vocabulary '" + vocabPath + "'");
  return t;
}

WordPiece WordPiece::build(std::vector<std::string> tokens, const std::string& unknown, const std::string& what) {
  WordPiece t;
  t.tokens_ = std::move(tokens);
  for (std::size_t i = 0; i < t.tokens_.size(); ++i)
    if (!t.ids_.emplace(t.tokens_[i], static_cast<int>(i)).second)
      throw Error(what + ": the token '" + quoted(t.tokens_[i]) + "' appears twice");
  if (t.tokens_.empty()) throw Error(what + ": the vocabulary is empty");
  t.finish(unknown, what);
  return t;
}

void WordPiece::finish(const std::string& unknown, const std::string& what) {
  unknown_ = id(unknown);
  if (unknown_ < 0)
    throw Error(what + " has no unknown token '" + quoted(unknown) + "': WordPiece needs one for words it cannot cut");
  std::vector<std::string> specials;
  for (const char* s : {"[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]"})
    if (id(s) >= 0) specials.emplace_back(s);
  setSpecialTokens(specials);
}

void WordPiece::setSpecialTokens(const std::vector<std::string>& tokens) {
  for (const std::string& s : tokens)
    if (s.empty() || id(s) < 0) throw Error("special token '" + quoted(s) + "' is not in the vocabulary");
  specials_ = SpecialTokens(tokens);
}

int WordPiece::id(std::string_view token) const {
  const auto found = ids_.find(std::string(token));
  return found == ids_.end() ? -1 : found->second;
}

const std::string& WordPiece::token(int id) const {
  if (id < 0 || id >= size())
    throw Error("token id " + std::to_string(id) + " is not allowed: expected 0 … " + std::to_string(size() - 1));
  return tokens_[static_cast<std::size_t>(id)];
}

std::vector<std::string> WordPiece::words(std::string_view text) const {
  // Normalise: clean, space around CJK, strip accents and lower-case (uncased models).
  std::vector<char32_t> cps;
  for (char32_t c : unicode::decode(text)) {
    if (c == 0 || c == 0xFFFD || bertControl(c)) continue;
    if (bertWhitespace(c)) {
      cps.push_back(U' ');
    } else if (unicode::isCjk(c)) {
      cps.push_back(U' ');
      cps.push_back(c);
      cps.push_back(U' ');
    } else {
      cps.push_back(c);
    }
  }
  if (lowercase_) {
    std::vector<char32_t> stripped;
    for (char32_t c : unicode::nfd(cps))
      if (!unicode::isNonspacingMark(c)) stripped.push_back(c);
    cps = unicode::lower(stripped);
  }
  // Split at whitespace (dropped) and around punctuation (kept, alone).
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) out.push_back(std::move(word));
    word.clear();
  };
  for (char32_t c : cps) {
    if (bertWhitespace(c)) {
      flush();
    } else if (bertPunctuation(c)) {
      flush();
      unicode::append(word, c);
      flush();
    } else {
      unicode::append(word, c);
    }
  }
  flush();
  return out;
}

void WordPiece::wordPieces(const std::string& word, std::vector<int>& out) const {
  const std::vector<char32_t> cps = unicode::decode(word);
  if (cps.size() > kMostWordChars) {
    out.push_back(unknown_);
    return;
  }
  std::vector<int> pieces;
  for (std::size_t start = 0; start < cps.size();) {
    int found = -1;
    std::size_t end = cps.size();
    for (; end > start; --end) {
      const std::string piece = (start > 0 ? "##" : "") + unicode::encode(cps, start, end);
      if ((found = id(piece)) >= 0) break;
    }
    if (found < 0) {  // some rest has no piece: the whole word is unknown
      out.push_back(unknown_);
      return;
    }
    pieces.push_back(found);
    start = end;
  }
  out.insert(out.end(), pieces.begin(), pieces.end());
}

std::vector<int> WordPiece::encode(std::string_view text) const {
  std::vector<int> ids;
  specials_.split(
      text,
      [&](std::string_view between) {
        for (const std::string& word : words(between)) wordPieces(word, ids);
      },
      [&](const std::string& special) { ids.push_back(id(special)); });
  return ids;
}

}  // namespace attnscope

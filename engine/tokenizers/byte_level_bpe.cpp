#include "engine/tokenizers/byte_level_bpe.h"

#include <algorithm>
#include <array>
#include <limits>

#include "engine/io/atomic_file.h"
#include "engine/io/json.h"
#include "engine/tokenizers/unicode_text.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope {

namespace {

constexpr std::size_t kMostVocabBytes = std::size_t(64) << 20;
constexpr std::size_t kMostMergesBytes = std::size_t(64) << 20;
constexpr std::int64_t kMostVocab = 1 << 22;

// bytes_to_unicode: every byte as one printable character.
const std::array<std::string, 256>& byteChars() {
  static const std::array<std::string, 256> chars = [] {
    std::array<std::string, 256> out;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
      unicode::append(out[static_cast<std::size_t>(b)], printable ? static_cast<char32_t>(b) : next++);
    }
    return out;
  }();
  return chars;
}

// The reverse: a character of a token back to its byte, or −1.
int charByte(char32_t cp) {
  static const std::unordered_map<char32_t, int> bytes = [] {
    std::unordered_map<char32_t, int> m;
    for (int b = 0; b < 256; ++b) m[unicode::decode(byteChars()[static_cast<std::size_t>(b)]).front()] = b;
    return m;
  }();
  const auto found = bytes.find(cp);
  return found == bytes.end() ? -1 : found->second;
}

bool isSpace(char32_t cp) { return unicode::isWhitespace(cp); }
bool isOther(char32_t cp) { return !isSpace(cp) && !unicode::isLetter(cp) && !unicode::isNumber(cp); }

}  // namespace

ByteLevelBpe ByteLevelBpe::read(const std::string& vocabPath, const std::string& mergesPath) {
  ByteLevelBpe t;
  const JsonValue vocab = readJsonFile(vocabPath, kMostVocabBytes);
  auto vocabFail = [&](const std::string& what) {
    return Error("vocabulary '" + vocabPath + "': " + what + " (vocab.json: an object of token → id)");
  };
  if (!vocab.isObject()) throw vocabFail(std::string("it is ") + JsonValue::kindName(vocab.kind()) + ", not an object");
  for (const auto& [token, value] : vocab.members()) {
    const std::optional<std::int64_t> id = value.asInteger();
    if (!value.isNumber() || !id || *id < 0 || *id >= kMostVocab)
      throw vocabFail("token '" + quoted(token) + "' has id " +
                      (id                 ? std::to_string(*id)
                       : value.isNumber() ? std::to_string(value.asDouble())
                                          : JsonValue::kindName(value.kind())) +
                      ": expected an integer 0 … " + std::to_string(kMostVocab - 1));
    if (static_cast<std::size_t>(*id) >= t.tokens_.size()) t.tokens_.resize(static_cast<std::size_t>(*id) + 1);
    if (!t.tokens_[static_cast<std::size_t>(*id)].empty() || !t.ids_.emplace(token, static_cast<int>(*id)).second)
      throw vocabFail("id " + std::to_string(*id) + " or token '" + quoted(token) + "' appears twice");
    t.tokens_[static_cast<std::size_t>(*id)] = token;
  }
  const std::string merges = readSmallFile(mergesPath, kMostMergesBytes, "a BPE merges file");
  std::size_t line = 0;
  for (std::size_t at = 0; at < merges.size();) {
    std::size_t end = merges.find('\n', at);
    if (end == std::string::npos) end = merges.size();
    std::string text = merges.substr(at, end - at);
    at = end + 1;
    ++line;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty() || (line == 1 && text.rfind("#version", 0) == 0)) continue;
    const std::size_t space = text.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == text.size() ||
        text.find(' ', space + 1) != std::string::npos)
      throw Error("merges '" + mergesPath + "': line " + std::to_string(line) + " is '" + quoted(text) +
                  "': expected two symbols separated by one space");
    t.addMerge(text.substr(0, space), text.substr(space + 1),
               "merges '" + mergesPath + "': line " + std::to_string(line));
  }
  return t;
}

ByteLevelBpe ByteLevelBpe::build(std::vector<std::string> tokens,
                                 const std::vector<std::pair<std::string, std::string>>& merges,
                                 const std::string& what) {
  ByteLevelBpe t;
  t.tokens_ = std::move(tokens);
  for (std::size_t i = 0; i < t.tokens_.size(); ++i)
    if (!t.tokens_[i].empty() && !t.ids_.emplace(t.tokens_[i], static_cast<int>(i)).second)
      throw Error(what + ": the token '" + quoted(t.tokens_[i]) + "' appears twice");
  for (std::size_t i = 0; i < merges.size(); ++i)
    t.addMerge(merges[i].first, merges[i].second, what + ": merge " + std::to_string(i));
  return t;
}

void ByteLevelBpe::addMerge(const std::string& left, const std::string& right, const std::string& where) {
  const std::string joined = left + right;
  if (!ids_.count(joined))
    throw Error(where + " merges into '" + quoted(joined) + "', which the vocabulary does not hold");
  ranks_.emplace(left + ' ' + right, static_cast<int>(ranks_.size()));  // the first rank wins should a pair repeat
}

void ByteLevelBpe::setSpecialTokens(const std::vector<std::string>& tokens, const std::vector<std::string>& lstrip) {
  for (const std::string& s : tokens)
    if (s.empty() || id(s) < 0) throw Error("special token '" + quoted(s) + "' is not in the vocabulary");
  specials_ = SpecialTokens(tokens, lstrip);
}

int ByteLevelBpe::id(std::string_view token) const {
  const auto found = ids_.find(std::string(token));
  return found == ids_.end() ? -1 : found->second;
}

const std::string& ByteLevelBpe::token(int id) const {
  if (id < 0 || id >= size() || tokens_[static_cast<std::size_t>(id)].empty())
    throw Error("token id " + std::to_string(id) + " is not in this vocabulary of " + std::to_string(ids_.size()));
  return tokens_[static_cast<std::size_t>(id)];
}

std::vector<std::string> ByteLevelBpe::preTokenize(std::string_view text) {
  const std::vector<char32_t> cps = unicode::decode(text);
  const std::size_t n = cps.size();
  std::vector<std::string> pieces;
  auto run = [&](std::size_t from, auto&& in) {
    std::size_t to = from;
    while (to < n && in(cps[to])) ++to;
    return to;
  };
  for (std::size_t i = 0; i < n;) {
    const char32_t c = cps[i];
    std::size_t end = i;
    // 's 't 're 've 'm 'll 'd
    if (c == U'\'' && i + 1 < n) {
      const char32_t a = cps[i + 1], b = i + 2 < n ? cps[i + 2] : 0;
      if (a == U's' || a == U't' || a == U'm' || a == U'd')
        end = i + 2;
      else if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e') || (a == U'l' && b == U'l'))
        end = i + 3;
    }
    if (end == i) {
      // An optional space, then a run of letters, of numbers, or of anything else that is not whitespace.
      const std::size_t start = c == U' ' && i + 1 < n && !isSpace(cps[i + 1]) ? i + 1 : i;
      const char32_t first = cps[start];
      if (!isSpace(first)) {
        if (unicode::isLetter(first))
          end = run(start, [](char32_t x) { return unicode::isLetter(x); });
        else if (unicode::isNumber(first))
          end = run(start, [](char32_t x) { return unicode::isNumber(x); });
        else
          end = run(start, isOther);
      } else {
        // Whitespace: all of it at the end of the text; before a non-space, all but the last (which the next word
        // takes as its space), unless there is only one.
        end = run(i, isSpace);
        if (end < n && end - i >= 2) --end;
      }
    }
    pieces.push_back(unicode::encode(cps, i, end));
    i = end;
  }
  return pieces;
}

std::vector<int> ByteLevelBpe::encodeWord(const std::string& bytes) const {
  std::vector<std::string> symbols;
  symbols.reserve(bytes.size());
  for (const char b : bytes) symbols.push_back(byteChars()[static_cast<unsigned char>(b)]);
  // Merge the pair of lowest rank, every occurrence of it left to right, until no ranked pair is left.
  while (symbols.size() > 1) {
    int best = std::numeric_limits<int>::max();
    std::string bestPair;
    for (std::size_t i = 0; i + 1 < symbols.size(); ++i) {
      std::string pair = symbols[i] + ' ' + symbols[i + 1];
      const auto found = ranks_.find(pair);
      if (found != ranks_.end() && found->second < best) {
        best = found->second;
        bestPair = std::move(pair);
      }
    }
    if (bestPair.empty()) break;
    const std::size_t split = bestPair.find(' ');
    const std::string left = bestPair.substr(0, split), right = bestPair.substr(split + 1);
    std::vector<std::string> merged;
    merged.reserve(symbols.size());
    for (std::size_t i = 0; i < symbols.size(); ++i) {
      if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
        merged.push_back(left + right);
        ++i;
      } else {
        merged.push_back(symbols[i]);
      }
    }
    symbols = std::move(merged);
  }
  std::vector<int> ids;
  for (const std::string& s : symbols) {
    const int i = id(s);
    if (i < 0) throw Error("the text's piece '" + quoted(s) + "' is not in the vocabulary, which has no unknown token");
    ids.push_back(i);
  }
  return ids;
}

std::vector<int> ByteLevelBpe::encode(std::string_view text) const {
  std::vector<int> ids;
  std::string prefixed;
  if (addPrefixSpace_ && !text.empty() && text.front() != ' ') {
    prefixed = " " + std::string(text);
    text = prefixed;
  }
  // Special tokens are cut out whole first; the text between them is split and merged.
  specials_.split(
      text,
      [&](std::string_view between) {
        for (const std::string& piece : preTokenize(between)) {
          const std::vector<int> word = encodeWord(piece);
          ids.insert(ids.end(), word.begin(), word.end());
        }
      },
      [&](const std::string& special) { ids.push_back(id(special)); });
  return ids;
}

std::string ByteLevelBpe::decode(const std::vector<int>& ids) const {
  std::string out;
  for (int i : ids) {
    const std::string& t = token(i);
    if (specials_.contains(t)) {
      out += t;
      continue;
    }
    for (char32_t cp : unicode::decode(t)) {
      const int b = charByte(cp);
      if (b >= 0)
        out += static_cast<char>(b);
      else
        unicode::append(out, cp);
    }
  }
  return out;
}

std::string ByteLevelBpe::label(int id) const {
  std::string text = decode({id});
  if (!text.empty() && text.front() == ' ') text.replace(0, 1, "\u2581");
  return text;
}

}  // namespace attnscope

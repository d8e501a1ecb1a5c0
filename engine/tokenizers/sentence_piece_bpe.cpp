#include "engine/tokenizers/sentence_piece_bpe.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "engine/tokenizers/unicode_text.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope {

namespace {

const std::string kSpace = "\u2581";

std::uint64_t pairKey(int left, int right) { return (std::uint64_t(std::uint32_t(left)) << 32) | std::uint32_t(right); }

std::string byteToken(unsigned char b) {
  char text[8];
  std::snprintf(text, sizeof text, "<0x%02X>", b);
  return text;
}

}  // namespace

SentencePieceBpe SentencePieceBpe::build(std::vector<std::string> tokens,
                                         const std::vector<std::pair<std::string, std::string>>& merges,
                                         Options options, const std::string& what) {
  SentencePieceBpe t;
  t.tokens_ = std::move(tokens);
  for (std::size_t i = 0; i < t.tokens_.size(); ++i)
    if (!t.tokens_[i].empty() && !t.ids_.emplace(t.tokens_[i], static_cast<int>(i)).second)
      throw Error(what + ": the token '" + quoted(t.tokens_[i]) + "' appears twice");
  int rank = 0;
  for (const auto& [left, right] : merges) {
    const int a = t.id(left), b = t.id(right), merged = t.id(left + right);
    if (a < 0 || b < 0 || merged < 0)
      throw Error(what + ": merge " + std::to_string(rank) + " ('" + quoted(left) + "' '" + quoted(right) +
                  "') joins symbols or makes a piece the vocabulary does not hold");
    t.merges_.emplace(pairKey(a, b), std::make_pair(rank++, merged));  // the first rank wins should a pair repeat
  }
  t.byteIds_.assign(256, -1);
  for (int b = 0; b < 256; ++b) t.byteIds_[std::size_t(b)] = t.id(byteToken(static_cast<unsigned char>(b)));
  if (!options.unknown.empty()) {
    t.unknown_ = t.id(options.unknown);
    if (t.unknown_ < 0)
      throw Error(what + ": the unknown token '" + quoted(options.unknown) + "' is not in the vocabulary");
  }
  t.options_ = std::move(options);
  return t;
}

void SentencePieceBpe::setSpecialTokens(const std::vector<std::string>& tokens,
                                        const std::vector<std::string>& lstrip) {
  for (const std::string& s : tokens)
    if (s.empty() || id(s) < 0) throw Error("special token '" + quoted(s) + "' is not in the vocabulary");
  specials_ = SpecialTokens(tokens, lstrip);
  specialList_ = tokens;
}

bool SentencePieceBpe::isSpecial(int id) const {
  return id >= 0 && id < size() && specials_.contains(tokens_[std::size_t(id)]);
}

int SentencePieceBpe::id(std::string_view token) const {
  const auto found = ids_.find(std::string(token));
  return found == ids_.end() ? -1 : found->second;
}

const std::string& SentencePieceBpe::token(int id) const {
  if (id < 0 || id >= size() || tokens_[std::size_t(id)].empty())
    throw Error("token id " + std::to_string(id) + " is not in this vocabulary of " + std::to_string(ids_.size()));
  return tokens_[std::size_t(id)];
}

void SentencePieceBpe::encodeWord(const std::string& word, std::vector<int>& out) const {
  // The characters as symbols: a piece, else its bytes' tokens, else the unknown token.
  std::vector<int> symbols;
  const std::vector<char32_t> cps = unicode::decode(word);
  for (char32_t cp : cps) {
    std::string text;
    unicode::append(text, cp);
    if (const int i = id(text); i >= 0) {
      symbols.push_back(i);
      continue;
    }
    bool bytes = options_.byteFallback;
    for (unsigned char b : text) bytes = bytes && byteIds_[b] >= 0;
    if (bytes) {
      for (unsigned char b : text) symbols.push_back(byteIds_[b]);
    } else if (unknown_ >= 0) {
      if (!(options_.fuseUnknown && !symbols.empty() && symbols.back() == unknown_)) symbols.push_back(unknown_);
    } else {
      throw Error("the text's character '" + quoted(text) + "' is not in the vocabulary, which has no unknown token");
    }
  }
  // Merge the ranked pair of lowest rank, the leftmost first, over a linked list (a heap of candidate pairs; a
  // candidate whose symbols have changed since it was pushed is skipped).
  const int n = static_cast<int>(symbols.size());
  std::vector<int> next(static_cast<std::size_t>(n)), prev(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) next[std::size_t(i)] = i + 1, prev[std::size_t(i)] = i - 1;
  struct Candidate {
    int rank, left, leftId, rightId;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : left > o.left; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](int left) {
    if (left < 0 || next[std::size_t(left)] >= n) return;
    const int right = next[std::size_t(left)];
    const auto found = merges_.find(pairKey(symbols[std::size_t(left)], symbols[std::size_t(right)]));
    if (found != merges_.end())
      heap.push({found->second.first, left, symbols[std::size_t(left)], symbols[std::size_t(right)]});
  };
  for (int i = 0; i + 1 < n; ++i) push(i);
  std::vector<bool> gone(std::size_t(n), false);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    if (gone[std::size_t(c.left)] || symbols[std::size_t(c.left)] != c.leftId) continue;
    const int right = next[std::size_t(c.left)];
    if (right >= n || symbols[std::size_t(right)] != c.rightId) continue;
    symbols[std::size_t(c.left)] = merges_.at(pairKey(c.leftId, c.rightId)).second;
    gone[std::size_t(right)] = true;
    next[std::size_t(c.left)] = next[std::size_t(right)];
    if (next[std::size_t(right)] < n) prev[std::size_t(next[std::size_t(right)])] = c.left;
    push(prev[std::size_t(c.left)]);
    push(c.left);
  }
  for (int i = 0; i < n; i = next[std::size_t(i)]) out.push_back(symbols[std::size_t(i)]);
}

std::vector<int> SentencePieceBpe::encode(std::string_view text) const {
  std::vector<int> ids;
  bool first = true;
  specials_.split(
      text,
      [&](std::string_view between) {
        const bool starts = first;
        first = false;
        if (between.empty()) return;
        std::string word;
        const bool prepend = options_.prepend == Prepend::Always || (options_.prepend == Prepend::First && starts);
        if (prepend && between.substr(0, kSpace.size()) != kSpace) word = kSpace;
        for (char c : between) word += c == ' ' ? kSpace : std::string(1, c);
        if (!options_.split) return encodeWord(word, ids);
        // Metaspace's split: a word from each '▁' up to the next.
        std::size_t at = 0;
        while (at < word.size()) {
          std::size_t end = word.find(kSpace, at + (word.compare(at, kSpace.size(), kSpace) == 0 ? kSpace.size() : 0));
          if (end == std::string::npos) end = word.size();
          encodeWord(word.substr(at, end - at), ids);
          at = end;
        }
      },
      [&](const std::string& special) {
        first = false;
        ids.push_back(id(special));
      });
  return ids;
}

std::string SentencePieceBpe::decode(int previous, int id) const {
  const std::string& piece = token(id);
  for (int b = 0; b < 256; ++b)
    if (byteIds_[std::size_t(b)] == id) return std::string(1, static_cast<char>(b));
  if (isSpecial(id)) return piece;
  std::string text;
  for (std::size_t at = 0; at < piece.size();) {
    if (piece.compare(at, kSpace.size(), kSpace) == 0) {
      text += ' ';
      at += kSpace.size();
    } else {
      text += piece[at++];
    }
  }
  if ((previous < 0 || isSpecial(previous)) && !text.empty() && text.front() == ' ') text.erase(0, 1);
  return text;
}

}  // namespace attnscope

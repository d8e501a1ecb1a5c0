#include "engine/tokenizers/llama2c_tokenizer.h"

#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"

namespace attnscope {

namespace {

constexpr std::size_t kMostTokenizerBytes = std::size_t(64) << 20;  // Llama 2's 32,000 pieces take 430 kB
constexpr int kMostVocab = 1 << 20;

// The byte a "<0xXX>" piece stands for, or −1.
int rawByte(const std::string& piece) {
  if (piece.size() != 6 || piece.compare(0, 3, "<0x") != 0 || piece[5] != '>') return -1;
  int value = 0;
  for (int i = 3; i < 5; ++i) {
    const char c = piece[static_cast<std::size_t>(i)];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                             : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

}  // namespace

Llama2cTokenizer Llama2cTokenizer::read(const std::string& path, int vocabSize) {
  if (vocabSize < 3 || vocabSize > kMostVocab)
    throw Error("tokenizer '" + path + "': a vocabulary of " + std::to_string(vocabSize) +
                " tokens is not allowed: expected 3 … " + std::to_string(kMostVocab));
  const std::string bytes = readSmallFile(path, kMostTokenizerBytes, "a llama2.c tokenizer");
  std::size_t at = 0;
  auto fail = [&](const std::string& what) -> Error {
    return Error("tokenizer '" + path + "': " + what + " (a llama2.c tokenizer.bin for " + std::to_string(vocabSize) +
                 " tokens: an int32 max_token_length, then a float32 score, an int32 length and the bytes of each)");
  };
  auto take = [&](void* out, std::size_t count, const char* what) {
    if (bytes.size() - at < count)
      throw fail(std::string("ends at byte ") + std::to_string(bytes.size()) + " inside " + what);
    std::memcpy(out, bytes.data() + at, count);
    at += count;
  };
  std::int32_t maxLength = 0;
  take(&maxLength, 4, "the header");
  if (maxLength < 1 || maxLength > 4096)
    throw fail("max_token_length " + std::to_string(maxLength) + " is not allowed: expected 1 … 4096");
  Llama2cTokenizer t;
  t.pieces_.reserve(static_cast<std::size_t>(vocabSize));
  t.scores_.reserve(static_cast<std::size_t>(vocabSize));
  for (int i = 0; i < vocabSize; ++i) {
    float score = 0;
    std::int32_t length = 0;
    const std::string where = "token " + std::to_string(i);
    take(&score, 4, where.c_str());
    take(&length, 4, where.c_str());
    if (length < 0 || length > maxLength)
      throw fail(where + " has length " + std::to_string(length) + ": expected 0 … max_token_length " +
                 std::to_string(maxLength));
    std::string piece(static_cast<std::size_t>(length), '\0');
    take(piece.data(), piece.size(), where.c_str());
    t.ids_.emplace(piece, i);  // the first wins, as run.c's binary search over a stable sort finds
    t.pieces_.push_back(std::move(piece));
    t.scores_.push_back(score);
  }
  return t;
}

int Llama2cTokenizer::lookup(std::string_view piece) const {
  const auto found = ids_.find(std::string(piece));
  return found == ids_.end() ? -1 : found->second;
}

const std::string& Llama2cTokenizer::piece(int id) const {
  if (id < 0 || id >= size())
    throw Error("token id " + std::to_string(id) + " is not allowed: expected 0 … " + std::to_string(size() - 1));
  return pieces_[static_cast<std::size_t>(id)];
}

std::vector<int> Llama2cTokenizer::encode(std::string_view text, bool bos, bool eos) const {
  std::vector<int> tokens;
  if (bos) tokens.push_back(kBos);
  std::vector<int> ids;
  if (!text.empty()) {
    // The dummy prefix: SentencePiece's add_dummy_prefix, a space before the text.
    const int space = lookup(" ");
    if (space >= 0) ids.push_back(space);
  }
  // A character is a byte and the continuation bytes (10xxxxxx) after it, at most four in all, as run.c groups
  // them (whatever the first byte claims).
  for (std::size_t i = 0; i < text.size();) {
    std::size_t length = 1;
    while (length < 4 && i + length < text.size() && (static_cast<unsigned char>(text[i + length]) & 0xC0) == 0x80)
      ++length;
    const int id = lookup(text.substr(i, length));
    if (id >= 0) {
      ids.push_back(id);
    } else {
      for (std::size_t k = 0; k < length; ++k) {  // byte fallback
        const int byte = kFirstByte + static_cast<unsigned char>(text[i + k]);
        if (byte >= size())
          throw Error("the text's byte " + std::to_string(byte - kFirstByte) + " has no token: this vocabulary of " +
                      std::to_string(size()) + " has no byte pieces after it");
        ids.push_back(byte);
      }
    }
    i += length;
  }
  // Merge the best pair (highest score, leftmost on a tie) until none joins into a piece.
  for (;;) {
    float best = -std::numeric_limits<float>::infinity();
    int bestId = -1;
    std::size_t bestAt = 0;
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
      const int id = lookup(piece(ids[i]) + piece(ids[i + 1]));
      if (id >= 0 && scores_[static_cast<std::size_t>(id)] > best) {
        best = scores_[static_cast<std::size_t>(id)];
        bestId = id;
        bestAt = i;
      }
    }
    if (bestId < 0) break;
    ids[bestAt] = bestId;
    ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(bestAt) + 1);
  }
  tokens.insert(tokens.end(), ids.begin(), ids.end());
  if (eos) tokens.push_back(kEos);
  return tokens;
}

std::string Llama2cTokenizer::decode(int previous, int id) const {
  std::string text = piece(id);
  if (previous == kBos && !text.empty() && text.front() == ' ') text.erase(0, 1);
  if (const int byte = rawByte(text); byte >= 0) return std::string(1, static_cast<char>(byte));
  return text;
}

std::string Llama2cTokenizer::label(int id) const {
  std::string text = piece(id);
  if (rawByte(text) >= 0) return text;
  // llama2.c writes the special pieces with newlines around them ("\n<s>\n"): on an axis, "<s>".
  if (text.size() > 4 && text.front() == '\n' && text.back() == '\n' && text[1] == '<' && text[text.size() - 2] == '>')
    return text.substr(1, text.size() - 2);
  if (!text.empty() && text.front() == ' ') text.replace(0, 1, "\u2581");
  return text;
}

}  // namespace attnscope

#pragma once
// llama2.c's tokenizer (tokenizer.bin, tok512.bin …): SentencePiece-style BPE as Karpathy's run.c applies it, for
// the Llama-2-style checkpoints classes use. The file: an int32 max_token_length, then for each token a float32
// merge score, an int32 byte length and the piece's bytes ("▁" already written as a space; "<0x0A>" pieces for
// raw bytes). Token 1 is BOS, 2 is EOS, 3 … 258 the bytes 0x00 … 0xFF.
//
// Encoding (run.c's encode): a space is put before the text (the dummy prefix) unless the text is empty, the text
// is cut into characters (a byte and the continuation bytes after it, at most four), each looked up as a piece or else
// written as its bytes (byte fallback: token 3 + the byte), and then, again and again, the adjacent pair whose joined
// piece has the highest score is merged (the leftmost on a tie) until no pair joins into a piece.

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace attnscope {

class Llama2cTokenizer {
 public:
  static constexpr int kBos = 1;
  static constexpr int kEos = 2;
  static constexpr int kFirstByte = 3;  ///< token of byte 0x00

  /// Reads `vocabSize` pieces (the model's vocab_size; the file holds no count of its own). Throws Error with one
  /// line naming the file and what is wrong: too short, a negative or oversized length, a size no model has.
  static Llama2cTokenizer read(const std::string& path, int vocabSize);

  int size() const { return static_cast<int>(pieces_.size()); }
  /// Token ids for `text` (UTF-8), with BOS first and EOS last when asked.
  std::vector<int> encode(std::string_view text, bool bos, bool eos) const;
  /// The piece as stored ("<0x0A>" for a raw byte, " the" with its space). Throws Error for an id out of range.
  const std::string& piece(int id) const;
  /// The text `id` adds after `previous`, as run.c prints it: the leading space of the first piece after BOS
  /// dropped, a "<0xXX>" piece as its byte.
  std::string decode(int previous, int id) const;
  /// The piece as an axis label: raw bytes written <0x0A>, a leading space as '▁' (so a word start can be seen), the
  /// special pieces without the newlines llama2.c writes around them ("<s>").
  std::string label(int id) const;
  float score(int id) const { return scores_[static_cast<std::size_t>(id)]; }

 private:
  int lookup(std::string_view piece) const;
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, int> ids_;  ///< piece → id (the first, should a piece appear twice)
};

}  // namespace attnscope

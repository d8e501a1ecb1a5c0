#pragma once
// Special tokens written in a text (<s>, [MASK], <|endoftext|> …) are matched whole before a tokenizer does anything
// else to it, as Hugging Face's added tokens are: the text is cut at them, the leftmost first and, where two start
// at one place, the longest.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope {

class SpecialTokens {
 public:
  SpecialTokens() = default;
  /// `tokens` to match; those in `lstrip` also take the whitespace before them (an AddedToken with lstrip=True,
  /// as RoBERTa's <mask>).
  SpecialTokens(std::vector<std::string> tokens, std::vector<std::string> lstrip = {});
  bool contains(std::string_view token) const;
  /// Calls `text` for each stretch between special tokens (possibly empty) and `special` for each one matched, in
  /// order.
  void split(std::string_view input, const std::function<void(std::string_view)>& text,
             const std::function<void(const std::string&)>& special) const;

 private:
  std::vector<std::string> tokens_, lstrip_;
};

}  // namespace attnscope

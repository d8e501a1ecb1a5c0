#include "engine/tokenizers/special_tokens.h"

#include <algorithm>

#include "engine/tokenizers/unicode_text.h"

namespace attnscope {

SpecialTokens::SpecialTokens(std::vector<std::string> tokens, std::vector<std::string> lstrip)
    : tokens_(std::move(tokens)), lstrip_(std::move(lstrip)) {
  // Longest first: where two start at one place, the longer one is the token.
  std::stable_sort(tokens_.begin(), tokens_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

bool SpecialTokens::contains(std::string_view token) const {
  return std::find(tokens_.begin(), tokens_.end(), token) != tokens_.end();
}

void SpecialTokens::split(std::string_view input, const std::function<void(std::string_view)>& text,
                          const std::function<void(const std::string&)>& special) const {
  std::size_t at = 0;
  for (;;) {
    std::size_t next = std::string_view::npos;
    const std::string* found = nullptr;
    for (const std::string& s : tokens_) {
      const std::size_t where = input.find(s, at);
      if (where < next) {
        next = where;
        found = &s;
      }
    }
    std::string_view between = input.substr(at, found ? next - at : input.size() - at);
    std::string stripped;
    if (found && std::find(lstrip_.begin(), lstrip_.end(), *found) != lstrip_.end()) {
      std::vector<char32_t> cps = unicode::decode(between);
      while (!cps.empty() && unicode::isWhitespace(cps.back())) cps.pop_back();
      stripped = unicode::encode(cps);
      between = stripped;
    }
    text(between);
    if (!found) return;
    special(*found);
    at = next + found->size();
  }
}

}  // namespace attnscope

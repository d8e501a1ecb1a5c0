#pragma once
// UTF-8 text as code points, and the Unicode properties tokenizers split on (from ICU): letters (L*), numbers
// (N*), marks (M*), punctuation (P*), White_Space, and Chinese characters as BERT counts them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace attnscope::unicode {

/// The code points of `text`; a byte that does not start a valid UTF-8 character becomes U+FFFD, as Python's
/// decode(errors="replace") does, one replacement a bad byte.
std::vector<char32_t> decode(std::string_view text);
/// `cp` as UTF-8.
void append(std::string& out, char32_t cp);
std::string encode(const std::vector<char32_t>& cps, std::size_t from = 0, std::size_t to = std::string::npos);

bool isLetter(char32_t cp);
bool isNumber(char32_t cp);
bool isMark(char32_t cp);            ///< Mn, Mc, Me
bool isNonspacingMark(char32_t cp);  ///< Mn alone (what BERT's accent stripping removes)
bool isWhitespace(char32_t cp);      ///< the White_Space property
bool isPunctuation(char32_t cp);     ///< P* (BERT adds the ASCII symbols itself)
bool isControl(char32_t cp);         ///< Cc, Cf
bool isOther(char32_t cp);           ///< any C* category (Cc, Cf, Cs, Co, Cn), as Rust's char::is_other
/// BERT's _is_chinese_char: the CJK Unified Ideographs blocks and their extensions and compatibility blocks.
bool isCjk(char32_t cp);
/// Lower case of one character (simple case mapping).
char32_t toLower(char32_t cp);
/// Lower case of a whole text, with the full mappings (one character may become two, a final sigma is ς), as
/// Python's str.lower() and Rust's to_lowercase() do.
std::vector<char32_t> lower(const std::vector<char32_t>& cps);
/// The canonical decomposition (NFD) of `cps`.
std::vector<char32_t> nfd(const std::vector<char32_t>& cps);

}  // namespace attnscope::unicode

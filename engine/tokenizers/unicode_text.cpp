#include "engine/tokenizers/unicode_text.h"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope::unicode {

std::vector<char32_t> decode(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    int length = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    char32_t cp = length == 1 ? b : length == 2 ? (b & 0x1F) : length == 3 ? (b & 0x0F) : (b & 0x07);
    bool valid = length > 0 && i + static_cast<std::size_t>(length) <= text.size();
    for (int k = 1; valid && k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((c & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8 either.
    if (valid && ((length == 2 && cp < 0x80) || (length == 3 && cp < 0x800) || (length == 4 && cp < 0x10000) ||
                  (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF))
      valid = false;
    if (!valid) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(length);
  }
  return out;
}

void append(std::string& out, char32_t cp) { appendUtf8(out, static_cast<std::uint32_t>(cp)); }

std::string encode(const std::vector<char32_t>& cps, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < std::min(to, cps.size()); ++i) append(out, cps[i]);
  return out;
}

namespace {
int category(char32_t cp) { return u_charType(static_cast<UChar32>(cp)); }
}  // namespace

bool isLetter(char32_t cp) {
  const int c = category(cp);
  return c == U_UPPERCASE_LETTER || c == U_LOWERCASE_LETTER || c == U_TITLECASE_LETTER || c == U_MODIFIER_LETTER ||
         c == U_OTHER_LETTER;
}

bool isNumber(char32_t cp) {
  const int c = category(cp);
  return c == U_DECIMAL_DIGIT_NUMBER || c == U_LETTER_NUMBER || c == U_OTHER_NUMBER;
}

bool isMark(char32_t cp) {
  const int c = category(cp);
  return c == U_NON_SPACING_MARK || c == U_COMBINING_SPACING_MARK || c == U_ENCLOSING_MARK;
}

bool isNonspacingMark(char32_t cp) { return category(cp) == U_NON_SPACING_MARK; }

bool isWhitespace(char32_t cp) { return u_isUWhiteSpace(static_cast<UChar32>(cp)); }

bool isPunctuation(char32_t cp) {
  const int c = category(cp);
  return c == U_CONNECTOR_PUNCTUATION || c == U_DASH_PUNCTUATION || c == U_START_PUNCTUATION ||
         c == U_END_PUNCTUATION || c == U_INITIAL_PUNCTUATION || c == U_FINAL_PUNCTUATION || c == U_OTHER_PUNCTUATION;
}

bool isControl(char32_t cp) {
  const int c = category(cp);
  return c == U_CONTROL_CHAR || c == U_FORMAT_CHAR;
}

bool isOther(char32_t cp) {
  const int c = category(cp);
  return c == U_CONTROL_CHAR || c == U_FORMAT_CHAR || c == U_SURROGATE || c == U_PRIVATE_USE_CHAR || c == U_UNASSIGNED;
}

bool isCjk(char32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
         (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

char32_t toLower(char32_t cp) { return static_cast<char32_t>(u_tolower(static_cast<UChar32>(cp))); }

namespace {
std::vector<char32_t> codePoints(const icu::UnicodeString& s) {
  std::vector<char32_t> result;
  for (int32_t i = 0; i < s.length();) {
    const UChar32 cp = s.char32At(i);
    result.push_back(static_cast<char32_t>(cp));
    i += U16_LENGTH(cp);
  }
  return result;
}
icu::UnicodeString unicodeString(const std::vector<char32_t>& cps) {
  icu::UnicodeString s;
  for (char32_t cp : cps) s.append(static_cast<UChar32>(cp));
  return s;
}
}  // namespace

std::vector<char32_t> lower(const std::vector<char32_t>& cps) {
  icu::UnicodeString s = unicodeString(cps);
  s.toLower(icu::Locale::getRoot());
  return codePoints(s);
}

std::vector<char32_t> nfd(const std::vector<char32_t>& cps) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* normalizer = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status)) throw Error("Unicode normalisation (NFD) is not available: ICU could not load its data");
  icu::UnicodeString in;
  for (char32_t cp : cps) in.append(static_cast<UChar32>(cp));
  const icu::UnicodeString out = normalizer->normalize(in, status);
  if (U_FAILURE(status)) throw Error("Unicode normalisation (NFD) failed on the text");
  std::vector<char32_t> result;
  for (int32_t i = 0; i < out.length();) {
    const UChar32 cp = out.char32At(i);
    result.push_back(static_cast<char32_t>(cp));
    i += U16_LENGTH(cp);
  }
  return result;
}

}  // namespace attnscope::unicode

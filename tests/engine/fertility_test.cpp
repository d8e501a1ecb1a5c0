// Why tokenizers decide n (issue 25): the shipped sample set counted through stories260K's tokenizer, which knows
// English pieces and spells everything else byte by byte — so each count can be worked by hand.
#include <gtest/gtest.h>

#include <string>

#include "engine/runtime/fertility.h"
#include "engine/runtime/inference.h"
#include "engine/tokenizers/unicode_text.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

const std::string kStories = std::string(ATTNSCOPE_STORIES_DIR) + "/stories260K.bin";
const std::string kSamples = std::string(ATTNSCOPE_TEXTS_DIR) + "/one-sentence-ten-languages.json";

TEST(Fertility, TheSampleSetCountedByHand) {
  const std::vector<LanguageSample> samples = readLanguageSamples(kSamples);
  ASSERT_EQ(samples.size(), 10u);
  const RuntimeModel m = openModel(kStories);
  const std::vector<TokenCount> c = countTokens(*m.tokenizer, m.model.get(), samples);
  // Words as cut by hand, and characters (spaces left out, punctuation in), counted in each sentence.
  const std::vector<Index> words{15, 16, 12, 13, 11, 15, 9, 15, 14, 14};
  const std::vector<Index> characters{49, 67, 70, 63, 54, 54, 27, 24, 30, 55};
  for (std::size_t i = 0; i < 10; ++i) {
    EXPECT_EQ(c[i].words, words[i]) << c[i].language;
    EXPECT_EQ(c[i].characters, characters[i]) << c[i].language;
    EXPECT_EQ(c[i].n, c[i].tokens + 1) << "llama2.c adds BOS";
    EXPECT_EQ(c[i].unknown, 0) << "byte fallback spells everything";
    EXPECT_DOUBLE_EQ(c[i].perWord, double(c[i].tokens) / double(words[i]));
    EXPECT_DOUBLE_EQ(c[i].cellsRatio, double(c[i].n * c[i].n) / double(c[0].n * c[0].n));
    EXPECT_EQ(c[i].passFlops, m.model->passFlops(c[i].n));
  }
  EXPECT_EQ(c[0].bytePieces, 0);  // English: all in the vocabulary
  EXPECT_EQ(c[1].bytePieces, 0);  // French's accents too (é, ' are pieces of their own)
  // Outside English tok512 has no pieces: every letter is its UTF-8 bytes, one token each; each space, the dummy
  // prefix llama2.c puts first, and an ASCII full stop are a token each.
  struct ByHand {
    std::size_t i;
    Index bytes, spaces, fullStops;
  };
  for (const ByHand& h : {ByHand{2, 69 * 2, 11, 1},    // Russian: 69 Cyrillic letters of 2 bytes
                          ByHand{3, 62 * 2, 12, 1},    // Greek: 62 letters of 2 bytes (tonos precomposed)
                          ByHand{4, 53 * 2, 10, 1},    // Arabic: 53 letters of 2 bytes
                          ByHand{5, 54 * 3, 14, 0},    // Hindi: 53 Devanagari signs and the danda, 3 bytes each
                          ByHand{6, 26 * 3, 8, 1},     // Korean: 26 Hangul syllables of 3 bytes
                          ByHand{7, 24 * 3, 0, 0},     // Chinese: 22 Han characters and two full-width marks
                          ByHand{8, 30 * 3, 0, 0},     // Japanese: 30 Han, kana and marks of 3 bytes
                          ByHand{9, 55 * 3, 1, 0}}) {  // Thai: 55 letters and vowel signs of 3 bytes
    EXPECT_EQ(c[h.i].bytePieces, h.bytes) << c[h.i].language;
    EXPECT_EQ(c[h.i].tokens, h.bytes + h.spaces + 1 + h.fullStops) << c[h.i].language;
  }
  // Hindi costs (178 / 27)² ≈ 43 times English's cells.
  EXPECT_NEAR(c[5].cellsRatio, 178.0 * 178.0 / (27.0 * 27.0), 1e-12);
}

TEST(Fertility, TheWordsAreTheTextAndBadSetsAreOneLine) {
  // Each sample's words, joined, are its text without spaces and punctuation: the cut was made by hand, not invented.
  for (const LanguageSample& s : readLanguageSamples(kSamples)) {
    std::string joined, stripped;
    for (const std::string& w : s.words) joined += w;
    for (char32_t cp : unicode::decode(s.text))
      if (!unicode::isWhitespace(cp) && !(unicode::isPunctuation(cp) && cp != U'-' && cp != U'\''))
        unicode::append(stripped, cp);
    EXPECT_EQ(joined, stripped) << s.language;
  }
  EXPECT_NE(test::errorOf([] { parseLanguageSamples("[]", "set"); }).find("\"samples\" array"), std::string::npos);
  EXPECT_NE(test::errorOf([] {
              parseLanguageSamples(R"({"samples": [{"language": "x", "code": "x", "script": "x", "text": "a"}]})",
                                   "set");
            }).find("sample 1 has no \"words\""),
            std::string::npos);
}

}  // namespace
}  // namespace attnscope

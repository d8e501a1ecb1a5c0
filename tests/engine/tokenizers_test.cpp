// The tokenizers against test vectors made with Hugging Face's own tokenizers (llama.cpp's vocab tests: every line),
// and hand-worked cases of the pre-tokenizer.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/tokenizers/byte_level_bpe.h"
#include "engine/tokenizers/word_piece.h"
#include "engine/util/error.h"
#include "tests/engine/test_util.h"
#include "tests/engine/tokenizer_vectors.h"

namespace attnscope {
namespace {

const std::string& kData = test::kTokenizerData;

using test::readAll;
using test::readVectors;
using test::Vectors;

const ByteLevelBpe& gpt2() {
  static const ByteLevelBpe t = ByteLevelBpe::read(kData + "/gpt2/vocab.json", kData + "/gpt2/merges.txt");
  return t;
}

TEST(ByteLevelBpe, EveryGpt2TestVector) {
  const Vectors v = readVectors("gpt-2");
  ASSERT_EQ(v.inputs.size(), 46u);
  ASSERT_EQ(v.ids.size(), v.inputs.size());
  for (std::size_t i = 0; i < v.inputs.size(); ++i) {
    SCOPED_TRACE("input " + std::to_string(i) + ": " + v.inputs[i]);
    EXPECT_EQ(gpt2().encode(v.inputs[i]), v.ids[i]);
    EXPECT_EQ(gpt2().decode(v.ids[i]), v.inputs[i]);  // byte-level: every text comes back exactly
  }
}

// GPT-2's pattern, worked by hand: contractions, an optional space before a run, the whitespace before a word left
// for the word, numbers and symbols apart from letters.
TEST(ByteLevelBpe, ThePreTokenizerCutsAsGpt2sPattern) {
  using Pieces = std::vector<std::string>;
  EXPECT_EQ(ByteLevelBpe::preTokenize("Hello, y'all! I'm 3rd"),
            (Pieces{"Hello", ",", " y", "'", "all", "!", " I", "'m", " 3", "rd"}));
  EXPECT_EQ(ByteLevelBpe::preTokenize("a   b"), (Pieces{"a", "  ", " b"}));
  EXPECT_EQ(ByteLevelBpe::preTokenize("a\n\nb "), (Pieces{"a", "\n", "\n", "b", " "}));
  EXPECT_EQ(ByteLevelBpe::preTokenize(" ...x"), (Pieces{" ...", "x"}));
  EXPECT_EQ(ByteLevelBpe::preTokenize("Führer 1314151天"), (Pieces{"F\u00fchrer", " 1314151", "天"}));
}

TEST(ByteLevelBpe, HandCasesAndSpecialTokens) {
  // " Hello world" is Ġ-prefixed pieces; the labels show the space as ▁.
  const std::vector<int> ids = gpt2().encode(" Hello world");
  EXPECT_EQ(ids, (std::vector<int>{18435, 995}));
  EXPECT_EQ(gpt2().token(18435), "\u0120Hello");
  EXPECT_EQ(gpt2().label(18435), "\u2581Hello");
  // add_prefix_space: "Hello world" reads as " Hello world".
  ByteLevelBpe prefixed = gpt2();
  prefixed.setAddPrefixSpace(true);
  EXPECT_EQ(prefixed.encode("Hello world"), ids);
  // A special token is matched whole before the text is split.
  ByteLevelBpe special = gpt2();
  special.setSpecialTokens({"<|endoftext|>"});
  EXPECT_EQ(special.encode("Hi<|endoftext|> there"), (std::vector<int>{17250, 50256, 612}));
  EXPECT_EQ(special.decode({17250, 50256, 612}), "Hi<|endoftext|> there");
  EXPECT_NE(test::errorOf([&] { special.setSpecialTokens({"<mask>"}); }).find("is not in the vocabulary"),
            std::string::npos);
}

TEST(ByteLevelBpe, BadFilesAreOneLine) {
  const std::string dir = testing::TempDir();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir + name, std::ios::binary) << text;
    return dir + name;
  };
  const std::string merges = write("merges.txt", "#version: 0.2\na b\n");
  EXPECT_NE(test::errorOf([&] { ByteLevelBpe::read(write("v1.json", "[1, 2]"), merges); }).find("not an object"),
            std::string::npos);
  EXPECT_NE(
      test::errorOf([&] { ByteLevelBpe::read(write("v2.json", R"({"a": -1})"), merges); }).find("token 'a' has id"),
      std::string::npos);
  EXPECT_NE(
      test::errorOf([&] { ByteLevelBpe::read(write("v3.json", R"({"a": 0, "b": 0})"), merges); }).find("appears twice"),
      std::string::npos);
  EXPECT_NE(test::errorOf([&] {
              ByteLevelBpe::read(write("v4.json", R"({"a": 0, "b": 1})"), merges);
            }).find("merges into 'ab', which the vocabulary does not hold"),
            std::string::npos);
  EXPECT_NE(test::errorOf([&] {
              ByteLevelBpe::read(write("v5.json", R"({"a": 0, "b": 1, "ab": 2})"), write("m2.txt", "a  b\n"));
            }).find("line 1 is 'a  b': expected two symbols separated by one space"),
            std::string::npos);
}

const WordPiece& bertUncased() {
  static const WordPiece t = WordPiece::read(kData + "/bert-base-uncased/vocab.txt");
  return t;
}

TEST(WordPiece, EveryBertTestVector) {
  const Vectors v = readVectors("bert-bge");
  ASSERT_EQ(v.inputs.size(), 46u);
  ASSERT_EQ(v.ids.size(), v.inputs.size());
  for (std::size_t i = 0; i < v.inputs.size(); ++i) {
    SCOPED_TRACE("input " + std::to_string(i) + ": " + v.inputs[i]);
    EXPECT_EQ(bertUncased().encode(v.inputs[i]), v.ids[i]);
  }
}

// Worked by hand from BERT's rules: accents stripped and lower-cased, punctuation alone, CJK characters alone,
// "##" pieces after the first, a word with a rest no piece covers unknown whole, special tokens kept whole.
TEST(WordPiece, HandCases) {
  using Words = std::vector<std::string>;
  EXPECT_EQ(bertUncased().words("Héllo, WORLD!"), (Words{"hello", ",", "world", "!"}));
  EXPECT_EQ(bertUncased().words("我想\tapple"), (Words{"我", "想", "apple"}));
  EXPECT_EQ(bertUncased().words("a\u200db"), (Words{"ab"}));  // a format character (ZWJ) is dropped
  const WordPiece& t = bertUncased();
  EXPECT_EQ(t.id("[CLS]"), 101);
  EXPECT_EQ(t.id("[MASK]"), 103);
  const std::vector<int> ids = t.encode("The cat [MASK] on the mat.");
  ASSERT_EQ(ids.size(), 7u);
  EXPECT_EQ(ids[2], 103);
  EXPECT_EQ(t.token(ids[0]), "the");
  // "unaffable" is not one piece: the longest from the start, then "##" pieces.
  const std::vector<int> pieces = t.encode("unaffable");
  ASSERT_GE(pieces.size(), 2u);
  EXPECT_EQ(t.token(pieces[1]).substr(0, 2), "##");
  std::string joined = t.token(pieces[0]);
  for (std::size_t i = 1; i < pieces.size(); ++i) joined += t.token(pieces[i]).substr(2);
  EXPECT_EQ(joined, "unaffable");
  EXPECT_EQ(t.encode(std::string(101, 'a')), (std::vector<int>{100}));  // longer than 100 characters
}

}  // namespace
}  // namespace attnscope

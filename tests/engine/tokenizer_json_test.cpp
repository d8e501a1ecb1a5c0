// tokenizer.json read as Hugging Face's tokenizers runs it: files shaped as the library writes them for GPT-2
// (ByteLevel), BERT (BertNormalizer, BertPreTokenizer, WordPiece, BertProcessing) and Llama (Prepend and Replace, or
// Metaspace; BPE with byte fallback; TemplateProcessing), built here from the real vocabularies, against the
// published test vectors and against llama2.c's own tokenizer; and the parts it does not read, refused by name.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/tokenizers/llama2c_tokenizer.h"
#include "engine/tokenizers/tokenizer_json.h"
#include "engine/util/error.h"
#include "tests/engine/test_util.h"
#include "tests/engine/tokenizer_vectors.h"

namespace attnscope {
namespace {

const std::string& kData = test::kTokenizerData;
const std::string kSpace = "\u2581";

using test::readAll;
using test::readVectors;
using test::Vectors;

// A JSON string literal.
std::string json(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\u%04x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// The lines of a merges.txt as a tokenizer.json "merges" list of "a b" strings.
std::string mergesList(const std::string& path) {
  std::istringstream in(readAll(path));
  std::string out = "[", line;
  bool first = true;
  while (std::getline(in, line)) {
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    out += (first ? "" : ",") + json(line);
    first = false;
  }
  return out + "]";
}

// GPT-2's tokenizer.json as transformers' GPT2TokenizerFast saves it.
std::string gpt2Json() {
  return R"({"version": "1.0", "truncation": null, "padding": null,
    "added_tokens": [{"id": 50256, "content": "<|endoftext|>", "single_word": false, "lstrip": false,
                      "rstrip": false, "normalized": true, "special": true}],
    "normalizer": null,
    "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
    "post_processor": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
    "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
    "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": "",
              "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
              "vocab": )" +
         readAll(kData + "/gpt2/vocab.json") + R"(, "merges": )" + mergesList(kData + "/gpt2/merges.txt") + "}}";
}

// bert-base-uncased's tokenizer.json as BertTokenizerFast saves it.
std::string bertJson() {
  std::istringstream in(readAll(kData + "/bert-base-uncased/vocab.txt"));
  std::string vocab = "{", line;
  for (int id = 0; std::getline(in, line); ++id) vocab += (id ? "," : "") + json(line) + ":" + std::to_string(id);
  vocab += "}";
  std::string added;
  for (const auto& [id, content] : std::vector<std::pair<int, std::string>>{
           {0, "[PAD]"}, {100, "[UNK]"}, {101, "[CLS]"}, {102, "[SEP]"}, {103, "[MASK]"}})
    added += std::string(added.empty() ? "" : ",") + R"({"id": )" + std::to_string(id) + R"(, "content": )" +
             json(content) + R"(, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false,
               "special": true})";
  return R"({"version": "1.0", "added_tokens": [)" + added + R"(],
    "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                   "strip_accents": null, "lowercase": true},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
      "pair": [],
      "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [101], "tokens": ["[CLS]"]},
                         "[SEP]": {"id": "[SEP]", "ids": [102], "tokens": ["[SEP]"]}}},
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
              "max_input_chars_per_word": 100, "vocab": )" +
         vocab + "}}";
}

const Llama2cTokenizer& stories() {
  static const Llama2cTokenizer t = Llama2cTokenizer::read(std::string(ATTNSCOPE_STORIES_DIR) + "/tok512.bin", 512);
  return t;
}

// stories260K's tokenizer as transformers' LlamaConverter writes a SentencePiece BPE: the pieces with '▁' for
// spaces, <unk> <s> </s> and the <0xXX> bytes, and a merge for every way a piece splits into two pieces, ranked by
// the piece's score (best first). `legacy`: the normalizer's Prepend and Replace (Llama 2's files); otherwise the
// Metaspace pre-tokenizer with prepend_scheme "first" (newer files).
std::string storiesJson(bool legacy) {
  const Llama2cTokenizer& t = stories();
  std::vector<std::string> pieces;
  for (int id = 0; id < t.size(); ++id) {
    std::string p = id == 0 ? "<unk>" : id == 1 ? "<s>" : id == 2 ? "</s>" : t.piece(id);
    std::string spaced;
    for (char c : p) spaced += c == ' ' ? kSpace : std::string(1, c);
    pieces.push_back(spaced);
  }
  std::string vocab = "{";
  for (int id = 0; id < t.size(); ++id)
    vocab += (id ? "," : "") + json(pieces[std::size_t(id)]) + ":" + std::to_string(id);
  vocab += "}";
  struct Merge {
    float score;
    std::string left, right;
  };
  std::vector<Merge> merges;
  std::map<std::string, int> ids;
  for (int id = 0; id < t.size(); ++id) ids[pieces[std::size_t(id)]] = id;
  for (int id = 259; id < t.size(); ++id) {
    const std::string& p = pieces[std::size_t(id)];
    for (std::size_t cut = 1; cut < p.size(); ++cut)
      if (ids.count(p.substr(0, cut)) && ids.count(p.substr(cut)) && ids[p.substr(0, cut)] >= 3 &&
          ids[p.substr(cut)] >= 3)
        merges.push_back({t.score(id), p.substr(0, cut), p.substr(cut)});
  }
  std::stable_sort(merges.begin(), merges.end(), [](const Merge& a, const Merge& b) { return a.score > b.score; });
  std::string list = "[";
  for (std::size_t i = 0; i < merges.size(); ++i)
    list += (i ? "," : "") + std::string("[") + json(merges[i].left) + "," + json(merges[i].right) + "]";
  list += "]";
  const std::string added = R"([{"id": 0, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false,
      "normalized": false, "special": true},
    {"id": 1, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false,
      "special": true},
    {"id": 2, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false,
      "special": true}])";
  const std::string text =
      legacy ? R"("normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
                   {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
               "pre_tokenizer": null,)"
             : R"("normalizer": null,
               "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},)";
  return R"({"version": "1.0", "added_tokens": )" + added + "," + text + R"(
    "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
    "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
    "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
              "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
              "vocab": )" +
         vocab + R"(, "merges": )" + list + "}}";
}

TEST(TokenizerJson, Gpt2sFileGivesEveryTestVector) {
  const TokenizerJson t = parseTokenizerJson(gpt2Json(), "gpt2/tokenizer.json");
  ASSERT_EQ(t.kind, TokenizerJson::Kind::ByteLevel);
  EXPECT_EQ(t.size(), 50257);
  EXPECT_TRUE(t.prefix.empty());
  EXPECT_TRUE(t.suffix.empty());
  const Vectors v = readVectors("gpt-2");
  ASSERT_EQ(v.inputs.size(), 46u);
  for (std::size_t i = 0; i < v.inputs.size(); ++i) {
    SCOPED_TRACE("input " + std::to_string(i) + ": " + v.inputs[i]);
    EXPECT_EQ(t.byteLevel->encode(v.inputs[i]), v.ids[i]);
  }
  // The added token is matched whole.
  EXPECT_EQ(t.byteLevel->encode("Hi<|endoftext|> there"), (std::vector<int>{17250, 50256, 612}));
}

TEST(TokenizerJson, BertsFileGivesEveryTestVectorAndItsTemplate) {
  const TokenizerJson t = parseTokenizerJson(bertJson(), "bert/tokenizer.json");
  ASSERT_EQ(t.kind, TokenizerJson::Kind::WordPiece);
  EXPECT_EQ(t.prefix, (std::vector<int>{101}));
  EXPECT_EQ(t.suffix, (std::vector<int>{102}));
  const Vectors v = readVectors("bert-bge");
  ASSERT_EQ(v.inputs.size(), 46u);
  for (std::size_t i = 0; i < v.inputs.size(); ++i) {
    SCOPED_TRACE("input " + std::to_string(i) + ": " + v.inputs[i]);
    EXPECT_EQ(t.wordPiece->encode(v.inputs[i]), v.ids[i]);
  }
  EXPECT_EQ(t.wordPiece->encode("The cat [MASK]."), (std::vector<int>{1996, 4937, 103, 1012}));
}

// Two different algorithms, one answer: llama2.c's score-ordered merging and tokenizers' ranked merges with byte
// fallback, on stories260K's vocabulary — for plain words, runs of spaces, a newline, accents, CJK and emoji (which
// that vocabulary has only as bytes).
TEST(TokenizerJson, LlamasFileTokenizesAsLlama2c) {
  const TokenizerJson legacy = parseTokenizerJson(storiesJson(true), "stories/tokenizer.json");
  const TokenizerJson metaspace = parseTokenizerJson(storiesJson(false), "stories/tokenizer.json");
  ASSERT_EQ(legacy.kind, TokenizerJson::Kind::SentencePiece);
  EXPECT_EQ(legacy.prefix, (std::vector<int>{1}));
  EXPECT_TRUE(legacy.suffix.empty());
  for (const std::string text :
       {"Once upon a time, there was a little girl named Lily.", "Hello  world", " leading", "trailing  ", "a\nb",
        "caf\u00e9 na\u00efve", "\u6771\u4eac\u3078\u884c\u304f", "I \u2764\ufe0f \U0001F999!", "The quick brown fox",
        "x", "don't stop-believing 1234"}) {
    SCOPED_TRACE(text);
    std::vector<int> expected = stories().encode(text, /*bos*/ false, /*eos*/ false);
    EXPECT_EQ(legacy.sentencePiece->encode(text), expected);
    EXPECT_EQ(metaspace.sentencePiece->encode(text), expected);
  }
  // The emoji has no piece: its four bytes are <0xF0> <0x9F> <0xA6> <0x99>, tokens 3 + byte.
  const std::vector<int> llama = legacy.sentencePiece->encode("\U0001F999");
  EXPECT_EQ(std::vector<int>(llama.end() - 4, llama.end()), (std::vector<int>{3 + 0xF0, 3 + 0x9F, 3 + 0xA6, 3 + 0x99}));
  // Decoding gives the text back: '▁' as a space, the leading one dropped after <s>, bytes as themselves.
  std::string text;
  int previous = 1;
  for (int id : legacy.sentencePiece->encode("Once upon a time \U0001F999")) {
    text += legacy.sentencePiece->decode(previous, id);
    previous = id;
  }
  EXPECT_EQ(text, "Once upon a time \U0001F999");
}

// Where the two shapes of a Llama file differ: the legacy normalizer puts '▁' before every stretch of text, also
// after an added token; Metaspace's "first" only before the stretch that starts the text.
TEST(TokenizerJson, PrependAlwaysOrFirstAroundAddedTokens) {
  const TokenizerJson legacy = parseTokenizerJson(storiesJson(true), "legacy");
  const TokenizerJson first = parseTokenizerJson(storiesJson(false), "first");
  const std::vector<int> a = legacy.sentencePiece->encode("<s>Once"), b = first.sentencePiece->encode("<s>Once");
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(a.front(), 1);
  EXPECT_EQ(b.front(), 1);
  EXPECT_EQ(std::vector<int>(a.begin() + 1, a.end()), stories().encode("Once", false, false));  // "▁Once"
  std::string rest;
  for (auto it = b.begin() + 1; it != b.end(); ++it) rest += first.sentencePiece->token(*it);
  EXPECT_EQ(rest, "Once");  // no '▁' before it
}

TEST(TokenizerJson, WhatIsNotReadIsRefusedByName) {
  auto error = [](const std::string& text) { return test::errorOf([&] { parseTokenizerJson(text, "t.json"); }); };
  const std::string bpe = R"("model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]})";
  EXPECT_NE(error(R"({"model": {"type": "Unigram", "vocab": []}})")
                .find("model 'Unigram' is not read: expected BPE or WordPiece"),
            std::string::npos);
  EXPECT_NE(error(R"({"normalizer": {"type": "NFKC"}, "pre_tokenizer": {"type": "ByteLevel"}, )" + bpe + "}")
                .find("normalizer 'NFKC' is not read"),
            std::string::npos);
  EXPECT_NE(
      error(
          R"({"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "x"}}]}, )" +
          bpe + "}")
          .find("pre_tokenizer 'Split' is not read"),
      std::string::npos);
  EXPECT_NE(error(R"({"pre_tokenizer": {"type": "ByteLevel"}, "post_processor": {"type": "Nope"}, )" + bpe + "}")
                .find("post_processor 'Nope' is not read"),
            std::string::npos);
  EXPECT_NE(error(R"({"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "dropout": 0.1, "vocab": {}}})")
                .find("dropout is not read"),
            std::string::npos);
  EXPECT_NE(
      error(
          R"({"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}})")
          .find("merges into 'aa', which the vocabulary does not hold"),
      std::string::npos);
  EXPECT_NE(error(R"({"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": -3}}})")
                .find("the id of 'a' is not allowed"),
            std::string::npos);
  EXPECT_NE(error(R"({"pre_tokenizer": {"type": "ByteLevel"}, "model": {"type": "BPE", "vocab": {"a": 0, "b": 0}}})")
                .find("id 0 is both 'a' and 'b'"),
            std::string::npos);
  EXPECT_NE(
      error(
          R"({"added_tokens": [{"id": 3, "content": "<m>", "rstrip": true}], "pre_tokenizer": {"type": "ByteLevel"}, )" +
          bpe + "}")
          .find("added token '<m>' with rstrip or single_word is not read"),
      std::string::npos);
  EXPECT_NE(error("[1]").find("it is not a JSON object"), std::string::npos);
  EXPECT_NE(error("{\"model\": ").find("is not valid JSON"), std::string::npos);
  // Every message names the file.
  EXPECT_EQ(error("[1]").rfind("tokenizer 't.json': ", 0), 0u);
}

}  // namespace
}  // namespace attnscope

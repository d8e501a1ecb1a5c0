// The model runtime on the real model that ships with the app (stories260K, llama2.c's format): its tokenizer on
// hand-worked cases, every layer's attention and the logits against a plain double-precision forward pass written
// here from the published definition, and the greedy story against llama2.c's reference output.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include "engine/attention/tile_gemm.h"
#include "engine/runtime/inference.h"
#include "engine/runtime/packed_linear.h"
#include "engine/runtime/llama2c_model.h"
#include "engine/tokenizers/llama2c_tokenizer.h"
#include "engine/util/error.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

const std::string kStories = std::string(ATTNSCOPE_STORIES_DIR) + "/stories260K.bin";
const std::string kTokenizer = std::string(ATTNSCOPE_STORIES_DIR) + "/tok512.bin";

class Scratch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attnscope-runtime-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

// A llama2.c tokenizer file from (piece, score) pairs.
std::string tokenizerBytes(const std::vector<std::pair<std::string, float>>& pieces, std::int32_t maxLength = 16) {
  std::string out(reinterpret_cast<const char*>(&maxLength), 4);
  for (const auto& [piece, score] : pieces) {
    const auto length = static_cast<std::int32_t>(piece.size());
    out.append(reinterpret_cast<const char*>(&score), 4);
    out.append(reinterpret_cast<const char*>(&length), 4);
    out += piece;
  }
  return out;
}

// <unk>, <s>, </s>, the 256 byte pieces, then `extra`.
std::vector<std::pair<std::string, float>> withBytes(const std::vector<std::pair<std::string, float>>& extra) {
  std::vector<std::pair<std::string, float>> pieces = {{"<unk>", 0}, {"<s>", 0}, {"</s>", 0}};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    pieces.push_back({name, 0});
  }
  pieces.insert(pieces.end(), extra.begin(), extra.end());
  return pieces;
}

using Llama2cTokenizerTest = Scratch;

// Worked by hand: " aab" starts as [" ", "a", "a", "b"]; the pairs that are pieces are " a" (0.5), "aa" (2) and
// "ab" (1), so "aa" merges first; then " aa" and "aab" are not pieces and it stops at [" ", "aa", "b"]. On a tie
// the leftmost pair merges: "abab" → [" ", "ab", "ab"] after " a" loses to the two "ab" (equal scores, the left
// one first), then "abab" (3) joins them.
TEST_F(Llama2cTokenizerTest, MergesTheBestPairFirstAndTheLeftmostOnATie) {
  const int space = 259, a = 260, b = 261, ab = 262, aa = 263, spaceA = 264, abab = 265;
  const auto path =
      write("tok.bin",
            tokenizerBytes(withBytes({{" ", 0}, {"a", 0}, {"b", 0}, {"ab", 1}, {"aa", 2}, {" a", 0.5f}, {"abab", 3}})));
  const Llama2cTokenizer t = Llama2cTokenizer::read(path, 266);
  EXPECT_EQ(t.encode("aab", false, false), (std::vector<int>{space, aa, b}));
  EXPECT_EQ(t.encode("abab", true, true),
            (std::vector<int>{Llama2cTokenizer::kBos, space, abab, Llama2cTokenizer::kEos}));
  EXPECT_EQ(t.encode("ba", false, false), (std::vector<int>{space, b, a}));          // "ba" and " b" are not pieces
  EXPECT_EQ(t.encode("", true, false), (std::vector<int>{Llama2cTokenizer::kBos}));  // no dummy prefix
  (void)ab;
  (void)spaceA;
  // Byte fallback: "é" (0xC3 0xA9) is no piece, so its two bytes are tokens 3 + 0xC3 and 3 + 0xA9.
  EXPECT_EQ(t.encode("é", false, false), (std::vector<int>{space, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t.decode(space, 3 + 0xC3), std::string("\xC3"));
  EXPECT_EQ(t.decode(Llama2cTokenizer::kBos, spaceA), "a");  // the first piece after BOS loses its space
  EXPECT_EQ(t.decode(a, spaceA), " a");
  EXPECT_EQ(t.label(spaceA), "\u2581a");
  EXPECT_EQ(t.label(3 + 0x0A), "<0x0A>");
}

TEST_F(Llama2cTokenizerTest, ABadFileIsOneLineNamingWhatIsWrong) {
  const auto pieces = withBytes({{" ", 0}});
  std::string bytes = tokenizerBytes(pieces);
  EXPECT_NE(test::errorOf([&] {
              Llama2cTokenizer::read(write("short.bin", bytes.substr(0, 100)), 260);
            }).find("ends at byte 100 inside token"),
            std::string::npos);
  EXPECT_NE(test::errorOf([&] { Llama2cTokenizer::read(write("fine.bin", bytes), 261); }).find("inside token 260"),
            std::string::npos);
  std::string negative = bytes;
  const std::int32_t minus = -5;
  std::memcpy(negative.data() + 4 + 4, &minus, 4);  // token 0's length
  EXPECT_NE(test::errorOf([&] {
              Llama2cTokenizer::read(write("negative.bin", negative), 260);
            }).find("token 0 has length -5: expected 0 … max_token_length 16"),
            std::string::npos);
  EXPECT_NE(test::errorOf([&] { Llama2cTokenizer::read(write("fine2.bin", bytes), 0); }).find("is not allowed"),
            std::string::npos);
}

// The shipped tokenizer: a story's words round-trip, pieces joined give back the text with its dummy space.
TEST(Llama2cStories, TheShippedTokenizerRoundTrips) {
  const Llama2cTokenizer t = Llama2cTokenizer::read(kTokenizer, 512);
  EXPECT_EQ(t.piece(1), "\n<s>\n");
  EXPECT_EQ(t.piece(2), "\n</s>\n");
  for (const std::string text :
       {"Once upon a time, there was a little girl named Lily.", "Tom's dog ran! 123 ü 🙂"}) {
    SCOPED_TRACE(text);
    const std::vector<int> ids = t.encode(text, true, false);
    std::string joined, decoded;
    for (std::size_t i = 1; i < ids.size(); ++i) {
      joined += t.piece(ids[i]).rfind("<0x", 0) == 0 ? t.decode(0, ids[i]) : t.piece(ids[i]);
      decoded += t.decode(ids[i - 1], ids[i]);
    }
    EXPECT_EQ(joined, " " + std::string(text));
    EXPECT_EQ(decoded, text);
    EXPECT_LT(ids.size(), std::string(text).size());  // merged: fewer tokens than bytes
  }
}

// The forward pass, written again here in doubles from run.c's definition, on the real weights read straight from
// the file; every layer's attention within 1e-4 and the logits within 1e-3.
struct ReferenceModel {
  int dim, hidden, layers, heads, kvHeads, vocab, seqLen;
  std::vector<float> w;  // after the header
  explicit ReferenceModel(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::int32_t h[7];
    in.read(reinterpret_cast<char*>(h), sizeof h);
    dim = h[0], hidden = h[1], layers = h[2], heads = h[3], kvHeads = h[4], vocab = std::abs(h[5]), seqLen = h[6];
    w.assign((fs::file_size(path) - 28) / 4, 0.0f);
    in.read(reinterpret_cast<char*>(w.data()), std::streamsize(w.size() * 4));
  }
  struct Out {
    std::vector<std::vector<std::vector<double>>> attention;  // [layer][head][t * n + s]
    std::vector<std::vector<double>> logits;
  };
  Out run(const std::vector<int>& tokens) const {
    const int n = static_cast<int>(tokens.size()), hs = dim / heads, kvDim = hs * kvHeads;
    std::size_t at = 0;
    auto take = [&](std::size_t count) {
      const float* p = w.data() + at;
      at += count;
      return p;
    };
    const float* emb = take(std::size_t(vocab) * dim);
    const float* rmsAtt = take(std::size_t(layers) * dim);
    const float* wq = take(std::size_t(layers) * dim * dim);
    const float* wk = take(std::size_t(layers) * kvDim * dim);
    const float* wv = take(std::size_t(layers) * kvDim * dim);
    const float* wo = take(std::size_t(layers) * dim * dim);
    const float* rmsFfn = take(std::size_t(layers) * dim);
    const float* w1 = take(std::size_t(layers) * hidden * dim);
    const float* w2 = take(std::size_t(layers) * dim * hidden);
    const float* w3 = take(std::size_t(layers) * hidden * dim);
    const float* rmsFinal = take(dim);
    using Vec = std::vector<double>;
    auto norm = [&](const Vec& x, const float* g) {
      double ss = 0;
      for (double v : x) ss += v * v;
      const double s = 1.0 / std::sqrt(ss / x.size() + 1e-5);
      Vec out(x.size());
      for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[i] * s * g[i];
      return out;
    };
    auto matvec = [](const float* m, int rows, int cols, const Vec& x) {
      Vec y(rows, 0.0);
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) y[r] += double(m[std::size_t(r) * cols + c]) * x[c];
      return y;
    };
    auto rotate = [&](Vec& v, int pos) {
      for (std::size_t i = 0; i + 1 < v.size(); i += 2) {
        const double angle = pos / std::pow(10000.0, double(i % hs) / hs);
        const double a = v[i], b = v[i + 1];
        v[i] = a * std::cos(angle) - b * std::sin(angle);
        v[i + 1] = a * std::sin(angle) + b * std::cos(angle);
      }
    };
    std::vector<Vec> x(n, Vec(dim));
    for (int t = 0; t < n; ++t)
      for (int i = 0; i < dim; ++i) x[t][i] = emb[std::size_t(tokens[t]) * dim + i];
    Out out;
    for (int l = 0; l < layers; ++l) {
      std::vector<Vec> q(n), k(n), v(n);
      for (int t = 0; t < n; ++t) {
        const Vec xb = norm(x[t], rmsAtt + std::size_t(l) * dim);
        q[t] = matvec(wq + std::size_t(l) * dim * dim, dim, dim, xb);
        k[t] = matvec(wk + std::size_t(l) * kvDim * dim, kvDim, dim, xb);
        v[t] = matvec(wv + std::size_t(l) * kvDim * dim, kvDim, dim, xb);
        rotate(q[t], t);
        rotate(k[t], t);
      }
      out.attention.emplace_back(heads, Vec(std::size_t(n) * n, 0.0));
      std::vector<Vec> mixed(n, Vec(dim, 0.0));
      for (int h = 0; h < heads; ++h) {
        const int g = h / (heads / kvHeads);
        for (int t = 0; t < n; ++t) {
          Vec score(t + 1);
          double most = -1e300, sum = 0;
          for (int s = 0; s <= t; ++s) {
            double d = 0;
            for (int i = 0; i < hs; ++i) d += q[t][h * hs + i] * k[s][g * hs + i];
            score[s] = d / std::sqrt(double(hs));
            most = std::max(most, score[s]);
          }
          for (double& e : score) sum += (e = std::exp(e - most));
          for (int s = 0; s <= t; ++s) {
            const double p = score[s] / sum;
            out.attention[l][h][std::size_t(t) * n + s] = p;
            for (int i = 0; i < hs; ++i) mixed[t][h * hs + i] += p * v[s][g * hs + i];
          }
        }
      }
      for (int t = 0; t < n; ++t) {
        const Vec o = matvec(wo + std::size_t(l) * dim * dim, dim, dim, mixed[t]);
        for (int i = 0; i < dim; ++i) x[t][i] += o[i];
        const Vec xb = norm(x[t], rmsFfn + std::size_t(l) * dim);
        Vec a = matvec(w1 + std::size_t(l) * hidden * dim, hidden, dim, xb);
        const Vec b = matvec(w3 + std::size_t(l) * hidden * dim, hidden, dim, xb);
        for (int i = 0; i < hidden; ++i) a[i] = a[i] / (1 + std::exp(-a[i])) * b[i];
        const Vec f = matvec(w2 + std::size_t(l) * dim * hidden, dim, hidden, a);
        for (int i = 0; i < dim; ++i) x[t][i] += f[i];
      }
    }
    for (int t = 0; t < n; ++t) out.logits.push_back(matvec(emb, vocab, dim, norm(x[t], rmsFinal)));
    return out;
  }
};

TEST(Llama2cStories, EveryLayersAttentionAndTheLogitsMatchADoublePrecisionReference) {
  const Llama2cModel model = Llama2cModel::read(kStories);
  const Llama2cConfig& c = model.config();
  EXPECT_EQ(c.dim, 64);
  EXPECT_EQ(c.hiddenDim, 172);
  EXPECT_EQ(c.layers, 5);
  EXPECT_EQ(c.heads, 8);
  EXPECT_EQ(c.kvHeads, 4);
  EXPECT_EQ(c.vocabSize, 512);
  EXPECT_EQ(c.seqLen, 512);
  EXPECT_TRUE(c.sharedClassifier);
  const Llama2cTokenizer tokenizer = Llama2cTokenizer::read(kTokenizer, c.vocabSize);
  const std::vector<int> tokens = tokenizer.encode("Lily saw a big red ball in the park.", true, false);
  const ModelPass pass = model.forward(tokens);
  const ReferenceModel::Out want = ReferenceModel(kStories).run(tokens);
  const Index n = static_cast<Index>(tokens.size());
  ASSERT_EQ(pass.attention.size(), 5u);
  double worstAttention = 0, worstLogit = 0;
  for (int l = 0; l < 5; ++l)
    for (int h = 0; h < 8; ++h)
      for (Index t = 0; t < n; ++t)
        for (Index s = 0; s < n; ++s)
          worstAttention =
              std::max(worstAttention, std::abs(pass.attention[l][h](t, s) - want.attention[l][h][t * n + s]));
  for (Index t = 0; t < n; ++t)
    for (int v = 0; v < 512; ++v) worstLogit = std::max(worstLogit, std::abs(pass.logits(t, v) - want.logits[t][v]));
  EXPECT_LT(worstAttention, 1e-4);
  EXPECT_LT(worstLogit, 1e-3);
  // Causal: nothing above the diagonal, each row a distribution.
  EXPECT_EQ(pass.attention[2][3](0, 1), 0.0f);
  EXPECT_NEAR(pass.attention[4][7].row(n - 1).sum(), 1.0f, 1e-5);
}

// llama2.c's published output: from BOS alone, greedy decoding tells the story of Lily and the red ball.
TEST(Llama2cStories, TheGreedyStoryFromBosIsLlama2csReferenceText) {
  const Llama2cModel model = Llama2cModel::read(kStories);
  const Llama2cTokenizer tokenizer = Llama2cTokenizer::read(kTokenizer, model.config().vocabSize);
  const std::vector<int> generated = model.generateGreedy({Llama2cTokenizer::kBos}, 80);
  std::string text;
  int previous = Llama2cTokenizer::kBos;
  for (int id : generated) {
    text += tokenizer.decode(previous, id);
    previous = id;
  }
  const std::string reference =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw "
      "a big, red ball. She wanted to play with it, but it was too high.";
  ASSERT_GE(text.size(), reference.size()) << text;
  EXPECT_EQ(text.substr(0, reference.size()), reference);
}

class Llama2cModelFile : public Scratch {
 protected:
  // The shipped checkpoint's bytes with header field `field` set to `value`, or cut to `size` bytes.
  std::string variant(int field, std::int32_t value, std::size_t size = std::string::npos) {
    std::ifstream in(kStories, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (field >= 0) std::memcpy(bytes.data() + 4 * field, &value, 4);
    return write("model.bin", bytes.substr(0, size));
  }
};

// A checkpoint whose header lies is refused by its size before a weight is read, in one line.
TEST_F(Llama2cModelFile, AHeaderThatDisagreesWithTheFileIsRefused) {
  auto error = [](const std::string& path) { return test::errorOf([&] { Llama2cModel::read(path); }); };
  EXPECT_NE(error(variant(-1, 0, 1000)).find("it has 1000 bytes, but its header's sizes need exactly 1056540"),
            std::string::npos);
  EXPECT_NE(error(variant(-1, 0, 10)).find("fewer than the 28 of the header"), std::string::npos);
  EXPECT_NE(error(variant(3, 7)).find("n_heads 7 does not divide dim 64"), std::string::npos);
  EXPECT_NE(error(variant(4, 3)).find("n_kv_heads 3 does not divide n_heads 8"), std::string::npos);
  EXPECT_NE(error(variant(2, 0)).find("n_layers 0 is not allowed: expected 1 … 512"), std::string::npos);
  EXPECT_NE(error(variant(0, 1 << 30)).find("dim 1073741824 is not allowed"), std::string::npos);
  EXPECT_NE(error(variant(2, 6)).find("header's sizes need exactly"), std::string::npos);     // a layer more
  EXPECT_NE(error(variant(5, -512)).find("header's sizes need exactly"), std::string::npos);  // no wcls in the file
  const Llama2cModel model = Llama2cModel::read(kStories);
  EXPECT_NE(test::errorOf([&] {
              model.forward({1, 600});
            }).find("token 1 has id 600: expected 0 … 511"),
            std::string::npos);
  EXPECT_NE(test::errorOf([&] { model.forward(std::vector<int>(513, 1)); }).find("this model takes 1 … 512"),
            std::string::npos);
  EXPECT_NE(test::errorOf([&] { model.forward({}); }).find("0 tokens cannot be run"), std::string::npos);
}

// Subword pieces grouped into words (SentencePiece: a word runs to the next "▁"), and the attention between words
// worked by hand: a word's row is the mean of its pieces' rows, each summed over the key word's pieces.
TEST(ModelWords, PiecesJoinIntoWordsAndTheirAttentionMerges) {
  const RuntimeModel m = openModel(kStories);
  const std::vector<int> ids = encodeText(m, "Lily saw a big red ball");
  const WordGroups g = wordsOf(m, ids);
  EXPECT_EQ(g.labels, (std::vector<std::string>{"<s>", "\u2581Lily", "\u2581saw", "\u2581a", "\u2581big", "\u2581red",
                                                "\u2581ball"}));
  EXPECT_EQ(g.wordOf, (std::vector<int>{0, 1, 2, 3, 4, 5, 5, 6, 6}));
  ModelPass pass;
  Matrix a(3, 3);
  a << 1, 0, 0, 0.5f, 0.5f, 0, 0.2f, 0.3f, 0.5f;
  pass.attention = {{a}};
  const ModelPass merged = mergeIntoWords(pass, WordGroups{{0, 1, 1}, {"a", "bc"}});
  ASSERT_EQ(merged.attention[0][0].rows(), 2);
  EXPECT_FLOAT_EQ(merged.attention[0][0](0, 0), 1.0f);
  EXPECT_FLOAT_EQ(merged.attention[0][0](0, 1), 0.0f);
  EXPECT_FLOAT_EQ(merged.attention[0][0](1, 0), 0.35f);  // (0.5 + 0.2) / 2
  EXPECT_FLOAT_EQ(merged.attention[0][0](1, 1), 0.65f);  // ((0.5 + 0) + (0.3 + 0.5)) / 2
}

// One head's steps on the real vectors: q·k, ÷√8, the softmax — which is the attention row the pass kept — and the
// weighted sum of the values, recomputed here from the vectors the pass kept.
TEST(HeadAnatomy, TheStepsGiveTheRowThePassKept) {
  const Llama2cModel model = Llama2cModel::read(kStories);
  const Llama2cTokenizer tokenizer = Llama2cTokenizer::read(kTokenizer, 512);
  const ModelPass pass = model.forward(tokenizer.encode("Lily saw a big red ball", true, false));
  ASSERT_EQ(pass.vectors.size(), 5u);
  ASSERT_EQ(pass.vectors[2].size(), 8u);
  const HeadAnatomy a = headAnatomy(pass, 2, 5, 6);
  EXPECT_EQ(a.headSize, 8);
  ASSERT_EQ(a.weight.size(), 7u);  // causal: keys 0 … 6
  const HeadVectors& h = pass.vectors[2][5];
  double sum = 0;
  for (int k = 0; k <= 6; ++k) {
    double dot = 0;
    for (int i = 0; i < 8; ++i) dot += double(h.q(6, i)) * double(h.k(k, i));
    EXPECT_NEAR(a.dot[std::size_t(k)], dot, 1e-9);
    EXPECT_NEAR(a.scaled[std::size_t(k)], dot / std::sqrt(8.0), 1e-9);
    EXPECT_NEAR(a.weight[std::size_t(k)], pass.attention[2][5](6, k), 1e-5);
    sum += a.weight[std::size_t(k)];
  }
  EXPECT_NEAR(sum, 1.0, 1e-12);
  for (int i = 0; i < 8; ++i) {
    double out = 0;
    for (int k = 0; k <= 6; ++k) out += a.weight[std::size_t(k)] * double(h.v(k, i));
    EXPECT_NEAR(a.output[std::size_t(i)], out, 1e-12);
  }
  EXPECT_NE(test::errorOf([&] { headAnatomy(pass, 5, 0, 0); }).find("layer 5 is not allowed"), std::string::npos);
  EXPECT_NE(test::errorOf([&] { headAnatomy(pass, 0, 0, 99); }).find("query 99 is not allowed"), std::string::npos);
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

// The packed linear layer against a plain double-precision x · Wᵀ + b, on shapes that leave every block ragged
// (outputs not a multiple of the panel width, tokens not of the token block, inputs not of the depth chunk), from
// both weight layouts, on each tile backend; and a row of W read back from the panels.
TEST(PackedLinear, MatchesADoubleProductOnRaggedShapes) {
  for (const auto [n, in, out] : {std::tuple<Index, Index, Index>{70, 300, 100}, {1, 7, 3}, {129, 513, 64}}) {
    Matrix x = Matrix::Random(n, in), w = Matrix::Random(out, in);
    const Eigen::RowVectorXf b = Eigen::RowVectorXf::Random(out);
    const Matrix wt = w.transpose();
    MatrixD expected(n, out);
    for (Index r = 0; r < n; ++r)
      for (Index o = 0; o < out; ++o) {
        double sum = b(o);
        for (Index i = 0; i < in; ++i) sum += double(x(r, i)) * double(w(o, i));
        expected(r, o) = sum;
      }
    for (const TileBackend backend : {TileBackend::Eigen, TileBackend::Libxsmm}) {
      const TileBackend before = setTileBackend(backend);
      const PackedLinear a = PackedLinear::fromOutIn(w.data(), out, in, b.data());
      const PackedLinear c = PackedLinear::fromInOut(wt.data(), in, out, b.data());
      const Matrix ya = a(x), yc = c(x);
      setTileBackend(before);
      ASSERT_EQ(ya.rows(), n);
      ASSERT_EQ(ya.cols(), out);
      EXPECT_LT((ya.cast<double>() - expected).cwiseAbs().maxCoeff(), 1e-3 * std::sqrt(double(in)))
          << tileBackendName(backend) << " " << n << "×" << in << "→" << out;
      EXPECT_EQ(ya, yc);
      EXPECT_EQ(a.row(out - 1), w.row(out - 1));
    }
  }
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

// Logits only where asked: the rows of a full pass, in the order asked, with their positions; none for an empty
// list; a position outside the text refused.
TEST(LogitRows, ThePassGivesTheRowsAskedInTheirOrder) {
  const Llama2cModel model = Llama2cModel::read(kStories);
  const std::vector<int> tokens = {1, 403, 407, 261, 417, 11};
  const ModelPass full = model.forward(tokens);
  ASSERT_EQ(full.logits.rows(), 6);
  EXPECT_EQ(full.logitPositions, (std::vector<Index>{0, 1, 2, 3, 4, 5}));
  const ModelPass two = model.forward(tokens, {}, LogitRows::at({5, 2}));
  ASSERT_EQ(two.logits.rows(), 2);
  EXPECT_EQ(two.logitPositions, (std::vector<Index>{5, 2}));
  EXPECT_LT((two.logits.row(0) - full.logits.row(5)).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_LT((two.logits.row(1) - full.logits.row(2)).cwiseAbs().maxCoeff(), 1e-5);
  EXPECT_EQ(model.forward(tokens, {}, LogitRows::at({})).logits.rows(), 0);
  EXPECT_NE(test::errorOf([&] { model.forward(tokens, {}, LogitRows::at({6})); }).find("position 6"),
            std::string::npos);
}

// Head anatomy in a layer with a sliding window of 2: query 3 sees keys 2 and 3 only; its steps worked by hand.
TEST(HeadAnatomyWindow, ShowsOnlyTheKeysInTheWindow) {
  ModelPass pass;
  pass.causal = true;
  pass.windows = {2};
  HeadVectors h;
  h.q = Matrix::Zero(4, 2);
  h.k = Matrix::Zero(4, 2);
  h.v = Matrix::Zero(4, 2);
  h.q.row(3) << 1, 2;
  h.k.row(2) << 0.5f, 0;  // q·k = 0.5
  h.k.row(3) << 0, 1;     // q·k = 2
  h.v.row(2) << 1, 0;
  h.v.row(3) << 0, 1;
  pass.vectors = {{h}};
  const HeadAnatomy a = headAnatomy(pass, 0, 0, 3);
  EXPECT_EQ(a.firstKey, 2);
  ASSERT_EQ(a.dot.size(), 2u);
  EXPECT_DOUBLE_EQ(a.dot[0], 0.5);
  EXPECT_DOUBLE_EQ(a.dot[1], 2.0);
  const double e0 = std::exp(0.5 / std::sqrt(2.0)), e1 = std::exp(2.0 / std::sqrt(2.0));
  EXPECT_NEAR(a.weight[0], e0 / (e0 + e1), 1e-12);
  EXPECT_NEAR(a.output[1], e1 / (e0 + e1), 1e-12);
}

}  // namespace
}  // namespace attnscope

#include "engine/runtime/llama2c_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/io/mapped_file.h"
#include "engine/util/error.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace {

using RowMajorMap = Eigen::Map<const Matrix>;

constexpr double kRmsEps = 1e-5;
constexpr int kHeaderInts = 7;

// x ← x / rms(x) · weight, row by row (run.c's rmsnorm, eps 1e-5 inside the root).
Matrix rmsNorm(const Matrix& x, const float* weight) {
  Matrix out(x.rows(), x.cols());
  const Eigen::Map<const Eigen::RowVectorXf> w(weight, x.cols());
  for (Index r = 0; r < x.rows(); ++r) {
    const float ss = x.row(r).squaredNorm() / static_cast<float>(x.cols()) + static_cast<float>(kRmsEps);
    out.row(r) = x.row(r).cwiseProduct(w) * (1.0f / std::sqrt(ss));
  }
  return out;
}

// `x` times the transpose of the [out, in] weight at `w`: x · Wᵀ.
Matrix linear(const Matrix& x, const float* w, Index out) {
  const RowMajorMap weight(w, out, x.cols());
  return x * weight.transpose();
}

// Rotates the pairs (2i, 2i + 1) of every head of `x` (row t at position t) by t · 10000^(−2i / headSize).
void rope(Matrix& x, int headSize) {
  for (Index t = 0; t < x.rows(); ++t)
    for (Index c = 0; c + 1 < x.cols(); c += 2) {
      const int i = static_cast<int>(c % headSize);
      const float frequency = 1.0f / std::pow(10000.0f, static_cast<float>(i) / static_cast<float>(headSize));
      const float angle = static_cast<float>(t) * frequency;
      const float cos = std::cos(angle), sin = std::sin(angle);
      const float a = x(t, c), b = x(t, c + 1);
      x(t, c) = a * cos - b * sin;
      x(t, c + 1) = a * sin + b * cos;
    }
}

}  // namespace

Llama2cModel Llama2cModel::read(const std::string& path) {
  const auto file = MappedFile::open(path);
  auto fail = [&](const std::string& what) {
    return Error("model '" + path + "': " + what + " (a llama2.c checkpoint: seven int32 — dim, hidden_dim, " +
                 "n_layers, n_heads, n_kv_heads, vocab_size, seq_len — then its float32 tensors)");
  };
  if (file->size() < kHeaderInts * 4)
    throw fail("it has " + std::to_string(file->size()) + " bytes, fewer than the 28 of the header");
  std::int32_t header[kHeaderInts];
  std::memcpy(header, file->data(), sizeof header);
  Llama2cModel m;
  Llama2cConfig& c = m.config_;
  c.dim = header[0];
  c.hiddenDim = header[1];
  c.layers = header[2];
  c.heads = header[3];
  c.kvHeads = header[4];
  c.sharedClassifier = header[5] > 0;
  c.vocabSize = header[5] == std::numeric_limits<std::int32_t>::min() ? 0 : std::abs(header[5]);
  c.seqLen = header[6];
  auto range = [&](const char* name, int value, int most) {
    if (value < 1 || value > most)
      throw fail(std::string(name) + " " + std::to_string(value) + " is not allowed: expected 1 … " +
                 std::to_string(most));
  };
  range("dim", c.dim, kMostDim);
  range("hidden_dim", c.hiddenDim, 4 * kMostDim);
  range("n_layers", c.layers, kMostLayers);
  range("n_heads", c.heads, c.dim);
  range("n_kv_heads", c.kvHeads, c.heads);
  range("|vocab_size|", c.vocabSize, 1 << 20);
  range("seq_len", c.seqLen, kMostSeqLen);
  if (c.dim % c.heads != 0)
    throw fail("n_heads " + std::to_string(c.heads) + " does not divide dim " + std::to_string(c.dim));
  if (c.heads % c.kvHeads != 0)
    throw fail("n_kv_heads " + std::to_string(c.kvHeads) + " does not divide n_heads " + std::to_string(c.heads));
  if (c.headSize() % 2 != 0)
    throw fail("the head size " + std::to_string(c.headSize()) + " is odd: rotary embeddings rotate pairs");
  // Where each tensor starts, in floats after the header; the file must hold exactly these.
  const std::size_t dim = c.dim, hidden = c.hiddenDim, layers = c.layers, vocab = c.vocabSize,
                    kvDim = static_cast<std::size_t>(c.kvDim()), head = static_cast<std::size_t>(c.headSize());
  std::size_t at = 0;
  auto next = [&at](std::size_t floats) {
    const std::size_t start = at;
    at += floats;
    return start;
  };
  m.embedding_ = next(vocab * dim);
  m.rmsAtt_ = next(layers * dim);
  m.wq_ = next(layers * dim * dim);
  m.wk_ = next(layers * kvDim * dim);
  m.wv_ = next(layers * kvDim * dim);
  m.wo_ = next(layers * dim * dim);
  m.rmsFfn_ = next(layers * dim);
  m.w1_ = next(layers * hidden * dim);
  m.w2_ = next(layers * dim * hidden);
  m.w3_ = next(layers * hidden * dim);
  m.rmsFinal_ = next(dim);
  next(static_cast<std::size_t>(c.seqLen) * head);  // the two RoPE tables of seq_len · head_size / 2 floats
  m.wcls_ = c.sharedClassifier ? m.embedding_ : next(vocab * dim);
  const std::uint64_t expected = kHeaderInts * 4 + std::uint64_t(at) * 4;
  if (file->size() != expected)
    throw fail("it has " + std::to_string(file->size()) + " bytes, but its header's sizes need exactly " +
               std::to_string(expected));
  checkMemory(double(at) * 4, "this model's weights", "choose a smaller model");
  m.weights_.resize(at);
  struct Copy {
    float* to;
    std::size_t bytes;
  } copy{m.weights_.data(), at * 4};
  file->read(
      kHeaderInts * 4, copy.bytes,
      [](const unsigned char* bytes, void* context) {
        auto* c = static_cast<Copy*>(context);
        std::memcpy(c->to, bytes, c->bytes);
      },
      &copy);
  return m;
}

Index Llama2cModel::parameters() const {
  const Index dim = config_.dim, hidden = config_.hiddenDim, kv = config_.kvDim();
  const Index perLayer = 2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hidden * dim;
  return Index(config_.vocabSize) * dim * (config_.sharedClassifier ? 1 : 2) + config_.layers * perLayer + dim;
}

double Llama2cModel::passFlops(Index n) const {
  const double dim = config_.dim, hidden = config_.hiddenDim, kv = config_.kvDim();
  const double linear = 2.0 * n * (2 * dim * dim + 2 * kv * dim + 3 * hidden * dim);
  const double attention = 2.0 * 2.0 * config_.heads * config_.headSize() * (double(n) * (n + 1) / 2);
  return config_.layers * (linear + attention) + 2.0 * n * config_.vocabSize * dim;
}

std::string Llama2cModel::describe() const {
  const Llama2cConfig& c = config_;
  return "llama2.c, " + std::to_string(c.layers) + " layers, " + std::to_string(c.heads) + " heads (" +
         std::to_string(c.kvHeads) + " key-value), dim " + std::to_string(c.dim) + ", vocabulary " +
         std::to_string(c.vocabSize) + ", " + std::to_string(c.seqLen) + " positions";
}

ModelPass Llama2cModel::forward(const std::vector<int>& tokens, const Progress& progress) const {
  checkTokens(tokens);
  const Llama2cConfig& c = config_;
  const Index n = static_cast<Index>(tokens.size()), dim = c.dim, kvDim = c.kvDim(), headSize = c.headSize();
  ModelPass pass;
  pass.causal = true;
  Matrix x(n, dim);
  for (Index t = 0; t < n; ++t)
    x.row(t) = Eigen::Map<const Eigen::RowVectorXf>(at(embedding_ + std::size_t(tokens[std::size_t(t)]) * dim), dim);
  const float scale = 1.0f / std::sqrt(static_cast<float>(headSize));
  const int group = c.heads / c.kvHeads;
  pass.attention.resize(static_cast<std::size_t>(c.layers));
  for (int l = 0; l < c.layers; ++l) {
    progress.throwIfCancelled();
    const std::size_t L = static_cast<std::size_t>(l);
    const Matrix xb = rmsNorm(x, at(rmsAtt_ + L * dim));
    Matrix q = linear(xb, at(wq_ + L * dim * dim), dim);
    Matrix k = linear(xb, at(wk_ + L * kvDim * dim), kvDim);
    const Matrix v = linear(xb, at(wv_ + L * kvDim * dim), kvDim);
    rope(q, static_cast<int>(headSize));
    rope(k, static_cast<int>(headSize));
    Matrix out = Matrix::Zero(n, dim);
    auto& probabilities = pass.attention[L];
    probabilities.assign(static_cast<std::size_t>(c.heads), Matrix::Zero(n, n));
    pass.vectors.emplace_back();
    for (int h = 0; h < c.heads; ++h) {
      const Index kvHead = h / group;
      const auto qh = q.middleCols(h * headSize, headSize);
      const auto kh = k.middleCols(kvHead * headSize, headSize);
      const auto vh = v.middleCols(kvHead * headSize, headSize);
      pass.vectors.back().push_back({qh, kh, vh});
      Matrix& p = probabilities[static_cast<std::size_t>(h)];
      for (Index t = 0; t < n; ++t) {
        // Causal: keys 0 … t, a softmax over their scaled scores.
        Eigen::RowVectorXf scores = (kh.topRows(t + 1) * qh.row(t).transpose()).transpose() * scale;
        const float most = scores.maxCoeff();
        scores = (scores.array() - most).exp();
        scores /= scores.sum();
        p.row(t).head(t + 1) = scores;
        out.row(t).segment(h * headSize, headSize) = scores * vh.topRows(t + 1);
      }
    }
    x += linear(out, at(wo_ + L * dim * dim), dim);
    const Matrix xf = rmsNorm(x, at(rmsFfn_ + L * dim));
    Matrix h1 = linear(xf, at(w1_ + L * std::size_t(c.hiddenDim) * dim), c.hiddenDim);
    const Matrix h3 = linear(xf, at(w3_ + L * std::size_t(c.hiddenDim) * dim), c.hiddenDim);
    h1 = (h1.array() / (1.0f + (-h1.array()).exp())).matrix().cwiseProduct(h3);  // silu(w1 x) · w3 x
    const RowMajorMap w2(at(w2_ + L * dim * std::size_t(c.hiddenDim)), dim, c.hiddenDim);
    x += h1 * w2.transpose();
    progress.report(double(l + 1) / c.layers);
  }
  const Matrix final = rmsNorm(x, at(rmsFinal_));
  pass.logits = linear(final, at(wcls_), c.vocabSize);
  return pass;
}

}  // namespace attnscope

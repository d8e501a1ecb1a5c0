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

constexpr int kHeaderInts = 7;

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
  checkMemory(double(at) * 4 + LlamaWeights::floats(m.shape(), c.sharedClassifier) * 4, "this model's weights",
              "choose a smaller model");
  std::vector<float> floats(at);
  struct Copy {
    float* to;
    std::size_t bytes;
  } copy{floats.data(), at * 4};
  file->read(
      kHeaderInts * 4, copy.bytes,
      [](const unsigned char* bytes, void* context) {
        auto* c = static_cast<Copy*>(context);
        std::memcpy(c->to, bytes, c->bytes);
      },
      &copy);
  // The linear layers packed for the tile products; the norms and the embedding kept as they are.
  const float* f = floats.data();
  auto vector = [&](std::size_t offset, std::size_t size) { return std::vector<float>(f + offset, f + offset + size); };
  auto linear = [&](std::size_t offset, std::size_t out, std::size_t in) {
    PackedLinear l = PackedLinear::fromOutIn(f + offset, Index(out), Index(in));
    l.setSource({"", false, std::int64_t(offset)});
    return l;
  };
  LlamaWeights& w = m.weights_;
  for (std::size_t l = 0; l < layers; ++l) {
    LlamaLayer L;
    L.attnNorm = vector(m.rmsAtt_ + l * dim, dim);
    L.q = linear(m.wq_ + l * dim * dim, dim, dim);
    L.k = linear(m.wk_ + l * kvDim * dim, kvDim, dim);
    L.v = linear(m.wv_ + l * kvDim * dim, kvDim, dim);
    L.o = linear(m.wo_ + l * dim * dim, dim, dim);
    L.ffnNorm = vector(m.rmsFfn_ + l * dim, dim);
    L.gate = linear(m.w1_ + l * hidden * dim, hidden, dim);
    L.down = linear(m.w2_ + l * dim * hidden, dim, hidden);
    L.up = linear(m.w3_ + l * hidden * dim, hidden, dim);
    w.layers.push_back(std::move(L));
  }
  w.finalNorm = vector(m.rmsFinal_, dim);
  w.classifier = linear(m.wcls_, vocab, dim);
  if (!c.sharedClassifier) w.embedding = vector(m.embedding_, vocab * dim);
  return m;
}

Index Llama2cModel::parameters() const {
  const Index dim = config_.dim, hidden = config_.hiddenDim, kv = config_.kvDim();
  const Index perLayer = 2 * dim + 2 * dim * dim + 2 * kv * dim + 3 * hidden * dim;
  return Index(config_.vocabSize) * dim * (config_.sharedClassifier ? 1 : 2) + config_.layers * perLayer + dim;
}

LlamaShape Llama2cModel::shape() const {
  const Llama2cConfig& c = config_;
  LlamaShape s;
  s.dim = c.dim;
  s.hidden = c.hiddenDim;
  s.layers = c.layers;
  s.heads = c.heads;
  s.kvHeads = c.kvHeads;
  s.headDim = c.headSize();
  s.vocab = c.vocabSize;
  s.rmsEps = 1e-5;
  s.rope = RopePairs::Interleaved;
  return s;
}

double Llama2cModel::passFlops(Index n) const { return llamaPassFlops(shape(), n); }

std::string Llama2cModel::describe() const {
  const Llama2cConfig& c = config_;
  return "llama2.c, " + std::to_string(c.layers) + " layers, " + std::to_string(c.heads) + " heads (" +
         std::to_string(c.kvHeads) + " key-value), dim " + std::to_string(c.dim) + ", vocabulary " +
         std::to_string(c.vocabSize) + ", " + std::to_string(c.seqLen) + " positions";
}

ModelPass Llama2cModel::forward(const std::vector<int>& tokens, const Progress& progress,
                                const PassOptions& options) const {
  checkTokens(tokens, options.masks);
  return llamaForward(shape(), weights_, tokens, progress, options);
}

}  // namespace attnscope

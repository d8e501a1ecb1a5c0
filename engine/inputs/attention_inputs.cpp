#include "engine/inputs/attention_inputs.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <functional>

#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "engine/io/npy.h"
#include "engine/util/parallel.h"
#include "engine/util/random.h"

namespace attnscope {

namespace {

Matrix gaussian(Index rows, Index cols, SplitMix64& rng, double scale = 1.0) {
  Matrix m(rows, cols);
  for (Index i = 0; i < rows; ++i)
    for (Index j = 0; j < cols; ++j) m(i, j) = static_cast<float>(rng.normal() * scale);
  return m;
}

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

std::uint64_t hashText(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

std::vector<std::string> tokenize(const std::string& text) {
  std::vector<std::string> tokens;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) tokens.push_back(word), word.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    // Special tokens stay whole: [CLS], [SEP], [MASK], <s>, </s>.
    if (c == '[' || c == '<') {
      const char close = c == '[' ? ']' : '>';
      const std::size_t end = text.find(close, i + 1);
      if (end != std::string::npos && end - i <= 12) {
        bool plain = end > i + 1;
        for (std::size_t j = i + 1; j < end; ++j)
          plain = plain && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '/' || text[j] == '_');
        if (plain) {
          flush();
          tokens.push_back(text.substr(i, end - i + 1));
          i = end;
          continue;
        }
      }
    }
    if (std::isalnum(c) || c == '\'' || c >= 0x80)
      word += static_cast<char>(c);  // bytes ≥ 0x80: UTF-8 letters
    else {
      flush();
      if (!std::isspace(c)) tokens.emplace_back(1, static_cast<char>(c));
    }
  }
  flush();
  return tokens;
}

void checkInputSize(Index heads, Index n, Index dim, Index valueDim) {
  if (heads < 1 || heads > kMaxHeads)
    throw Error("heads = " + std::to_string(heads) + " is not allowed: expected an integer 1 … " +
                std::to_string(kMaxHeads));
  checkSequenceLength(n);
  for (Index d : {dim, valueDim})
    if (d < 1 || d > kMaxHeadDim)
      throw Error("dim = " + std::to_string(d) + " is not allowed: expected an integer 1 … " +
                  std::to_string(kMaxHeadDim));
  checkMemory(4.0 * double(heads) * double(n) * double(2 * dim + valueDim),
              "the attention inputs (" + std::to_string(heads) + " heads × " + withSeparators(n) + " tokens × dim " +
                  std::to_string(dim) + ")",
              "choose a smaller n, fewer heads or a smaller dim");
}

AttentionInputs syntheticInputs(int heads, Index n, Index dim, std::uint64_t seed, const Progress& progress) {
  checkInputSize(heads, n, dim, dim);
  AttentionInputs in;
  for (int h = 0; h < heads; ++h) {
    in.q.emplace_back(n, dim);
    in.k.emplace_back(n, dim);
    in.v.emplace_back(n, dim);
  }
  // Every (head, matrix, row) has its own stream, so rows fill in parallel, in chunks that can be cancelled, and
  // the values do not depend on the thread count. Box–Muller gives two normals per pair of uniforms.
  constexpr Index kRows = 256;
  for (int h = 0; h < heads; ++h) {
    Matrix* mats[3] = {&in.q[h], &in.k[h], &in.v[h]};
    parallelChunks(n, kRows, progress, double(h) / heads, double(h + 1) / heads, [&](Index r0, Index r1) {
      for (int m = 0; m < 3; ++m)
        for (Index i = r0; i < r1; ++i) {
          SplitMix64 rng = rowStream(seed, static_cast<std::uint64_t>(3 * h + m), static_cast<std::uint64_t>(i));
          float* row = mats[m]->row(i).data();
          for (Index j = 0; j < dim; j += 2) {
            const auto [a, b] = rng.normalPair();
            row[j] = a;
            if (j + 1 < dim) row[j + 1] = b;
          }
        }
    });
  }
  return in;
}

AttentionInputs textInputs(const std::string& text, int heads, Index dim, std::uint64_t seed) {
  AttentionInputs in;
  in.tokens = tokenize(text);
  const Index n = static_cast<Index>(in.tokens.size());
  if (n == 0) throw Error("text = \"" + text + "\" is not allowed: it has no tokens");
  checkInputSize(heads, n, dim, dim);
  const Index model = std::max<Index>(dim, 64);  // embedding width
  Matrix x(n, model);
  for (Index i = 0; i < n; ++i) {
    std::string type = in.tokens[i];
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    SplitMix64 rng(hashText(type) ^ seed);
    for (Index j = 0; j < model; ++j) {
      // Sinusoidal position (Vaswani et al. 2017): sin on even, cos on odd features, wavelengths up to 10000·2π.
      const double angle = double(i) / std::pow(10000.0, double(2 * (j / 2)) / double(model));
      x(i, j) = static_cast<float>(rng.normal() + (j % 2 == 0 ? std::sin(angle) : std::cos(angle)));
    }
  }
  const double scale = 1.0 / std::sqrt(double(model));
  for (int h = 0; h < heads; ++h) {
    SplitMix64 rng = rowStream(seed ^ 0x7E47ull, static_cast<std::uint64_t>(h), 1);
    const Matrix wq = gaussian(model, dim, rng, scale);
    const Matrix wk = wq + gaussian(model, dim, rng, 0.3 * scale);
    const Matrix wv = gaussian(model, dim, rng, scale);
    in.q.push_back(x * wq);
    in.k.push_back(x * wk);
    in.v.push_back(x * wv);
  }
  return in;
}

namespace {

// [heads, n, d] of a .npy file's shape ([n, d] is one head), checked.
std::array<Index, 3> headShape(const std::vector<Index>& shape, const std::string& what, const std::string& path) {
  if (shape.size() != 2 && shape.size() != 3)
    throw Error("--" + what + " '" + path + "' is not allowed: expected shape [n, dim] or [heads, n, dim], got " +
                std::to_string(shape.size()) + " dimensions");
  const Index heads = shape.size() == 3 ? shape[0] : 1;
  const Index n = shape[shape.size() - 2], d = shape.back();
  if (heads < 1 || n < 1 || d < 1) throw Error("--" + what + " '" + path + "' is not allowed: it is empty");
  return {heads, n, d};
}

// Splits an array of shape [n, d] or [heads, n, d] into per-head matrices.
std::vector<Matrix> perHead(const NpyArray& a, const std::string& what, const std::string& path) {
  const auto [heads, n, d] = headShape(a.shape, what, path);
  std::vector<Matrix> out;
  for (Index h = 0; h < heads; ++h) out.push_back(Eigen::Map<const Matrix>(a.data.data() + h * n * d, n, d));
  return out;
}

std::string shapeText(const std::vector<Matrix>& m) {
  return "[" + std::to_string(m.size()) + ", " + std::to_string(m[0].rows()) + ", " + std::to_string(m[0].cols()) + "]";
}

}  // namespace

InputShape npyInputsShape(const std::string& qPath, const std::string& kPath, const std::string& vPath) {
  const auto q = headShape(readNpyHeader(qPath).shape, "q", qPath);
  const auto k = headShape(readNpyHeader(kPath).shape, "k", kPath);
  const auto v = headShape(readNpyHeader(vPath).shape, "v", vPath);
  const auto text = [](const std::array<Index, 3>& s) {
    return "[" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) + "]";
  };
  if (k != q) throw Error("--k '" + kPath + "' is not allowed: its shape " + text(k) + " must match --q's " + text(q));
  if (v[0] != q[0] || v[1] != q[1])
    throw Error("--v '" + vPath + "' is not allowed: its shape " + text(v) + " must have --q's heads and n (" +
                text(q) + ")");
  checkInputSize(q[0], q[1], q[2], v[2]);
  return {static_cast<int>(q[0]), q[1], q[2], v[2]};
}

AttentionInputs npyInputs(const std::string& qPath, const std::string& kPath, const std::string& vPath,
                          const std::function<void(const InputShape&)>& checkShape) {
  // Headers first: shapes, memory and what the caller allows are checked before any data is read.
  const InputShape shape = npyInputsShape(qPath, kPath, vPath);
  if (checkShape) checkShape(shape);
  AttentionInputs in;
  in.q = perHead(readNpy(qPath), "q", qPath);
  in.k = perHead(readNpy(kPath), "k", kPath);
  in.v = perHead(readNpy(vPath), "v", vPath);
  if (in.k.size() != in.q.size() || in.k[0].rows() != in.q[0].rows() || in.k[0].cols() != in.q[0].cols())
    throw Error("--k '" + kPath + "' is not allowed: its shape " + shapeText(in.k) + " must match --q's " +
                shapeText(in.q));
  if (in.v.size() != in.q.size() || in.v[0].rows() != in.q[0].rows())
    throw Error("--v '" + vPath + "' is not allowed: its shape " + shapeText(in.v) + " must have --q's heads and n (" +
                shapeText(in.q) + ")");
  checkFinite(in);
  return in;
}

void checkFinite(const AttentionInputs& in) {
  const std::vector<Matrix>* parts[] = {&in.q, &in.k, &in.v};
  const char* names[] = {"q", "k", "v"};
  for (int p = 0; p < 3; ++p)
    for (std::size_t h = 0; h < parts[p]->size(); ++h) {
      const Matrix& m = (*parts[p])[h];
      if (m.allFinite()) continue;
      for (Index i = 0; i < m.rows(); ++i)
        for (Index j = 0; j < m.cols(); ++j)
          if (!std::isfinite(m(i, j)))
            throw Error(std::string(names[p]) + " is not allowed: it holds " +
                        (std::isnan(m(i, j)) ? "NaN" : "an infinite value") + " at [" + std::to_string(h) + ", " +
                        std::to_string(i) + ", " + std::to_string(j) + "]; inputs must be finite");
    }
  // Scores are dot products in single precision: |q·k|/√d ≤ ‖q‖·‖k‖/√d must stay far below its largest value
  // (3.4e38), or a score turns infinite and the softmax NaN. Value rows are kept where their squares (for the
  // error figures) cannot overflow either.
  double qMax = 0, kMax = 0, vMax = 0;
  for (int h = 0; h < in.heads(); ++h) {
    qMax = std::max(qMax, double(in.q[h].rowwise().norm().maxCoeff()));
    kMax = std::max(kMax, double(in.k[h].rowwise().norm().maxCoeff()));
    vMax = std::max(vMax, double(in.v[h].cwiseAbs().maxCoeff()));
  }
  const double scoreBound = qMax * kMax / std::sqrt(double(in.dim()));
  if (!(scoreBound <= kMaxInputScore))
    throw Error("q and k are not allowed at this scale: their scores could reach " + sci(scoreBound) +
                ", beyond what single precision holds safely (" + sci(kMaxInputScore) + "); scale them down");
  if (!(vMax <= kMaxInputValue))
    throw Error("v is not allowed at this scale: it holds " + sci(vMax) + ", more than " + sci(kMaxInputValue) +
                "; scale it down");
}

}  // namespace attnscope

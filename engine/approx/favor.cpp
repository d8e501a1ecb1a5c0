#include "engine/approx/favor.h"

#include <Eigen/QR>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/attention/softmax_row.h"
#include "engine/attention/tile_gemm.h"
#include "engine/util/default_init.h"
#include "engine/util/random.h"

namespace attnscope {

namespace {

// Rows of keys and of queries a block takes (128, 256 and 512 measured within 1% of each other by
// `attnscope_bench --benchmark_filter=ApproxPerformer`, docs/PERFORMANCE.md). A block's m × rows features stay in the
// L2 cache between its two products.
constexpr Index kKeyBlock = 256, kQueryBlock = 256;
// The key pass is split into at most this many parts, summed in parallel and joined in order: the same parts for any
// number of threads, so the same result.
constexpr Index kKeyParts = 16;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// What one part of the keys sums: Σ e(k)ᵀ v and Σ e(k), e the exponential part of φ taken against `shift`.
struct KeySums {
  float shift = kNegInf;
  Matrix kv;
  Eigen::VectorXf z;
};

// A thread's working space in the key pass: a block of keys transposed, their offsets, and its features.
struct KeyScratch {
  std::vector<float> xt, offset, features;
  KeyScratch(Index d, Index m)
      : xt(static_cast<std::size_t>(d * kKeyBlock)),
        offset(static_cast<std::size_t>(kKeyBlock)),
        features(static_cast<std::size_t>(m * kKeyBlock)) {}
};

// Adds keys b0 … b0 + rows to `sums`. The features are made transposed (m × rows: W·Xᵀ), so that the second product
// Σ φ(k)ᵀ v is a plain product of them with V's rows, and a feature's sum over the block is a row sum.
void addKeyBlock(const FavorFeatures& f, const Matrix& K, const Matrix& V, Index b0, Index rows, KeyScratch& s,
                 KeySums& sums) {
  const Index d = K.cols(), m = f.m(), dv = V.cols();
  float* xt = s.xt.data();
  float* e = s.features.data();
  transposeInto(K.row(b0).data(), rows, d, d, xt, rows);
  tileProduct(m, rows, d, f.w.data(), d, xt, rows, e, rows, false);
  if (f.relu) {
    for (Index j = 0; j < m; ++j) {
      auto row = Eigen::Map<RowVector>(e + j * rows, rows);
      row = row.cwiseMax(0.0f);
      sums.z[j] += row.sum();
    }
  } else {
    for (Index r = 0; r < rows; ++r)
      s.offset[static_cast<std::size_t>(r)] = f.halfNormScale * K.row(b0 + r).squaredNorm();
    const float blockMax = rowMax(e, m * rows);
    if (blockMax > sums.shift) {  // a larger stabiliser: what was summed against the old one is rescaled
      if (sums.shift > kNegInf) {
        const float c = std::exp2(sums.shift - blockMax);
        sums.kv *= c;
        sums.z *= c;
      }
      sums.shift = blockMax;
    }
    for (Index j = 0; j < m; ++j) sums.z[j] += exp2OffsetSum(e + j * rows, s.offset.data(), rows, sums.shift);
  }
  tileProduct(m, dv, rows, e, rows, V.row(b0).data(), dv, sums.kv.data(), dv, true);
}

// φ − ε of one row of W x̃ in place: the exponential part (against the query's own stabiliser, or the keys'), or relu.
inline void featureRow(const FavorFeatures& f, float* e, Index m, float squaredNorm, bool isQuery, float keyShift) {
  if (f.relu) {
    for (Index j = 0; j < m; ++j) e[j] = std::max(e[j], 0.0f);
    return;
  }
  const float offset = f.halfNormScale * squaredNorm;
  exp2ShiftedSum(e, m, offset + (isQuery ? rowMax(e, m) : keyShift));
}

}  // namespace

Matrix performerFeatureMatrix(Index m, Index d, bool orthogonal, std::uint64_t seed, int head) {
  SplitMix64 rng(seed * 0x9E3779B97F4A7C15ull + std::uint64_t(head) + 1);
  Matrix W(m, d);
  if (!orthogonal) {
    for (Index r = 0; r < m; ++r)
      for (Index c = 0; c < d; ++c) W(r, c) = float(rng.normal());
    return W;
  }
  for (Index r0 = 0; r0 < m; r0 += d) {
    MatrixD G(d, d);
    for (Index r = 0; r < d; ++r)
      for (Index c = 0; c < d; ++c) G(r, c) = rng.normal();
    const MatrixD Qm = Eigen::HouseholderQR<MatrixD>(G).householderQ();
    const Index rows = std::min(d, m - r0);
    for (Index r = 0; r < rows; ++r) W.row(r0 + r) = Qm.col(r).transpose().cast<float>();  // rows of Qᵀ
  }
  for (Index r = 0; r < m; ++r) {  // each row rescaled to the norm of a Gaussian d-vector
    double norm = 0;
    for (Index c = 0; c < d; ++c) {
      const double g = rng.normal();
      norm += g * g;
    }
    W.row(r) *= float(std::sqrt(norm));
  }
  return W;
}

FavorFeatures favorFeatures(const Matrix& features, Index dim, bool relu) {
  FavorFeatures f;
  f.relu = relu;
  f.epsilon = relu ? 1e-3f : 1e-4f;
  const float scale = std::pow(float(dim), -0.25f);
  const float log2e = 1.4426950408889634f;
  f.w = features * (relu ? scale : scale * log2e);
  f.wt = f.w.transpose();
  f.halfNormScale = relu ? 0.0f : 0.5f * scale * scale * log2e;
  return f;
}

float favorKeyShift(const FavorFeatures& f, const Matrix& K, const Progress& progress) {
  if (f.relu) return 0;
  const Index n = K.rows(), d = K.cols(), m = f.m();
  Matrix block(std::min(n, kQueryBlock), m);
  float shift = kNegInf;
  for (Index b0 = 0; b0 < n; b0 += kQueryBlock) {
    progress.throwIfCancelled();
    const Index rows = std::min(kQueryBlock, n - b0);
    tileProduct(rows, m, d, K.row(b0).data(), d, f.wt.data(), m, block.data(), m, false);
    shift = std::max(shift, rowMax(block.data(), rows * m));
  }
  return shift;
}

void favorFeatureRows(const FavorFeatures& f, const float* x, Index rows, Index ldx, bool isQuery, float keyShift,
                      float* out, Index ldo) {
  const Index d = f.wt.rows(), m = f.m();
  for (Index r0 = 0; r0 < rows; r0 += kQueryBlock) {
    const Index count = std::min(kQueryBlock, rows - r0);
    tileProduct(count, m, d, x + r0 * ldx, ldx, f.wt.data(), m, out + r0 * ldo, ldo, false);
    for (Index r = r0; r < r0 + count; ++r) {
      float* e = out + r * ldo;
      featureRow(f, e, m, Eigen::Map<const RowVector>(x + r * ldx, d).squaredNorm(), isQuery, keyShift);
      for (Index j = 0; j < m; ++j) e[j] += f.epsilon;
    }
  }
}

float favorAttention(const FavorFeatures& f, const Matrix& Q, const Matrix& K, const Matrix& V, Matrix& out,
                     const Progress& progress) {
  const Index n = K.rows(), d = K.cols(), m = f.m(), dv = V.cols();
  // The keys: each part sums its blocks in order, against its own running stabiliser.
  const Index blocks = (n + kKeyBlock - 1) / kKeyBlock;
  const Index parts = std::min(blocks, kKeyParts);
  std::vector<KeySums> sums(static_cast<std::size_t>(parts));
  for (KeySums& s : sums) {
    s.kv = Matrix::Zero(m, dv);
    s.z = Eigen::VectorXf::Zero(m);
  }
#pragma omp parallel if (parts > 1)
  {
    KeyScratch scratch(d, m);
#pragma omp for schedule(dynamic, 1)
    for (Index p = 0; p < parts; ++p)
      for (Index b = p * blocks / parts; b < (p + 1) * blocks / parts; ++b) {
        if (progress.cancelled()) break;
        const Index b0 = b * kKeyBlock;
        addKeyBlock(f, K, V, b0, std::min(kKeyBlock, n - b0), scratch, sums[static_cast<std::size_t>(p)]);
      }
  }
  progress.throwIfCancelled();
  // Joined in order against the largest stabiliser; then ε's share, which no stabiliser scales.
  float shift = f.relu ? 0.0f : kNegInf;
  for (const KeySums& s : sums) shift = std::max(shift, s.shift);
  Matrix kv = Matrix::Zero(m, dv);
  RowVector z = RowVector::Zero(m);
  for (const KeySums& s : sums) {
    const float c = f.relu ? 1.0f : std::exp2(s.shift - shift);
    kv += c * s.kv;
    z += c * s.z.transpose();
  }
  const RowVector vSum = V.colwise().sum();
  kv.rowwise() += f.epsilon * vSum;
  z.array() += f.epsilon * float(n);
  const RowVector kvSum = kv.colwise().sum();
  const float zSum = z.sum();
  progress.report(0.5);

  // The queries: out_i = (e_i·KV + ε·Σ_j KV_j) / (e_i·z + ε·Σ_j z_j), a block of rows at a time.
  out.resize(n, dv);
  adviseHugePages(out.data(), static_cast<std::size_t>(out.size()) * sizeof(float));
  const Index queryBlocks = (n + kQueryBlock - 1) / kQueryBlock;
#pragma omp parallel if (queryBlocks > 1)
  {
    Matrix e(kQueryBlock, m);
    Eigen::VectorXf den(kQueryBlock);
#pragma omp for schedule(static)
    for (Index b = 0; b < queryBlocks; ++b) {
      if (progress.cancelled()) continue;
      const Index r0 = b * kQueryBlock, rows = std::min(kQueryBlock, n - r0);
      tileProduct(rows, m, d, Q.row(r0).data(), d, f.wt.data(), m, e.data(), m, false);
      for (Index r = 0; r < rows; ++r) {
        float* row = e.row(r).data();
        featureRow(f, row, m, Q.row(r0 + r).squaredNorm(), true, 0);
        den[r] = Eigen::Map<const RowVector>(row, m).dot(z) + f.epsilon * zSum;
      }
      float* o = out.row(r0).data();
      tileProduct(rows, dv, m, e.data(), m, kv.data(), dv, o, dv, false);
      for (Index r = 0; r < rows; ++r) out.row(r0 + r) = (out.row(r0 + r) + f.epsilon * kvSum) / den[r];
    }
  }
  progress.throwIfCancelled();
  return shift;
}

}  // namespace attnscope

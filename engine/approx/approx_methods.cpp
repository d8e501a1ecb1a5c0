// linear, performer, linformer and nystrom: the formulas are in each class's comment; the kernels are written so
// that their cost is linear in n (the feature maps, projections and landmarks are O(n·d·m) products).

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "engine/approx/approx_method.h"
#include "engine/approx/favor.h"
#include "engine/masks/pattern_family.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "engine/util/random.h"

namespace attnscope {

void ApproxMethod::check(const ParamSet&, Index, Index) const {}

namespace {

using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

void softmaxRows(Matrix& S) {
  for (Index r = 0; r < S.rows(); ++r) {
    auto row = S.row(r);
    row = (row.array() - row.maxCoeff()).exp();
    row /= row.sum();
  }
}

// ---- kernel methods: Â_ij = φ(q_i)·φ(k_j) / Σ_l φ(q_i)·φ(k_l) (l ≤ i when causal) -------------------------------

class KernelHead : public ApproxHead {
 public:
  Matrix phiQ, phiK;  // n × m
  bool causal = false;
  void weightsRow(Index i, float* row) const override {
    const Index n = phiK.rows();
    const Index last = causal ? i : n - 1;
    double norm = 0;
    for (Index j = 0; j <= last; ++j) norm += double(phiQ.row(i).dot(phiK.row(j)));
    for (Index j = 0; j < n; ++j)
      row[j] = j <= last && norm > 0 ? static_cast<float>(double(phiQ.row(i).dot(phiK.row(j))) / norm) : 0.0f;
  }
};

// Causal: out_i = φ(q_i) · (Σ_{j≤i} φ(k_j)ᵀ v_j) / (φ(q_i) · Σ_{j≤i} φ(k_j)), in blocks of 64 rows: inside a
// block the triangle is a small dense product, across blocks running sums.
void causalKernelOutput(KernelHead& h, const Matrix& V, const Progress& progress) {
  const Index n = V.rows(), m = h.phiK.cols();
  h.out.resize(n, V.cols());
  constexpr Index kBlock = 64;
  Matrix S = Matrix::Zero(m, V.cols());
  RowVector z = RowVector::Zero(m);
  for (Index b = 0; b < n; b += kBlock) {
    progress.throwIfCancelled();
    const Index rows = std::min(kBlock, n - b);
    const auto q = h.phiQ.middleRows(b, rows);
    const auto k = h.phiK.middleRows(b, rows);
    Matrix A = q * k.transpose();  // rows × rows
    for (Index r = 0; r < rows; ++r)
      for (Index c = r + 1; c < rows; ++c) A(r, c) = 0;
    Matrix num = q * S + A * V.middleRows(b, rows);
    Eigen::VectorXf den = q * z.transpose() + A.rowwise().sum();
    for (Index r = 0; r < rows; ++r) h.out.row(b + r) = num.row(r) / std::max(den[r], 1e-30f);
    S.noalias() += k.transpose() * V.middleRows(b, rows);
    z += k.colwise().sum();
  }
}

// linear (Katharopoulos et al. 2020): φ(x) = elu(x) + 1, no 1/√d.
Matrix eluPlusOne(const Eigen::Ref<const Matrix>& X) {
  return X.unaryExpr([](float x) { return x > 0 ? x + 1.0f : std::exp(x); });
}

class LinearHead : public KernelHead {
 public:
  const Matrix* Q = nullptr;
  const Matrix* K = nullptr;
  void prepareWeights() override {
    if (phiQ.size() > 0) return;
    phiQ = eluPlusOne(*Q);
    phiK = eluPlusOne(*K);
  }
};

class LinearMethod : public ApproxMethod {
 public:
  std::string name() const override { return "linear"; }
  std::string summary() const override {
    return "linear attention (Katharopoulos et al.): φ(x) = elu(x) + 1, Â_ij ∝ φ(q_i)·φ(k_j); deterministic";
  }
  std::vector<ParamSpec> params(Index) const override {
    return {boolParam("causal", false, "only keys at or before the query, by running sums")};
  }
  Index rank(const ParamSet&, Index dim) const override { return dim; }
  double runBytes(const ParamSet&, Index n, Index dim, Index valueDim) const override {
    return double(n) * double(2 * dim + valueDim) * 4.0 + double(dim) * double(valueDim) * 8.0;
  }
  std::unique_ptr<ApproxHead> run(const ParamSet& p, const Matrix& Q, const Matrix& K, const Matrix& V, int,
                                  const Progress& progress) const override {
    auto h = std::make_unique<LinearHead>();
    h->causal = p.getBool("causal");
    h->Q = &Q;
    h->K = &K;
    if (h->causal) {  // running sums over the keys before each query block
      h->prepareWeights();
      causalKernelOutput(*h, V, progress);
      return h;
    }
    // Σ_j φ(k_j)ᵀ v_j and Σ_j φ(k_j) in blocks of keys, then each block of queries: no n × d copy is made.
    const Index n = Q.rows(), d = Q.cols();
    constexpr Index kBlock = 1024;
    Matrix KV = Matrix::Zero(d, V.cols());
    RowVector z = RowVector::Zero(d);
    for (Index b = 0; b < n; b += kBlock) {
      progress.throwIfCancelled();
      const Index rows = std::min(kBlock, n - b);
      const Matrix phiK = eluPlusOne(K.middleRows(b, rows));
      KV.noalias() += phiK.transpose() * V.middleRows(b, rows);
      z += phiK.colwise().sum();
    }
    h->out.resize(n, V.cols());
    for (Index b = 0; b < n; b += kBlock) {
      const Index rows = std::min(kBlock, n - b);
      const Matrix phiQ = eluPlusOne(Q.middleRows(b, rows));
      const Eigen::VectorXf norm = phiQ * z.transpose();
      h->out.middleRows(b, rows).noalias() = phiQ * KV;
      for (Index r = 0; r < rows; ++r) h->out.row(b + r) /= std::max(norm[r], 1e-30f);
    }
    return h;
  }
};

// performer (FAVOR+, Choromanski et al. 2020): φ(x) = exp(W x̃ − ‖x̃‖²/2)/√m with x̃ = x·d^(−1/4), W of m rows made
// of orthogonal blocks (QR of Gaussian d × d matrices) whose rows are rescaled to the norms of Gaussian vectors, as
// lucidrains' performer-pytorch builds them; or φ(x) = relu(W x̃) + 10⁻³ (the relu kernel). The kernel, its
// stabilisers and its blocks are in favor.h.
class PerformerHead : public KernelHead {
 public:
  FavorFeatures features;
  float keyShift = 0;
  const Matrix* Q = nullptr;
  const Matrix* K = nullptr;
  void prepareWeights() override {
    if (phiQ.size() > 0) return;
    const Index n = Q->rows(), d = Q->cols(), m = features.m();
    phiQ.resize(n, m);
    phiK.resize(n, m);
    favorFeatureRows(features, Q->data(), n, d, true, keyShift, phiQ.data(), m);
    favorFeatureRows(features, K->data(), n, d, false, keyShift, phiK.data(), m);
  }
};

class PerformerMethod : public ApproxMethod {
 public:
  std::string name() const override { return "performer"; }
  std::string summary() const override {
    return "Performer (FAVOR+): positive random features of the softmax kernel, seeded";
  }
  std::vector<ParamSpec> params(Index dim) const override {
    const Index def = std::max<Index>(1, static_cast<Index>(std::floor(double(dim) * std::log(double(dim)))));
    return {intParam("nb_features", def, 1, 65536, "random features m (default ⌊d·ln d⌋, as performer-pytorch)"),
            boolParam("orthogonal", true, "orthogonal blocks with Gaussian-norm rows (false: i.i.d. Gaussian rows)"),
            choiceParam("kernel", "softmax", {"softmax", "relu"}, "softmax: FAVOR+'s exp features; relu: relu(Wx̃)"),
            intParam("seed", 0, 0, kMaxTokens, "seed of the random features (each head draws its own)"),
            boolParam("causal", false, "only keys at or before the query, by running sums")};
  }
  Index rank(const ParamSet& p, Index) const override { return p.getInt("nb_features"); }
  double runBytes(const ParamSet& p, Index n, Index dim, Index valueDim) const override {
    const double m = double(p.getInt("nb_features"));
    return double(n) * (2.0 * m + double(valueDim)) * 4.0 + m * double(dim + valueDim) * 8.0;
  }
  std::unique_ptr<ApproxHead> run(const ParamSet& p, const Matrix& Q, const Matrix& K, const Matrix& V, int head,
                                  const Progress& progress) const override {
    const Index d = Q.cols(), m = p.getInt("nb_features");
    auto h = std::make_unique<PerformerHead>();
    h->features =
        favorFeatures(performerFeatureMatrix(m, d, p.getBool("orthogonal"), std::uint64_t(p.getInt("seed")), head), d,
                      p.getChoice("kernel") == "relu");
    h->Q = &Q;
    h->K = &K;
    h->causal = p.getBool("causal");
    if (h->causal) {  // running sums over the keys before each query block, as linear attention's
      h->keyShift = favorKeyShift(h->features, K, progress);
      h->prepareWeights();
      causalKernelOutput(*h, V, progress);
      return h;
    }
    h->keyShift = favorAttention(h->features, Q, K, V, h->out, progress);
    return h;
  }
};

// Rows a block of Linformer's and Nyströmformer's kernels takes.
constexpr Index kRowBlock = 1024;

// linformer (Wang et al. 2020): keys and values projected along the sequence by k × n matrices E and F with entries
// uniform in ±1/√k (seeded; F = E with share_kv), Â = softmax(Q (EK)ᵀ/√d)·F — rank ≤ k; its rows need not sum to 1
// and may be negative.
class LinformerHead : public ApproxHead {
 public:
  Matrix Kp;  // k × d: E·K
  Matrix F;   // k × n, made by prepareWeights()
  const Matrix* Q = nullptr;
  float scale = 1;
  std::function<Matrix()> makeF;
  void prepareWeights() override { F = makeF(); }
  void weightsRow(Index i, float* row) const override {
    RowVector p = (Q->row(i) * scale) * Kp.transpose();
    p = (p.array() - p.maxCoeff()).exp();
    p /= p.sum();
    Eigen::Map<RowVector> r(row, F.cols());
    r.noalias() = p * F;
  }
};

class LinformerMethod : public ApproxMethod {
 public:
  std::string name() const override { return "linformer"; }
  std::string summary() const override {
    return "Linformer: keys and values projected along the sequence to k rows; Â of rank ≤ k, seeded";
  }
  std::vector<ParamSpec> params(Index) const override {
    return {intParam("k", 256, 1, 65536, "rows of the projections E and F (k ≤ n)"),
            boolParam("share_kv", false, "one projection for keys and values (F = E)"),
            intParam("seed", 0, 0, kMaxTokens, "seed of E and F (each head draws its own)")};
  }
  Index rank(const ParamSet& p, Index) const override { return p.getInt("k"); }
  void check(const ParamSet& p, Index n, Index) const override {
    if (p.getInt("k") > n)
      throw Error(paramError("k", std::to_string(p.getInt("k")), "expected at most n = " + std::to_string(n)));
  }
  double runBytes(const ParamSet& p, Index n, Index dim, Index valueDim) const override {
    const double k = double(p.getInt("k"));
    return (2.0 * k * double(n) + k * double(dim + valueDim) + double(n) * double(valueDim)) * 4.0;
  }
  // Columns [c0, c0 + cols) of E (which = 0) or F (1): entries uniform in ±1/√k, a seeded stream per row and block
  // of kRowBlock columns, so any block is made alone and E is never held whole by the kernel.
  static Matrix projectionBlock(Index k, Index c0, Index cols, std::uint64_t seed, int head, int which) {
    Matrix E(k, cols);
    const float bound = 1.0f / std::sqrt(float(k));
    for (Index r = 0; r < k; ++r)
      for (Index c = 0; c < cols; ++c) {
        if (c == 0 || (c0 + c) % kRowBlock == 0) {
          SplitMix64 rng = rowStream(seed * 4 + std::uint64_t(which), std::uint64_t(head),
                                     std::uint64_t(r) * 1000003u + std::uint64_t((c0 + c) / kRowBlock));
          const Index skip = (c0 + c) % kRowBlock;  // a block that starts inside a stream's block
          for (Index t = 0; t < skip; ++t) rng.next();
          for (Index cc = c; cc < cols && (cc == c || (c0 + cc) % kRowBlock != 0); ++cc)
            E(r, cc) = (float((rng.next() >> 40) * 0x1.0p-24) * 2.0f - 1.0f) * bound;
        }
      }
    return E;
  }
  std::unique_ptr<ApproxHead> run(const ParamSet& p, const Matrix& Q, const Matrix& K, const Matrix& V, int head,
                                  const Progress& progress) const override {
    const Index n = Q.rows(), k = p.getInt("k");
    const auto seed = std::uint64_t(p.getInt("seed"));
    const int fWhich = p.getBool("share_kv") ? 0 : 1;
    auto h = std::make_unique<LinformerHead>();
    h->Q = &Q;
    h->scale = 1.0f / std::sqrt(float(Q.cols()));
    h->makeF = [k, n, seed, head, fWhich] { return projectionBlock(k, 0, n, seed, head, fWhich); };
    h->Kp = Matrix::Zero(k, K.cols());
    Matrix Vp = Matrix::Zero(k, V.cols());
    for (Index b = 0; b < n; b += kRowBlock) {
      progress.throwIfCancelled();
      const Index cols = std::min(kRowBlock, n - b);
      const Matrix E = projectionBlock(k, b, cols, seed, head, 0);
      h->Kp.noalias() += E * K.middleRows(b, cols);
      if (fWhich == 0)
        Vp.noalias() += E * V.middleRows(b, cols);
      else
        Vp.noalias() += projectionBlock(k, b, cols, seed, head, 1) * V.middleRows(b, cols);
    }
    h->out.resize(n, V.cols());
    for (Index b = 0; b < n; b += kRowBlock) {
      const Index rows = std::min(kRowBlock, n - b);
      Matrix P = (Q.middleRows(b, rows) * h->scale) * h->Kp.transpose();
      softmaxRows(P);
      h->out.middleRows(b, rows).noalias() = P * Vp;
    }
    return h;
  }
};

// nystrom (Xiong et al. 2021): m landmarks, the means of contiguous segments of Q and K, each scaled by d^(−1/4);
// Â = softmax(Q K̃ᵀ)·Z·softmax(Q̃ Kᵀ), Z the iterative pseudo-inverse of A = softmax(Q̃ K̃ᵀ): Z₀ = Aᵀ / max_j Σ_i A_ij,
// then 6 times Z ← ¼ Z (13I − AZ(15I − AZ(7I − AZ))). The m × m steps are done in double precision.
class NystromHead : public ApproxHead {
 public:
  Matrix Kl;  // m × d landmarks of the (scaled) keys
  MatrixD Z;  // m × m
  Matrix F3;  // m × n, made by prepareWeights()
  const Matrix* Q = nullptr;
  const Matrix* K = nullptr;
  Matrix Ql;
  float scale = 1;
  void prepareWeights() override {
    F3 = (Ql * (scale * scale)) * K->transpose();  // landmarks and keys both scaled by d^(−1/4)
    softmaxRows(F3);
  }
  void weightsRow(Index i, float* row) const override {
    RowVector f1 = (Q->row(i) * scale) * Kl.transpose();
    f1 = (f1.array() - f1.maxCoeff()).exp();
    f1 /= f1.sum();
    const RowVector f1z = (f1.cast<double>() * Z).cast<float>();
    Eigen::Map<RowVector> r(row, F3.cols());
    r.noalias() = f1z * F3;
  }
};

class NystromMethod : public ApproxMethod {
 public:
  std::string name() const override { return "nystrom"; }
  std::string summary() const override {
    return "Nyströmformer: landmarks as segment means, an iterative pseudo-inverse; deterministic";
  }
  std::vector<ParamSpec> params(Index) const override {
    return {intParam("num_landmarks", 64, 1, 65536, "landmarks m; n must be a multiple of it")};
  }
  Index rank(const ParamSet& p, Index) const override { return p.getInt("num_landmarks"); }
  void check(const ParamSet& p, Index n, Index) const override {
    const Index m = p.getInt("num_landmarks");
    if (m > n || n % m != 0)
      throw Error("n = " + std::to_string(n) +
                  " is not allowed for nystrom: it must be a multiple of num_landmarks = " + std::to_string(m));
  }
  double runBytes(const ParamSet& p, Index n, Index dim, Index valueDim) const override {
    const double m = double(p.getInt("num_landmarks"));  // F3 (m × n) for the weights, the output, and m × m steps
    return (m * double(n) + double(n) * double(valueDim) + m * double(dim)) * 4.0 + 8.0 * m * m * 8.0;
  }
  std::unique_ptr<ApproxHead> run(const ParamSet& p, const Matrix& Q, const Matrix& K, const Matrix& V, int,
                                  const Progress& progress) const override {
    const Index n = Q.rows(), d = Q.cols(), m = p.getInt("num_landmarks"), seg = n / m;
    auto h = std::make_unique<NystromHead>();
    h->Q = &Q;
    h->K = &K;
    h->scale = std::pow(float(d), -0.25f);
    const float scale = h->scale;
    h->Ql.resize(m, d);
    h->Kl.resize(m, d);
    for (Index l = 0; l < m; ++l) {
      h->Ql.row(l) = Q.middleRows(l * seg, seg).colwise().mean();  // unscaled; scaled where used
      h->Kl.row(l) = K.middleRows(l * seg, seg).colwise().mean() * scale;
    }
    const Matrix QlS = h->Ql * scale;
    Matrix A = QlS * h->Kl.transpose();
    softmaxRows(A);
    const MatrixD Ad = A.cast<double>();
    const MatrixD I = MatrixD::Identity(m, m);
    MatrixD Z = Ad.transpose() / Ad.colwise().sum().maxCoeff();
    for (int it = 0; it < 6; ++it) {
      const MatrixD AZ = Ad * Z;
      Z = 0.25 * Z * (13.0 * I - AZ * (15.0 * I - AZ * (7.0 * I - AZ)));
    }
    h->Z = Z;
    // softmax(Q̃ Kᵀ)·V in blocks of keys: the maximum of each landmark's row first, then its sum and Σ exp·v.
    RowVector mx = RowVector::Constant(m, -std::numeric_limits<float>::infinity());
    for (Index b = 0; b < n; b += kRowBlock) {
      const Index cols = std::min(kRowBlock, n - b);
      const Matrix S = QlS * (K.middleRows(b, cols) * scale).transpose();
      mx = mx.cwiseMax(S.rowwise().maxCoeff().transpose());
    }
    Matrix F3V = Matrix::Zero(m, V.cols());
    RowVector sum = RowVector::Zero(m);
    for (Index b = 0; b < n; b += kRowBlock) {
      progress.throwIfCancelled();
      const Index cols = std::min(kRowBlock, n - b);
      Matrix S = QlS * (K.middleRows(b, cols) * scale).transpose();
      for (Index l = 0; l < m; ++l) S.row(l) = (S.row(l).array() - mx[l]).exp();
      sum += S.rowwise().sum().transpose();
      F3V.noalias() += S * V.middleRows(b, cols);
    }
    for (Index l = 0; l < m; ++l) F3V.row(l) /= sum[l];
    const Matrix ZF3V = (Z * F3V.cast<double>()).cast<float>();  // m × dv
    h->out.resize(n, V.cols());
    for (Index b = 0; b < n; b += kRowBlock) {
      const Index rows = std::min(kRowBlock, n - b);
      Matrix F1 = (Q.middleRows(b, rows) * scale) * h->Kl.transpose();
      softmaxRows(F1);
      h->out.middleRows(b, rows).noalias() = F1 * ZF3V;
    }
    return h;
  }
};

}  // namespace

const std::vector<const ApproxMethod*>& approxMethods() {
  static const LinearMethod linear;
  static const PerformerMethod performer;
  static const LinformerMethod linformer;
  static const NystromMethod nystrom;
  static const std::vector<const ApproxMethod*> all = {&linear, &performer, &linformer, &nystrom};
  return all;
}

const ApproxMethod& findApproxMethod(std::string_view name) {
  std::string names;
  for (const ApproxMethod* m : approxMethods()) {
    if (m->name() == name) return *m;
    if (!names.empty()) names += ", ";
    names += m->name();
  }
  throw Error("method '" + std::string(name) + "' is unknown: expected one of " + names);
}

ParamSet resolveApproxParams(const ApproxMethod& method, Index dim,
                             const std::vector<std::pair<std::string, std::string>>& texts) {
  const std::vector<ParamSpec> specs = method.params(dim);
  ParamSet values;
  for (const ParamSpec& s : specs) values.set(s.name, s.defaultValue());
  for (const auto& entry : texts) {
    const std::string& key = entry.first;  // a named variable: clang 14 cannot capture a structured binding
    const std::string& text = entry.second;
    const auto it = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.name == key; });
    if (it == specs.end()) {
      std::string names;
      for (const ParamSpec& s : specs) {
        if (!names.empty()) names += ", ";
        names += s.name;
      }
      throw Error("parameter '" + key + "' is unknown for method '" + method.name() + "': expected one of " + names);
    }
    values.set(key, it->parse(text));
  }
  return values;
}

}  // namespace attnscope

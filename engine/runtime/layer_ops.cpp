#include "engine/runtime/layer_ops.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace attnscope {

Matrix layerNorm(const Matrix& x, const Eigen::RowVectorXf& weight, const Eigen::RowVectorXf& bias, double eps) {
  Matrix out(x.rows(), x.cols());
  for (Index r = 0; r < x.rows(); ++r) {
    const float mean = x.row(r).mean();
    const Eigen::RowVectorXf centred = x.row(r).array() - mean;
    const float variance = centred.squaredNorm() / static_cast<float>(x.cols());
    out.row(r) = centred.cwiseProduct(weight) * (1.0f / std::sqrt(variance + static_cast<float>(eps))) + bias;
  }
  return out;
}

Matrix rmsNorm(const Matrix& x, const float* weight, double eps) {
  Matrix out(x.rows(), x.cols());
  const Eigen::Map<const Eigen::RowVectorXf> w(weight, x.cols());
  for (Index r = 0; r < x.rows(); ++r) {
    const float ms = x.row(r).squaredNorm() / static_cast<float>(x.cols()) + static_cast<float>(eps);
    out.row(r) = x.row(r).cwiseProduct(w) * (1.0f / std::sqrt(ms));
  }
  return out;
}

bool knownActivation(const std::string& name) {
  return name == "gelu" || name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "relu";
}

void activate(Matrix& h, const std::string& name) {
  if (name == "relu") {
    h = h.cwiseMax(0.0f);
  } else if (name == "gelu") {  // erf, as nn.GELU()
    h = h.unaryExpr([](float v) { return 0.5f * v * (1.0f + std::erf(v * static_cast<float>(M_SQRT1_2))); });
  } else {  // gelu_new, gelu_pytorch_tanh: the tanh approximation
    const float c = std::sqrt(2.0f / static_cast<float>(M_PI));
    h = (0.5f * h.array() * (1.0f + (c * (h.array() + 0.044715f * h.array().cube())).tanh())).matrix();
  }
}

Matrix attendHead(const MatrixBlock& q, const MatrixBlock& k, const MatrixBlock& v, float scale, bool causal,
                  int window, Matrix& p) {
  const Index n = q.rows(), keys = k.rows();
  p.noalias() = q * k.transpose();
  for (Index i = 0; i < n; ++i) {
    // The keys row i may see: [first, last).
    const Index last = causal ? std::min(i + 1, keys) : keys;
    const Index first = window > 0 ? std::max<Index>(0, i - window + 1) : 0;
    auto row = p.row(i);
    float most = -std::numeric_limits<float>::infinity();
    for (Index j = first; j < last; ++j) most = std::max(most, row(j) * scale);
    float sum = 0;
    for (Index j = first; j < last; ++j) sum += (row(j) = std::exp(row(j) * scale - most));
    const float inverse = 1.0f / sum;
    for (Index j = first; j < last; ++j) row(j) *= inverse;
    for (Index j = 0; j < first; ++j) row(j) = 0;
    for (Index j = last; j < keys; ++j) row(j) = 0;
  }
  return p * v;
}

}  // namespace attnscope

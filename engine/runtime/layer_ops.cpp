#include "engine/runtime/layer_ops.h"

#include <cmath>

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

}  // namespace attnscope

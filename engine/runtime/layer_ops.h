#pragma once
// The pieces the Hugging Face architectures share, in float32 on Eigen: LayerNorm over each row, and the
// activations their configs name.

#include <string>

#include "engine/util/types.h"

namespace attnscope {

/// Each row normalised to mean 0 and variance 1 (the biased variance, as torch's LayerNorm), then scaled and shifted.
Matrix layerNorm(const Matrix& x, const Eigen::RowVectorXf& weight, const Eigen::RowVectorXf& bias, double eps);
/// True for the activations run here: gelu (erf), gelu_new and gelu_pytorch_tanh (the tanh approximation), relu.
bool knownActivation(const std::string& name);
/// Applies activation `name` (one knownActivation() accepts) to every value of `h`.
void activate(Matrix& h, const std::string& name);

}  // namespace attnscope

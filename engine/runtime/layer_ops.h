#pragma once
// The pieces the architectures share, in float32 on Eigen: LayerNorm and RMSNorm over each row, the activations
// their configs name, and one head's scaled dot-product attention.

#include <string>

#include "engine/runtime/language_model.h"
#include "engine/util/types.h"

namespace attnscope {

/// Each row normalised to mean 0 and variance 1 (the biased variance, as torch's LayerNorm), then scaled and shifted.
Matrix layerNorm(const Matrix& x, const Eigen::RowVectorXf& weight, const Eigen::RowVectorXf& bias, double eps);
/// Each row divided by its root mean square (eps inside the root), then scaled: Llama's RMSNorm.
Matrix rmsNorm(const Matrix& x, const float* weight, double eps);
/// True for the activations run here: gelu (erf), gelu_new and gelu_pytorch_tanh (the tanh approximation), relu.
bool knownActivation(const std::string& name);
/// Applies activation `name` (one knownActivation() accepts) to every value of `h`.
void activate(Matrix& h, const std::string& name);

/// The rows of the final hidden states `x` the logits are asked for (all, or those listed), and their positions
/// into `positions`. Throws Error for a position outside x.
Matrix logitRowsOf(const Matrix& x, const LogitRows& rows, std::vector<Index>& positions);
/// One head's attention: `p` ← softmax(q kᵀ · scale) over the keys each query may see — every key; or, `causal`,
/// keys j ≤ i, and with `window` W > 0 only i − W < j ≤ i — zeros elsewhere; returns p · v.
using MatrixBlock = Eigen::Ref<const Matrix, 0, Eigen::OuterStride<>>;
/// With a substitute in `options` for layer `layer`: its mask's row for `head` (head 0 of a one-head mask) limits the
/// keys seen besides (a row left with none is zero and so is its output), or its approximation computes the head
/// instead (p then holds its effective weights Â, row by row).
Matrix attendHead(const MatrixBlock& q, const MatrixBlock& k, const MatrixBlock& v, float scale, bool causal,
                  int window, Matrix& p, const PassOptions& options = {}, int layer = 0, int head = 0);

}  // namespace attnscope

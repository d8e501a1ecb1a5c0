#pragma once
// Performer's FAVOR+ in blocks on the tile products (engine/attention/tile_gemm.h), so that its cost is the O(n·m·d)
// the method promises with the constant of a tuned matrix product: no n × m matrix is made, every block of rows is a
// few small products that stay in the cache, and the exponentials run on the fused kernels' vector code.
//
//   φ(x) = exp(W x̃ − ‖x̃‖²/2 − stabiliser) + ε   (softmax kernel, ε = 10⁻⁴ as performer-pytorch)
//   φ(x) = relu(W x̃) + ε                          (relu kernel, ε = 10⁻³)
//   out_i = Σ_j φ(q_i)·φ(k_j) v_j / Σ_j φ(q_i)·φ(k_j),   x̃ = x·d^(−1/4)
//
// performer-pytorch's constant factor 1/√m cancels between numerator and denominator and is left out. Each query's
// stabiliser is the largest entry of its own W q̃; the keys' is the largest over all keys, which the key pass finds as
// it goes: when a block raises it, the sums so far are rescaled by 2^(old − new) — the exponential parts alone, for
// ε is added after the stabiliser and its share, ε·Σv and ε·n, is kept apart. The exponentials are taken in base 2
// on W scaled by log₂e, as the fused attention kernels take theirs.

#include <cstdint>

#include "engine/util/progress.h"
#include "engine/util/types.h"

namespace attnscope {

/// Performer's m × d random features for one head: orthogonal blocks (the Q of a QR of Gaussian d × d matrices, in
/// double precision) whose rows are rescaled to the norms of Gaussian d-vectors, as performer-pytorch's
/// gaussian_orthogonal_random_matrix with scaling 0; or i.i.d. Gaussian rows. Seeded: each head draws its own.
Matrix performerFeatureMatrix(Index m, Index d, bool orthogonal, std::uint64_t seed, int head);

/// The random features of one head, laid out for the products.
struct FavorFeatures {
  Matrix w;   ///< m × d: the features scaled by d^(−1/4) (and log₂e for the softmax kernel)
  Matrix wt;  ///< d × m: w transposed
  bool relu = false;
  float epsilon = 1e-4f;
  float halfNormScale = 0;  ///< ‖x‖² times this is ‖x̃‖²/2 in base 2
  Index m() const { return w.rows(); }
};

/// features: m × d, as PerformerMethod draws them.
FavorFeatures favorFeatures(const Matrix& features, Index dim, bool relu);

/// The keys' stabiliser: the largest entry of W k̃ over all keys (base 2); 0 for the relu kernel.
float favorKeyShift(const FavorFeatures& f, const Matrix& K, const Progress& progress = {});

/// φ of `rows` rows of x (row-major, ldx floats apart) into out (rows × m, ldo floats apart), ε included. Queries
/// take their own stabiliser, keys keyShift.
void favorFeatureRows(const FavorFeatures& f, const float* x, Index rows, Index ldx, bool isQuery, float keyShift,
                      float* out, Index ldo);

/// The non-causal output: Σ_j φ(k_j)ᵀ v_j and Σ_j φ(k_j) in one pass over the keys, then each block of queries.
/// The keys are split into a fixed number of parts summed in parallel and joined in order, so the result does not
/// depend on the number of threads. Returns the keys' stabiliser. Cancellable between blocks (throws Cancelled).
float favorAttention(const FavorFeatures& f, const Matrix& Q, const Matrix& K, const Matrix& V, Matrix& out,
                     const Progress& progress = {});

}  // namespace attnscope

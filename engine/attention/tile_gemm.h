#pragma once
// The two small matrix products inside every fused attention kernel, on one tile of queries and keys:
//   scores  S = Q · Kᵀ       (rows × cols, from Q rows × d and the key tile packed as Kᵀ, d × cols)
//   values  acc += P · V     (rows × d_v, from the tile's probabilities P rows × cols and V cols × d_v)
// Two backends compute them. libxsmm's JIT kernels (generated for this processor's vector width, the first time a
// shape is asked for) when the build found libxsmm; Eigen's products otherwise, and always when forced (tests,
// benchmarks). libxsmm's fp32 kernels are column-major; a row-major product is the column-major product of the
// transposes, so Q and P are passed as its B operand and Kᵀ and V as its A: nothing is transposed but K, once a head.
// Leading dimensions are in floats. All matrices are row-major.

#include "engine/util/types.h"

namespace attnscope {

enum class TileBackend { Eigen, Libxsmm };

/// Whether this build has the libxsmm backend.
bool libxsmmAvailable();
/// The backend in use (libxsmm when available, unless set otherwise).
TileBackend tileBackend();
/// Chooses the backend for every kernel that follows (Libxsmm without libxsmm stays Eigen); returns the previous.
TileBackend setTileBackend(TileBackend backend);
const char* tileBackendName(TileBackend backend);
/// Floats in one vector of the tile products' code: 16 when libxsmm generates AVX-512 (its target, which
/// LIBXSMM_TARGET can lower) or, on Eigen, when the build has AVX-512; 8 otherwise.
int tileVectorFloats();

/// Kᵀ for the products above: d rows of n keys, row-major, with kTransposedPad more columns than n that are never
/// read (pass its cols() as the leading dimension). The padding keeps the d rows from lying a power of two apart:
/// with n = 16,384 they were 64 KiB apart, all in one cache set, and the window kernel ran at a quarter of its speed.
/// Transposed a vector's width square at a time, in registers (a plain transposed copy reads K a column at a time).
/// `into` is reused when it already has the shape (the kernels pack every head into one buffer: fresh pages cost
/// a page fault each, which in a VM can cost more than a window's attention).
constexpr Index kTransposedPad = 16;
void packTransposed(const Matrix& k, Matrix& into);
/// dst[j·ldd + i] = src[i·lds + j] for i < rows, j < cols: the transposing copy packTransposed makes, for any strides.
void transposeInto(const float* src, Index rows, Index cols, Index lds, float* dst, Index ldd);

/// c[r·ldc + j] (+)= Σ_k a[r·lda + k] · b[k·ldb + j], for r < rows, j < cols, k < depth: a general tile product,
/// overwriting c, or adding to it with `accumulate` (the model runtime's linear layers, one block at a time).
void tileProduct(Index rows, Index cols, Index depth, const float* a, Index lda, const float* b, Index ldb, float* c,
                 Index ldc, bool accumulate);
/// s[r·lds + c] = Σ_k q[r·ldq + k] · kt[k·ldkt + c], for r < rows, c < cols, k < d.
void tileScores(Index rows, Index cols, Index d, const float* q, Index ldq, const float* kt, Index ldkt, float* s,
                Index lds);
/// acc[r·ldacc + j] += Σ_c p[r·ldp + c] · v[c·ldv + j], for r < rows, j < dv, c < cols.
void tileAccumulate(Index rows, Index cols, Index dv, const float* p, Index ldp, const float* v, Index ldv, float* acc,
                    Index ldacc);

}  // namespace attnscope

#include "engine/attention/tile_gemm.h"

#include <algorithm>
#include <atomic>

#include "engine/util/default_init.h"

#ifdef ATTNSCOPE_HAVE_LIBXSMM
#include <libxsmm.h>
#endif

namespace attnscope {

namespace {

#ifdef ATTNSCOPE_HAVE_LIBXSMM
std::atomic<TileBackend> backend{TileBackend::Libxsmm};

// libxsmm initialises itself on first use as well; doing it once here keeps that out of the first timed tile.
struct Init {
  Init() { libxsmm_init(); }
} init;

// The kernel for a shape, from libxsmm's own code cache (a hash lookup once generated). Null when libxsmm has no
// kernel for it (then Eigen computes that product).
libxsmm_smmfunction kernel(Index m, Index n, Index k, Index lda, Index ldb, Index ldc, bool accumulate) {
  const float alpha = 1, beta = accumulate ? 1.0f : 0.0f;
  const libxsmm_blasint M = m, N = n, K = k, A = lda, B = ldb, C = ldc;
  return libxsmm_smmdispatch(M, N, K, &A, &B, &C, &alpha, &beta, nullptr, nullptr);
}
#else
std::atomic<TileBackend> backend{TileBackend::Eigen};
#endif

using Strided = Eigen::OuterStride<>;
using ConstMap = Eigen::Map<const Matrix, Eigen::Unaligned, Strided>;
using MutableMap = Eigen::Map<Matrix, Eigen::Unaligned, Strided>;

}  // namespace

bool libxsmmAvailable() {
#ifdef ATTNSCOPE_HAVE_LIBXSMM
  return true;
#else
  return false;
#endif
}

TileBackend tileBackend() { return backend.load(std::memory_order_relaxed); }

TileBackend setTileBackend(TileBackend b) {
  if (!libxsmmAvailable()) b = TileBackend::Eigen;
  return backend.exchange(b);
}

int tileVectorFloats() {
#ifdef ATTNSCOPE_HAVE_LIBXSMM
  if (tileBackend() == TileBackend::Libxsmm) return libxsmm_get_target_archid() >= LIBXSMM_X86_AVX512 ? 16 : 8;
#endif
#if defined(__AVX512F__)
  return 16;
#else
  return 8;
#endif
}

const char* tileBackendName(TileBackend b) { return b == TileBackend::Libxsmm ? "libxsmm" : "Eigen"; }

void transposeInto(const float* src, Index rows, Index cols, Index lds, float* dst, Index ldd) {
  // W × W blocks (W floats a vector), each loaded as W vectors, transposed in registers and stored as W vectors;
  // the edges of a shape that is not a multiple of W are copied one float at a time. Split over blocks of rows, so
  // a second thread halves what is serial before a kernel's own parallel loop.
  using Eigen::internal::ploadu;
  using Eigen::internal::pstoreu;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"  // the vector type as a template argument (softmax_row.h)
  using Packet = Eigen::internal::packet_traits<float>::type;
  constexpr Index W = Eigen::internal::unpacket_traits<Packet>::size;
  using Block = Eigen::internal::PacketBlock<Packet, W>;
#pragma GCC diagnostic pop
  const Index fullRows = rows - rows % W, fullCols = cols - cols % W;
#pragma omp parallel for schedule(static) if (rows >= 4096)
  for (Index i0 = 0; i0 < rows; i0 += W) {
    if (i0 < fullRows)
      for (Index j0 = 0; j0 < fullCols; j0 += W) {
        Block b;
        for (Index r = 0; r < W; ++r) b.packet[r] = ploadu<Packet>(src + (i0 + r) * lds + j0);
        Eigen::internal::ptranspose(b);
        for (Index r = 0; r < W; ++r) pstoreu(dst + (j0 + r) * ldd + i0, b.packet[r]);
      }
    const Index i1 = std::min(rows, i0 + W);
    for (Index j = i0 < fullRows ? fullCols : 0; j < cols; ++j)
      for (Index i = i0; i < i1; ++i) dst[j * ldd + i] = src[i * lds + j];
  }
}

void packTransposed(const Matrix& k, Matrix& t) {
  const Index rows = k.rows(), cols = k.cols();
  if (t.rows() != cols || t.cols() != rows + kTransposedPad) {
    t.resize(cols, rows + kTransposedPad);
    // Huge pages where the kernel grants them: a key tile reads d rows of Kᵀ, each on its own 4 KiB page otherwise.
    adviseHugePages(t.data(), static_cast<std::size_t>(t.size()) * sizeof(float));
    t.rightCols(kTransposedPad).setZero();
  }
  transposeInto(k.data(), rows, cols, cols, t.data(), t.cols());
}

void tileProduct(Index rows, Index cols, Index depth, const float* a, Index lda, const float* b, Index ldb, float* c,
                 Index ldc, bool accumulate) {
#ifdef ATTNSCOPE_HAVE_LIBXSMM
  if (tileBackend() == TileBackend::Libxsmm)
    if (const auto f = kernel(cols, rows, depth, ldb, lda, ldc, accumulate)) return f(b, a, c);
#endif
  MutableMap out(c, rows, cols, Strided(ldc));
  const auto product = ConstMap(a, rows, depth, Strided(lda)) * ConstMap(b, depth, cols, Strided(ldb));
  if (accumulate)
    out.noalias() += product;
  else
    out.noalias() = product;
}

void tileScores(Index rows, Index cols, Index d, const float* q, Index ldq, const float* kt, Index ldkt, float* s,
                Index lds) {
#ifdef ATTNSCOPE_HAVE_LIBXSMM
  if (tileBackend() == TileBackend::Libxsmm)
    if (const auto f = kernel(cols, rows, d, ldkt, ldq, lds, false)) return f(kt, q, s);
#endif
  MutableMap(s, rows, cols, Strided(lds)).noalias() =
      ConstMap(q, rows, d, Strided(ldq)) * ConstMap(kt, d, cols, Strided(ldkt));
}

void tileAccumulate(Index rows, Index cols, Index dv, const float* p, Index ldp, const float* v, Index ldv, float* acc,
                    Index ldacc) {
#ifdef ATTNSCOPE_HAVE_LIBXSMM
  if (tileBackend() == TileBackend::Libxsmm)
    if (const auto f = kernel(dv, rows, cols, ldv, ldp, ldacc, true)) return f(v, p, acc);
#endif
  MutableMap(acc, rows, dv, Strided(ldacc)).noalias() +=
      ConstMap(p, rows, cols, Strided(ldp)) * ConstMap(v, cols, dv, Strided(ldv));
}

}  // namespace attnscope

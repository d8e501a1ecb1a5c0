// The fused kernels' tile products on each small-matrix library the issue named, one thread, head dim 64: QKᵀ
// (Kᵀ packed) followed by PV, the pair every tile of a fused kernel computes. Built only where BLIS is installed
// (Debian's libblis-dev; the project does not need it): it is how the tile backend was chosen, and how to check the
// choice on another machine. GFLOP/s count a multiply-add as two. libxsmm's JIT follows LIBXSMM_TARGET (hsw: AVX2).
//   attnscope_tile_library_bench --benchmark_filter=Tiles
#include <benchmark/benchmark.h>
#include <blis.h>

#include <string>

#include "engine/attention/tile_gemm.h"

namespace {

using namespace attnscope;

struct Tile {
  Index rows, cols, d = 64;
  Matrix q, kt, v, s, acc;
  Tile(Index r, Index c)
      : rows(r),
        cols(c),
        q(Matrix::Random(r, 64)),
        kt(Matrix::Random(64, c)),
        v(Matrix::Random(c, 64)),
        s(r, c),
        acc(Matrix::Zero(r, 64)) {}
};

void rate(benchmark::State& state, const Tile& t) {
  state.counters["GFLOPs"] = benchmark::Counter(4.0 * double(t.rows) * double(t.cols) * double(t.d) * 1e-9,
                                                benchmark::Counter::kIsIterationInvariantRate);
}

// Our backends, through tile_gemm.h.
void ours(benchmark::State& state, TileBackend backend) {
  Tile t(state.range(0), state.range(1));
  const TileBackend before = setTileBackend(backend);
  if (tileBackend() != backend) state.SkipWithError("this build has no libxsmm");
  for (auto _ : state) {
    tileScores(t.rows, t.cols, t.d, t.q.data(), t.d, t.kt.data(), t.cols, t.s.data(), t.cols);
    tileAccumulate(t.rows, t.cols, t.d, t.s.data(), t.cols, t.v.data(), t.d, t.acc.data(), t.d);
    benchmark::DoNotOptimize(t.acc.data());
  }
  setTileBackend(before);
  rate(state, t);
}
void BM_Tiles_libxsmm(benchmark::State& state) { ours(state, TileBackend::Libxsmm); }
void BM_Tiles_Eigen(benchmark::State& state) { ours(state, TileBackend::Eigen); }

// BLIS 0.9's typed API takes row and column strides, so the row-major tiles go in as they are.
void BM_Tiles_BLIS(benchmark::State& state) {
  Tile t(state.range(0), state.range(1));
  bli_thread_set_num_threads(1);
  // BLIS 0.9 picks its kernels by processor, and falls back to its portable reference kernels for one it does not
  // know (Zen 5, for one): the label says which it took. BLIS_ARCH_TYPE chooses by number: 0 skx, 3 haswell, 6 zen3
  // (the order of arch_t in blis.h; a name is read as 0).
  state.SetLabel(std::string("BLIS kernels: ") + bli_arch_string(bli_arch_query_id()));
  float one = 1.0f, zero = 0.0f;
  for (auto _ : state) {
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, t.rows, t.cols, t.d, &one, t.q.data(), t.d, 1, t.kt.data(), t.cols,
              1, &zero, t.s.data(), t.cols, 1);
    bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, t.rows, t.d, t.cols, &one, t.s.data(), t.cols, 1, t.v.data(), t.d,
              1, &one, t.acc.data(), t.d, 1);
    benchmark::DoNotOptimize(t.acc.data());
  }
  rate(state, t);
}

// The tiles of the fused dense kernel (96 × 256), the 64 × 128, and a window block of the masked kernel at
// radius 128 (48 rows × 304 keys; the kernel now takes 32 rows, 288 keys).
#define TILE_SHAPES Args({96, 256})->Args({64, 128})->Args({48, 304})->UseRealTime()
BENCHMARK(BM_Tiles_libxsmm)->TILE_SHAPES;
BENCHMARK(BM_Tiles_BLIS)->TILE_SHAPES;
BENCHMARK(BM_Tiles_Eigen)->TILE_SHAPES;

}  // namespace

BENCHMARK_MAIN();

#pragma once
// What this machine can do, measured in the same run as the kernels it is compared with (machines differ from day
// to day; only ratios taken in one run mean anything):
// - the FMA peak: independent chains of fused multiply-adds at the build's vector width, on every thread;
// - the tile products: the full kernel's Q·Kᵀ then P·V on its own tile, head dim 64, on each backend;
// - SGEMM on 1024³: Eigen's, and OpenBLAS's when the machine has it (loaded at run time, so the build does not need
//   it: Debian's libopenblas0-pthread or libopenblas0-openmp). OpenBLAS reads OPENBLAS_CORETYPE and the like from the
//   environment, which can choose a slower kernel than the processor allows; PERFORMANCE.md says what was set.
// Each figure is the best of `repeat` runs, in GFLOP/s (a multiply-add counts two).

#include <QString>

#include <optional>
#include <string>

#include "engine/attention/tile_gemm.h"

namespace attnscope {

/// The processor's single-precision FMA peak on `threads` threads (OpenMP), from a register-resident loop.
double fmaPeakGflops(int threads, int repeat = 5);
/// Vector lanes the FMA loop uses (16 with AVX-512, 8 with AVX2, 4 otherwise).
int fmaLanes();
/// One thread: QKᵀ then PV on the full kernel's tile (rows × cols × 64 each), Kᵀ packed, on the tile backend in use.
double tileProductsGflops(int repeat = 5);
/// Eigen's SGEMM 1024³ at its current thread count.
double eigenSgemmGflops(int repeat = 3);
/// OpenBLAS's SGEMM 1024³ on `threads` threads, or nothing when libopenblas.so.0 cannot be loaded.
std::optional<double> openblasSgemmGflops(int threads, int repeat = 3);
/// --backend's value: "libxsmm" (when the build has it) or "eigen"; throws UsageError otherwise.
TileBackend readTileBackend(const QString& text);
/// "OpenBLAS 0.3.21, Zen kernels" (the version and the kernels it chose for this processor), or "" when there is none.
std::string openblasDescription();

}  // namespace attnscope

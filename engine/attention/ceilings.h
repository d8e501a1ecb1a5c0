#pragma once
// What this machine can do, measured in the same run as the kernels it is compared with (machines differ from day
// to day; only ratios taken in one run mean anything):
// - the FMA peak: independent chains of fused multiply-adds at the build's vector width, on every thread;
// - the tile products: a fused kernel's Q·Kᵀ then P·V on one 96 × 256 tile with head dim 64, on each backend;
// - Eigen's SGEMM on 1024³.
// Each figure is the best of `repeat` runs, in GFLOP/s (a multiply-add counts two).

namespace attnscope {

/// The processor's single-precision FMA peak on `threads` threads (OpenMP), from a register-resident loop.
double fmaPeakGflops(int threads, int repeat = 5);
/// Vector lanes the FMA loop uses (16 with AVX-512, 8 with AVX2, 4 otherwise).
int fmaLanes();
/// One thread: QKᵀ (96 × 256 × 64) followed by PV (96 × 64 × 256), Kᵀ packed, on the tile backend in use.
double tileProductsGflops(int repeat = 5);
/// Eigen's SGEMM 1024³ at its current thread count.
double eigenSgemmGflops(int repeat = 3);

}  // namespace attnscope

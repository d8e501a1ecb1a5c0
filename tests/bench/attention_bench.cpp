// Attention kernels at the sizes the issue sets goals for (dim 64, one head):
//   dense attention at n = 4,096 on one thread: ≥ 60% of single-thread SGEMM GFLOP/s (BM_Sgemm1024 at 1 thread)
//   sparse window radius 128 at n = 4,096: useful GFLOP/s ≥ half the dense kernel's
//   window radius 128 from n = 4,096 to 65,536: at most 18× the time
//   two threads ≥ 1.6× faster than one on the large cases
// Thread counts are the benchmark argument; GFLOP/s are useful operations (4·cells·dim).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <Eigen/Core>

#include "engine/attention/attention.h"
#include "engine/attention/attention_compare.h"
#include "engine/patterns/pattern_registry.h"

namespace {

using namespace attnscope;

void threads(benchmark::State& state) {
  omp_set_num_threads(static_cast<int>(state.range(0)));
  Eigen::setNbThreads(static_cast<int>(state.range(0)));
}

void flops(benchmark::State& state, double cells) {
  state.counters["GFLOPs"] =
      benchmark::Counter(attentionFlops(cells, 64, 64) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Sgemm1024(benchmark::State& state) {
  threads(state);
  const Matrix a = Matrix::Random(1024, 1024), b = Matrix::Random(1024, 1024);
  Matrix c(1024, 1024);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(2.0 * 1024 * 1024 * 1024 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Sgemm1024)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void fullAttentionAt(benchmark::State& state, Index n) {
  threads(state);
  const AttentionInputs in = syntheticInputs(1, n, 64, 0);
  for (auto _ : state) benchmark::DoNotOptimize(fullAttention(in).out[0].data());
  flops(state, double(n) * double(n));
}

void BM_FullAttention_4096(benchmark::State& state) { fullAttentionAt(state, 4096); }
BENCHMARK(BM_FullAttention_4096)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// The fused full kernel at n = 4,096 and 16,384, one thread, on each instruction set's tile (fullAttentionTile):
// whichever this build and libxsmm's target run, both tiles are timed in one run, so a tile tuned on one set is checked
// on the other (LIBXSMM_TARGET=hsw and a -march=x86-64-v3 build give the AVX2 code on an AVX-512 machine).
void BM_FullAttentionTile(benchmark::State& state) {
  omp_set_num_threads(1);
  const Index n = state.range(1);
  const AttentionInputs in = syntheticInputs(1, n, 64, 0);
  AttentionOptions o;
  o.tile = fullAttentionTile(static_cast<int>(state.range(0)));
  state.SetLabel(
      std::to_string(o.tile.rows) + " x " + std::to_string(o.tile.cols) +
      (o.tile.rows == fullAttentionTile().rows && o.tile.cols == fullAttentionTile().cols ? ", this build's" : ""));
  for (auto _ : state) benchmark::DoNotOptimize(fullAttention(in, o).out[0].data());
  flops(state, double(n) * double(n));
}
BENCHMARK(BM_FullAttentionTile)
    ->ArgsProduct({{8, 16}, {4096, 16384}})
    ->ArgNames({"width", "n"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The small case the run tab races, and the one a busy machine hurts most (see PERFORMANCE.md, "Under load").
void BM_FullAttention_1024(benchmark::State& state) { fullAttentionAt(state, 1024); }
BENCHMARK(BM_FullAttention_1024)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void window(benchmark::State& state, Index n) {
  threads(state);
  const AttentionInputs in = syntheticInputs(1, n, 64, 0);
  const SparseMask mask = PatternSpec::parse("window").build({{"radius", "128"}}, n);
  for (auto _ : state) benchmark::DoNotOptimize(maskedAttention(in, mask).out[0].data());
  flops(state, double(mask.nnz()));
}
void BM_Window128_4096(benchmark::State& state) { window(state, 4096); }
void BM_Window128_65536(benchmark::State& state) { window(state, 65536); }
BENCHMARK(BM_Window128_4096)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Window128_65536)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_BigBird_65536(benchmark::State& state) {
  threads(state);
  const AttentionInputs in = syntheticInputs(1, 65536, 64, 0);
  const SparseMask mask = PatternSpec::parse("hf-bigbird").build({}, 65536);
  for (auto _ : state) benchmark::DoNotOptimize(maskedAttention(in, mask).out[0].data());
  flops(state, double(mask.nnz()));
}
BENCHMARK(BM_BigBird_65536)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Random8_65536(benchmark::State& state) {
  threads(state);
  const AttentionInputs in = syntheticInputs(1, 65536, 64, 0);
  const SparseMask mask = PatternSpec::parse("random").build({{"per_row", "8"}}, 65536);
  for (auto _ : state) benchmark::DoNotOptimize(maskedAttention(in, mask).out[0].data());
  flops(state, double(mask.nnz()));
}
BENCHMARK(BM_Random8_65536)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Gaussian inputs (Q, K, V, dim 64, one head) at n = 65,536: made before every run and every sweep point.
void BM_SyntheticInputs_65536(benchmark::State& state) {
  threads(state);
  for (auto _ : state) benchmark::DoNotOptimize(syntheticInputs(1, 65536, 64, 0));
}
BENCHMARK(BM_SyntheticInputs_65536)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

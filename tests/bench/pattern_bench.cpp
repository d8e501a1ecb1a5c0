// Building masks and their statistics at the sizes the issue sets goals for.
//   hf-longformer (attention_window 512, 2 global tokens) at n = 65,536: goal < 150 ms
//   window radius 128 at n = 1,048,576, with statistics:                    goal < 2 s
// Peak memory is reported by the process (ru_maxrss) after each benchmark, and the mask's own bytes.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "engine/masks/mask_stats.h"
#include "engine/patterns/pattern_registry.h"

namespace {

using namespace attnscope;

double peakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;
}

void buildAndCount(benchmark::State& state, const std::string& pattern,
                   const std::vector<std::pair<std::string, std::string>>& params, Index n) {
  const PatternSpec spec = PatternSpec::parse(pattern);
  const auto instance = spec.make(spec.resolve(params), n);
  BuildOptions options;
  options.maxCells = Index(1) << 30;
  std::size_t bytes = 0;
  Index nnz = 0;
  for (auto _ : state) {
    const SparseMask mask = buildMask(*instance, options);
    const MaskStats stats = computeStats(mask);
    benchmark::DoNotOptimize(stats.nnz);
    bytes = mask.memoryBytes();
    nnz = stats.nnz;
  }
  state.counters["nnz"] = double(nnz);
  state.counters["mask_MiB"] = double(bytes) / (1024.0 * 1024.0);
  state.counters["peak_rss_MiB"] = peakRssMiB();
  state.counters["cells_per_s"] = benchmark::Counter(double(nnz), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_HfLongformer_65536(benchmark::State& state) {
  buildAndCount(state, "hf-longformer", {{"attention_window", "512"}, {"global_tokens", "0,1"}}, 65536);
}
BENCHMARK(BM_HfLongformer_65536)->Unit(benchmark::kMillisecond)->MinTime(2.0)->UseRealTime();

void BM_Window128_1M(benchmark::State& state) { buildAndCount(state, "window", {{"radius", "128"}}, 1 << 20); }
BENCHMARK(BM_Window128_1M)->Unit(benchmark::kMillisecond)->MinTime(4.0)->UseRealTime();

void BM_WindowGlobalRandom_65536(benchmark::State& state) {
  buildAndCount(state, "window+global+random", {{"radius", "64"}, {"tokens", "0"}, {"per_row", "8"}}, 65536);
}
BENCHMARK(BM_WindowGlobalRandom_65536)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_HfBigBird_65536(benchmark::State& state) { buildAndCount(state, "hf-bigbird", {{"num_heads", "4"}}, 65536); }
BENCHMARK(BM_HfBigBird_65536)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_DeepSpeedFixed_16384(benchmark::State& state) {
  buildAndCount(state, "deepspeed-fixed", {{"num_heads", "16"}}, 16384);
}
BENCHMARK(BM_DeepSpeedFixed_16384)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Density_Window_65536(benchmark::State& state) {
  const SparseMask mask = PatternSpec::parse("hf-longformer").build({{"attention_window", "512"}}, 65536);
  for (auto _ : state) benchmark::DoNotOptimize(mask.density(0, 1000, 1000).data());
}
BENCHMARK(BM_Density_Window_65536)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

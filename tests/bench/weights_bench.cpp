// A model's own attention (issue 13): rollout through 12 layers at n = 4,096 — restricted to a window pattern (the
// sparse product a layer costs its cells × n) against the dense one (an n × n product a layer) — and one pass of
// every head's figures. The dump is 12 layers × 2 heads × 4,096² float16 (805 MB) written once to a temporary file,
// each row a band of keys within 256 of the query with weights falling off with distance.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <vector>

#include <unistd.h>

#include "engine/io/npy.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/weights/attention_dump.h"
#include "engine/weights/head_stats.h"
#include "engine/weights/rollout.h"

namespace {

using namespace attnscope;

constexpr Index kLayers = 12, kHeads = 2, kN = 4096;

std::uint16_t half(float f) {  // non-negative values below 1: normal or zero, rounded to nearest
  if (f < 6.1e-5f) return 0;
  int e = 0;
  const float m = std::frexp(f, &e);
  return static_cast<std::uint16_t>(((e - 1 + 15) << 10) | std::min(1023L, std::lround((m * 2 - 1) * 1024)));
}

const AttentionDump& dump() {
  static const std::string path = "/tmp/attnscope_weights_bench_" + std::to_string(::getpid()) + ".npy";
  static const AttentionDump d = [] {
    {
      std::ofstream out(path, std::ios::binary);
      writeNpyHeader(out, "<f2", {kLayers, kHeads, kN, kN});
      std::vector<std::uint16_t> row(kN);
      for (Index l = 0; l < kLayers; ++l)
        for (Index h = 0; h < kHeads; ++h)
          for (Index i = 0; i < kN; ++i) {
            double sum = 0;
            for (Index j = std::max<Index>(0, i - 256); j <= std::min(kN - 1, i + 256); ++j)
              sum += std::exp(-double(std::abs(i - j)) / (32.0 * double(h + 1)));
            for (Index j = 0; j < kN; ++j)
              row[j] = std::abs(i - j) <= 256
                           ? half(float(std::exp(-double(std::abs(i - j)) / (32.0 * double(h + 1))) / sum))
                           : 0;
            out.write(reinterpret_cast<const char*>(row.data()), kN * 2);
          }
    }
    std::atexit([] { std::remove(path.c_str()); });
    // Written back and read once, so that no timed run pays for the disk or for generating the weights.
    std::FILE* f = std::fopen(path.c_str(), "rb");
    ::fsync(::fileno(f));
    std::vector<char> buffer(1 << 20);
    while (std::fread(buffer.data(), 1, buffer.size(), f) > 0) {
    }
    std::fclose(f);
    return AttentionDump::open(path);
  }();
  return d;
}

void BM_RolloutWindow(benchmark::State& state) {
  const AttentionDump& d = dump();  // made before the clock starts
  const SparseMask mask = PatternSpec::parse("window").build({{"radius", std::to_string(state.range(0))}}, kN);
  RolloutOptions options;
  options.mask = &mask;
  for (auto _ : state) benchmark::DoNotOptimize(attentionRollout(d, options).data());
}
BENCHMARK(BM_RolloutWindow)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

void BM_RolloutDense(benchmark::State& state) {
  const AttentionDump& d = dump();
  for (auto _ : state) benchmark::DoNotOptimize(attentionRollout(d).data());
}
BENCHMARK(BM_RolloutDense)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

void BM_HeadStatsAllHeads(benchmark::State& state) {
  const AttentionDump& d = dump();
  for (auto _ : state) benchmark::DoNotOptimize(measureWeights(d).stats.data());
}
BENCHMARK(BM_HeadStatsAllHeads)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace

// Reachability at the sizes the issue sets goals for (2-core machine):
//   all-pairs hop distances, window+global, n = 4,096:               goal < 150 ms
//   exact diameter of hf-longformer (window 512, 1 global), n = 16,384: goal < 2 s
//   exact diameter of a pure window of radius 64, n = 16,384:          goal < 2 s
#include <benchmark/benchmark.h>

#include "engine/patterns/pattern_registry.h"
#include "engine/reach/reachability.h"

namespace {

using namespace attnscope;

SparseMask mask(const std::string& pattern, const std::vector<std::pair<std::string, std::string>>& params, Index n) {
  return PatternSpec::parse(pattern).build(params, n);
}

void BM_AllPairsMatrix_WindowGlobal_4096(benchmark::State& state) {
  const SparseMask m = mask("window+global", {{"radius", std::to_string(state.range(0))}, {"tokens", "0"}}, 4096);
  ReachOptions options;
  options.wantMatrix = true;
  for (auto _ : state) {
    const ReachSummary s = analyzeReachability(ReachGraph(m), options);
    if (!s.allPairsExact || s.distances.empty()) state.SkipWithError("all pairs were not computed");
    benchmark::DoNotOptimize(s.distances.data());
  }
}
BENCHMARK(BM_AllPairsMatrix_WindowGlobal_4096)->Arg(2)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Diameter(benchmark::State& state, const std::string& pattern,
                 std::vector<std::pair<std::string, std::string>> params) {
  const SparseMask m = mask(pattern, params, 16384);
  int searches = 0, diameter = 0;
  for (auto _ : state) {
    const DiameterResult d = boundDiameter(ReachGraph(m));  // includes building the graph and its transpose
    if (!d.exact) state.SkipWithError("diameter not exact");
    searches = d.searches;
    diameter = d.upper;
  }
  state.counters["diameter"] = diameter;
  state.counters["searches"] = searches;
}
BENCHMARK_CAPTURE(BM_Diameter, hf_longformer_16384, "hf-longformer",
                  {{"attention_window", "512"}, {"global_tokens", "0"}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Diameter, window64_16384, "window", {{"radius", "64"}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Stats_HfLongformer_16384(benchmark::State& state) {
  // Everything `attnscope-cli stats` computes about reachability at this size (diameter + sampled curve).
  const SparseMask m = mask("hf-longformer", {{"attention_window", "512"}, {"global_tokens", "0"}}, 16384);
  for (auto _ : state) benchmark::DoNotOptimize(analyzeReachability(ReachGraph(m)).reachByLayer.data());
}
BENCHMARK(BM_Stats_HfLongformer_16384)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ShortestPath_Window_65536(benchmark::State& state) {
  const ReachGraph g(mask("window", {{"radius", "64"}}, 65536));
  g.backward();
  for (auto _ : state) benchmark::DoNotOptimize(shortestPath(g, 65535, 0).hops);
}
BENCHMARK(BM_ShortestPath_Window_65536)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

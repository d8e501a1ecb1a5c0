#include "engine/attention/scaling_sweep.h"

#include <algorithm>

#include "engine/attention/attention.h"
#include "engine/inputs/attention_inputs.h"
#include "engine/util/error.h"
#include "engine/util/limits.h"

namespace attnscope {

std::vector<ScalingPoint> scalingSweep(const PatternSpec& spec,
                                       const std::vector<std::pair<std::string, std::string>>& params,
                                       const ScalingOptions& options,
                                       const std::function<void(const ScalingPoint&)>& onPoint,
                                       const Progress& progress) {
  if (options.maxN > kMaxFullAttentionTokens)
    throw Error("the sweep's largest n = " + std::to_string(options.maxN) +
                " is not allowed: full attention is timed at " + "every n, so n stops at " +
                std::to_string(kMaxFullAttentionTokens));
  if (options.minN < 2 || options.maxN < options.minN)
    throw Error("the sweep's n range " + std::to_string(options.minN) + " … " + std::to_string(options.maxN) +
                " is not allowed: expected 2 ≤ first ≤ last");
  const ParamSet values = spec.resolve(params);  // wrong at every n: thrown here
  std::vector<Index> ns;
  for (Index n = options.minN; n <= options.maxN; n *= 2) ns.push_back(n);
  // Progress by the work of full attention, which grows as n²: the last point is most of the sweep.
  double total = 0;
  for (Index n : ns) total += double(n) * double(n);
  double before = 0;
  std::vector<ScalingPoint> points;
  for (Index n : ns) {
    const double share = double(n) * double(n) / total;
    auto part = [&](double from, double to) { return progress.part(before + share * from, before + share * to); };
    progress.throwIfCancelled();
    ScalingPoint point;
    point.n = n;
    std::optional<SparseMask> mask;
    try {
      const CheckedPattern pattern = CheckedPattern::check(spec, values, n);
      std::optional<AttentionInputs> patternInputs;
      if (spec.needsInputs()) patternInputs = syntheticInputs(1, n, options.dim, options.seed, part(0.0, 0.0));
      mask = pattern.build(patternInputs ? &*patternInputs : nullptr, {}, part(0.0, 0.05));
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      point.skipped = e.what();  // these parameters do not fit this n (a block size that does not divide it, say)
    }
    // One set of inputs for both, with as many heads as the pattern has.
    const AttentionInputs in =
        syntheticInputs(mask ? mask->heads() : 1, n, options.dim, options.seed, part(0.05, 0.05));
    if (mask) {
      for (int h = 0; h < in.heads(); ++h) point.cellsPattern += double(mask->nnz(mask->heads() == 1 ? 0 : h));
      point.msPattern = bestOfMs(
          options.repeat, [&] { maskedAttention(in, *mask, {}, part(0.05, 0.2)); }, options.repeatBelowMs);
    }
    point.msFull = bestOfMs(
        options.repeat, [&] { fullAttention(in, {}, part(0.2, 1.0)); }, options.repeatBelowMs);
    before += share;
    points.push_back(point);
    if (onPoint) onPoint(point);
  }
  return points;
}

Index crossover(const std::vector<ScalingPoint>& points) {
  Index from = 0;
  for (const ScalingPoint& p : points) {
    if (!p.skipped.empty()) continue;
    if (p.msPattern < p.msFull) {
      if (from == 0) from = p.n;
    } else {
      from = 0;  // slower again later: the crossover is after this point
    }
  }
  return from;
}

}  // namespace attnscope

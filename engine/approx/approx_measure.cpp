#include "engine/approx/approx_measure.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "engine/attention/attention.h"
#include "engine/masks/params.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "engine/util/parallel.h"

namespace attnscope {

void checkApprox(const ApproxMethod& method, const ParamSet& params, Index heads, Index n, Index dim, Index valueDim,
                 const ApproxOptions& options) {
  checkInputSize(heads, n, dim, valueDim);
  method.check(params, n, dim);
  if (n > kMaxFullAttentionTokens)
    throw Error("n = " + std::to_string(n) + " is not allowed: expected an integer 1 … " +
                std::to_string(kMaxFullAttentionTokens) + " (the measures compare with full attention, n² work)");
  if (options.wantWeights && n > kMaxApproxWeightsTokens)
    throw Error("n = " + std::to_string(n) + " is too large to write the weights: at most " +
                std::to_string(kMaxApproxWeightsTokens) + " tokens (n² floats)");
  const double bytes = method.runBytes(params, n, dim, valueDim) +
                       2.0 * double(heads) * double(n) * double(valueDim) * 4.0 +
                       (options.wantWeights ? double(n) * double(n) * 4.0 : 0.0);
  checkMemory(bytes, "method '" + method.name() + "' at n = " + withSeparators(n), "choose a smaller n or budget");
}

ApproxReport measureApprox(const ApproxMethod& method, const ParamSet& params, const AttentionInputs& in,
                           const ApproxOptions& options, const Progress& progress) {
  const Index n = in.n(), d = in.dim();
  checkApprox(method, params, in.heads(), n, d, in.valueDim(), options);
  using Clock = std::chrono::steady_clock;
  ApproxReport r;
  // The method, timed over all heads; then full attention (the fused kernel). The best of `repeat` passes of each.
  const int passes = std::max(1, options.repeat);
  std::vector<std::unique_ptr<ApproxHead>> heads;
  r.msMethod = std::numeric_limits<double>::infinity();
  for (int pass = 0; pass < passes; ++pass) {
    heads.clear();
    const Progress part = progress.part(0.3 * pass / passes, 0.3 * (pass + 1) / passes);
    const auto t0 = Clock::now();
    for (int h = 0; h < in.heads(); ++h) heads.push_back(method.run(params, in.q[h], in.k[h], in.v[h], h, part));
    r.msMethod = std::min(r.msMethod, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  AttentionOutput exact;
  r.msFull = std::numeric_limits<double>::infinity();
  for (int pass = 0; pass < (options.timeFull ? passes : 1); ++pass) {
    const Progress part = progress.part(0.3 + 0.3 * pass / passes, 0.3 + 0.3 * (pass + 1) / passes);
    const auto t1 = Clock::now();
    exact = fullAttention(in, {}, part);
    r.msFull = std::min(r.msFull, std::chrono::duration<double, std::milli>(Clock::now() - t1).count());
  }
  if (!options.timeFull) r.msFull = 0;
  double diff = 0, norm = 0;
  for (int h = 0; h < in.heads(); ++h) {
    diff += (heads[h]->out - exact.out[h]).cast<double>().squaredNorm();
    norm += exact.out[h].cast<double>().squaredNorm();
  }
  r.outputRelError = norm > 0 ? std::sqrt(diff / norm) : 0.0;
  // Rows of Â against the exact softmax rows.
  for (auto& h : heads) h->prepareWeights();
  std::vector<Index> rows;
  r.allRows = n <= options.maxWeightRows;
  const Index count = r.allRows ? n : options.maxWeightRows;
  for (Index t = 0; t < count; ++t) rows.push_back(r.allRows ? t : (t * n) / count);
  r.rowsMeasured = count;
  const float scale = 1.0f / std::sqrt(float(d));
  double l1 = 0, uniform = 0, negative = 0, maxDev = 0;
  for (int h = 0; h < in.heads(); ++h) {
    parallelChunks(count, 16, progress.part(0.6 + 0.4 * h / in.heads(), 0.6 + 0.4 * (h + 1) / in.heads()), 0.0, 1.0,
                   [&](Index b, Index e) {
                     std::vector<float> approx(static_cast<std::size_t>(n));
                     Eigen::VectorXf exactRow(n);
                     double lL1 = 0, lUniform = 0, lNeg = 0, lDev = 0;
                     for (Index t = b; t < e; ++t) {
                       const Index i = rows[static_cast<std::size_t>(t)];
                       heads[h]->weightsRow(i, approx.data());
                       exactRow.noalias() = in.k[h] * (in.q[h].row(i).transpose() * scale);
                       exactRow = (exactRow.array() - exactRow.maxCoeff()).exp();
                       exactRow /= exactRow.sum();
                       double sum = 0;
                       for (Index j = 0; j < n; ++j) {
                         const double a = approx[static_cast<std::size_t>(j)];
                         lL1 += std::fabs(a - double(exactRow[j]));
                         lUniform += std::fabs(1.0 / double(n) - double(exactRow[j]));
                         lNeg += a < 0;
                         sum += a;
                       }
                       lDev = std::max(lDev, std::fabs(sum - 1.0));
                     }
#pragma omp critical(attnscope_approx_measure)
                     {
                       l1 += lL1;
                       uniform += lUniform;
                       negative += lNeg;
                       maxDev = std::max(maxDev, lDev);
                     }
                   });
  }
  const double measured = double(count) * double(in.heads());
  r.weightsL1 = l1 / measured;
  r.uniformL1 = uniform / measured;
  r.negativeShare = negative / (measured * double(n));
  r.rowSumMaxDev = maxDev;
  if (options.wantWeights) {
    Matrix W(n, n), A(n, n);
    for (Index i = 0; i < n; ++i) heads[0]->weightsRow(i, W.row(i).data());
    A.noalias() = (in.q[0] * scale) * in.k[0].transpose();
    for (Index i = 0; i < n; ++i) {
      A.row(i) = (A.row(i).array() - A.row(i).maxCoeff()).exp();
      A.row(i) /= A.row(i).sum();
    }
    r.weights = std::move(W);
    r.exactWeights = std::move(A);
  }
  for (auto& h : heads) r.out.push_back(std::move(h->out));
  progress.report(1.0);
  return r;
}

std::string approxBudgetKey(const ApproxMethod& method) {
  if (method.name() == "linformer") return "k";
  if (method.name() == "performer") return "nb_features";
  if (method.name() == "nystrom") return "num_landmarks";
  return {};
}

std::vector<ApproxBudgetStep> approxBudgetSweep(const ApproxMethod& method, const ParamSet& params,
                                                const std::string& key, const AttentionInputs& in,
                                                const std::function<void(const ApproxBudgetStep&)>& onStep,
                                                const Progress& progress) {
  bool known = false;
  for (const ParamSpec& spec : method.params(in.dim()))
    known = known || (spec.name == key && spec.type == ParamType::Int && key != "seed");
  if (!known) {
    const std::string budget = approxBudgetKey(method);
    throw Error("the budget '" + key + "' is not a parameter of " + method.name() + ": expected " +
                (budget.empty() ? std::string("none (") + method.name() + " has no budget)" : budget));
  }
  std::vector<Index> values;
  for (Index value = 8; value <= std::min<Index>(in.n(), 4096); value *= 2) {
    ParamSet at = params;
    at.set(key, value);
    try {
      method.check(at, in.n(), in.dim());
      values.push_back(value);
    } catch (const Error&) {
      // a budget this n does not allow (num_landmarks must divide n): left out
    }
  }
  std::vector<ApproxBudgetStep> steps;
  for (std::size_t s = 0; s < values.size(); ++s) {
    ParamSet at = params;
    at.set(key, values[s]);
    ApproxOptions options;
    options.timeFull = false;
    const double from = double(s) / double(values.size()), to = double(s + 1) / double(values.size());
    const ApproxReport r = measureApprox(method, at, in, options, progress.part(from, to));
    steps.push_back({values[s], r.msMethod, r.outputRelError, r.weightsL1, r.uniformL1});
    if (onStep) onStep(steps.back());
  }
  return steps;
}

std::vector<ScalingPoint> approxScalingSweep(const ApproxMethod& method, const ParamSet& params,
                                             const ScalingOptions& options, double scale,
                                             const std::function<void(const ScalingPoint&)>& onPoint,
                                             const Progress& progress) {
  std::vector<Index> sizes;
  for (Index n = options.minN; n <= options.maxN; n *= 2) sizes.push_back(n);
  std::vector<ScalingPoint> points;
  for (std::size_t s = 0; s < sizes.size(); ++s) {
    const Index n = sizes[s];
    const double from = double(s) / double(sizes.size()), to = double(s + 1) / double(sizes.size());
    const double span = to - from;
    ScalingPoint point;
    point.n = n;
    AttentionInputs in = syntheticInputs(1, n, options.dim, options.seed, progress.part(from, from + 0.1 * span));
    for (Matrix& q : in.q) q *= static_cast<float>(scale);
    try {
      checkApprox(method, params, 1, n, options.dim, options.dim, {});
    } catch (const Error& e) {
      point.skipped = e.what();
    }
    if (point.skipped.empty())
      point.msPattern = bestOfMs(
          options.repeat,
          [&] {
            method.run(params, in.q[0], in.k[0], in.v[0], 0, progress.part(from + 0.1 * span, from + 0.5 * span));
          },
          options.repeatBelowMs);
    progress.throwIfCancelled();
    point.msFull = bestOfMs(
        options.repeat, [&] { fullAttention(in, {}, progress.part(from + 0.5 * span, to)); }, options.repeatBelowMs);
    progress.report(to);
    points.push_back(point);
    if (onPoint) onPoint(points.back());
  }
  return points;
}

}  // namespace attnscope

#include "engine/attention/attention_compare.h"

#include <atomic>
#include <chrono>
#include <cmath>

#include "engine/util/error.h"
#include "engine/util/limits.h"
#include "engine/util/parallel.h"

namespace attnscope {

double attentionFlops(double cells, Index dim, Index valueDim) { return 2.0 * cells * double(dim + valueDim); }

double attentionMassKept(const AttentionInputs& in, const SparseMask& mask, const Progress& progress) {
  checkMaskFits(in, mask);
  const Index n = in.n();
  const float scale = 1.0f / std::sqrt(static_cast<float>(in.dim()));
  constexpr Index kRows = 64;
  double total = 0;
  for (int h = 0; h < in.heads(); ++h) {
    const int mh = mask.heads() == 1 ? 0 : h;
    std::atomic<double> headTotal{0.0};
    parallelChunks(n, kRows, progress, double(h) / in.heads(), double(h + 1) / in.heads(), [&](Index r0, Index r1) {
      const Matrix S = (in.q[h].middleRows(r0, r1 - r0) * scale) * in.k[h].transpose();  // rows × n
      double kept = 0;
      for (Index r = 0; r < S.rows(); ++r) {
        const float mx = S.row(r).maxCoeff();
        const double z = (S.row(r).array() - mx).exp().template cast<double>().sum();
        double part = 0;
        for (KeyIndex k : mask.row(mh, r0 + r)) part += std::exp(double(S(r, k) - mx));
        kept += part / z;
      }
      double expected = headTotal.load();
      while (!headTotal.compare_exchange_weak(expected, expected + kept)) {
      }
    });
    total += headTotal.load();
  }
  return total / (double(in.heads()) * double(n));
}

double massKeptFromWeights(const SparseWeights& full, const SparseMask& mask) {
  const int heads = static_cast<int>(full.values.size());
  const Index n = mask.n();
  if (full.mask.n() != n || heads == 0) throw Error("mass kept: the weights and the pattern have different sizes");
  double total = 0;
  for (int h = 0; h < heads; ++h) {
    const int mh = mask.heads() == 1 ? 0 : h;
    const CsrRows& rows = full.mask.headRows(full.maskHead(h));
    for (Index q = 0; q < n; ++q) {
      // Full attention's row q holds every key in order: key k sits at offset + k.
      const float* w = full.values[h].data() + rows.offsets[q];
      double kept = 0;
      for (KeyIndex k : mask.row(mh, q)) kept += w[k];
      total += kept;
    }
  }
  return total / (double(heads) * double(n));
}

void checkComparedN(Index n) {
  if (n > kMaxFullAttentionTokens)
    throw Error("n = " + std::to_string(n) +
                " is not allowed for a comparison with full attention: its n² work stops at n = " +
                std::to_string(kMaxFullAttentionTokens) + " (attnscope-cli stats counts any n)");
}

Comparison compareWithFull(const AttentionInputs& in, const SparseMask& mask, const Progress& progress,
                           AttentionOutput* patternOut, AttentionOutput* fullOut, const CompareHooks& hooks) {
  const Index n = in.n();
  checkComparedN(n);
  // Both outputs, the kernels' packed Kᵀ of the head in work, and with weights both runs' weights on the mask's
  // cells and on all n² cells.
  const double outputs =
      2.0 * double(in.heads()) * double(n) * double(in.valueDim()) * 4.0 + double(n) * double(in.dim()) * 4.0;
  const double weights =
      hooks.wantWeights ? double(in.heads()) * (double(mask.nnz()) + double(n) * double(n)) * 8.0 : 0.0;
  checkMemory(outputs + weights, "comparing with full attention at n = " + std::to_string(n),
              "choose a smaller n, fewer heads or a smaller dim");
  checkMaskFits(in, mask);
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  Comparison c;
  auto part = [&](double from, double to) { return progress.part(from, to); };
  auto options = [&](bool isFull) {
    AttentionOptions o;
    if (hooks.onRows) o.onRows = [&, isFull](int h, Index b, Index e) { hooks.onRows(isFull, h, b, e); };
    return o;
  };
  // The timed runs use the fast kernels: a first pass that reports its rows, then repeats while runs stay short.
  // Weights, when wanted, come from a second untimed pass (the fused kernel never holds them), which also gives the
  // mass kept without another pass over n² scores.
  auto timed = [&](auto&& kernel, bool isFull, double from, double to, double& best) {
    auto t0 = Clock::now();
    AttentionOutput out = kernel(options(isFull), part(from, to));
    best = ms(Clock::now() - t0);
    for (int r = 1; r < std::max(1, hooks.repeat) || (r < 5 && best < hooks.repeatBelowMs); ++r) {
      t0 = Clock::now();
      kernel(AttentionOptions{}, part(to, to));
      best = std::min(best, ms(Clock::now() - t0));
    }
    return out;
  };
  if (hooks.onStage) hooks.onStage(0);
  AttentionOutput pattern =
      timed([&](const AttentionOptions& o, const Progress& p) { return maskedAttention(in, mask, o, p); }, false, 0.0,
            0.2, c.msPattern);
  if (hooks.onStage) hooks.onStage(1);
  AttentionOutput full = timed([&](const AttentionOptions& o, const Progress& p) { return fullAttention(in, o, p); },
                               true, 0.2, 0.6, c.msFull);
  if (hooks.onStage) hooks.onStage(2);
  if (hooks.wantWeights) {
    AttentionOptions weights;
    weights.wantWeights = true;
    pattern.weights = std::move(maskedAttention(in, mask, weights, part(0.6, 0.7)).weights);
    full.weights = std::move(fullAttention(in, weights, part(0.7, 1.0)).weights);
    c.massKept = massKeptFromWeights(*full.weights, mask);
  } else {
    c.massKept = attentionMassKept(in, mask, part(0.6, 1.0));
  }

  c.speedup = c.msPattern > 0 ? c.msFull / c.msPattern : 0;
  for (int h = 0; h < in.heads(); ++h) c.usefulCells += double(mask.nnz(mask.heads() == 1 ? 0 : h));
  const double fullCells = double(in.heads()) * double(in.n()) * double(in.n());
  c.gflopsPattern = attentionFlops(c.usefulCells, in.dim(), in.valueDim()) / (c.msPattern * 1e6);
  c.gflopsFull = attentionFlops(fullCells, in.dim(), in.valueDim()) / (c.msFull * 1e6);
  double diff = 0, norm = 0;
  for (int h = 0; h < in.heads(); ++h) {
    diff += (pattern.out[h] - full.out[h]).cast<double>().squaredNorm();
    norm += full.out[h].cast<double>().squaredNorm();
  }
  c.relError = norm > 0 ? std::sqrt(diff / norm) : 0.0;
  c.emptyRows = pattern.emptyRows;
  if (patternOut) *patternOut = std::move(pattern);
  if (fullOut) *fullOut = std::move(full);
  return c;
}

}  // namespace attnscope

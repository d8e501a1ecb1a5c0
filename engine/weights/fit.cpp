#include "engine/weights/fit.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/parallel.h"

namespace attnscope {

std::string FitCandidate::text() const {
  std::string s = pattern;
  for (const auto& [key, value] : params) s += " " + key + "=" + value;
  return s;
}

Index windowCells(Index n, Index radius, bool causal, bool firstGlobal) {
  const Index r = std::min(radius, n - 1);
  Index cells = causal ? n * (r + 1) - r * (r + 1) / 2 : n * (2 * r + 1) - r * (r + 1);
  if (firstGlobal) {
    // Token 0's row becomes whole, and column 0 reaches every row: what the window left out of each.
    const Index rowMissing = causal ? n - 1 : n - 1 - r, columnMissing = n - 1 - r;
    cells += rowMissing + columnMissing;
  }
  return cells;
}

namespace {

// One head's mass profile, summed over its non-padding rows.
struct Profile {
  std::vector<double> both, back;  ///< mass at |i − j| = d, and at i − j = d for j ≤ i
  std::vector<double> column0;     ///< a_i0 per row i (0 for padding rows)
  std::vector<double> row0;        ///< a_0j (empty when row 0 is padding)
  double total = 0;                ///< Σ of every weight
  Index rows = 0;
  void add(const Profile& o) {
    for (std::size_t d = 0; d < both.size(); ++d) both[d] += o.both[d], back[d] += o.back[d];
    for (std::size_t i = 0; i < column0.size(); ++i) column0[i] += o.column0[i];
    if (!o.row0.empty()) row0 = o.row0;
    total += o.total;
    rows += o.rows;
  }
};

Profile profile(const AttentionDump& dump, Index layer, int head, const Progress& progress) {
  const Index n = dump.n();
  Profile p;
  p.both.assign(static_cast<std::size_t>(n), 0.0);
  p.back.assign(static_cast<std::size_t>(n), 0.0);
  p.column0.assign(static_cast<std::size_t>(n), 0.0);
  parallelChunks(n, 256, progress, 0.0, 1.0, [&](Index b, Index e) {
    Profile local;
    local.both.assign(static_cast<std::size_t>(n), 0.0);
    local.back.assign(static_cast<std::size_t>(n), 0.0);
    local.column0.assign(static_cast<std::size_t>(n), 0.0);
    std::vector<float> row(static_cast<std::size_t>(n));
    for (Index i = b; i < e; ++i) {
      dump.finiteRow(layer, head, i, row.data());
      double sum = 0;
      for (float a : row) sum += a;
      if (sum == 0) continue;  // a padding token
      ++local.rows;
      local.total += sum;
      for (Index j = 0; j < n; ++j) {
        const double a = row[static_cast<std::size_t>(j)];
        local.both[static_cast<std::size_t>(std::abs(i - j))] += a;
        if (j <= i) local.back[static_cast<std::size_t>(i - j)] += a;
      }
      local.column0[static_cast<std::size_t>(i)] = row[0];
      if (i == 0) local.row0.assign(row.begin(), row.end());
    }
    dump.release(layer, head, b, e);
#pragma omp critical(attnscope_fit_profile)
    p.add(local);
  });
  return p;
}

// The mass every radius keeps, for one of the four window families: kept[r], r = 0 … n − 1 (summed, not averaged).
std::vector<double> keptByRadius(const Profile& p, bool causal, bool firstGlobal) {
  const std::size_t n = p.both.size();
  const std::vector<double>& distance = causal ? p.back : p.both;
  std::vector<double> kept(n);
  double window = 0;
  for (std::size_t r = 0; r < n; ++r) kept[r] = window += distance[r];
  if (firstGlobal) {
    // Column 0 outside the window (rows i > r), and row 0 outside it (keys j > r, or every key after 0 when causal,
    // whose window gives row 0 token 0 alone): suffix sums.
    std::vector<double> column(n + 1, 0.0), row(n + 1, 0.0);
    for (std::size_t i = n; i-- > 0;) {
      column[i] = column[i + 1] + p.column0[i];
      row[i] = row[i + 1] + (p.row0.empty() ? 0.0 : p.row0[i]);
    }
    for (std::size_t r = 0; r < n; ++r) kept[r] += column[r + 1] + row[causal ? 1 : r + 1];
  }
  return kept;
}

}  // namespace

std::string FitOptions::check() const {
  if (keep > 0 && keep <= 1) return {};
  std::ostringstream text;
  text << keep;
  return "keep = " + text.str() + " is not allowed: expected a share 0 < keep ≤ 1";
}

std::vector<std::vector<HeadFit>> fitPatterns(const AttentionDump& dump, const FitOptions& options,
                                              const Progress& progress) {
  if (const std::string problem = options.check(); !problem.empty()) throw Error(problem);
  const Index n = dump.n(), from = options.fromLayer, to = dump.checkLayers(options.fromLayer, options.toLayer);
  std::vector<std::vector<HeadFit>> fits;
  const double total = double(to - from) * dump.heads();
  for (Index l = from; l < to; ++l) {
    std::vector<HeadFit> layer;
    for (int h = 0; h < dump.heads(); ++h) {
      const double done = (double(l - from) * dump.heads() + h) / total;
      const Profile p = profile(dump, l, h, progress.part(done, done + 1.0 / total));
      dump.release(l, h);
      const double rows = double(std::max<Index>(1, p.rows));
      std::vector<FitCandidate> all;
      for (bool causal : {false, true})
        for (bool global : {false, true}) {
          const std::vector<double> kept = keptByRadius(p, causal, global);
          auto candidate = [&](Index r) {
            FitCandidate c;
            c.pattern = global ? "window+global" : "window";
            c.params = {{"radius", std::to_string(r)}};
            if (causal) c.params.push_back({"causal", "true"});
            if (global) c.params.push_back({"tokens", "0"});
            c.cells = windowCells(n, r, causal, global);
            c.massKept = kept[static_cast<std::size_t>(r)] / rows;
            return c;
          };
          // The smallest radius that keeps the share (the mass only grows with r), and radii about two an octave.
          for (Index r = 0; r < n; ++r)
            if (kept[static_cast<std::size_t>(r)] / rows >= options.keep - 1e-12) {
              all.push_back(candidate(r));
              break;
            }
          for (Index r = 0; r < n; r = r < 2 ? r + 1 : r + std::max<Index>(1, r / 2)) all.push_back(candidate(r));
        }
      double causalMass = 0;
      for (double m : p.back) causalMass += m;
      all.push_back({"causal", {}, n * (n + 1) / 2, causalMass / rows});
      all.push_back({"full", {}, n * n, p.total / rows});
      // The best: fewest cells keeping the share (ties: the simpler pattern, listed first); full when none does.
      HeadFit fit;
      fit.best = all.back();
      for (const FitCandidate& c : all)
        if (c.massKept >= options.keep - 1e-12 && c.cells < fit.best.cells) fit.best = c;
      // The Pareto front: sorted by cells, each keeping more than every cheaper one.
      std::sort(all.begin(), all.end(), [](const FitCandidate& a, const FitCandidate& b) {
        return a.cells < b.cells || (a.cells == b.cells && a.massKept > b.massKept);
      });
      double best = -1;
      for (const FitCandidate& c : all)
        if (c.massKept > best + 1e-12) fit.front.push_back(c), best = c.massKept;
      layer.push_back(std::move(fit));
    }
    fits.push_back(std::move(layer));
  }
  return fits;
}

}  // namespace attnscope

#include "engine/weights/head_stats.h"

#include <algorithm>
#include <cmath>

#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/parallel.h"

namespace attnscope {

std::string HeadStats::role() const {
  if (previous >= 0.5) return "previous-token";
  if (first >= 0.5) return "first-token sink";
  if (diagonal >= 0.5) return "diagonal";
  if (normalisedEntropy >= 0.85) return "broad";
  return {};
}

namespace {

struct Sums {
  std::vector<double> picture;  ///< side × side sums of weights
  double entropy = 0, normalised = 0, diagonal = 0, previous = 0, first = 0, topk = 0, kept = 0, oracle = 0;
  Index rows = 0, previousRows = 0, padding = 0, off = 0;
  bool causal = true;
  void add(const Sums& o) {
    entropy += o.entropy, normalised += o.normalised, diagonal += o.diagonal, previous += o.previous;
    first += o.first, topk += o.topk, kept += o.kept, oracle += o.oracle;
    rows += o.rows, previousRows += o.previousRows, padding += o.padding, off += o.off;
    causal = causal && o.causal;
    for (std::size_t t = 0; t < o.picture.size(); ++t) picture[t] += o.picture[t];
  }
};

}  // namespace

WeightsReport measureWeights(const AttentionDump& dump, const WeightsOptions& options, const Progress& progress) {
  const Index n = dump.n(), from = options.fromLayer, to = dump.checkLayers(options.fromLayer, options.toLayer);
  dump.checkMasks(options.mask, options.layerMasks);
  const Index k = std::clamp<Index>(options.topk, 1, n);
  WeightsReport report;
  report.layers = dump.layers();
  report.heads = dump.heads();
  report.n = n;
  report.firstLayer = from;
  const double total = double(to - from) * dump.heads();
  for (Index l = from; l < to; ++l) {
    const SparseMask* mask = AttentionDump::maskOfLayer(l, options.mask, options.layerMasks);
    std::vector<HeadStats> layer;
    for (int h = 0; h < dump.heads(); ++h) {
      const int mh = mask ? (mask->heads() == 1 ? 0 : h) : 0;
      const double done = (double(l - from) * dump.heads() + h) / total;
      const int side = options.thumbnailSide > 0 ? static_cast<int>(std::min<Index>(n, options.thumbnailSide)) : 0;
      Sums sums;
      sums.picture.assign(static_cast<std::size_t>(side) * side, 0.0);
      parallelChunks(n, 256, progress.part(done, done + 1.0 / total), 0.0, 1.0, [&](Index b, Index e) {
        std::vector<float> row(static_cast<std::size_t>(n)), sorted;
        Sums local;
        local.picture.assign(static_cast<std::size_t>(side) * side, 0.0);
        for (Index i = b; i < e; ++i) {
          dump.row(l, h, i, row.data());
          double sum = 0, entropy = 0;
          Index support = 0;
          const auto scan = [&] {
            sum = 0, entropy = 0, support = 0;
            for (Index j = 0; j < n; ++j) {
              const double a = row[static_cast<std::size_t>(j)];
              sum += a;
              if (a > 0) entropy -= a * std::log(a), ++support;
              if (j > i && a != 0) local.causal = false;
            }
          };
          scan();
          // A NaN or an infinity makes the sum non-finite: only then is the row mended (each such weight counts as
          // 0, the row as off) and scanned again, since NaN would break the top-k's ordering.
          const bool finite = std::isfinite(sum);
          if (!finite) {
            for (float& value : row)
              if (!std::isfinite(value)) value = 0;
            scan();
          }
          if (side > 0) {
            double* tile = local.picture.data() + static_cast<std::size_t>(i * side / n) * side;
            for (Index j = 0; j < n; ++j) tile[j * side / n] += row[static_cast<std::size_t>(j)];
          }
          if (sum == 0 && finite) {
            ++local.padding;
            continue;
          }
          if (!finite || std::fabs(sum - 1) > kRowSumTolerance) ++local.off;
          ++local.rows;
          local.entropy += entropy;
          local.diagonal += row[static_cast<std::size_t>(i)];
          local.first += row[0];
          if (i > 0) local.previous += row[static_cast<std::size_t>(i - 1)], ++local.previousRows;
          local.normalised += entropy / std::log(double(std::max<Index>(2, support)));
          // The k largest weights, and with a mask the |mask row| largest (the oracle): one selection of the larger
          // count over the row, then one of the smaller inside it.
          std::span<const KeyIndex> keys;
          if (mask) keys = mask->row(mh, i);
          const Index m = static_cast<Index>(keys.size()), big = std::max(k, m), small = m > 0 ? std::min(k, m) : k;
          sorted.assign(row.begin(), row.end());
          std::nth_element(sorted.begin(), sorted.begin() + (big - 1), sorted.end(), std::greater<float>());
          double topBig = 0, topSmall = 0;
          for (Index t = 0; t < big; ++t) topBig += sorted[static_cast<std::size_t>(t)];
          if (small < big) {
            std::nth_element(sorted.begin(), sorted.begin() + (small - 1), sorted.begin() + big, std::greater<float>());
            for (Index t = 0; t < small; ++t) topSmall += sorted[static_cast<std::size_t>(t)];
          } else {
            topSmall = topBig;
          }
          local.topk += k == big ? topBig : topSmall;
          if (mask) {
            double kept = 0;
            for (KeyIndex j : keys) kept += row[static_cast<std::size_t>(j)];
            local.kept += kept;
            if (m > 0) local.oracle += m == big ? topBig : topSmall;
          }
        }
        dump.release(l, h, b, e);  // a head of many gigabytes streams through memory rather than filling it
#pragma omp critical(attnscope_head_stats)
        sums.add(local);
      });
      dump.release(l, h);
      HeadStats s;
      const double rows = double(std::max<Index>(1, sums.rows));
      s.entropy = sums.entropy / rows;
      s.normalisedEntropy = sums.normalised / rows;
      s.diagonal = sums.diagonal / rows;
      s.first = sums.first / rows;
      s.previous = sums.previousRows > 0 ? sums.previous / double(sums.previousRows) : 0.0;
      s.topk = sums.topk / rows;
      s.paddingRows = sums.padding;
      s.offRows = sums.off;
      s.causal = sums.causal;
      if (mask) {
        s.massKept = sums.kept / rows;
        s.oracleKept = sums.oracle / rows;
        s.density = double(mask->headRows(mh).offsets.back()) / (double(n) * double(n));
      }
      if (side > 0) {
        std::vector<double> tokens(static_cast<std::size_t>(side), 0.0);  // tokens in each picture row or column
        for (Index i = 0; i < n; ++i) tokens[static_cast<std::size_t>(i * side / n)] += 1;
        s.thumbnail.resize(sums.picture.size());
        for (int t = 0; t < side; ++t)
          for (int u = 0; u < side; ++u)
            s.thumbnail[static_cast<std::size_t>(t) * side + u] =
                static_cast<float>(sums.picture[static_cast<std::size_t>(t) * side + u] / (tokens[t] * tokens[u]));
      }
      report.paddingRows += s.paddingRows;
      report.offRows += s.offRows;
      layer.push_back(s);
    }
    report.stats.push_back(std::move(layer));
  }
  return report;
}

std::vector<float> headPicture(const AttentionDump& dump, Index layer, int head, int side, const Progress& progress) {
  const Index n = dump.n();
  dump.checkLayers(layer, layer + 1);
  side = static_cast<int>(std::clamp<Index>(side, 1, n));
  std::vector<double> sums(static_cast<std::size_t>(side) * side, 0.0);
  std::vector<int> counts(static_cast<std::size_t>(side) * side, 0);
  // Rows are split at picture-row boundaries, so that each chunk writes its own picture rows.
  parallelChunks(side, 8, progress, 0.0, 1.0, [&](Index b, Index e) {
    std::vector<float> row(static_cast<std::size_t>(n));
    for (Index i = (b * n + side - 1) / side; i < n && i * side / n < e; ++i) {
      dump.row(layer, head, i, row.data());
      const std::size_t at = static_cast<std::size_t>(i * side / n) * side;
      for (Index j = 0; j < n; ++j) {
        sums[at + static_cast<std::size_t>(j * side / n)] += row[static_cast<std::size_t>(j)];
        ++counts[at + static_cast<std::size_t>(j * side / n)];
      }
    }
  });
  std::vector<float> picture(sums.size());
  for (std::size_t t = 0; t < sums.size(); ++t) picture[t] = static_cast<float>(sums[t] / std::max(1, counts[t]));
  return picture;
}

}  // namespace attnscope

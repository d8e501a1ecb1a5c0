#include "engine/weights/rollout.h"

#include <algorithm>

#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "engine/util/parallel.h"

namespace attnscope {

Matrix attentionRollout(const AttentionDump& dump, const RolloutOptions& options, const Progress& progress) {
  const Index n = dump.n(), from = options.fromLayer, to = dump.checkLayers(options.fromLayer, options.toLayer);
  if (n > kMaxRolloutTokens)
    throw Error("n = " + withSeparators(n) + " is too large to roll out: at most " + withSeparators(kMaxRolloutTokens) +
                " tokens (three n × n matrices)");
  dump.checkMasks(options.mask, options.layerMasks);
  checkMemory(3.0 * double(n) * double(n) * 4.0, "rollout at n = " + withSeparators(n), "choose a smaller dump");
  Matrix R, A(n, n), next;
  const double layers = double(to - from);
  for (Index l = from; l < to; ++l) {
    const Progress part = progress.part(double(l - from) / layers, double(l - from + 1) / layers);
    const SparseMask* mask = AttentionDump::maskOfLayer(l, options.mask, options.layerMasks);
    // Â of this layer: the heads (each restricted to the mask and renormalised) averaged, the residual mixed in.
    // Head by head, each released once read, so that resident memory holds one head of the dump at a time.
    A.setZero();
    for (int h = 0; h < dump.heads(); ++h) {
      const double share = 0.4 / dump.heads();
      parallelChunks(n, 64, part.part(h * share, (h + 1) * share), 0.0, 1.0, [&](Index b, Index e) {
        std::vector<float> row(static_cast<std::size_t>(n));
        for (Index i = b; i < e; ++i) {
          auto out = A.row(i);
          dump.finiteRow(l, h, i, row.data());
          if (!mask) {
            for (Index j = 0; j < n; ++j) out[j] += row[static_cast<std::size_t>(j)];
            continue;
          }
          const auto keys = mask->row(mask->heads() == 1 ? 0 : h, i);
          double sum = 0;
          for (KeyIndex j : keys) sum += row[static_cast<std::size_t>(j)];
          if (sum > 0)
            for (KeyIndex j : keys) out[j] += static_cast<float>(row[static_cast<std::size_t>(j)] / sum);
        }
      });
      dump.release(l, h);
    }
    parallelChunks(n, 256, {}, 0.0, 1.0, [&](Index b, Index e) {
      for (Index i = b; i < e; ++i) {
        auto out = A.row(i);
        out *= 0.5f / float(dump.heads());
        out[i] += 0.5f;
        out /= out.sum();
      }
    });
    if (l == from) {
      R = A;
      continue;
    }
    part.throwIfCancelled();
    if (!mask) {
      next.noalias() = A * R;
    } else {
      // Only the cells the mask (or the residual) allows are non-zero: a row costs its cells × n.
      next.resize(n, n);
      parallelChunks(n, 32, part.part(0.4, 1.0), 0.0, 1.0, [&](Index b, Index e) {
        std::vector<std::vector<std::pair<Index, float>>> cells(static_cast<std::size_t>(e - b));
        for (Index i = b; i < e; ++i)
          for (Index j = 0; j < n; ++j)
            if (const float w = A(i, j); w != 0) cells[static_cast<std::size_t>(i - b)].push_back({j, w});
        // Each output row is gathered 64 columns at a time in registers: a load and a multiply-add a cell.
        constexpr Index kWidth = 64;
        using Strip = Eigen::Matrix<float, 1, kWidth>;
        for (Index i = b; i < e; ++i) {
          const auto& row = cells[static_cast<std::size_t>(i - b)];
          Index c = 0;
          for (; c + kWidth <= n; c += kWidth) {
            Strip acc = Strip::Zero();
            for (const auto& cell : row) acc.noalias() += cell.second * R.row(cell.first).segment<kWidth>(c);
            next.row(i).segment<kWidth>(c) = acc;
          }
          if (c < n) {
            auto out = next.row(i).segment(c, n - c);
            out.setZero();
            for (const auto& cell : row) out.noalias() += cell.second * R.row(cell.first).segment(c, n - c);
          }
        }
      });
    }
    R.swap(next);
  }
  progress.report(1.0);
  return R;
}

}  // namespace attnscope

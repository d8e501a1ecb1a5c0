#include "engine/compression/distil.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/util/error.h"

namespace attnscope {

std::vector<int> hungarian(const std::vector<std::vector<double>>& cost) {
  const int rows = int(cost.size()), cols = rows ? int(cost[0].size()) : 0;
  if (rows > cols) throw Error("an assignment needs at least as many columns as rows");
  for (const auto& row : cost) {
    if (int(row.size()) != cols) throw Error("an assignment's cost rows differ in length");
    for (double c : row)
      if (!std::isfinite(c)) throw Error("an assignment's costs must be finite");
  }
  // Potentials u (rows) and v (columns) with u_r + v_c ≤ cost(r, c); rows added one at a time, each by the shortest
  // augmenting path (Dijkstra over reduced costs). Index 0 is a virtual column; rows and columns are 1-based.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(std::size_t(rows) + 1, 0), v(std::size_t(cols) + 1, 0);
  std::vector<int> rowOf(std::size_t(cols) + 1, 0), way(std::size_t(cols) + 1, 0);
  for (int r = 1; r <= rows; ++r) {
    rowOf[0] = r;
    int c0 = 0;
    std::vector<double> least(std::size_t(cols) + 1, inf);
    std::vector<char> used(std::size_t(cols) + 1, 0);
    do {
      used[std::size_t(c0)] = 1;
      const int r0 = rowOf[std::size_t(c0)];
      double delta = inf;
      int c1 = 0;
      for (int c = 1; c <= cols; ++c) {
        if (used[std::size_t(c)]) continue;
        const double reduced = cost[std::size_t(r0 - 1)][std::size_t(c - 1)] - u[std::size_t(r0)] - v[std::size_t(c)];
        if (reduced < least[std::size_t(c)]) least[std::size_t(c)] = reduced, way[std::size_t(c)] = c0;
        if (least[std::size_t(c)] < delta) delta = least[std::size_t(c)], c1 = c;
      }
      for (int c = 0; c <= cols; ++c) {
        if (used[std::size_t(c)]) {
          u[std::size_t(rowOf[std::size_t(c)])] += delta;
          v[std::size_t(c)] -= delta;
        } else {
          least[std::size_t(c)] -= delta;
        }
      }
      c0 = c1;
    } while (rowOf[std::size_t(c0)] != 0);
    do {  // flip the path
      const int c1 = way[std::size_t(c0)];
      rowOf[std::size_t(c0)] = rowOf[std::size_t(c1)];
      c0 = c1;
    } while (c0);
  }
  std::vector<int> assignment(std::size_t(rows), -1);
  for (int c = 1; c <= cols; ++c)
    if (rowOf[std::size_t(c)]) assignment[std::size_t(rowOf[std::size_t(c)] - 1)] = c - 1;
  return assignment;
}

double headDivergence(const Matrix& p, const Matrix& q) {
  const Index n = p.rows();
  double sum = 0;
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j) {
      const double a = p(i, j), b = q(i, j), m = 0.5 * (a + b);
      if (a > 0) sum += 0.5 * a * std::log(a / m);
      if (b > 0) sum += 0.5 * b * std::log(b / m);
    }
  return n ? sum / double(n) : 0.0;
}

double headKl(const Matrix& p, const Matrix& q) {
  const Index n = p.rows();
  double sum = 0;
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j) {
      const double a = p(i, j);
      if (a > 0) sum += a * std::log(a / std::max(double(q(i, j)), 1e-12));
    }
  return n ? sum / double(n) : 0.0;
}

namespace {

// The least total cost of matching the smaller side of `cost` one-to-one into the larger, and that matching
// (row → column, on the matrix as given).
std::pair<double, std::vector<int>> bestMatching(const std::vector<std::vector<double>>& cost) {
  const std::size_t rows = cost.size(), cols = rows ? cost[0].size() : 0;
  if (rows <= cols) {
    const std::vector<int> a = hungarian(cost);
    double total = 0;
    for (std::size_t r = 0; r < rows; ++r) total += cost[r][std::size_t(a[r])];
    return {total, a};
  }
  std::vector<std::vector<double>> t(cols, std::vector<double>(rows));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) t[c][r] = cost[r][c];
  const std::vector<int> a = hungarian(t);
  std::vector<int> back(rows, -1);
  double total = 0;
  for (std::size_t c = 0; c < cols; ++c) {
    back[std::size_t(a[c])] = int(c);
    total += t[c][std::size_t(a[c])];
  }
  return {total, back};
}

}  // namespace

DistilComparison compareHeads(const ModelPass& teacher, const ModelPass& student) {
  if (teacher.attention.empty() || student.attention.empty()) throw Error("a pass without attention to compare");
  const Index n = teacher.attention[0][0].rows();
  if (student.attention[0][0].rows() != n)
    throw Error("the teacher saw " + std::to_string(n) + " tokens and the student " +
                std::to_string(student.attention[0][0].rows()) + ": they must read the same tokens");
  DistilComparison d;
  d.teacherLayers = int(teacher.attention.size());
  d.teacherHeads = int(teacher.attention[0].size());
  d.studentLayers = int(student.attention.size());
  d.studentHeads = int(student.attention[0].size());
  const int T = d.teacherLayers * d.teacherHeads, S = d.studentLayers * d.studentHeads;
  const auto& th = [&](int i) -> const Matrix& {
    return teacher.attention[std::size_t(i / d.teacherHeads)][std::size_t(i % d.teacherHeads)];
  };
  const auto& sh = [&](int i) -> const Matrix& {
    return student.attention[std::size_t(i / d.studentHeads)][std::size_t(i % d.studentHeads)];
  };
  d.similarity.assign(std::size_t(T), std::vector<double>(std::size_t(S)));
#pragma omp parallel for schedule(dynamic) collapse(2)
  for (int t = 0; t < T; ++t)
    for (int s = 0; s < S; ++s) d.similarity[std::size_t(t)][std::size_t(s)] = headDivergence(th(t), sh(s));
  // The whole matching: rows are the teacher's heads, columns the student's.
  const auto [total, match] = bestMatching(d.similarity);
  for (int t = 0; t < T; ++t) {
    const int s = match[std::size_t(t)];
    if (s < 0) continue;
    d.matching.push_back({t / d.teacherHeads, t % d.teacherHeads, s / d.studentHeads, s % d.studentHeads,
                          d.similarity[std::size_t(t)][std::size_t(s)]});
  }
  std::sort(d.matching.begin(), d.matching.end(), [](const HeadMatch& a, const HeadMatch& b) {
    return std::pair(a.studentLayer, a.studentHead) < std::pair(b.studentLayer, b.studentHead);
  });
  d.matchingMean = d.matching.empty() ? 0.0 : total / double(d.matching.size());
  // Layer against layer: the mean divergence of their own best head matching.
  d.layerCost.assign(std::size_t(d.studentLayers), std::vector<double>(std::size_t(d.teacherLayers)));
  for (int s = 0; s < d.studentLayers; ++s)
    for (int t = 0; t < d.teacherLayers; ++t) {
      std::vector<std::vector<double>> block(std::size_t(d.teacherHeads),
                                             std::vector<double>(std::size_t(d.studentHeads)));
      for (int a = 0; a < d.teacherHeads; ++a)
        for (int b = 0; b < d.studentHeads; ++b)
          block[std::size_t(a)][std::size_t(b)] =
              d.similarity[std::size_t(t * d.teacherHeads + a)][std::size_t(s * d.studentHeads + b)];
      d.layerCost[std::size_t(s)][std::size_t(t)] =
          bestMatching(block).first / double(std::min(d.teacherHeads, d.studentHeads));
    }
  // The rising mapping with the least total cost (non-decreasing when the student is deeper): a dynamic programme
  // over (student layer, teacher layer).
  const bool strict = d.studentLayers <= d.teacherLayers;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best(std::size_t(d.studentLayers),
                                        std::vector<double>(std::size_t(d.teacherLayers), inf));
  std::vector<std::vector<int>> from(std::size_t(d.studentLayers), std::vector<int>(std::size_t(d.teacherLayers), -1));
  for (int t = 0; t < d.teacherLayers; ++t) best[0][std::size_t(t)] = d.layerCost[0][std::size_t(t)];
  for (int s = 1; s < d.studentLayers; ++s)
    for (int t = 0; t < d.teacherLayers; ++t)
      for (int p = 0; p < (strict ? t : t + 1); ++p)
        if (best[std::size_t(s - 1)][std::size_t(p)] + d.layerCost[std::size_t(s)][std::size_t(t)] <
            best[std::size_t(s)][std::size_t(t)]) {
          best[std::size_t(s)][std::size_t(t)] =
              best[std::size_t(s - 1)][std::size_t(p)] + d.layerCost[std::size_t(s)][std::size_t(t)];
          from[std::size_t(s)][std::size_t(t)] = p;
        }
  int end = 0;
  for (int t = 1; t < d.teacherLayers; ++t)
    if (best.back()[std::size_t(t)] < best.back()[std::size_t(end)]) end = t;
  d.layerMapping.assign(std::size_t(d.studentLayers), 0);
  d.layerMappingMean = best.back()[std::size_t(end)] / double(d.studentLayers);
  for (int s = d.studentLayers - 1; s >= 0; --s) {
    d.layerMapping[std::size_t(s)] = end;
    end = s > 0 ? from[std::size_t(s)][std::size_t(end)] : end;
  }
  // DistilBERT's initialisation: the first and last layers and evenly between, round(s · (L_t − 1) / (L_s − 1));
  // 12 → 6 gives 0, 2, 4, 7, 9, 11, the layers extract_distilbert.py copies.
  double even = 0;
  for (int s = 0; s < d.studentLayers; ++s) {
    const int t =
        d.studentLayers == 1 ? 0 : int(std::lround(double(s) * (d.teacherLayers - 1) / double(d.studentLayers - 1)));
    d.evenMapping.push_back(t);
    even += d.layerCost[std::size_t(s)][std::size_t(t)];
  }
  d.evenMappingMean = even / double(d.studentLayers);
  if (d.teacherHeads == d.studentHeads)
    for (int h = 0; h < d.teacherHeads; ++h)
      d.miniLmKl.push_back(headKl(teacher.attention.back()[std::size_t(h)], student.attention.back()[std::size_t(h)]));
  return d;
}

}  // namespace attnscope

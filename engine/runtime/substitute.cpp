#include "engine/runtime/substitute.h"

#include <chrono>
#include <cmath>

namespace attnscope {

namespace {

// A row of logits as probabilities, in doubles.
std::vector<double> softmax(const Eigen::Ref<const Eigen::RowVectorXf>& logits) {
  const double most = logits.maxCoeff();
  std::vector<double> p(static_cast<std::size_t>(logits.size()));
  double sum = 0;
  for (Index v = 0; v < logits.size(); ++v) sum += (p[std::size_t(v)] = std::exp(double(logits(v)) - most));
  for (double& x : p) x /= sum;
  return p;
}

std::size_t argmax(const std::vector<double>& p) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < p.size(); ++i)
    if (p[i] > p[best]) best = i;
  return best;
}

}  // namespace

SubstituteMeasures measureSubstitute(const LanguageModel& model, const std::vector<int>& ids,
                                     const AttentionMasks& masks, int maskToken, const Progress& progress) {
  model.checkTokens(ids, &masks);
  const Index n = static_cast<Index>(ids.size());
  SubstituteMeasures m;
  // The positions compared: a decoder's every next token; an encoder's masks, or every position.
  std::vector<Index> rows;
  if (model.encoder())
    for (Index t = 0; t < n; ++t)
      if (maskToken >= 0 && ids[std::size_t(t)] == maskToken) rows.push_back(t);
  if (rows.empty())
    for (Index t = 0; t < n; ++t) rows.push_back(t);
  PassOptions full(LogitRows::at(rows));
  full.keepHidden = true;
  PassOptions sub = full;
  sub.masks = &masks;
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const ModelPass a = model.forward(ids, progress, full);
  const auto t1 = Clock::now();
  const ModelPass b = model.forward(ids, progress, sub);
  const auto t2 = Clock::now();
  m.msFull = std::chrono::duration<double, std::milli>(t1 - t0).count();
  m.ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
  // The cells: what the model's own attention computes (its causal mask and window), and what of it the
  // substitute keeps.
  double own = 0, kept = 0;
  for (int l = 0; l < model.layers(); ++l) {
    const SparseMask* mask = masks.at(l);
    const int window = std::size_t(l) < a.windows.size() ? a.windows[std::size_t(l)] : 0;
    for (int h = 0; h < model.heads(); ++h)
      for (Index i = 0; i < n; ++i) {
        const Index last = a.causal ? i + 1 : n, first = window > 0 ? std::max<Index>(0, i - window + 1) : 0;
        own += double(last - first);
        Index in = last - first;
        if (mask) {
          in = 0;
          for (KeyIndex k : mask->row(mask->heads() > 1 ? h : 0, i)) in += (k >= first && k < last);
        }
        kept += double(in);
        m.emptyRows += in == 0;
      }
  }
  m.shareOfCells = own > 0 ? kept / own : 1;
  for (std::size_t l = 0; l < a.hidden.size(); ++l) {
    const double norm = a.hidden[l].cast<double>().norm();
    m.driftByLayer.push_back(norm > 0 ? (b.hidden[l] - a.hidden[l]).cast<double>().norm() / norm : 0.0);
  }
  if (!model.hasLogits()) {
    m.top1Agreement = 0;
    return m;
  }
  m.positions = static_cast<Index>(rows.size());
  double agree = 0, kl = 0, nllFull = 0, nll = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const std::vector<double> p = softmax(a.logits.row(Index(r))), q = softmax(b.logits.row(Index(r)));
    agree += argmax(p) == argmax(q);
    double d = 0;
    for (std::size_t v = 0; v < p.size(); ++v)
      if (p[v] > 0) d += p[v] * (std::log(p[v]) - std::log(std::max(q[v], 1e-300)));
    kl += d;
    if (d > m.klMax || m.klMaxPosition < 0) m.klMax = d, m.klMaxPosition = rows[r];
    // Perplexity: position t predicts token t + 1.
    if (!model.encoder() && rows[r] + 1 < n) {
      const std::size_t next = std::size_t(ids[std::size_t(rows[r] + 1)]);
      nllFull -= std::log(p[next]);
      nll -= std::log(std::max(q[next], 1e-300));
    }
  }
  m.top1Agreement = agree / double(rows.size());
  m.klMean = kl / double(rows.size());
  if (!model.encoder() && n > 1) {
    m.perplexityFull = std::exp(nllFull / double(n - 1));
    m.perplexity = std::exp(nll / double(n - 1));
  }
  return m;
}

}  // namespace attnscope

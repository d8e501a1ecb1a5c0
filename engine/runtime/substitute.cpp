#include "engine/runtime/substitute.h"

#include <chrono>
#include <cmath>

#include "engine/patterns/pattern_registry.h"
#include "engine/util/error.h"

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

SubstituteReference referencePass(const LanguageModel& model, std::vector<int> ids, int maskToken,
                                  const Progress& progress) {
  model.checkTokens(ids);
  SubstituteReference r;
  const Index n = static_cast<Index>(ids.size());
  if (model.encoder())
    for (Index t = 0; t < n; ++t)
      if (maskToken >= 0 && ids[std::size_t(t)] == maskToken) r.positions.push_back(t);
  if (r.positions.empty())
    for (Index t = 0; t < n; ++t) r.positions.push_back(t);
  PassOptions full(LogitRows::at(r.positions));
  full.keepHidden = true;
  const auto t0 = std::chrono::steady_clock::now();
  r.pass = model.forward(ids, progress, full);
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  r.ids = std::move(ids);
  return r;
}

SubstituteMeasures measureAgainst(const LanguageModel& model, const SubstituteReference& reference,
                                  const AttentionMasks& masks, const Progress& progress) {
  const std::vector<int>& ids = reference.ids;
  model.checkTokens(ids, &masks);
  const Index n = static_cast<Index>(ids.size());
  const std::vector<Index>& rows = reference.positions;
  const ModelPass& a = reference.pass;
  SubstituteMeasures m;
  m.msFull = reference.ms;
  PassOptions sub(LogitRows::at(rows));
  sub.keepHidden = true;
  sub.masks = &masks;
  const auto t0 = std::chrono::steady_clock::now();
  const ModelPass b = model.forward(ids, progress, sub);
  m.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
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
  // An encoder saved without its head gives no predictions: nothing is compared (positions 0).
  if (!model.hasLogits()) return m;
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

SubstituteMeasures measureSubstitute(const LanguageModel& model, const std::vector<int>& ids,
                                     const AttentionMasks& masks, int maskToken, const Progress& progress) {
  model.checkTokens(ids, &masks);
  return measureAgainst(model, referencePass(model, ids, maskToken, progress), masks, progress);
}

std::vector<SubstituteMeasures> measureLayerByLayer(const LanguageModel& model, const SubstituteReference& reference,
                                                    const AttentionMasks& masks, const Progress& progress) {
  model.checkTokens(reference.ids, &masks);
  std::vector<SubstituteMeasures> out;
  for (int l = 0; l < model.layers(); ++l) {
    progress.throwIfCancelled();
    AttentionMasks one;
    one.layers.resize(std::size_t(model.layers()));
    const SparseMask* mask = masks.at(l);
    if (mask) {
      // The caller's mask, shared without a copy: the pointer does not own it (masks outlives this call).
      one.layers[std::size_t(l)] = std::shared_ptr<const SparseMask>(std::shared_ptr<const SparseMask>(), mask);
    }
    out.push_back(measureAgainst(model, reference, one, progress));
  }
  return out;
}

AttentionMasks stackMasks(const LayerStack& stack, int modelLayers, Index n, const Progress& progress) {
  if (stack.layers.size() != 1 && stack.layers.size() != std::size_t(modelLayers))
    throw Error("the stack has " + std::to_string(stack.layers.size()) + " layers and the model " +
                std::to_string(modelLayers) + ": a stack substitutes layer by layer, so give it " +
                std::to_string(modelLayers) + " layers (or one for every layer)");
  for (std::size_t i = 0; i < stack.layers.size(); ++i) {
    const PatternSpec spec = PatternSpec::parse(stack.layers[i].pattern);
    for (const PatternFamily* f : spec.members())
      if (f->needsInputs())
        throw Error("layer " + std::to_string(i + 1) + ": " + f->name() +
                    " is not substituted: a pattern made from the inputs would need the model's own queries and keys");
  }
  LayerStack atN = stack;
  atN.n = n;
  const std::vector<MadeLayer> made = makeLayers(atN, progress);
  AttentionMasks masks;
  for (std::size_t i = 0; i < made.size(); ++i) {
    if (made[i].distinct != int(i)) {
      masks.layers.push_back(masks.layers[std::size_t(made[i].distinct)]);
      continue;
    }
    masks.layers.push_back(std::make_shared<const SparseMask>(buildMask(*made[i].pattern, {}, progress)));
  }
  return masks;
}

}  // namespace attnscope

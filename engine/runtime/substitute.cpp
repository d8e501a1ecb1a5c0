#include "engine/runtime/substitute.h"

#include <chrono>
#include <algorithm>
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

void SubstituteMeasures::add(const SubstituteMeasures& o) {
  positions += o.positions;
  if (o.klMax > klMax || klMaxPosition < 0) klMax = o.klMax, klMaxPosition = o.klMaxPosition;
  emptyRows += o.emptyRows;
  msFull += o.msFull;
  ms += o.ms;
  windows += o.windows;
  sums.cellsKept += o.sums.cellsKept;
  sums.cellsOwn += o.sums.cellsOwn;
  sums.agree += o.sums.agree;
  sums.kl += o.sums.kl;
  sums.nllFull += o.sums.nllFull;
  sums.nll += o.sums.nll;
  sums.predicted += o.sums.predicted;
  sums.diff2.resize(std::max(sums.diff2.size(), o.sums.diff2.size()));
  sums.norm2.resize(sums.diff2.size());
  for (std::size_t l = 0; l < o.sums.diff2.size(); ++l) {
    sums.diff2[l] += o.sums.diff2[l];
    sums.norm2[l] += o.sums.norm2[l];
  }
}

void SubstituteMeasures::finish(bool decoder) {
  shareOfCells = sums.cellsOwn > 0 ? sums.cellsKept / sums.cellsOwn : 1;
  driftByLayer.assign(sums.diff2.size(), 0.0);
  for (std::size_t l = 0; l < sums.diff2.size(); ++l)
    driftByLayer[l] = sums.norm2[l] > 0 ? std::sqrt(sums.diff2[l] / sums.norm2[l]) : 0.0;
  if (positions > 0) {
    top1Agreement = sums.agree / double(positions);
    klMean = sums.kl / double(positions);
  }
  perplexityFull.reset();
  perplexity.reset();
  if (decoder && sums.predicted > 0) {
    perplexityFull = std::exp(sums.nllFull / double(sums.predicted));
    perplexity = std::exp(sums.nll / double(sums.predicted));
  }
}

std::string approximationNote(const ApproxMethod& method) {
  const std::string name = method.name();
  if (name == "linear")
    return "Linear attention's elu + 1 kernel is not softmax: the model was trained with softmax, so it meets a "
           "different attention (nothing is learned here).";
  if (name == "performer")
    return "Performer's random features approximate softmax itself (seeded, each layer and head its own), with no "
           "training; but their error grows fast with the size of the logits, so on a model trained with peaked "
           "softmax attention even many features can lose most of its answers (models meant for FAVOR+ are trained "
           "with it).";
  if (name == "linformer")
    return "Linformer's projections E and F are seeded random matrices here: the model was not trained with them "
           "(Linformer learns them), so expect its answers to change a lot.";
  if (name == "nystrom")
    return "Nyströmformer approximates softmax through landmarks (means of equal segments): nothing needs training; "
           "the text's length must be a multiple of num_landmarks.";
  return method.summary();
}

std::vector<std::pair<std::string, std::optional<double>>> measureFields(const SubstituteMeasures& m) {
  const bool predicted = m.positions > 0;
  auto compared = [predicted](double v) { return predicted ? std::optional<double>(v) : std::nullopt; };
  return {{"share_of_cells", m.shareOfCells},
          {"positions", double(m.positions)},
          {"top1_agreement", compared(m.top1Agreement)},
          {"kl_mean", compared(m.klMean)},
          {"kl_max", compared(m.klMax)},
          {"kl_max_position", compared(double(m.klMaxPosition))},
          {"empty_rows", double(m.emptyRows)},
          {"ms_full", m.msFull},
          {"ms", m.ms},
          {"perplexity_full", m.perplexityFull},
          {"perplexity", m.perplexity}};
}

SubstituteReference referencePass(const LanguageModel& model, std::vector<int> ids, int maskToken,
                                  const Progress& progress, std::pair<Index, Index> counted) {
  model.checkTokens(ids);
  SubstituteReference r;
  const Index n = static_cast<Index>(ids.size());
  r.countFrom = counted.first;
  r.countTo = counted.second < 0 ? n : counted.second;
  if (r.countFrom < 0 || r.countFrom >= r.countTo || r.countTo > n)
    throw Error("rows " + std::to_string(r.countFrom) + " … " + std::to_string(r.countTo) +
                " cannot be measured in a pass of " + std::to_string(n) + " tokens");
  if (model.encoder())
    for (Index t = r.countFrom; t < r.countTo; ++t)
      if (maskToken >= 0 && ids[std::size_t(t)] == maskToken) r.positions.push_back(t);
  // An encoder's text with no mask compares every position (only when the text has no mask at all: a window of a
  // sliding evaluation without one has nothing to compare).
  const bool anyMask = maskToken >= 0 && std::find(ids.begin(), ids.end(), maskToken) != ids.end() && model.encoder();
  if (r.positions.empty() && !anyMask)
    for (Index t = r.countFrom; t < r.countTo; ++t) r.positions.push_back(t);
  PassOptions full(LogitRows::at(r.positions));
  full.keepHidden = true;
  const auto t0 = std::chrono::steady_clock::now();
  r.pass = model.forward(ids, progress, full);
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  r.ids = std::move(ids);
  return r;
}

void compareOutputs(const LanguageModel& model, const SubstituteReference& reference, const ModelPass& b,
                    SubstituteMeasures& m) {
  const std::vector<int>& ids = reference.ids;
  const Index n = static_cast<Index>(ids.size());
  const std::vector<Index>& rows = reference.positions;
  const ModelPass& a = reference.pass;
  const Index counted = reference.countTo - reference.countFrom;
  for (std::size_t l = 0; l < a.hidden.size(); ++l) {
    const auto full = a.hidden[l].middleRows(reference.countFrom, counted).cast<double>();
    const auto sub = b.hidden[l].middleRows(reference.countFrom, counted).cast<double>();
    m.sums.norm2.push_back(full.squaredNorm());
    m.sums.diff2.push_back((sub - full).squaredNorm());
  }
  // An encoder saved without its head gives no predictions: nothing is compared (positions 0).
  if (model.hasLogits()) {
    m.positions = static_cast<Index>(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const std::vector<double> p = softmax(a.logits.row(Index(r))), q = softmax(b.logits.row(Index(r)));
      m.sums.agree += argmax(p) == argmax(q);
      double d = 0;
      for (std::size_t v = 0; v < p.size(); ++v)
        if (p[v] > 0) d += p[v] * (std::log(p[v]) - std::log(std::max(q[v], 1e-300)));
      m.sums.kl += d;
      if (d > m.klMax || m.klMaxPosition < 0) m.klMax = d, m.klMaxPosition = rows[r];
      // Perplexity: position t predicts token t + 1.
      if (!model.encoder() && rows[r] + 1 < n) {
        const std::size_t next = std::size_t(ids[std::size_t(rows[r] + 1)]);
        m.sums.nllFull -= std::log(p[next]);
        m.sums.nll -= std::log(std::max(q[next], 1e-300));
        ++m.sums.predicted;
      }
    }
  }
  m.finish(!model.encoder());
}

SubstituteMeasures measureAgainst(const LanguageModel& model, const SubstituteReference& reference,
                                  const Substitute& substitute, const Progress& progress) {
  const std::vector<int>& ids = reference.ids;
  const AttentionMasks& masks = substitute.masks;
  model.checkTokens(ids, &masks);
  if (substitute.approx) model.checkApprox(*substitute.approx, Index(ids.size()));
  const Index n = static_cast<Index>(ids.size());
  const std::vector<Index>& rows = reference.positions;
  const ModelPass& a = reference.pass;
  SubstituteMeasures m;
  m.msFull = reference.ms;
  PassOptions sub(LogitRows::at(rows));
  sub.keepHidden = true;
  sub.masks = &masks;
  if (substitute.approx) sub.approx = &*substitute.approx;
  if (substitute.topK) sub.topK = &*substitute.topK;
  const auto t0 = std::chrono::steady_clock::now();
  const ModelPass b = model.forward(ids, progress, sub);
  m.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  // The cells of the rows measured: what the model's own attention computes (its causal mask and window), and what
  // of it the substitute keeps.
  // An approximation's query attends through its rank (features, projected keys, landmarks) in place of the keys
  // it sees: its share is that many of them, at most all.
  const Index rank =
      substitute.approx ? substitute.approx->method->rank(substitute.approx->params, model.headDim()) : 0;
  for (int l = 0; l < model.layers(); ++l) {
    const SparseMask* mask = masks.at(l);
    const bool approximated = substitute.approx && substitute.approx->in(l);
    const bool topK = substitute.topK && substitute.topK->in(l);
    const int window = std::size_t(l) < a.windows.size() ? a.windows[std::size_t(l)] : 0;
    for (int h = 0; h < model.heads(); ++h)
      for (Index i = reference.countFrom; i < reference.countTo; ++i) {
        const Index last = a.causal ? i + 1 : n, first = window > 0 ? std::max<Index>(0, i - window + 1) : 0;
        m.sums.cellsOwn += double(last - first);
        Index in = last - first;
        if (approximated) {
          in = std::min(rank, in);
        } else if (topK) {
          // Its k keys among those it may see (at or before the query, with its own causal).
          const Index seen = substitute.topK->causal ? std::min(last, i + 1) - first : last - first;
          in = std::min(substitute.topK->k, std::max<Index>(seen, 0));
        } else if (mask) {
          in = 0;
          for (KeyIndex k : mask->row(mask->heads() > 1 ? h : 0, i)) in += (k >= first && k < last);
        }
        m.sums.cellsKept += double(in);
        m.emptyRows += in == 0;
      }
  }
  compareOutputs(model, reference, b, m);  // and the figures from the sums, the cells' share among them
  return m;
}

std::vector<SlidingWindow> slidingWindows(Index tokens, Index window, Index stride) {
  if (tokens <= window) return {{0, tokens, 0, tokens}};
  // Windows overlap by a token at least: the last row of one is measured in the next.
  if (window < 2 || stride < 1 || stride >= window)
    throw Error("a sliding evaluation's stride " + std::to_string(stride) + " is not allowed: expected 1 … " +
                std::to_string(std::max<Index>(window - 1, 1)) + " (less than the model's " + std::to_string(window) +
                " positions)");
  std::vector<SlidingWindow> out;
  for (Index begin = 0;; begin += stride) {
    const Index end = std::min(begin + window, tokens);
    SlidingWindow w{end - window, end, out.empty() ? 0 : out.back().countTo, end == tokens ? tokens : end - 1};
    out.push_back(w);
    if (end == tokens) break;
  }
  return out;
}

SubstituteMeasures measureSliding(const LanguageModel& model, const std::vector<int>& ids,
                                  const std::function<Substitute(Index n)>& substituteAt, int maskToken, Index stride,
                                  const Progress& progress) {
  const Index window = model.maxPositions();
  const std::vector<SlidingWindow> plan = slidingWindows(static_cast<Index>(ids.size()), window, stride);
  std::optional<SubstituteMeasures> total;
  for (std::size_t k = 0; k < plan.size(); ++k) {
    const SlidingWindow& w = plan[k];
    const double from = double(k) / double(plan.size()), to = double(k + 1) / double(plan.size());
    std::vector<int> piece(ids.begin() + w.begin, ids.begin() + w.end);
    const Substitute masks = substituteAt(w.end - w.begin);
    model.checkTokens(piece, &masks.masks);
    SubstituteMeasures m =
        measureAgainst(model,
                       referencePass(model, std::move(piece), maskToken, progress.part(from, (from + to) / 2),
                                     {w.countFrom - w.begin, w.countTo - w.begin}),
                       masks, progress.part((from + to) / 2, to));
    if (m.klMaxPosition >= 0) m.klMaxPosition += w.begin;
    if (!total)
      total = std::move(m);
    else
      total->add(m);
  }
  total->finish(!model.encoder());
  return *total;
}

namespace {
bool isTopK(const PatternSpec& spec) { return spec.members().size() == 1 && spec.members().front()->name() == "topk"; }
}  // namespace

void checkSubstitutable(const PatternSpec& spec) {
  if (isTopK(spec)) return;
  for (const PatternFamily* f : spec.members()) {
    if (f->name() == "topk")
      throw Error(spec.name() + " is not substituted: topk is, on the model's own scores, but alone, not in a union");
    if (f->needsInputs())
      throw Error(spec.name() + " is not substituted: " + f->name() +
                  " is made from the inputs (it would hash or cluster the model's queries and keys); of the patterns "
                  "made from the inputs, topk alone is, on the model's own scores");
  }
}

Substitute patternSubstitute(const PatternSpec& spec, const ParamSet& values, Index n) {
  checkSubstitutable(spec);
  if (isTopK(spec)) {
    CheckedPattern::check(spec, values, n);  // k and n in range
    return AttentionTopK{values.getInt("k"), values.getBool("causal")};
  }
  return patternMasks(spec, values, n);
}

AttentionMasks patternMasks(const PatternSpec& spec, const ParamSet& values, Index n) {
  AttentionMasks masks;
  masks.layers.push_back(std::make_shared<const SparseMask>(CheckedPattern::check(spec, values, n).build()));
  return masks;
}

AttentionMasks fitMasks(const std::vector<std::vector<HeadFit>>& fits, Index n, const Progress& progress) {
  AttentionMasks masks;
  for (const std::vector<HeadFit>& layer : fits) {
    std::vector<std::vector<std::vector<Index>>> heads;
    for (const HeadFit& head : layer) {
      progress.throwIfCancelled();
      const PatternSpec spec = PatternSpec::parse(head.best.pattern);
      const SparseMask one = CheckedPattern::check(spec, spec.resolve(head.best.params), n).build();
      std::vector<std::vector<Index>> rows(static_cast<std::size_t>(n));
      for (Index i = 0; i < n; ++i)
        for (KeyIndex k : one.row(0, i)) rows[std::size_t(i)].push_back(k);
      heads.push_back(std::move(rows));
    }
    masks.layers.push_back(std::make_shared<const SparseMask>(SparseMask::fromRows(n, heads)));
  }
  return masks;
}

std::vector<std::size_t> paretoFront(const std::vector<std::pair<double, double>>& points) {
  std::vector<std::size_t> order(points.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  // Rising share; at equal share the best quality first, so it is the one kept.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return points[a].first < points[b].first ||
           (points[a].first == points[b].first && points[a].second > points[b].second);
  });
  std::vector<std::size_t> front;
  for (std::size_t i : order)
    if (front.empty() || points[i].second > points[front.back()].second) front.push_back(i);
  return front;
}

SubstituteMeasures measureSubstitute(const LanguageModel& model, const std::vector<int>& ids, const Substitute& masks,
                                     int maskToken, const Progress& progress) {
  model.checkTokens(ids, &masks.masks);
  if (masks.approx) model.checkApprox(*masks.approx, Index(ids.size()));
  return measureAgainst(model, referencePass(model, ids, maskToken, progress.part(0, 0.5)), masks,
                        progress.part(0.5, 1));
}

std::vector<SubstituteMeasures> measureLayerByLayer(const LanguageModel& model, const SubstituteReference& reference,
                                                    const Substitute& masks, const Progress& progress) {
  model.checkTokens(reference.ids, &masks.masks);
  std::vector<SubstituteMeasures> out;
  for (int l = 0; l < model.layers(); ++l) {
    progress.throwIfCancelled();
    out.push_back(measureAgainst(model, reference, onlyLayer(masks, l, model.layers()), progress));
  }
  return out;
}

Substitute onlyLayer(const Substitute& substitute, int layer, int layers) {
  Substitute one;
  if (substitute.approx) {
    one.approx = substitute.approx;
    one.approx->layer = layer;
  }
  if (substitute.topK) {
    one.topK = substitute.topK;
    one.topK->layer = layer;
  }
  const AttentionMasks& masks = substitute.masks;
  if (masks.layers.empty()) return one;
  one.masks.layers.resize(std::size_t(layers));
  one.masks.layers[std::size_t(layer)] =
      masks.layers.size() == 1 ? masks.layers.front() : masks.layers[std::size_t(layer)];
  return one;
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

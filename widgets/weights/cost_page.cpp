#include "widgets/weights/cost_page.h"

#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

#include <cmath>

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/resources.h"
#include "widgets/shared/task_runner.h"
#include "widgets/weights/cost_charts.h"
#include "widgets/weights/page_parts.h"
#include "widgets/weights/text_choice.h"

namespace attnscope {

namespace {

QString percentText(double share) { return fixedText(100 * share, share < 0.01 ? 2 : 1) + QLatin1Char('%'); }

QJsonObject measuresJson(const SubstituteMeasures& m) {
  QJsonObject o;
  for (const auto& [key, value] : measureFields(m))
    o.insert(QString::fromStdString(key), value ? QJsonValue(*value) : QJsonValue());
  QJsonArray drift;
  for (double d : m.driftByLayer) drift.append(d);
  o.insert(QStringLiteral("drift_by_layer"), drift);
  return o;
}

// What a run measures: the text's ids, and one measurement of a substitute made at the length it runs at.
struct TextRun {
  std::shared_ptr<const RuntimeModel> model;
  std::vector<int> ids;
  Index window = 0, stride = 0;  ///< a sliding evaluation when ids are more than window
  std::optional<SubstituteReference> reference;

  TextRun(std::shared_ptr<const RuntimeModel> m, const std::string& text)
      : model(std::move(m)), ids(encodeText(*model, text)) {
    if (ids.empty()) throw Error("the text gives no tokens: type or choose a text");
    window = std::min<Index>(Index(ids.size()), model->model->maxPositions());
    stride = std::max<Index>(1, window / 2);
  }
  /// Throws Error unless the substitute can serve this text (made at the length it runs at): before any pass.
  void check(const std::function<Substitute(Index)>& substituteAt) const {
    const Substitute s = substituteAt(window);
    const std::vector<int> first(ids.begin(), ids.begin() + window);
    model->model->checkTokens(first, &s.masks);
    if (s.approx) model->model->checkApprox(*s.approx, window);
  }
  /// The full model's pass, kept for every substitute (a sliding evaluation runs its own, window by window).
  void runReference(const Progress& progress) {
    if (!sliding()) reference = referencePass(*model->model, ids, model->tokenizer->maskToken(), progress);
  }
  bool sliding() const { return Index(ids.size()) > window; }
  SubstituteMeasures measure(const std::function<Substitute(Index)>& masksAt, const Progress& progress) const {
    if (sliding()) return measureSliding(*model->model, ids, masksAt, model->tokenizer->maskToken(), stride, progress);
    return measureAgainst(*model->model, *reference, masksAt(Index(ids.size())), progress);
  }
};

}  // namespace

CostPage::CostPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  source_ = new QComboBox(this);
  source_->setObjectName(QStringLiteral("costSource"));
  source_->addItems({QStringLiteral("the pattern on the left"), QStringLiteral("the Model tab's stack"),
                     QStringLiteral("the fitted heads"), QStringLiteral("the Approximate tab's method")});
  source_->setToolTip(QStringLiteral(
      "what attends instead of the model's full attention: the pattern chosen on the left in every layer, the Model "
      "tab's stack layer by layer, each head through the pattern fitted to it on the Best pattern page, or the "
      "Approximate tab's method (linear, Performer, Linformer, Nyströmformer) in place of softmax"));
  text_ = new TextChoice(QStringLiteral("costText"), /*withFile=*/true, this);
  text_->setToolTip(QStringLiteral("the text the model reads, with full attention and with the substitute"));
  text_->setOnProblem([this](const QString& text) { showMessage(text); });
  auto button = [this](const QString& label, const char* name, const QString& tip) {
    return pageButton(this, label, name, tip);
  };
  measure_ = button(QStringLiteral("Measure"), "costMeasure",
                    QStringLiteral("run the text with full attention and with the substitute, and compare"));
  perLayerButton_ = button(QStringLiteral("Per layer"), "costPerLayer",
                           QStringLiteral("the substitute in one layer at a time: which layers tolerate it"));
  cancel_ = button(QStringLiteral("Cancel"), "costCancel", QStringLiteral("stop the run"));
  cancel_->setEnabled(false);
  export_ = button(QStringLiteral("Export…"), "costExport",
                   QStringLiteral("the measures as JSON (evaluate's keys), or the charts as a PNG"));
  bar->addWidget(new QLabel(QStringLiteral("Substitute"), this));
  bar->addWidget(source_);
  bar->addWidget(new QLabel(QStringLiteral("on"), this));
  bar->addWidget(text_);
  bar->addWidget(measure_);
  bar->addWidget(perLayerButton_);
  bar->addWidget(cancel_);
  bar->addWidget(export_);
  bar->addStretch(1);
  layout->addLayout(bar);

  auto* sweepBar = new QHBoxLayout;
  sweepKeyBox_ = new QComboBox(this);
  sweepKeyBox_->setObjectName(QStringLiteral("costSweepKey"));
  sweepKeyBox_->setEditable(true);
  sweepKeyBox_->setToolTip(QStringLiteral("the parameter of the pattern on the left that the sweep varies"));
  sweepValues_ = new QLineEdit(QStringLiteral("0,1,2,4,8,16,32,64"), this);
  sweepValues_->setObjectName(QStringLiteral("costSweepValues"));
  sweepValues_->setToolTip(QStringLiteral("its values, comma-separated: one point each"));
  sweep_ = button(QStringLiteral("Sweep"), "costSweep",
                  QStringLiteral("the pattern on the left at each value: a point each on the trade-off chart"));
  quality_ = new QComboBox(this);
  quality_->setObjectName(QStringLiteral("costQuality"));
  quality_->addItems({QStringLiteral("top-1 agreement"), QStringLiteral("KL divergence")});
  progress_ = pageProgress(this);
  sweepBar->addWidget(new QLabel(QStringLiteral("Sweep"), this));
  sweepBar->addWidget(sweepKeyBox_);
  sweepBar->addWidget(sweepValues_, 1);
  sweepBar->addWidget(sweep_);
  sweepBar->addWidget(new QLabel(QStringLiteral("chart"), this));
  sweepBar->addWidget(quality_);
  sweepBar->addWidget(progress_);
  layout->addLayout(sweepBar);

  lines_ = addPageLines(this, layout, QStringLiteral("cost"));
  summary_ = lines_.summary;
  note_ = lines_.note;
  message_ = lines_.message;
  auto* charts = new QHBoxLayout;
  tradeOff_ = new TradeOffChart(this);
  tradeOff_->setObjectName(QStringLiteral("costTradeOff"));
  layers_ = new LayerChart(this);
  layers_->setObjectName(QStringLiteral("costLayers"));
  charts->addWidget(tradeOff_, 3);
  charts->addWidget(layers_, 2);
  layout->addLayout(charts, 1);

  runner_ = new TaskRunner(this);
  showRunnerOn(
      runner_, this, cancel_, progress_, lines_, [this] { emit ended(); },
      [this] { note_->setText(note_->text() + QStringLiteral(" Cancelled: what was measured before stays.")); });
  connect(measure_, &QPushButton::clicked, this, &CostPage::measure);
  connect(sweep_, &QPushButton::clicked, this, &CostPage::sweep);
  connect(perLayerButton_, &QPushButton::clicked, this, &CostPage::perLayer);
  connect(cancel_, &QPushButton::clicked, this, &CostPage::cancel);
  connect(quality_, &QComboBox::currentIndexChanged, this, [this](int i) {
    tradeOff_->setQuality(i == 0 ? TradeOffChart::Quality::Agreement : TradeOffChart::Quality::Kl);
  });
  connect(source_, &QComboBox::currentIndexChanged, this, &CostPage::sourceChanged);
  connect(export_, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, QStringLiteral("Export what it costs"), QStringLiteral("what-it-costs.json"),
                                     QStringLiteral("Measures (*.json);;Charts (*.png)"));
    QString error;
    if (!path.isEmpty() && !exportTo(path, &error)) showMessage(error);
  });
  summary_->setText(QStringLiteral(
      "What would this model say with a cheaper attention? Choose a substitute and a text, then Measure, Sweep a "
      "budget, or see it Per layer."));
  note_->setText(QStringLiteral(
      "Masked keys are left out before the softmax, as the libraries do (a query left with no key gives zero); a "
      "decoder keeps its causal mask on top."));
}

CostPage::~CostPage() = default;

void CostPage::setSources(std::function<PatternChoice()> pattern, std::function<LayerStack()> stack,
                          std::function<std::pair<std::string, ParamTexts>()> approx) {
  pattern_ = std::move(pattern);
  stack_ = std::move(stack);
  approx_ = std::move(approx);
  sourceChanged();
}

void CostPage::setModel(std::shared_ptr<const RuntimeModel> model, std::function<QString()> textAbove) {
  model_ = std::move(model);
  text_->setTextAbove(std::move(textAbove));
}

void CostPage::setFits(std::shared_ptr<const std::vector<std::vector<HeadFit>>> fits, Index n) {
  fits_ = std::move(fits);
  fitsN_ = n;
}

void CostPage::setSource(Source source) { source_->setCurrentIndex(int(source)); }

bool CostPage::setSample(const QString& name) { return text_->setSample(name); }

bool CostPage::setTextFile(const QString& path) { return text_->setFile(path); }

void CostPage::setSweep(const QString& key, const QString& values) {
  sweepKeyBox_->setCurrentText(key);
  sweepValues_->setText(values);
}

QStringList CostPage::sweepKeys() const {
  QStringList keys;
  try {
    if (source_->currentIndex() == int(Source::Pattern) && pattern_) {
      const PatternSpec spec = PatternSpec::parse(pattern_().pattern.toStdString());
      for (const ParamSpec& p : spec.params())
        if (p.type == ParamType::Int) keys << QString::fromStdString(p.name);
    } else if (source_->currentIndex() == int(Source::Approx) && approx_) {
      const ApproxMethod& method = findApproxMethod(approx_().first);
      const std::vector<ParamSpec> params = method.params(model_ ? model_->model->headDim() : 64);
      for (const ParamSpec& p : params)
        if (p.type == ParamType::Int) keys << QString::fromStdString(p.name);
    }
  } catch (const Error&) {
  }
  return keys;
}

void CostPage::sourceChanged() {
  // The sweep varies an integer parameter of the pattern on the left or of the Approximate tab's method: those are
  // offered, the one chosen kept when it is still there (else radius, k, nb_features or num_landmarks, else the
  // first).
  const QString kept = sweepKeyBox_->currentText();
  const QStringList keys = sweepKeys();
  QStringList shown;
  for (int i = 0; i < sweepKeyBox_->count(); ++i) shown << sweepKeyBox_->itemText(i);
  if (shown == keys) return;
  sweepKeyBox_->clear();
  sweepKeyBox_->addItems(keys);
  for (const QString& want : {kept, QStringLiteral("radius"), QStringLiteral("k"), QStringLiteral("nb_features"),
                              QStringLiteral("num_landmarks")})
    if (const int at = sweepKeyBox_->findText(want); !want.isEmpty() && at >= 0) {
      sweepKeyBox_->setCurrentIndex(at);
      return;
    }
}

void CostPage::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  sourceChanged();
}

void CostPage::showMessage(const QString& text) { lines_.showMessage(text); }

QString CostPage::summary() const { return summary_->text(); }
QString CostPage::message() const { return lines_.messageText(); }
QString CostPage::note() const { return note_->text(); }
bool CostPage::busy() const { return runner_->busy(); }
void CostPage::cancel() { runner_->cancel(); }

std::optional<std::string> CostPage::chosenText() { return text_->chosen(model_.get()); }

std::optional<CostPage::Request> CostPage::request(Source source) {
  showMessage({});
  if (!model_) {
    showMessage(QStringLiteral(
        "no model is running: press stories260K or Open model… above; this page measures the model running here"));
    return std::nullopt;
  }
  if (!model_->model->hasLogits()) {
    showMessage(QStringLiteral("this model has no head that predicts tokens: there are no answers to compare"));
    return std::nullopt;
  }
  Request r;
  r.model = model_;
  const std::optional<std::string> text = chosenText();
  if (!text) return std::nullopt;
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    showMessage(QStringLiteral("the text is empty: type a text above or choose a sample"));
    return std::nullopt;
  }
  r.text = *text;
  const int layers = model_->model->layers();
  try {
    switch (source) {
      case Source::Pattern: {
        if (!pattern_) throw Error("no pattern is chosen on the left");
        const PatternChoice choice = pattern_();
        const PatternSpec spec = PatternSpec::parse(choice.pattern.toStdString());
        checkSubstitutable(spec);
        const ParamSet values = spec.resolve(choice.paramTexts());
        // Its first parameter (the budget: radius, block size, …) and every other that is not at its default.
        r.label = choice.pattern;
        const auto& resolved = values.values();
        const ParamSet defaultSet = spec.defaults();
        const auto& defaults = defaultSet.values();
        for (const ParamSpec& p : spec.params())
          if (&p == &spec.params().front() || resolved.at(p.name) != defaults.at(p.name))
            r.label += QLatin1Char(' ') + QString::fromStdString(p.name) + QLatin1Char('=') +
                       QString::fromStdString(formatParam(resolved.at(p.name)));
        r.label += QStringLiteral(" in every layer");
        r.masksAt = [spec, values](Index n) { return patternSubstitute(spec, values, n); };
        r.vary = [spec, texts = choice.paramTexts()](const std::string& key, const std::string& value) {
          if (!spec.param(key)) throw Error("the sweep's parameter '" + key + "' is not one of " + spec.name() + "'s");
          auto changed = texts;
          std::erase_if(changed, [&](const auto& p) { return p.first == key; });
          changed.emplace_back(key, value);
          const ParamSet set = spec.resolve(changed);
          return std::function<Substitute(Index)>([spec, set](Index n) { return patternSubstitute(spec, set, n); });
        };
        break;
      }
      case Source::Approx: {
        if (!approx_) throw Error("no approximation is chosen on the Approximate tab");
        const auto [name, texts] = approx_();
        const ApproxMethod* method = &findApproxMethod(name);
        const Index dim = model_->model->headDim();
        const AttentionApprox approx{method, resolveApproxParams(*method, dim, texts)};
        // A decoder's refusal needs no text: said before anything runs (the rest is checked at the text's n).
        if (!model_->model->encoder()) model_->model->checkApprox(approx, model_->model->maxPositions());
        r.label = QString::fromStdString(name);
        for (const auto& [key, value] : approx.params.values())
          if (key != "causal")
            r.label += QLatin1Char(' ') + QString::fromStdString(key) + QLatin1Char('=') +
                       QString::fromStdString(formatParam(value));
        r.label += QStringLiteral(" in place of softmax");
        r.note = QString::fromStdString(approximationNote(*method));
        r.masksAt = [approx](Index) { return Substitute(approx); };
        r.vary = [method, dim, texts](const std::string& key, const std::string& value) {
          const std::vector<ParamSpec> params = method->params(dim);
          if (std::none_of(params.begin(), params.end(), [&](const ParamSpec& p) { return p.name == key; }))
            throw Error("the sweep's parameter '" + key + "' is not one of " + method->name() + "'s");
          auto changed = texts;
          std::erase_if(changed, [&](const auto& p) { return p.first == key; });
          changed.emplace_back(key, value);
          const AttentionApprox varied{method, resolveApproxParams(*method, dim, changed)};
          return std::function<Substitute(Index)>([varied](Index) { return Substitute(varied); });
        };
        break;
      }
      case Source::Stack: {
        const LayerStack stack = stack_ ? stack_() : LayerStack{};
        if (stack.layers.empty()) throw Error("the Model tab has no stack: choose a model or type layers there");
        if (stack.layers.size() != 1 && stack.layers.size() != std::size_t(layers))
          throw Error("the Model tab's stack has " + std::to_string(stack.layers.size()) + " layers and this model " +
                      std::to_string(layers) + ": give it " + std::to_string(layers) + " (or one for every layer)");
        r.label = QStringLiteral("the stack %1, layer by layer").arg(QString::fromStdString(shortForm(stack.layers)));
        r.masksAt = [stack, layers](Index n) { return stackMasks(stack, layers, n); };
        break;
      }
      case Source::Fit: {
        if (!fits_) throw Error("no heads are fitted: press Fit every head on the Best pattern page first");
        if (fits_->size() != std::size_t(layers))
          throw Error("the fit covers " + std::to_string(fits_->size()) + " layers of this model's " +
                      std::to_string(layers) + ": fit every head again");
        r.label = QStringLiteral("the fitted heads");
        r.masksAt = [fits = fits_, n0 = fitsN_](Index n) {
          if (n != n0)
            throw Error("the heads were fitted on " + std::to_string(n0) + " positions and this text has " +
                        std::to_string(n) + " tokens: measure the fit on the text above, in pieces (not words)");
          return fitMasks(*fits, n);
        };
        break;
      }
    }
  } catch (const std::exception& e) {
    showMessage(QString::fromUtf8(e.what()));
    return std::nullopt;
  }
  return r;
}

void CostPage::showMeasures(const QString& label, const SubstituteMeasures& m, Index tokens, Index window, Index stride,
                            const QString& approxNote) {
  QString s = QStringLiteral("%1, on %2 (%3): %4 of the attention cells.")
                  .arg(label,
                       text_->aboveChosen() ? QStringLiteral("the text above")
                                            : QLatin1Char('"') + text_->currentText() + QLatin1Char('"'),
                       countedText(tokens, "token", "tokens"), percentText(m.shareOfCells));
  const bool decoder = !model_ || !model_->model->encoder();
  if (m.positions > 0) {
    s += QStringLiteral(
             " The likeliest %1 is the full model's at %2 of %3; KL %4 nats on average, %5 at worst (token %6).")
             .arg(decoder ? QStringLiteral("next token") : QStringLiteral("word"), percentText(m.top1Agreement))
             .arg(m.positions)
             .arg(fixedText(m.klMean, 3), fixedText(m.klMax, 2))
             .arg(m.klMaxPosition);
  }
  if (m.perplexity)
    s += QStringLiteral(" Perplexity %1 (full %2).").arg(fixedText(*m.perplexity, 2), fixedText(*m.perplexityFull, 2));
  if (!m.driftByLayer.empty())
    s += QStringLiteral(" Drift of the last layer %1.").arg(fixedText(m.driftByLayer.back(), 3));
  s += QStringLiteral(" %1 ms a pass (full %2 ms).")
           .arg(fixedText(m.ms / double(m.windows), 1), fixedText(m.msFull / double(m.windows), 1));
  summary_->setText(s);
  QString note = approxNote.isEmpty()
                     ? QStringLiteral(
                           "Masked keys are left out before the softmax, as the libraries do; a decoder "
                           "keeps its causal mask on top.")
                     : approxNote + QStringLiteral(
                                        " Its share of cells is its rank (features, projected keys or "
                                        "landmarks) over the keys each query sees.");
  if (m.emptyRows > 0)
    note += QStringLiteral(" %1 query rows (over layers and heads) had no key left: their output is zero.")
                .arg(countText(m.emptyRows));
  if (m.windows > 1)
    note += QStringLiteral(
                " The text is longer than the model's %1 positions: it was measured in %2 windows of %1 "
                "tokens, stride %3, each prediction counted once.")
                .arg(countText(window), countText(m.windows), countText(stride));
  note += approxNote.isEmpty()
              ? QStringLiteral(
                    " Its time: for each block of 64 queries the pass reads only the keys from the first to "
                    "the last any of them may see (a window's band), and masks the rest.")
              : QStringLiteral(
                    " The pass also writes out the method's weights for every head: its time is not the "
                    "method's alone.");
  note_->setText(note);
}

void CostPage::measure() {
  std::optional<Request> r = request(Source(source_->currentIndex()));
  if (!r) return;
  runner_->start([this, r = *r](const TaskRunner::Context& ctx) -> std::function<void()> {
    TextRun run(r.model, r.text);
    run.check(r.masksAt);
    run.runReference(ctx.progress().part(0, 0.5));
    const SubstituteMeasures m = run.measure(r.masksAt, ctx.progress().part(0.5, 1));
    const Index tokens = Index(run.ids.size()), window = run.window, stride = run.sliding() ? run.stride : 0;
    return [this, r, m, tokens, window, stride] {
      rows_ = {{r.label, m}};
      sweepKey_.clear();
      tradeOff_->clear(r.label);
      tradeOff_->addPoint(QString(), m.shareOfCells, m.top1Agreement, m.klMean, m.ms / double(m.windows),
                          m.msFull / double(m.windows));
      showMeasures(r.label, m, tokens, window, stride, r.note);
    };
  });
}

void CostPage::sweep() {
  const Source source = Source(source_->currentIndex());
  if (source != Source::Pattern && source != Source::Approx)
    return showMessage(QStringLiteral(
        "a sweep varies one parameter of the pattern on the left or of the Approximate tab's method: choose one of "
        "them as the substitute"));
  std::optional<Request> r = request(source);
  if (!r) return;
  // Every budget is resolved here, before anything runs: a bad value is one line.
  sourceChanged();
  const QString key = sweepKeyBox_->currentText().trimmed();
  std::vector<std::pair<QString, std::function<Substitute(Index)>>> budgets;
  try {
    const QStringList values = sweepValues_->text().split(QLatin1Char(','), Qt::SkipEmptyParts);
    if (values.isEmpty() || values.size() > 64)
      throw Error("the sweep needs 1 … 64 values, comma-separated: it has " + std::to_string(values.size()));
    for (const QString& v : values)
      budgets.emplace_back(key + QLatin1Char('=') + v.trimmed(), r->vary(key.toStdString(), v.trimmed().toStdString()));
  } catch (const std::exception& e) {
    return showMessage(QString::fromUtf8(e.what()));
  }
  QString title = r->label;
  title.replace(QRegularExpression(QStringLiteral("\\b") + QRegularExpression::escape(key) + QStringLiteral("=\\S+ ?")),
                QString());
  title = QStringLiteral("%1 over %2").arg(title, key);
  rows_.clear();
  sweepKey_ = key;
  tradeOff_->clear(title);
  summary_->setText(QStringLiteral("Sweeping %1…").arg(title));
  runner_->start([this, r = *r, budgets](const TaskRunner::Context& ctx) -> std::function<void()> {
    const double k = double(budgets.size()) + 1;
    TextRun run(r.model, r.text);
    for (const auto& budget : budgets) run.check(budget.second);
    run.runReference(ctx.progress().part(0, 1 / k));
    SubstituteMeasures last;
    for (std::size_t b = 0; b < budgets.size(); ++b) {
      const SubstituteMeasures m =
          run.measure(budgets[b].second, ctx.progress().part(double(b + 1) / k, double(b + 2) / k));
      const QString label = budgets[b].first;
      ctx.post([this, label, m] {
        rows_.push_back({label, m});
        tradeOff_->addPoint(label.section(QLatin1Char('='), 1), m.shareOfCells, m.top1Agreement, m.klMean,
                            m.ms / double(m.windows), m.msFull / double(m.windows));
      });
      last = m;
    }
    const Index tokens = Index(run.ids.size()), window = run.window, stride = run.sliding() ? run.stride : 0;
    return [this, last, tokens, window, stride, label = budgets.back().first, r] {
      showMeasures(r.label.section(QLatin1Char(' '), 0, 0) + QLatin1Char(' ') + label, last, tokens, window, stride,
                   r.note);
      summary_->setText(QStringLiteral("%1 budgets measured; the last: ").arg(rows_.size()) + summary_->text());
    };
  });
}

void CostPage::perLayer() {
  std::optional<Request> r = request(Source(source_->currentIndex()));
  if (!r) return;
  const int layers = r->model->model->layers();
  layers_->setTitle(QStringLiteral("Drift of the output, one layer substituted at a time"));
  layers_->beginRow(r->label, layers);
  perLayer_.clear();
  runner_->start([this, r = *r, layers](const TaskRunner::Context& ctx) -> std::function<void()> {
    const double k = double(layers) + 1;
    TextRun run(r.model, r.text);
    run.check(r.masksAt);
    run.runReference(ctx.progress().part(0, 1 / k));
    for (int l = 0; l < layers; ++l) {
      const auto one = [&r, l, layers](Index n) { return onlyLayer(r.masksAt(n), l, layers); };
      const SubstituteMeasures m = run.measure(one, ctx.progress().part(double(l + 1) / k, double(l + 2) / k));
      ctx.post([this, l, m] {
        perLayer_.push_back({QStringLiteral("layer %1").arg(l), m});
        layers_->setBar(l, m.driftByLayer.empty() ? 0.0 : m.driftByLayer.back());
      });
    }
    return [] {};
  });
}

bool CostPage::exportTo(const QString& path, QString* error) const {
  const QString suffix = QFileInfo(path).suffix().toLower();
  try {
    if (suffix == QStringLiteral("png")) {
      const int w = 1600, h = 700;
      QPixmap image(w, h);
      image.fill(Qt::white);
      {
        QPainter painter(&image);
        painter.drawPixmap(0, 0, tradeOff_->picture(w * 3 / 5, h));
        painter.drawPixmap(w * 3 / 5, 0, layers_->picture(w - w * 3 / 5, h));
      }
      writePng(path, image);
      return true;
    }
    if (suffix != QStringLiteral("json"))
      throw Error("'" + path.toStdString() + "' is not written: expected a file ending in .json or .png");
    if (rows_.empty() && perLayer_.empty()) throw Error("nothing is measured yet: press Measure, Sweep or Per layer");
    QJsonObject o;
    if (model_) o.insert(QStringLiteral("model"), QString::fromStdString(model_->describe()));
    o.insert(QStringLiteral("text"), text_->currentText());
    if (!rows_.empty()) {
      if (sweepKey_.isEmpty()) {
        o.insert(QStringLiteral("substitute"), rows_.front().label);
        const QJsonObject m = measuresJson(rows_.front().measures);
        for (auto it = m.begin(); it != m.end(); ++it) o.insert(it.key(), it.value());
      } else {
        QJsonArray rows;
        for (const Row& row : rows_) {
          QJsonObject m = measuresJson(row.measures);
          m.insert(sweepKey_, row.label.section(QLatin1Char('='), 1));
          rows.append(m);
        }
        o.insert(QStringLiteral("sweep"), sweepKey_);
        o.insert(QStringLiteral("rows"), rows);
      }
    }
    if (!perLayer_.empty()) {
      QJsonArray layers;
      for (std::size_t l = 0; l < perLayer_.size(); ++l) {
        QJsonObject m = measuresJson(perLayer_[l].measures);
        m.insert(QStringLiteral("layer"), int(l));
        layers.append(m);
      }
      o.insert(QStringLiteral("per_layer"), layers);
    }
    const QByteArray bytes = QJsonDocument(o).toJson();
    writeFileAtomically(path.toStdString(), std::string_view(bytes.constData(), std::size_t(bytes.size())));
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

}  // namespace attnscope

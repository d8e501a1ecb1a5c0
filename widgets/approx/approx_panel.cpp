#include "widgets/approx/approx_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

#include "engine/io/npy.h"
#include "engine/masks/params.h"
#include "engine/util/error.h"
#include "engine/util/limits.h"
#include "widgets/approx/approx_charts.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/shared/mask_picture.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/scaling_chart.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {

namespace {

QString toQ(const std::string& s) { return QString::fromStdString(s); }

const char* kDefaultSentence = "the cat sat on the mat because it was warm and the dog lay by the door";

AttentionInputs makeInputs(bool sentence, const std::string& text, Index n, Index dim, double scale,
                           const std::vector<std::string>& npy) {
  if (npy.size() == 3) return npyInputs(npy[0], npy[1], npy[2]);
  if (sentence) return textInputs(text, 1, dim, 0);
  AttentionInputs in = syntheticInputs(1, n, dim, 0);
  for (Matrix& q : in.q) q *= static_cast<float>(scale);
  return in;
}

}  // namespace

struct ApproxPanel::Request {
  const ApproxMethod* method = nullptr;
  ParamSet params;
  QString paramsText;  ///< "k=256, share_kv=false"
  Index n = 0, dim = 0;
  bool sentence = false;
  std::string text;
  std::vector<std::string> npy;  ///< Q, K, V files, or empty
  Index heads = 1;
  Index valueDim = 0;
  double scale = 1;
  QString inputsText;  ///< "Gaussian, logit scale 1"
};

ApproxPanel::ApproxPanel(QWidget* parent) : QWidget(parent) {
  runner_ = new TaskRunner(this);
  // Controls and measures in a row across the top, the three maps below at the full width, then the sweeps.
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  layout->addLayout(top);
  form_ = new QFormLayout;
  inputsForm_ = new QFormLayout;
  buildControls();
  top->addLayout(form_);
  top->addSpacing(12);
  top->addLayout(inputsForm_);
  top->addSpacing(12);
  auto* figures = new QVBoxLayout;
  figures->addWidget(measures_);
  figures->addWidget(error_);
  figures->addStretch(1);
  top->addLayout(figures, 1);
  buildViews();
  auto* maps = new QHBoxLayout;
  for (HeatmapView* v : {exact_, approx_, diff_}) maps->addWidget(v, 1);
  layout->addLayout(maps, 5);
  QWidget* main = this;
  QVBoxLayout* mainLayout = layout;
  auto* bar = new QHBoxLayout;
  bar->addWidget(budgetSweep_);
  bar->addWidget(timeSweep_);
  bar->addWidget(new QLabel(QStringLiteral("up to n ="), main));
  bar->addWidget(sweepLimit_);
  bar->addWidget(cancel_);
  bar->addWidget(progress_, 1);
  mainLayout->addLayout(bar);
  auto* charts = new QHBoxLayout;
  charts->addWidget(budget_, 1);
  charts->addWidget(time_, 1);
  mainLayout->addLayout(charts, 3);

  connect(runner_, &TaskRunner::progress, this, [this](double f) { progress_->setValue(int(std::lround(f * 1000))); });
  connect(runner_, &TaskRunner::finished, this, [this] {
    if (task_ == QStringLiteral("budget") || task_ == QStringLiteral("time"))
      progress_->setFormat(QStringLiteral("Done: %1 of %2").arg(stepsDone_).arg(stepsTotal_));
    else
      progress_->setFormat(QStringLiteral("Measured"));
    const QString done = progress_->format();
    setBusy(false, {});
    progress_->setValue(progress_->maximum());
    progress_->setFormat(done);
  });
  connect(runner_, &TaskRunner::cancelled, this, [this] {
    if (task_ == QStringLiteral("budget"))
      budget_->setTitle(budget_->title() + QStringLiteral(" — cancelled after %1 steps").arg(budget_->points()));
    if (task_ == QStringLiteral("time"))
      time_->setTitle(time_->title() + QStringLiteral(" — cancelled after %1 sizes").arg(time_->points(true)));
    setBusy(false, {});
    progress_->setFormat(QStringLiteral("Cancelled after %1 of %2").arg(stepsDone_).arg(stepsTotal_));
  });
  connect(runner_, &TaskRunner::failed, this, [this](const QString& message) {
    showError(message);
    setBusy(false, {});
  });
}

ApproxPanel::~ApproxPanel() = default;

void ApproxPanel::buildControls() {
  method_ = new QComboBox(this);
  for (const ApproxMethod* m : approxMethods()) {
    method_->addItem(toQ(m->name()));
    method_->setItemData(method_->count() - 1, toQ(m->summary()), Qt::ToolTipRole);
  }
  method_->setCurrentText(QStringLiteral("performer"));  // FAVOR+, the method most readers know
  form_->addRow(QStringLiteral("Method"), method_);
  paramsBox_ = new QWidget(this);
  auto* paramsForm = new QFormLayout(paramsBox_);
  paramsForm->setContentsMargins(12, 0, 0, 0);
  form_->addRow(paramsBox_);
  n_ = new QSpinBox(this);
  n_->setRange(16, static_cast<int>(kMaxApproxWeightsTokens));
  n_->setValue(256);
  n_->setToolTip(QStringLiteral("sequence length (the maps show n × n weights, so at most 4,096)"));
  inputsForm_->addRow(QStringLiteral("n"), n_);
  dim_ = new QSpinBox(this);
  dim_->setRange(4, 256);
  dim_->setValue(64);
  inputsForm_->addRow(QStringLiteral("head dim d"), dim_);
  inputs_ = new QComboBox(this);
  inputs_->addItem(QStringLiteral("Gaussian"));
  inputs_->addItem(QStringLiteral("Sentence embeddings"));
  inputs_->addItem(QStringLiteral(".npy files (Q, K, V)"));
  inputs_->setToolTip(
      QStringLiteral("Gaussian Q, K, V (seed 0), the synthetic embeddings of the sentence below, or "
                     "your own Q, K and V as .npy files ([n, d] or [heads, n, d])"));
  inputsForm_->addRow(QStringLiteral("Inputs"), inputs_);
  scale_ = new QDoubleSpinBox(this);
  scale_->setRange(0.1, 8.0);
  scale_->setSingleStep(0.5);
  scale_->setValue(1.0);
  scale_->setToolTip(
      QStringLiteral("the queries are multiplied by this, so the logits have this standard deviation; "
                     "the error depends strongly on it"));
  inputsForm_->addRow(QStringLiteral("Logit scale"), scale_);
  text_ = new QLineEdit(QString::fromLatin1(kDefaultSentence), this);
  text_->setEnabled(false);
  inputsForm_->addRow(QStringLiteral("Sentence"), text_);
  files_ = new QPushButton(QStringLiteral("Choose Q, K, V…"), this);
  files_->setEnabled(false);
  files_->setToolTip(QStringLiteral("three .npy files of the same shape, [n, d] or [heads, n, d], float16/32/64"));
  inputsForm_->addRow(QStringLiteral("Files"), files_);
  connect(files_, &QPushButton::clicked, this, [this] {
    const QStringList paths = QFileDialog::getOpenFileNames(
        this, QStringLiteral("Choose Q, K and V (three .npy files, in that order or named q, k, v)"), QString(),
        QStringLiteral("NumPy arrays (*.npy)"));
    if (paths.isEmpty()) return;
    if (paths.size() != 3)
      return showError(QStringLiteral("%1 files chosen: expected three, Q, K and V").arg(paths.size()));
    // Files named q…, k…, v… go in that order; otherwise the order chosen.
    QStringList ordered = paths;
    for (const QString& p : paths) {
      const QChar c = QFileInfo(p).fileName().at(0).toLower();
      const int at = c == QLatin1Char('q') ? 0 : c == QLatin1Char('k') ? 1 : c == QLatin1Char('v') ? 2 : -1;
      if (at < 0) {
        ordered = paths;
        break;
      }
      ordered[at] = p;
    }
    setNpyInputs(ordered[0], ordered[1], ordered[2]);
  });
  error_ = new QLabel(this);
  error_->setObjectName(QStringLiteral("approxError"));
  error_->setWordWrap(true);
  error_->setStyleSheet(QStringLiteral("color: #b00020"));
  error_->hide();
  measures_ = new QLabel(this);
  measures_->setObjectName(QStringLiteral("approxMeasures"));
  measures_->setWordWrap(true);
  measures_->setMinimumWidth(280);
  measures_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  rebuildEditors();

  connect(method_, &QComboBox::currentIndexChanged, this, [this] {
    rebuildEditors();
    changed();
  });
  connect(n_, &QSpinBox::valueChanged, this, [this] { changed(); });
  connect(dim_, &QSpinBox::valueChanged, this, [this] {
    rebuildEditors();  // Performer's default nb_features follows d
    changed();
  });
  connect(inputs_, &QComboBox::currentIndexChanged, this, [this](int index) {
    text_->setEnabled(index == 1);
    scale_->setEnabled(index == 0);
    n_->setEnabled(index == 0);
    dim_->setEnabled(index != 2);
    files_->setEnabled(index == 2);
    if (index == 2 && npy_.size() != 3) return showError(QStringLiteral("choose the Q, K and V files"));
    changed();
  });
  connect(scale_, &QDoubleSpinBox::valueChanged, this, [this] { changed(); });
  connect(text_, &QLineEdit::editingFinished, this, [this] { changed(); });
}

void ApproxPanel::buildViews() {
  exact_ = new HeatmapView(this);
  approx_ = new HeatmapView(this);
  diff_ = new HeatmapView(this);
  exact_->setObjectName(QStringLiteral("approxExact"));
  approx_->setObjectName(QStringLiteral("approxMethod"));
  diff_->setObjectName(QStringLiteral("approxDifference"));
  diff_->setColorPalette(Palette::Diverging);
  for (HeatmapView* v : {exact_, approx_, diff_}) v->setMinimumWidth(200);
  auto weightText = [](float v) {
    return std::isnan(v) ? QStringLiteral("≤ 0 (see the difference)")
                         : QStringLiteral("weight ") + significantText(v, 3);
  };
  exact_->setValueText(weightText);
  approx_->setValueText(weightText);
  diff_->setValueText([](float v) { return QStringLiteral("Â − exact = ") + significantText(v, 3); });
  // Zooming one map zooms the others.
  for (HeatmapView* from : {exact_, approx_, diff_})
    connect(from, &HeatmapView::viewMovedByUser, this, [this, from](const QRectF& range) {
      for (HeatmapView* to : {exact_, approx_, diff_})
        if (to != from) to->setViewRange(range);
    });
  budgetSweep_ = new QPushButton(QStringLiteral("Sweep budget"), this);
  budgetSweep_->setToolTip(QStringLiteral("the error as the method's budget doubles from 8, on these inputs"));
  timeSweep_ = new QPushButton(QStringLiteral("Time vs n"), this);
  timeSweep_->setToolTip(QStringLiteral("the method's own kernel against the fused full kernel, n doubling from 256"));
  sweepLimit_ = new QComboBox(this);
  for (int n : {1024, 4096, 16384, 65536}) sweepLimit_->addItem(countText(n), n);
  sweepLimit_->setCurrentIndex(2);
  cancel_ = new QPushButton(QStringLiteral("Cancel"), this);
  cancel_->setEnabled(false);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  progress_->setTextVisible(true);  // what the sweep is doing: "n = 4,096 — 5 of 7", then that it is done
  progress_->setFormat(QString());
  budget_ = new BudgetChart(this);
  time_ = new ScalingChart(this);
  time_->clear(QStringLiteral("Time against n: press Time vs n"));
  connect(budgetSweep_, &QPushButton::clicked, this, &ApproxPanel::sweepBudget);
  connect(timeSweep_, &QPushButton::clicked, this, &ApproxPanel::sweepTime);
  connect(cancel_, &QPushButton::clicked, this, &ApproxPanel::cancel);
}

void ApproxPanel::rebuildEditors() {
  quiet_ = true;
  auto* form = static_cast<QFormLayout*>(paramsBox_->layout());
  while (form->rowCount() > 0) form->removeRow(0);
  editors_.clear();
  const ApproxMethod& m = findApproxMethod(method_->currentText().toStdString());
  for (const ParamSpec& spec : m.params(dim_->value())) {
    const QString name = toQ(spec.name), key = toQ(m.name()) + QLatin1Char('/') + name;
    const QString value = edited_.value(key, toQ(spec.defaultText));
    QWidget* editor = nullptr;
    if (spec.type == ParamType::Bool) {
      auto* box = new QCheckBox(paramsBox_);
      box->setChecked(value == QStringLiteral("true"));
      connect(box, &QCheckBox::toggled, this, [this, key](bool on) {
        edited_[key] = on ? QStringLiteral("true") : QStringLiteral("false");
        changed();
      });
      editor = box;
    } else if (spec.type == ParamType::Choice) {
      auto* box = new QComboBox(paramsBox_);
      for (const std::string& c : spec.choices) box->addItem(toQ(c));
      box->setCurrentText(value);
      connect(box, &QComboBox::currentTextChanged, this, [this, key](const QString& text) {
        edited_[key] = text;
        changed();
      });
      editor = box;
    } else {
      auto* box = new QSpinBox(paramsBox_);
      box->setRange(static_cast<int>(std::max<Index>(spec.min, std::numeric_limits<int>::min())),
                    static_cast<int>(std::min<Index>(spec.max, std::numeric_limits<int>::max())));
      box->setValue(value.toInt());
      box->setKeyboardTracking(false);
      connect(box, &QSpinBox::valueChanged, this, [this, key](int v) {
        edited_[key] = QString::number(v);
        changed();
      });
      editor = box;
    }
    editor->setToolTip(toQ(spec.help) + QStringLiteral(" (") + toQ(spec.allowed()) + QLatin1Char(')'));
    form->addRow(name, editor);
    editors_[name] = editor;
  }
  const QString budget = toQ(approxBudgetKey(m));
  if (budgetSweep_) {
    budgetSweep_->setEnabled(!budget.isEmpty() && !runner_->busy());
    budgetSweep_->setToolTip(budget.isEmpty() ? QString(toQ(m.name()) + QStringLiteral(" has no budget to sweep"))
                                              : QStringLiteral("the error as ") + budget +
                                                    QStringLiteral(" doubles from 8, on these inputs"));
  }
  quiet_ = false;
}

void ApproxPanel::changed() {
  if (quiet_) return;
  // The sweeps were drawn for the inputs as they were: once anything changes they say nothing true, so they go.
  if (budget_->points() > 0) budget_->clear(QStringLiteral("Error vs budget: press Sweep budget"));
  if (time_->points(true) > 0 || time_->points(false) > 0)
    time_->clear(QStringLiteral("Time against n: press Time vs n"));
  if (!isVisible()) {
    stale_ = true;
    return;
  }
  measure();
}

void ApproxPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (stale_) {
    stale_ = false;
    measure();
  }
}

void ApproxPanel::showError(const QString& message) {
  error_->setText(message);
  error_->setVisible(!message.isEmpty());
}

QString ApproxPanel::errorText() const { return error_->isVisible() ? error_->text() : QString(); }
QString ApproxPanel::measuresText() const { return measures_->text(); }

std::pair<std::string, std::vector<std::pair<std::string, std::string>>> ApproxPanel::choice() const {
  std::vector<std::pair<std::string, std::string>> texts;
  for (auto it = editors_.cbegin(); it != editors_.cend(); ++it) {
    QString value;
    if (auto* box = qobject_cast<QCheckBox*>(it.value()))
      value = box->isChecked() ? QStringLiteral("true") : QStringLiteral("false");
    else if (auto* combo = qobject_cast<QComboBox*>(it.value()))
      value = combo->currentText();
    else if (auto* spin = qobject_cast<QSpinBox*>(it.value()))
      value = QString::number(spin->value());
    texts.emplace_back(it.key().toStdString(), value.toStdString());
  }
  return {method_->currentText().toStdString(), texts};
}

std::shared_ptr<const ApproxPanel::Request> ApproxPanel::request(bool wantWeights) {
  auto r = std::make_shared<Request>();
  try {
    r->method = &findApproxMethod(method_->currentText().toStdString());
    r->dim = dim_->value();
    r->heads = 1;
    r->sentence = inputs_->currentIndex() == 1;
    if (inputs_->currentIndex() == 2) {
      if (npy_.size() != 3) throw Error("no .npy files chosen: choose Q, K and V");
      std::vector<NpyHeader> headers;
      for (const QString& path : npy_) {
        headers.push_back(readNpyHeader(path.toStdString()));
        r->npy.push_back(path.toStdString());
      }
      const std::vector<Index>& shape = headers[0].shape;
      if (shape.size() != 2 && shape.size() != 3)
        throw Error(npy_[0].toStdString() + ": expected shape [n, d] or [heads, n, d], not " +
                    std::to_string(shape.size()) + " dimensions");
      r->heads = shape.size() == 3 ? shape[0] : 1;
      r->n = shape[shape.size() - 2];
      r->dim = shape.back();
      r->valueDim = headers[2].shape.back();
      for (int f = 1; f < 3; ++f)
        if (headers[f].shape.size() != shape.size() || headers[f].shape[shape.size() - 2] != r->n ||
            (shape.size() == 3 && headers[f].shape[0] != r->heads) || (f == 1 && headers[f].shape.back() != r->dim))
          throw Error(npy_[f].toStdString() + ": its shape does not match Q's (heads, n" +
                      std::string(f == 1 ? " and d" : "") + " must agree)");
    }
    r->text = text_->text().toStdString();
    r->scale = scale_->value();
    if (r->npy.empty()) r->n = r->sentence ? static_cast<Index>(tokenize(r->text).size()) : n_->value();
    if (r->sentence && r->n < 2)
      throw Error("the sentence has " + std::to_string(r->n) + " tokens: expected at least 2");
    const std::vector<std::pair<std::string, std::string>> texts = choice().second;
    for (const auto& [key, value] : texts)
      r->paramsText += (r->paramsText.isEmpty() ? QString() : QStringLiteral(", ")) + QString::fromStdString(key) +
                       QLatin1Char('=') + QString::fromStdString(value);
    r->params = resolveApproxParams(*r->method, r->dim, texts);
    ApproxOptions options;
    options.wantWeights = wantWeights;
    if (r->valueDim == 0) r->valueDim = r->dim;
    checkApprox(*r->method, r->params, r->heads, r->n, r->dim, r->valueDim, options);
    r->inputsText =
        !r->npy.empty()
            ? QStringLiteral("%1 (%2 heads; maps of head 0)").arg(QFileInfo(npy_[0]).fileName()).arg(r->heads)
        : r->sentence ? QStringLiteral("sentence embeddings, %1 tokens").arg(r->n)
                      : QStringLiteral("Gaussian, logit scale %1").arg(significantText(r->scale, 3));
  } catch (const std::exception& e) {
    showError(QString::fromUtf8(e.what()));
    return nullptr;
  }
  showError({});
  return r;
}

void ApproxPanel::setBusy(bool busy, const QString& what) {
  task_ = busy ? what : QString();
  cancel_->setEnabled(busy);
  progress_->setValue(0);
  progress_->setFormat(busy && what == QStringLiteral("measure") ? QStringLiteral("Measuring…") : QString());
  if (busy) stepsDone_ = 0;
  const ApproxMethod& m = findApproxMethod(method_->currentText().toStdString());
  budgetSweep_->setEnabled(!busy && !approxBudgetKey(m).empty());
  timeSweep_->setEnabled(!busy);
}

void ApproxPanel::measure() {
  stale_ = false;
  const auto r = request(true);
  if (!r) return;
  runner_->startAfter(120, [this, r](const TaskRunner::Context& ctx) -> std::function<void()> {
    const AttentionInputs in = makeInputs(r->sentence, r->text, r->n, r->dim, r->scale, r->npy);
    ApproxOptions options;
    options.wantWeights = true;
    auto report = std::make_shared<ApproxReport>(measureApprox(*r->method, r->params, in, options, ctx.progress()));
    float lo = std::numeric_limits<float>::max(), hi = 0, alo = std::numeric_limits<float>::max(), ahi = 0;
    float dlo = 0, dhi = 0;
    auto exact = matrixPicture(*report->exactWeights, true, lo, hi);
    auto approx = matrixPicture(*report->weights, true, alo, ahi);
    const Matrix difference = *report->weights - *report->exactWeights;
    auto diff = matrixPicture(difference, false, dlo, dhi);
    ctx.progress().throwIfCancelled();
    return [this, r, report, exact, approx, diff, lo, hi, dlo, dhi] {
      const float top = hi, bottom = std::max(lo, top * 1e-4f);
      exact_->setValueScale(bottom, top, QStringLiteral("softmax weight (log scale)"), true);
      approx_->setValueScale(bottom, top, QStringLiteral("Â weight (log scale; grey: ≤ 0)"), true);
      const float m = std::max({std::fabs(dlo), std::fabs(dhi), 1e-6f});
      diff_->setValueScale(-m, m, QStringLiteral("Â − exact (blue: below, red: above)"));
      exact_->setPicture(exact, 0, nullptr, QStringLiteral("exact softmax"));
      approx_->setPicture(approx, 0, nullptr, toQ(r->method->name()) + QStringLiteral(" Â"));
      diff_->setPicture(diff, 0, nullptr, QStringLiteral("Â − exact"));
      const ApproxReport& a = *report;
      const QString method = toQ(r->method->name());
      QString text = QStringLiteral("<b>%1</b> %2<br>%3, n = %4, d = %5<br><br>")
                         .arg(method, r->paramsText.toHtmlEscaped(), r->inputsText, countText(r->n), countText(r->dim));
      text += QStringLiteral("output error <b>%1</b> (‖O − O_exact‖ / ‖O_exact‖)<br>")
                  .arg(significantText(a.outputRelError, 3));
      text += QStringLiteral("weights: mean row L1 <b>%1</b> from exact; uniform attention %2%3<br>")
                  .arg(significantText(a.weightsL1, 3), significantText(a.uniformL1, 3),
                       a.weightsL1 >= a.uniformL1 ? QStringLiteral(" — no better than uniform here") : QString());
      text += QStringLiteral("negative entries %1%, largest row-sum deviation %2<br>")
                  .arg(significantText(100.0 * a.negativeShare, 3), significantText(a.rowSumMaxDev, 2));
      text += QStringLiteral("%1 %2 ms, full attention (fused) %3 ms")
                  .arg(method, significantText(a.msMethod, 3), significantText(a.msFull, 3));
      if (!a.allRows)
        text += QStringLiteral("<br>(weights measured on %1 evenly spread rows)").arg(countText(a.rowsMeasured));
      measures_->setText(text);
      lastCaption_ = method + QStringLiteral(" (") + r->paramsText + QStringLiteral("), n = ") + countText(r->n) +
                     QStringLiteral(": output error ") + significantText(a.outputRelError, 3) +
                     QStringLiteral(", weights L1 ") + significantText(a.weightsL1, 3) + QStringLiteral(" (uniform ") +
                     significantText(a.uniformL1, 3) + QStringLiteral("), negative ") +
                     significantText(100.0 * a.negativeShare, 3) + QStringLiteral("%");
      last_ = std::make_unique<ApproxReport>(a);
      emit measured();
    };
  });
  setBusy(true, QStringLiteral("measure"));  // after the start: a task it replaced has ended by now
}

void ApproxPanel::sweepBudget() {
  const auto r = request(false);
  if (!r) return;
  const std::string key = approxBudgetKey(*r->method);
  if (key.empty()) return showError(toQ(r->method->name()) + QStringLiteral(" has no budget to sweep"));
  runner_->start([this, r, key](const TaskRunner::Context& ctx) -> std::function<void()> {
    const AttentionInputs in = makeInputs(r->sentence, r->text, r->n, r->dim, r->scale, r->npy);
    approxBudgetSweep(
        *r->method, r->params, key, in,
        [this, &ctx, key](const ApproxBudgetStep& step) {
          ctx.post([this, step, key] {
            budget_->addStep(step);
            progress_->setFormat(sweepStepText(key.c_str(), step.value, ++stepsDone_, stepsTotal_));
          });
        },
        ctx.progress());
    return [] {};
  });
  // After the start: a task it replaced has ended (and titled its own chart) by now; the steps arrive queued.
  budget_->clear(toQ(r->method->name()) + QStringLiteral(": error as ") + toQ(key) + QStringLiteral(" doubles, n = ") +
                 countText(r->n));
  budget_->setBudgetName(toQ(key));
  setBusy(true, QStringLiteral("budget"));
  stepsTotal_ = doublingSteps(8, std::min<Index>(r->n, 4096));  // as approxBudgetSweep doubles the budget
  progress_->setFormat(QStringLiteral("%1 = 8 — 0 of %2").arg(toQ(key)).arg(stepsTotal_));
}

void ApproxPanel::sweepTime() {
  const auto r = request(false);
  if (!r) return;
  ScalingOptions options;
  options.minN = 256;
  options.maxN = sweepLimit_->currentData().toInt();
  options.dim = r->dim;
  options.repeat = 1;
  runner_->start([this, r, options](const TaskRunner::Context& ctx) -> std::function<void()> {
    const auto points = approxScalingSweep(
        *r->method, r->params, options, r->sentence ? 1.0 : r->scale,
        [this, &ctx](const ScalingPoint& p) {
          ctx.post([this, p] {
            time_->addPoint(p);
            progress_->setFormat(sweepStepText("n", p.n, ++stepsDone_, stepsTotal_));
          });
        },
        ctx.progress());
    const Index cross = crossover(points);
    const Index last = points.empty() ? 0 : points.back().n;
    return [this, r, cross, last] {
      time_->setCrossover(cross);
      if (cross == 0) time_->setTitle(time_->title() + QStringLiteral(": not faster up to n = ") + countText(last));
    };
  });
  time_->clear(toQ(r->method->name()) + QStringLiteral(" against full attention, d = ") + countText(r->dim));
  time_->setSeriesName(toQ(r->method->name()));
  setBusy(true, QStringLiteral("time"));
  stepsTotal_ = doublingSteps(options.minN, options.maxN);
  progress_->setFormat(QStringLiteral("n = 256 — 0 of %1").arg(stepsTotal_));
}

void ApproxPanel::cancel() { runner_->cancel(); }

bool ApproxPanel::setNpyInputs(const QString& q, const QString& k, const QString& v) {
  const QStringList before = npy_;
  const int index = inputs_->currentIndex();
  npy_ = {q, k, v};
  quiet_ = true;
  inputs_->setCurrentIndex(2);
  quiet_ = false;
  if (!request(false)) {  // the message is shown; the inputs stay as they were
    npy_ = before;
    quiet_ = true;
    inputs_->setCurrentIndex(index);
    quiet_ = false;
    const QString why = error_->text();
    showError(why);
    return false;
  }
  changed();
  return true;
}

void ApproxPanel::setColorPalette(Palette palette) {
  exact_->setColorPalette(palette);
  approx_->setColorPalette(palette);
}

QString ApproxPanel::exportName() const { return QStringLiteral("approximation"); }

bool ApproxPanel::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  if (!last_) {
    if (error) *error = QStringLiteral("nothing measured yet: choose a method first");
    return false;
  }
  return HeatmapView::writeCaptioned(path, QSize(width, height), dpi, lastCaption_, {exact_, approx_, diff_}, error);
}

}  // namespace attnscope

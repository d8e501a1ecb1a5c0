#include "widgets/run/run_panel.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QTime>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "widgets/shared/gui_limits.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/shared/scaling_chart.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/view_pair.h"

namespace attnscope {

namespace {

QString ms(double v) { return numberLocale().toString(v, 'f', v < 10 ? 2 : v < 100 ? 1 : 0) + QStringLiteral(" ms"); }
QString percent(double v) { return numberLocale().toString(100.0 * v, 'f', 1) + QLatin1Char('%'); }

}  // namespace

RunPanel::RunPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  buildControlBar(layout);
  buildMaps(layout);
  buildResults(layout);
  connectRunner();
  setRunning(false);
}

// Run, Cancel, the inputs, the head dimension, the progress bar and the live timers.
void RunPanel::buildControlBar(QVBoxLayout* layout) {
  auto* bar = new QHBoxLayout;
  run_ = new QPushButton(QStringLiteral("▶ Run"), this);
  run_->setObjectName(QStringLiteral("runButton"));
  run_->setToolTip(QStringLiteral("Compute attention for the pattern and for full attention on the same inputs"));
  run_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  cancel_ = new QPushButton(QStringLiteral("■ Cancel"), this);
  cancel_->setObjectName(QStringLiteral("cancelButton"));
  cancel_->setShortcut(QKeySequence(Qt::Key_Escape));
  inputs_ = new QComboBox(this);
  inputs_->addItems(
      {QStringLiteral("Gaussian vectors (seed 0)"), QStringLiteral("the sentence (synthetic embeddings)")});
  inputs_->setToolTip(
      QStringLiteral("The sentence's tokens get synthetic embeddings, not a trained model's: "
                     "repeated words and nearby positions attend each other"));
  dim_ = new QSpinBox(this);
  dim_->setRange(4, 512);
  dim_->setValue(64);
  dim_->setPrefix(QStringLiteral("dim "));
  dim_->setToolTip(QStringLiteral("Width of each head's query, key and value vectors"));
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 1000);
  progress_->setTextVisible(false);
  progress_->setMaximumWidth(160);
  timers_ = new QLabel(this);
  timers_->setObjectName(QStringLiteral("timers"));
  QFont mono = timers_->font();
  mono.setFamily(QStringLiteral("monospace"));
  mono.setStyleHint(QFont::Monospace);
  mono.setPointSizeF(mono.pointSizeF() * 1.2);
  mono.setBold(true);
  timers_->setFont(mono);
  timers_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // a long line never widens the window
  bar->addWidget(run_);
  bar->addWidget(cancel_);
  bar->addSpacing(12);
  bar->addWidget(new QLabel(QStringLiteral("Inputs"), this));
  bar->addWidget(inputs_);
  bar->addWidget(dim_);
  bar->addSpacing(12);
  bar->addWidget(progress_);
  bar->addStretch(1);
  layout->addLayout(bar);
  layout->addWidget(timers_);
}

// The pattern's weights and full attention's, side by side, zoomed and panned together.
void RunPanel::buildMaps(QVBoxLayout* layout) {
  patternView_ = new HeatmapView;
  patternView_->setObjectName(QStringLiteral("runPattern"));
  fullView_ = new HeatmapView;
  fullView_->setObjectName(QStringLiteral("runFull"));
  layout->addWidget(new ViewPair(patternView_, fullView_, this));
  for (HeatmapView* from : {patternView_, fullView_})
    connect(from, &HeatmapView::viewMovedByUser, this,
            [this, from](const QRectF& r) { (from == patternView_ ? fullView_ : patternView_)->setViewRange(r); });
  auto weightText = [](float v) {
    return std::isnan(v) ? QStringLiteral("masked out") : QStringLiteral("softmax weight %1").arg(double(v), 0, 'g', 3);
  };
  patternView_->setValueText(weightText);
  fullView_->setValueText(weightText);
}

// Below: the results, the session's run log, and the scaling sweep with its chart.
void RunPanel::buildResults(QVBoxLayout* layout) {
  auto* bottom = new QWidget(this);
  auto* bottomLayout = new QHBoxLayout(bottom);
  bottomLayout->setContentsMargins(0, 0, 0, 0);
  auto* left = new QVBoxLayout;
  results_ = new QLabel(bottom);
  results_->setObjectName(QStringLiteral("runResults"));
  results_->setWordWrap(true);
  results_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  results_->setText(QStringLiteral("Press Run to time the pattern against full attention on the same inputs."));
  left->addWidget(results_);
  log_ = new QTableWidget(0, 10, bottom);
  log_->setObjectName(QStringLiteral("runLog"));
  log_->setHorizontalHeaderLabels({QStringLiteral("#"), QStringLiteral("pattern"), QStringLiteral("n"),
                                   QStringLiteral("heads × dim"), QStringLiteral("inputs"), QStringLiteral("pattern"),
                                   QStringLiteral("full"), QStringLiteral("speed-up"), QStringLiteral("mass kept"),
                                   QStringLiteral("output error")});
  log_->verticalHeader()->hide();
  log_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  log_->setSelectionBehavior(QAbstractItemView::SelectRows);
  log_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  log_->horizontalHeader()->setStretchLastSection(true);
  left->addWidget(log_, 1);
  bottomLayout->addLayout(left, 3);
  auto* right = new QVBoxLayout;
  auto* sweepBar = new QHBoxLayout;
  sweep_ = new QPushButton(QStringLiteral("Sweep"), bottom);
  sweep_->setObjectName(QStringLiteral("sweepButton"));
  sweep_->setToolTip(QStringLiteral("Time the pattern and full attention for n = 256, 512, … up to the limit"));
  sweepLimit_ = new QComboBox(bottom);
  for (Index n = 1024; n <= 65536; n *= 2)
    sweepLimit_->addItem(numberLocale().toString(qlonglong(n)), QVariant::fromValue(qlonglong(n)));
  sweepLimit_->setCurrentIndex(3);  // 8,192: a few seconds on a laptop
  sweepBar->addWidget(new QLabel(QStringLiteral("Scaling: n from 256 to"), bottom));
  sweepBar->addWidget(sweepLimit_);
  sweepBar->addWidget(sweep_);
  sweepBar->addStretch(1);
  right->addLayout(sweepBar);
  chart_ = new ScalingChart(bottom);
  right->addWidget(chart_, 1);
  bottomLayout->addLayout(right, 2);
  layout->addWidget(bottom, 1);
}

// The runner's signals: progress, rows as they finish, and every way a run or a sweep ends.
void RunPanel::connectRunner() {
  runner_ = new AttentionRunner(this);
  connect(run_, &QPushButton::clicked, this, &RunPanel::run);
  connect(cancel_, &QPushButton::clicked, this, &RunPanel::cancel);
  connect(sweep_, &QPushButton::clicked, this, &RunPanel::sweep);
  connect(runner_, &AttentionRunner::progress, this, [this](double f) { progress_->setValue(int(1000 * f)); });
  connect(runner_, &AttentionRunner::tick, this, &RunPanel::onTick);
  connect(runner_, &AttentionRunner::finished, this, &RunPanel::onFinished);
  connect(runner_, &AttentionRunner::cancelled, this, [this] {
    const qint64 took = cancelClock_.isValid() ? cancelClock_.elapsed() : 0;
    setRunning(false);
    const QString what = sweeping_ ? QStringLiteral("Sweep") : QStringLiteral("Run");
    results_->setText(QStringLiteral("%1 cancelled; it stopped %2 ms after Cancel.").arg(what).arg(took));
    if (sweeping_) chart_->clear(chart_->title() + QStringLiteral(" — cancelled"));
    sweeping_ = false;
  });
  connect(runner_, &AttentionRunner::failed, this, [this](const QString& message) {
    setRunning(false);
    sweeping_ = false;
    results_->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(message.toHtmlEscaped()));
  });
  connect(runner_, &AttentionRunner::sweepPoint, this, [this](const ScalingPoint& p) {
    chart_->addPoint(p);
    results_->setText(QStringLiteral("Sweeping: ") + sweepStepText("n", p.n, ++sweepDone_, sweepTotal_));
  });
  connect(runner_, &AttentionRunner::sweepFinished, this, [this](const std::vector<ScalingPoint>& points) {
    setRunning(false);
    sweeping_ = false;
    const Index n = crossover(points);
    chart_->setCrossover(n);
    QStringList skipped;
    for (const ScalingPoint& p : points)
      if (!p.skipped.empty()) skipped << QStringLiteral("n = %1: %2").arg(p.n).arg(QString::fromStdString(p.skipped));
    QString text = n > 0 ? QStringLiteral("The pattern is faster than full attention from n = %1 on.")
                               .arg(numberLocale().toString(qlonglong(n)))
                         : QStringLiteral("The pattern was not faster than full attention at any n measured.");
    if (!skipped.isEmpty())
      text += QStringLiteral("<br>Skipped: ") + skipped.join(QStringLiteral("; ")).toHtmlEscaped();
    results_->setText(QStringLiteral("Sweep done (%1 sizes). ").arg(points.size()) + text);
  });
}

RunPanel::~RunPanel() = default;

QString RunPanel::resultsText() const { return results_->text(); }
QString RunPanel::timersText() const { return timers_->text(); }

bool RunPanel::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  QString caption = timers_->text();
  if (last_) {
    const Comparison& c = last_->comparison;
    caption = QStringLiteral("%1: %2, full attention: %3 (%4× speed-up); mass kept %5, output error %6")
                  .arg(last_->request.mask->choice.pattern, ms(c.msPattern), ms(c.msFull),
                       numberLocale().toString(c.speedup, 'f', 1), percent(c.massKept), percent(c.relError));
  }
  return HeatmapView::writeCaptioned(path, QSize(width, height), dpi, caption, {patternView_, fullView_}, error);
}

QString RunPanel::exportName() const {
  return (result_ ? fileStem(result_->choice) : QStringLiteral("pattern")) + QStringLiteral("-run");
}

void RunPanel::setColorPalette(Palette palette) {
  patternView_->setColorPalette(palette);
  fullView_->setColorPalette(palette);
}

void RunPanel::setRunning(bool running) {
  run_->setEnabled(!running && result_ != nullptr);
  sweep_->setEnabled(!running && result_ != nullptr);
  cancel_->setEnabled(running);
  progress_->setVisible(running);
  if (running) progress_->setValue(0);
}

void RunPanel::setResult(std::shared_ptr<const MaskResult> result) {
  // A sweep describes the pattern it timed (at every n): another pattern or parameter clears it rather than leave
  // it beside the new one.
  if (result_ && result && !sweeping_ && chart_->points(true) > 0 &&
      (result_->choice.pattern != result->choice.pattern || result_->choice.params != result->choice.params))
    chart_->clear(QStringLiteral("Scaling sweep: the pattern changed — press Sweep"));
  result_ = std::move(result);
  inputs_->setItemData(1, result_ && !result_->tokens.isEmpty() ? QVariant() : QVariant(0), Qt::UserRole - 1);
  if (result_ && result_->tokens.isEmpty()) inputs_->setCurrentIndex(0);
  if (!runner_->busy()) {
    setRunning(false);
    previewStale_ = !isVisible();  // drawn when the tab is shown: a hidden tab costs a parameter change nothing
    if (!previewStale_) showPreview();
  }
}

void RunPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (previewStale_ && !runner_->busy()) {
    previewStale_ = false;
    showPreview();
  }
}

void RunPanel::setHead(int head) {
  head_ = std::max(0, head);
  if (last_ && !runner_->busy()) showWeights();
}

// Before a run: the pattern's mask beside full attention's, as the two runs will cover them.
void RunPanel::showPreview() {
  if (!result_) return;
  auto full = std::make_shared<MaskPicture>();
  full->n = result_->picture->n;
  full->side = result_->picture->side;
  full->heads.emplace_back(static_cast<std::size_t>(full->side) * full->side, 1.0f);
  patternView_->clearValueScale();
  fullView_->clearValueScale();
  patternView_->setTokens(result_->tokens);
  fullView_->setTokens(result_->tokens);
  const int h = std::min(head_, static_cast<int>(result_->picture->heads.size()) - 1);
  patternView_->setPicture(result_->picture, h, result_->mask, QStringLiteral("pattern (not run yet)"));
  fullView_->setPicture(full, 0, nullptr, QStringLiteral("full attention (not run yet)"));
  timers_->setText(QStringLiteral("pattern —   full attention —"));
}

void RunPanel::run() {
  if (!result_ || runner_->busy()) return;
  RunRequest request;
  request.mask = result_;
  request.dim = dim_->value();
  request.fromSentence = inputs_->currentIndex() == 1;
  if (!runner_->run(request)) return;
  running_ = result_;
  sweeping_ = false;
  cancelClock_.invalidate();
  setRunning(true);
  results_->setText(QStringLiteral("Running…"));
  startFill();
}

void RunPanel::sweep() {
  if (!result_ || runner_->busy()) return;
  ScalingOptions options;
  options.minN = 256;
  options.maxN = sweepLimit_->currentData().toLongLong();
  options.dim = dim_->value();
  if (!runner_->sweep(result_->choice, options)) return;
  sweeping_ = true;
  cancelClock_.invalidate();
  setRunning(true);
  chart_->clear(QStringLiteral("%1 against full attention, dim %2").arg(result_->choice.pattern).arg(options.dim));
  sweepDone_ = 0;
  sweepTotal_ = doublingSteps(options.minN, options.maxN);
  results_->setText(
      QStringLiteral("Sweeping n = 256 … %1: %2 sizes…").arg(sweepLimit_->currentText()).arg(sweepTotal_));
}

void RunPanel::cancel() {
  if (!runner_->busy()) return;
  cancelClock_.start();
  runner_->cancel();
}

void RunPanel::startFill() {
  // The filling maps are at most 512 cells a side (256 above that): they are redrawn many times a second, and the
  // event loop must stay free to answer Cancel at once. The pattern's map is averaged down from its picture.
  const MaskPicture& mask = *running_->picture;
  const int side = mask.side <= 512 ? mask.side : 256;
  const int h = std::min(head_, static_cast<int>(mask.heads.size()) - 1);
  fillMask_.assign(static_cast<std::size_t>(side) * side, 0.0f);
  std::vector<int> count(fillMask_.size(), 0);
  for (int r = 0; r < mask.side; ++r)
    for (int c = 0; c < mask.side; ++c) {
      const std::size_t to = static_cast<std::size_t>(Index(r) * side / mask.side) * side + Index(c) * side / mask.side;
      fillMask_[to] += mask.heads[h][static_cast<std::size_t>(r) * mask.side + c];
      ++count[to];
    }
  for (std::size_t i = 0; i < fillMask_.size(); ++i) fillMask_[i] /= float(std::max(1, count[i]));
  for (int f = 0; f < 2; ++f) {
    auto p = std::make_shared<MaskPicture>();
    p->n = mask.n;
    p->side = side;
    p->heads.emplace_back(static_cast<std::size_t>(side) * side, 0.0f);
    fill_[f] = std::move(p);
    rowsDone_[f].assign(static_cast<std::size_t>(side), 0);
  }
  fillHead_ = h;
  sinceRedraw_.start();
  patternView_->clearValueScale();
  fullView_->clearValueScale();
  patternView_->setPicture(fill_[0], 0, running_->mask, QStringLiteral("pattern: rows computed"));
  fullView_->setPicture(fill_[1], 0, nullptr, QStringLiteral("full attention: rows computed"));
  timers_->setText(QStringLiteral("starting…"));
}

void RunPanel::onTick(int stage, const std::vector<double>& milliseconds, const std::vector<RowsDone>& rows) {
  if (!running_ || !fill_[0]) return;
  const Index n = fill_[0]->n;
  const int side = fill_[0]->side;
  // Map row r holds the token rows i with ⌊i·side/n⌋ = r: from ⌈r·n/side⌉ to ⌈(r+1)·n/side⌉.
  auto firstRow = [&](Index r) { return (r * n + side - 1) / side; };
  for (const RowsDone& done : rows) {
    if (done.head != fillHead_) continue;
    const int f = done.full ? 1 : 0;
    std::vector<float>& picture = fill_[f]->heads[0];
    for (Index i = done.begin; i < done.end; ++i) {
      const Index r = i * side / n;
      if (++rowsDone_[f][r] != firstRow(r + 1) - firstRow(r)) continue;
      float* row = picture.data() + static_cast<std::size_t>(r) * side;
      if (f == 1)
        std::fill(row, row + side, 1.0f);
      else
        std::copy_n(fillMask_.data() + static_cast<std::size_t>(r) * side, side, row);
      fillChanged_ = true;
    }
  }
  if (fillChanged_ && sinceRedraw_.elapsed() >= 100) {  // ten pictures a second are enough to watch
    fillChanged_ = false;
    sinceRedraw_.restart();
    patternView_->setPicture(fill_[0], 0, running_->mask, patternView_->title());
    fullView_->setPicture(fill_[1], 0, nullptr, fullView_->title());
  }
  auto part = [&](int s, const QString& name) -> QString {
    if (s >= static_cast<int>(milliseconds.size())) return name + QStringLiteral(" —");
    return name + QLatin1Char(' ') + ms(milliseconds[s]) + (s == stage ? QStringLiteral(" …") : QStringLiteral(" ✓"));
  };
  timers_->setText(part(0, QStringLiteral("pattern")) + QStringLiteral("   ") +
                   part(1, QStringLiteral("full attention")) +
                   (stage >= 2 ? QStringLiteral("   mass kept and weights …") : QString()));
}

void RunPanel::onFinished(const RunResult& result) {
  setRunning(false);
  if (fillChanged_) {  // the last rows, held back by the redraw limit
    fillChanged_ = false;
    patternView_->setPicture(fill_[0], 0, running_->mask, patternView_->title());
    fullView_->setPicture(fill_[1], 0, nullptr, fullView_->title());
  }
  last_ = std::make_unique<RunResult>(result);
  const Comparison& c = result.comparison;
  const MaskResult& m = *result.request.mask;
  timers_->setText(QStringLiteral("pattern %1 ✓   full attention %2 ✓").arg(ms(c.msPattern), ms(c.msFull)));
  const QString speed = std::abs(c.speedup - 1) < 0.05 ? QStringLiteral("about as fast")
                        : c.speedup >= 1
                            ? QStringLiteral("%1× faster").arg(numberLocale().toString(c.speedup, 'f', 1))
                            : QStringLiteral("%1× slower").arg(numberLocale().toString(1.0 / c.speedup, 'f', 1));
  QString text =
      QStringLiteral(
          "<b>%1</b> in %2 (%3 GFLOP/s useful) against <b>full attention</b> in %4 (%5 GFLOP/s): "
          "<b>%6</b>.<br>Attention mass kept <b>%7</b>; output error <b>%8</b> "
          "(‖O<sub>pattern</sub> − O<sub>full</sub>‖ / ‖O<sub>full</sub>‖).<br>")
          .arg(m.choice.pattern.toHtmlEscaped(), ms(c.msPattern), numberLocale().toString(c.gflopsPattern, 'f', 1),
               ms(c.msFull), numberLocale().toString(c.gflopsFull, 'f', 1), speed, percent(c.massKept),
               percent(c.relError));
  text += QStringLiteral("n = %1, %2 head%3 × dim %4, inputs: %5.")
              .arg(numberLocale().toString(qlonglong(m.choice.n)))
              .arg(result.heads)
              .arg(result.heads == 1 ? QString() : QStringLiteral("s"))
              .arg(result.request.dim)
              .arg(result.inputs);
  if (c.relError > 1)
    text += QStringLiteral(
        " An error above 100% means full attention's output is small: on random inputs each query "
        "averages nearly every value, which cancels out.");
  if (c.emptyRows > 0)
    text += QStringLiteral(" %1 query rows had no key and give zero output.")
                .arg(numberLocale().toString(qlonglong(c.emptyRows)));
  if (!result.weightsPattern)
    text += QStringLiteral(" Weights are drawn up to %1 tokens; above, the maps show which rows each run computed.")
                .arg(numberLocale().toString(kMaxPictureSide));
  results_->setText(text);
  ++runs_;
  log_->insertRow(0);
  const QStringList cells{QString::number(runs_),
                          m.choice.pattern,
                          numberLocale().toString(qlonglong(m.choice.n)),
                          QStringLiteral("%1 × %2").arg(result.heads).arg(result.request.dim),
                          result.inputs,
                          ms(c.msPattern),
                          ms(c.msFull),
                          numberLocale().toString(c.speedup, 'f', 2) + QStringLiteral("×"),
                          percent(c.massKept),
                          percent(c.relError)};
  for (int i = 0; i < cells.size(); ++i) log_->setItem(0, i, new QTableWidgetItem(cells[i]));
  log_->item(0, 1)->setToolTip(m.title);
  showWeights();
}

void RunPanel::showWeights() {
  if (!last_ || !last_->weightsPattern) return;
  const RunResult& r = *last_;
  const int h = std::min(head_, r.heads - 1);
  const QString head = r.heads > 1 ? QStringLiteral(", head %1").arg(h) : QString();
  const double lo = std::max<double>(r.minWeight, 1e-6), hi = std::max<double>(r.maxWeight, lo * 10);
  for (HeatmapView* v : {patternView_, fullView_}) {
    v->setValueScale(lo, hi, QStringLiteral("softmax weight (log scale; grey: masked)"), true);
    v->setTokens(r.request.mask->tokens);
  }
  patternView_->setPicture(r.weightsPattern, h, r.request.mask->mask,
                           QStringLiteral("pattern: softmax weights") + head);
  fullView_->setPicture(r.weightsFull, h, nullptr, QStringLiteral("full attention: softmax weights") + head);
}

}  // namespace attnscope

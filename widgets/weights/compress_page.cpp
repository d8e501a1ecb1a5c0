#include "widgets/weights/compress_page.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"
#include "engine/util/limits.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/palettes.h"
#include "widgets/shared/task_runner.h"
#include "widgets/weights/cost_charts.h"
#include "widgets/weights/page_parts.h"
#include "widgets/weights/text_choice.h"

namespace attnscope {

namespace {

// The ways of holding the weights, in the order the Weights box lists them.
struct Holding {
  const char* label;
  WeightStorage storage;
  bool mixed;
};
constexpr Holding kHoldings[] = {
    {"float32 (as read)", WeightStorage::Float32, false},  {"fp16 weights", WeightStorage::Fp16, false},
    {"bf16 weights", WeightStorage::Bf16, false},          {"fp16, computed in fp16", WeightStorage::Fp16, true},
    {"bf16, computed in bf16", WeightStorage::Bf16, true}, {"int8 (dynamic)", WeightStorage::Int8, false},
};

constexpr int kPauseMs = 150;  // a dragged slider measures once it rests

QString percent(double share) { return fixedText(100 * share, share < 0.1 ? 1 : 0) + QLatin1Char('%'); }

QString bytesText(double bytes) {
  if (bytes >= 1e9) return fixedText(bytes / 1e9, 2) + QStringLiteral(" GB");
  if (bytes >= 1e6) return fixedText(bytes / 1e6, 2) + QStringLiteral(" MB");
  return fixedText(bytes / 1e3, 1) + QStringLiteral(" kB");
}

}  // namespace

HeadMap::HeadMap(QWidget* parent) : PaintedPicture(parent) { setMinimumSize(220, 110); }

void HeadMap::setValues(std::vector<std::vector<double>> values, std::set<HeadId> removed, const QString& title) {
  values_ = std::move(values);
  removed_ = std::move(removed);
  title_ = title;
  update();
}

void HeadMap::draw(QPainter& p, QSizeF size) const {
  p.fillRect(QRectF(QPointF(0, 0), size), Qt::white);
  p.setRenderHint(QPainter::Antialiasing, false);
  QFont font = this->font();
  const double line = QFontMetricsF(font).height();
  QFont bold = font;
  bold.setBold(true);
  p.setFont(bold);
  const QRectF titleRect(0, 0, size.width(), 2.2 * line);
  p.drawText(titleRect, Qt::AlignCenter | Qt::TextWordWrap, title_);
  if (values_.empty() || values_[0].empty()) {
    cell_ = 0;
    return;
  }
  p.setFont(font);
  const int layers = int(values_.size()), heads = int(values_[0].size());
  double top = 1e-9;
  for (const auto& row : values_)
    for (double v : row)
      if (std::isfinite(v)) top = std::max(top, v);
  // Square cells, as large as the room allows beside the layer names, under the title, above the head numbers and
  // the colour scale.
  const double left = QFontMetricsF(font).horizontalAdvance(QStringLiteral("layer 00")) + 8;
  const double below = 3.4 * line;
  cell_ =
      std::max(4.0, std::min((size.width() - left - 8) / heads, (size.height() - titleRect.height() - below) / layers));
  const double x0 = left + std::max(0.0, (size.width() - left - 8 - cell_ * heads) / 2), y0 = titleRect.height();
  for (int l = 0; l < layers; ++l) {
    p.setPen(Qt::black);
    p.drawText(QRectF(0, y0 + l * cell_, x0 - 6, cell_), Qt::AlignRight | Qt::AlignVCenter,
               QStringLiteral("layer %1").arg(l));
    for (int h = 0; h < heads; ++h) {
      const QRectF cell(x0 + h * cell_, y0 + l * cell_, cell_, cell_);
      if (removed_.count({l, h})) {
        p.fillRect(cell, QColor(0xdd, 0xdd, 0xdd));
        p.setPen(QPen(QColor(0x55, 0x55, 0x55), 2));
        p.drawLine(cell.topLeft() + QPointF(3, 3), cell.bottomRight() - QPointF(3, 3));
        p.drawLine(cell.topRight() + QPointF(-3, 3), cell.bottomLeft() + QPointF(3, -3));
      } else {
        const double v = values_[std::size_t(l)][std::size_t(h)];
        p.fillRect(cell, paletteColorAt(Palette::Viridis, std::isfinite(v) ? v / top : 0));
      }
      p.setPen(QPen(Qt::white, 1));
      p.drawRect(cell);
    }
  }
  p.setPen(Qt::black);
  const double yHeads = y0 + layers * cell_;
  const int step = cell_ < QFontMetricsF(font).horizontalAdvance(QStringLiteral("00")) + 4 ? 2 : 1;
  for (int h = 0; h < heads; h += step)
    p.drawText(QRectF(x0 + h * cell_, yHeads, cell_, line), Qt::AlignCenter, QString::number(h));
  p.drawText(QRectF(x0, yHeads + line, cell_ * heads, line), Qt::AlignCenter, QStringLiteral("head"));
  // The colour scale: 0 … the largest divergence shown.
  const QString scale = QStringLiteral("0 … %1 nats").arg(significantText(top, 2));
  const double scaleW = QFontMetricsF(font).horizontalAdvance(scale) + 8;
  const double barW = std::max(40.0, std::min(cell_ * heads, size.width() - x0 - scaleW - 4)), barX = x0,
               barY = yHeads + 2.1 * line;
  for (int i = 0; i < int(barW); ++i)
    p.fillRect(QRectF(barX + i, barY, 1, 0.8 * line), paletteColorAt(Palette::Viridis, i / std::max(1.0, barW - 1)));
  p.drawText(QRectF(barX + barW + 6, barY - 0.2 * line, scaleW, line * 1.2), Qt::AlignLeft | Qt::AlignVCenter, scale);
}

CompressPage::CompressPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  prune_ = new QSlider(Qt::Horizontal, this);
  prune_->setObjectName(QStringLiteral("compressPrune"));
  prune_->setRange(0, 18);  // steps of 5%
  prune_->setMinimumWidth(120);
  prune_->setToolTip(QStringLiteral(
      "the share of the linear layers' weights pruned, the smallest |w| first (PyTorch's l1_unstructured)"));
  pruneValue_ = new QLabel(QStringLiteral("0%"), this);
  pruneValue_->setMinimumWidth(QFontMetrics(font()).horizontalAdvance(QStringLiteral("100%")));
  pruneScope_ = new QComboBox(this);
  pruneScope_->setObjectName(QStringLiteral("compressScope"));
  pruneScope_->addItems({QStringLiteral("of each layer"), QStringLiteral("of all layers together")});
  pruneScope_->setToolTip(QStringLiteral(
      "each weight matrix loses that share (l1_unstructured), or one ranking over all of them (global_unstructured)"));
  heads_ = new QSpinBox(this);
  heads_->setObjectName(QStringLiteral("compressHeads"));
  heads_->setRange(0, 0);
  heads_->setToolTip(QStringLiteral("whole attention heads removed, the least important first"));
  headScore_ = new QComboBox(this);
  headScore_->setObjectName(QStringLiteral("compressHeadScore"));
  headScore_->addItems({QStringLiteral("by output norm"), QStringLiteral("by entropy")});
  headScore_->setToolTip(QStringLiteral(
      "output norm: the mean length of what a head adds to the residual stream (the smallest go); entropy: how spread "
      "out its attention is (the most spread out go)"));
  storage_ = new QComboBox(this);
  storage_->setObjectName(QStringLiteral("compressStorage"));
  for (const Holding& h : kHoldings) storage_->addItem(QString::fromUtf8(h.label));
  storage_->setToolTip(QStringLiteral(
      "how the linear layers hold their weights: rounded to fp16 or bf16 (optionally computing in it), or quantized to "
      "int8 as torch.quantization.quantize_dynamic does, with integer products"));
  bar->addWidget(new QLabel(QStringLiteral("Prune"), this));
  bar->addWidget(prune_);
  bar->addWidget(pruneValue_);
  bar->addWidget(pruneScope_);
  bar->addSpacing(12);
  bar->addWidget(new QLabel(QStringLiteral("Remove heads"), this));
  bar->addWidget(heads_);
  bar->addWidget(headScore_);
  bar->addStretch(1);
  layout->addLayout(bar);

  auto* bar2 = new QHBoxLayout;
  text_ = new TextChoice(QStringLiteral("compressText"), /*withFile=*/false, this);
  text_->setOnProblem([this](const QString& text) { showMessage(text); });
  for (QComboBox* box : {pruneScope_, headScore_, storage_, static_cast<QComboBox*>(text_)}) {
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(10);
  }
  auto button = [this](const QString& label, const char* name, const QString& tip) {
    return pageButton(this, label, name, tip);
  };
  measure_ = button(QStringLiteral("Measure"), "compressMeasure",
                    QStringLiteral("compress a copy as set, run both on the text, compare; a row of the table"));
  set_ = button(QStringLiteral("Measure a set"), "compressSet",
                QStringLiteral("eight combinations at once: nothing, fp16, bf16, int8, 20% of each layer, 50% of all "
                               "together, a fifth of the heads, 20% then int8"));
  cancel_ = button(QStringLiteral("Cancel"), "compressCancel", QStringLiteral("stop the run"));
  cancel_->setEnabled(false);
  clear_ = button(QStringLiteral("Clear"), "compressClear", QStringLiteral("empty the table and the chart"));
  export_ = button(QStringLiteral("Export…"), "compressExport",
                   QStringLiteral("the table as JSON (compress --json's keys), or the map and the chart as a PNG"));
  progress_ = pageProgress(this);
  bar2->addWidget(new QLabel(QStringLiteral("Weights"), this));
  bar2->addWidget(storage_);
  bar2->addSpacing(12);
  bar2->addWidget(new QLabel(QStringLiteral("on"), this));
  bar2->addWidget(text_);
  bar2->addWidget(measure_);
  bar2->addWidget(set_);
  bar2->addWidget(cancel_);
  bar2->addWidget(clear_);
  bar2->addWidget(export_);
  bar2->addWidget(progress_);
  bar2->addStretch(1);
  layout->addLayout(bar2);

  lines_ = addPageLines(this, layout, QStringLiteral("compress"));
  summary_ = lines_.summary;
  note_ = lines_.note;
  message_ = lines_.message;

  auto* views = new QHBoxLayout;
  map_ = new HeadMap(this);
  map_->setObjectName(QStringLiteral("compressHeadMap"));
  chart_ = new TradeOffChart(this);
  chart_->setObjectName(QStringLiteral("compressChart"));
  chart_->setXLabel(QStringLiteral("linear layers' bytes, share of float32's (log)"));
  chart_->setPointsName(QStringLiteral("combinations (#)"));
  chart_->setMinimumPlotHeight(110);  // the table below needs the room on a 1280 × 720 projector
  chart_->clear(QStringLiteral("size and quality: one point a combination"));
  views->addWidget(map_, 2);
  views->addWidget(chart_, 3);
  layout->addLayout(views, 3);
  table_ = new QTableWidget(0, 8, this);
  table_->setObjectName(QStringLiteral("compressTable"));
  table_->setHorizontalHeaderLabels({QStringLiteral("#"), QStringLiteral("Compression"), QStringLiteral("Bytes"),
                                     QStringLiteral("of float32"), QStringLiteral("Weights ≠ 0"),
                                     QStringLiteral("Top-1 agreement"), QStringLiteral("KL mean"),
                                     QStringLiteral("ms a pass")});
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
  table_->verticalHeader()->hide();
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  // Its header and a row at least (it grows with the room): the page must fit a 1280 × 720 projector with the
  // tab's controls above it.
  table_->setMinimumHeight(4 * fontMetrics().height());
  table_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Ignored);
  layout->addWidget(table_, 2);

  runner_ = new TaskRunner(this);
  showRunnerOn(runner_, this, cancel_, progress_, lines_, [this] { emit ended(); });
  connect(prune_, &QSlider::valueChanged, this, [this](int v) {
    pruneValue_->setText(QString::number(5 * v) + QLatin1Char('%'));
    scheduleMeasure();
  });
  for (QComboBox* box : {pruneScope_, headScore_, storage_})
    connect(box, &QComboBox::currentIndexChanged, this, &CompressPage::scheduleMeasure);
  connect(heads_, &QSpinBox::valueChanged, this, &CompressPage::scheduleMeasure);
  connect(measure_, &QPushButton::clicked, this, &CompressPage::measure);
  connect(set_, &QPushButton::clicked, this, &CompressPage::measureSet);
  connect(cancel_, &QPushButton::clicked, this, &CompressPage::cancel);
  connect(clear_, &QPushButton::clicked, this, &CompressPage::clearTable);
  connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) {
    if (row >= 0 && row < int(rows_.size())) showRow(rows_[std::size_t(row)]);
  });
  connect(export_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export the compressions"),
                                                      QStringLiteral("compressions.json"),
                                                      QStringLiteral("Measures (*.json);;Pictures (*.png)"));
    QString error;
    if (!path.isEmpty() && !exportTo(path, &error)) showMessage(error);
  });
  summary_->setText(QStringLiteral(
      "The other road to a cheaper model: prune its weights, remove whole heads, halve their precision or quantize "
      "them to int8 — and see which heads and which answers change. Move a control, or Measure."));
  note_->setText(QStringLiteral(
      "Each combination is applied in order (heads, then pruning, then precision) to a copy of the model running "
      "above, and compared with it on the text: each head's Jensen–Shannon divergence on the map, the answers and "
      "the bytes in the table, a point on the chart."));
}

CompressPage::~CompressPage() = default;

void CompressPage::setModel(std::shared_ptr<const RuntimeModel> model, std::function<QString()> textAbove) {
  model_ = std::move(model);
  text_->setTextAbove(std::move(textAbove));
  const QSignalBlocker block(heads_);
  heads_->setRange(0, model_ ? model_->model->layers() * model_->model->heads() - 1 : 0);
  clearTable();
}

void CompressPage::setPrune(double amount, bool global) {
  const QSignalBlocker a(prune_), b(pruneScope_);
  prune_->setValue(int(std::lround(std::clamp(amount, 0.0, 0.9) * 20)));
  pruneValue_->setText(QString::number(5 * prune_->value()) + QLatin1Char('%'));
  pruneScope_->setCurrentIndex(global ? 1 : 0);
}

void CompressPage::setPruneHeads(int count, HeadScore score) {
  const QSignalBlocker a(heads_), b(headScore_);
  heads_->setValue(count);
  headScore_->setCurrentIndex(score == HeadScore::OutputNorm ? 0 : 1);
}

void CompressPage::setStorage(WeightStorage storage, bool mixed) {
  const QSignalBlocker block(storage_);
  for (int i = 0; i < int(std::size(kHoldings)); ++i)
    if (kHoldings[i].storage == storage && kHoldings[i].mixed == mixed) storage_->setCurrentIndex(i);
}

bool CompressPage::setSample(const QString& name) { return text_->setSample(name); }

CompressionPlan CompressPage::plan() const {
  CompressionPlan p;
  p.pruneHeads = heads_->value();
  p.headScore = headScore_->currentIndex() == 0 ? HeadScore::OutputNorm : HeadScore::Entropy;
  if (prune_->value() > 0) p.prune.push_back({prune_->value() / 20.0, pruneScope_->currentIndex() == 1});
  const Holding& h = kHoldings[std::size_t(std::max(0, storage_->currentIndex()))];
  p.storage = h.storage;
  p.mixed = h.mixed;
  return p;
}

bool CompressPage::busy() const { return runner_->busy(); }
QString CompressPage::summary() const { return summary_->text(); }
QString CompressPage::message() const { return lines_.messageText(); }
QString CompressPage::note() const { return note_->text(); }
int CompressPage::rows() const { return int(rows_.size()); }

void CompressPage::showMessage(const QString& text) { lines_.showMessage(text); }

std::optional<std::string> CompressPage::chosenText() { return text_->chosen(model_.get()); }

void CompressPage::scheduleMeasure() {
  if (!model_ || !isVisible()) return;  // nothing to compress, or the page is not looked at: Measure runs it
  measure();
}

void CompressPage::measure() { run({plan()}, kPauseMs); }

void CompressPage::measureSet() {
  // A lesson's worth in one press: each road alone, then two combined.
  std::vector<CompressionPlan> plans(8);
  plans[1].storage = WeightStorage::Fp16;
  plans[2].storage = WeightStorage::Bf16;
  plans[3].storage = WeightStorage::Int8;
  plans[4].prune = {{0.2, false}};
  plans[5].prune = {{0.5, true}};
  plans[6].pruneHeads = model_ ? std::max(1, model_->model->layers() * model_->model->heads() / 5) : 1;
  plans[7].prune = {{0.2, false}};
  plans[7].storage = WeightStorage::Int8;
  if (!model_) {
    measure();  // says what is missing
    return;
  }
  run(plans, 0);
}

void CompressPage::run(std::vector<CompressionPlan> plans, int pauseMs) {
  showMessage({});
  if (!model_) {
    showMessage(QStringLiteral(
        "no model is running: press stories260K or Open model… above; this page compresses the model running here"));
    return;
  }
  if (!model_->model->hasLogits()) {
    showMessage(
        QStringLiteral("this model was saved without its head: it gives attention but no predictions to "
                       "compare; open one with its masked-LM or language-model head"));
    return;
  }
  const std::optional<std::string> text = chosenText();
  if (!text) return;
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    showMessage(QStringLiteral("the text is empty: type a text above or choose a sample"));
    return;
  }
  const std::shared_ptr<const RuntimeModel> model = model_;
  const std::string chosen = *text;
  auto work = [this, model, chosen, plans](const TaskRunner::Context& context) -> std::function<void()> {
    const std::vector<int> ids = encodeText(*model, chosen);
    model->model->checkTokens(ids);
    // The model running above is read, never changed: compareModels only reads its linear layers' weights.
    auto& full = const_cast<LanguageModel&>(*model->model);
    checkMemory(linearWeights(full).bytes * 1.5, "a compressed copy of the model", "choose a smaller model");
    for (std::size_t i = 0; i < plans.size(); ++i) {
      const Progress part =
          context.progress().part(double(i) / double(plans.size()), double(i + 1) / double(plans.size()));
      part.throwIfCancelled();
      const auto t0 = std::chrono::steady_clock::now();
      const std::shared_ptr<LanguageModel> compressed = model->model->copy();
      Row row;
      row.plan = plans[i];
      row.pruned = applyPlan(*compressed, plans[i], ids, &row.headScores);
      row.measures = compareModels(full, *compressed, ids, model->tokenizer->maskToken(), part);
      row.stepMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      row.overflows = mixedOverflows(*compressed);
      for (const auto& [l, h] : row.pruned)
        row.measures.jsByHead[std::size_t(l)][std::size_t(h)] = std::numeric_limits<double>::quiet_NaN();
      row.label = QString::fromStdString(plans[i].describe());
      context.post([this, row] { addRow(row); });
    }
    return [] {};
  };
  if (pauseMs > 0)
    runner_->startAfter(pauseMs, work);
  else
    runner_->start(work);
}

void CompressPage::cancel() { runner_->cancel(); }

void CompressPage::clearTable() {
  rows_.clear();
  table_->setRowCount(0);
  chart_->clear(QStringLiteral("size and quality: one point a combination"));
  map_->setValues({}, {}, QStringLiteral("each head's change"));
}

void CompressPage::addRow(Row row) {
  // A combination measured again replaces its row.
  int at = -1;
  for (std::size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i].label == row.label) at = int(i);
  if (at < 0) {
    rows_.push_back(row);
    at = int(rows_.size()) - 1;
    table_->insertRow(at);
  } else {
    rows_[std::size_t(at)] = row;
  }
  const CompressionMeasures& m = row.measures;
  const QStringList cells{QString::number(at + 1),
                          row.label == QStringLiteral("none") ? QStringLiteral("none (the model as read)") : row.label,
                          bytesText(m.compressed.bytes),
                          percent(m.compressed.bytes / m.full.bytes),
                          percent(double(m.compressed.nonZero) / double(m.full.count)),
                          percent(m.answers.top1Agreement),
                          significantText(m.answers.klMean, 3),
                          fixedText(m.answers.ms, 1)};
  for (int c = 0; c < int(cells.size()); ++c) {
    auto* item = new QTableWidgetItem(cells[c]);
    if (c != 1) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    table_->setItem(at, c, item);
  }
  chart_->clear(QStringLiteral("size and quality: one point a combination"));
  // Points are numbered as the table's rows: several combinations share a size (pruning keeps dense bytes), and
  // their names would write over each other.
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    const Row& r = rows_[i];
    chart_->addPoint(QString::number(i + 1), r.measures.compressed.bytes / r.measures.full.bytes,
                     r.measures.answers.top1Agreement, r.measures.answers.klMean, r.measures.answers.ms,
                     r.measures.answers.msFull);
  }
  const QSignalBlocker block(table_);
  table_->setCurrentCell(at, 0);
  table_->scrollToItem(table_->item(at, 0));
  showRow(rows_[std::size_t(at)]);
}

void CompressPage::showRow(const Row& row) {
  const CompressionMeasures& m = row.measures;
  const SubstituteMeasures& a = m.answers;
  QString text = QStringLiteral(
                     "%1: top-1 agreement %2 of %3 predictions, KL %4 nats; %5 of weights (%6 of "
                     "float32's), %7 not zero; %8 ms a pass (float32 %9 ms)")
                     .arg(row.label == QStringLiteral("none") ? QStringLiteral("Nothing compressed") : row.label)
                     .arg(percent(a.top1Agreement))
                     .arg(a.positions)
                     .arg(significantText(a.klMean, 3))
                     .arg(bytesText(m.compressed.bytes))
                     .arg(percent(m.compressed.bytes / m.full.bytes))
                     .arg(percent(double(m.compressed.nonZero) / double(m.full.count)))
                     .arg(fixedText(a.ms, 1))
                     .arg(fixedText(a.msFull, 1));
  if (a.perplexity)
    text += QStringLiteral("; perplexity %1 (float32 %2)")
                .arg(fixedText(*a.perplexity, 2))
                .arg(fixedText(*a.perplexityFull, 2));
  summary_->setText(text + QLatin1Char('.'));
  // The note: what moved most, the heads removed and why, what the precision did.
  std::vector<std::pair<double, HeadId>> moved;
  for (std::size_t l = 0; l < m.jsByHead.size(); ++l)
    for (std::size_t h = 0; h < m.jsByHead[l].size(); ++h)
      if (std::isfinite(m.jsByHead[l][h])) moved.push_back({m.jsByHead[l][h], {int(l), int(h)}});
  std::sort(moved.begin(), moved.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  QStringList parts;
  QStringList most;
  for (std::size_t i = 0; i < std::min<std::size_t>(3, moved.size()); ++i)
    most << QStringLiteral("layer %1 head %2 (%3)")
                .arg(moved[i].second.first)
                .arg(moved[i].second.second)
                .arg(significantText(moved[i].first, 2));
  if (!most.isEmpty())
    parts << QStringLiteral("Heads that moved most: ") + most.join(QStringLiteral(", ")) + QLatin1Char('.');
  if (!row.pruned.empty()) {
    QStringList removed;
    for (const auto& [l, h] : row.pruned)
      removed << QStringLiteral("%1.%2 (%3)")
                     .arg(l)
                     .arg(h)
                     .arg(significantText(row.headScores.empty() ? 0.0 : row.headScores[std::size_t(l)][std::size_t(h)],
                                          2));
    parts << QStringLiteral("%1 heads removed (crossed out on the map), ranked %2 on this text: %3.")
                 .arg(row.pruned.size())
                 .arg(row.plan.headScore == HeadScore::OutputNorm
                          ? QStringLiteral("by output norm, the mean length of what a head adds to the residual "
                                           "stream, least first")
                          : QStringLiteral("by entropy, the mean entropy of its rows in nats, most spread out first"))
                 .arg(removed.join(QStringLiteral(", ")));
  }
  if (row.plan.storage == WeightStorage::Int8)
    parts << QStringLiteral(
                 "int8: each weight matrix scaled by max|w| / 127.5, each input quantized per call; "
                 "integer products on %1.")
                 .arg(QString::fromUtf8(int8KernelName()));
  if (row.plan.mixed)
    parts << (row.overflows ? QStringLiteral("%1 values overflowed fp16's 65,504 and became infinite.")
                                  .arg(countText(row.overflows))
                            : QStringLiteral("Computed in %1: no value overflowed.")
                                  .arg(QString::fromUtf8(weightStorageName(row.plan.storage))));
  parts << QStringLiteral("The whole step took %1 ms.").arg(fixedText(row.stepMs, 0));
  note_->setText(parts.join(QLatin1Char(' ')));
  std::set<HeadId> removed(row.pruned.begin(), row.pruned.end());
  map_->setValues(m.jsByHead, removed,
                  QStringLiteral("each head's change (Jensen–Shannon divergence of its rows): %1").arg(row.label));
}

bool CompressPage::exportTo(const QString& path, QString* error) const {
  try {
    if (path.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive)) {
      const int w = 1600, h = 700;
      QPixmap both(w, h);
      both.fill(Qt::white);
      QPainter p(&both);
      p.drawPixmap(0, 0, map_->picture(w * 2 / 5, h));
      p.drawPixmap(w * 2 / 5, 0, chart_->picture(w - w * 2 / 5, h));
      p.end();
      writePng(path, both);
      return true;
    }
    if (!path.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive))
      throw Error("export to a .json (the measures) or a .png (the pictures), not '" + path.toStdString() + "'");
    QJsonArray rows;
    for (const Row& r : rows_) {
      QJsonArray js;
      for (const auto& layer : r.measures.jsByHead) {
        QJsonArray row;
        for (double v : layer) row.append(std::isfinite(v) ? QJsonValue(v) : QJsonValue());
        js.append(row);
      }
      QJsonArray pruned;
      for (const auto& [l, h] : r.pruned) pruned.append(QJsonArray{l, h});
      QJsonObject o{{QStringLiteral("steps"), r.label},
                    {QStringLiteral("size_bytes"), r.measures.compressed.bytes},
                    {QStringLiteral("size_bytes_full"), r.measures.full.bytes},
                    {QStringLiteral("nonzero_weights"), static_cast<double>(r.measures.compressed.nonZero)},
                    {QStringLiteral("weights"), static_cast<double>(r.measures.full.count)},
                    {QStringLiteral("pruned_heads"), pruned},
                    {QStringLiteral("overflows"), static_cast<double>(r.overflows)},
                    {QStringLiteral("step_ms"), r.stepMs},
                    {QStringLiteral("js_by_head"), js}};
      for (const auto& [key, value] : measureFields(r.measures.answers))
        if (key != "share_of_cells" && key != "empty_rows")
          o.insert(QString::fromStdString(key), value ? QJsonValue(*value) : QJsonValue());
      rows.append(o);
    }
    const QJsonObject root{{QStringLiteral("model"), model_ ? QString::fromStdString(model_->describe()) : QString()},
                           {QStringLiteral("rows"), rows}};
    writeFileAtomically(path.toStdString(), QJsonDocument(root).toJson().toStdString());
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

}  // namespace attnscope

#include "widgets/weights/cost_charts.h"

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/runtime/substitute.h"
#include "widgets/shared/chart_frame.h"

namespace attnscope {

namespace {

const QColor kPoint(0x21, 0x90, 0x8d), kFront(0x44, 0x01, 0x54), kFull(0xb0, 0x00, 0x20), kTime(0x80, 0x80, 0x80);

}  // namespace

struct TradeOffChart::Private {
  struct Point {
    QString label;
    double share, agreement, kl, ms;
  };
  QCustomPlot* plot = nullptr;
  QCPTextElement* title = nullptr;
  QCPGraph* points = nullptr;
  QCPGraph* front = nullptr;
  QCPGraph* full = nullptr;
  QCPGraph* time = nullptr;
  std::vector<QCPItemText*> labels;
  std::vector<Point> data;
  std::vector<int> frontIndices;
  double msFull = 0;
  Quality quality = Quality::Agreement;

  double y(const Point& p) const { return quality == Quality::Agreement ? p.agreement : p.kl; }
};

TradeOffChart::TradeOffChart(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  d_->plot = makeTitledPlot(this, d_->title);
  d_->plot->setMinimumSize(300, 160);
  d_->plot->xAxis->setLabel(QStringLiteral("attention cells, share of the model's (log)"));
  d_->plot->yAxis2->setVisible(true);
  d_->plot->yAxis2->setLabel(QStringLiteral("ms a pass"));
  d_->plot->yAxis2->setTickLabelColor(kTime);
  d_->plot->yAxis2->setLabelColor(kTime);
  d_->front = d_->plot->addGraph();
  d_->front->setName(QStringLiteral("Pareto front"));
  d_->front->setPen(QPen(kFront, 2.5));
  d_->front->setLineStyle(QCPGraph::lsLine);
  d_->points = d_->plot->addGraph();
  d_->points->setName(QStringLiteral("budgets"));
  d_->points->setLineStyle(QCPGraph::lsNone);
  d_->points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(kPoint, 2), QBrush(Qt::white), 9));
  d_->full = d_->plot->addGraph();
  d_->full->setName(QStringLiteral("full model"));
  d_->full->setLineStyle(QCPGraph::lsNone);
  d_->full->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssStar, QPen(kFull, 2.5), QBrush(kFull), 16));
  d_->time = d_->plot->addGraph(d_->plot->xAxis, d_->plot->yAxis2);
  d_->time->setName(QStringLiteral("time (right axis)"));
  d_->time->setLineStyle(QCPGraph::lsNone);
  d_->time->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, QPen(kTime, 1.5), QBrush(Qt::NoBrush), 6));
  placeLegendBelow(d_->plot);
  clear(QStringLiteral("What a pattern costs: press Sweep"));
}

TradeOffChart::~TradeOffChart() = default;

void TradeOffChart::clear(const QString& title) {
  d_->data.clear();
  d_->frontIndices.clear();
  d_->msFull = 0;
  d_->title->setText(title);
  redraw();
}

void TradeOffChart::addPoint(const QString& label, double share, double agreement, double kl, double ms,
                             double msFull) {
  d_->data.push_back({label, share, agreement, kl, ms});
  d_->msFull = msFull;
  redraw();
}

void TradeOffChart::setQuality(Quality quality) {
  d_->quality = quality;
  redraw();
}

TradeOffChart::Quality TradeOffChart::quality() const { return d_->quality; }

void TradeOffChart::redraw() {
  const bool agreement = d_->quality == Quality::Agreement;
  d_->plot->yAxis->setLabel(agreement ? QStringLiteral("top-1 agreement") : QStringLiteral("KL, nats"));
  for (QCPGraph* g : {d_->points, d_->front, d_->full, d_->time}) g->data()->clear();
  for (QCPItemText* t : d_->labels) d_->plot->removeItem(t);
  d_->labels.clear();
  // The front: less share and more agreement (or less KL) are better.
  std::vector<std::pair<double, double>> xy;
  for (const auto& p : d_->data) xy.emplace_back(p.share, agreement ? d_->y(p) : -d_->y(p));
  d_->frontIndices.clear();
  for (std::size_t i : paretoFront(xy)) d_->frontIndices.push_back(int(i));
  double lo = 1, yHi = agreement ? 1.0 : 0.0, yLo = agreement ? 1.0 : 0.0, msHi = d_->msFull;
  for (const auto& p : d_->data) {
    const double x = std::max(p.share, 1e-6);
    d_->points->addData(x, d_->y(p));
    d_->time->addData(x, p.ms);
    lo = std::min(lo, x);
    yHi = std::max(yHi, d_->y(p));
    yLo = std::min(yLo, d_->y(p));
    msHi = std::max(msHi, p.ms);
  }
  const double pad = std::max(0.05, 0.08 * (yHi - yLo));
  const double top = agreement ? 1.0 + pad / 2 : yHi + pad, bottom = agreement ? std::max(0.0, yLo - pad) : 0.0;
  for (const auto& p : d_->data) {
    if (p.label.isEmpty()) continue;
    auto* text = new QCPItemText(d_->plot);
    text->setText(p.label);
    text->setColor(QColor(0x30, 0x30, 0x30));
    // Under the point near the top of the chart (where the points of a good budget crowd), above it elsewhere.
    const bool high = d_->y(p) > top - 0.15 * (top - bottom);
    text->setPositionAlignment(Qt::AlignLeft | (high ? Qt::AlignTop : Qt::AlignBottom));
    text->position->setCoords(std::max(p.share, 1e-6), d_->y(p));
    text->setPadding(high ? QMargins(4, 4, 0, 0) : QMargins(4, 0, 0, 4));
    d_->labels.push_back(text);
  }
  for (int i : d_->frontIndices)
    d_->front->addData(std::max(d_->data[std::size_t(i)].share, 1e-6), d_->y(d_->data[std::size_t(i)]));
  if (!d_->data.empty()) {
    d_->full->addData(1.0, agreement ? 1.0 : 0.0);
    d_->time->addData(1.0, d_->msFull);
  }
  setPercentLogAxis(d_->plot->xAxis, std::min(lo / 1.6, 0.5), 1.6);
  d_->plot->yAxis->setRange(bottom, top);
  d_->plot->yAxis2->setRange(0, std::max(msHi, 1e-3) * 1.2);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

QPixmap TradeOffChart::picture(int width, int height) const { return d_->plot->toPixmap(width, height); }

int TradeOffChart::points() const { return int(d_->data.size()); }
QString TradeOffChart::title() const { return fullTitle(d_->title); }

void TradeOffChart::setXLabel(const QString& label) {
  d_->plot->xAxis->setLabel(label);
  d_->plot->replot();
}

void TradeOffChart::setMinimumPlotHeight(int height) { d_->plot->setMinimumHeight(height); }

void TradeOffChart::setPointsName(const QString& name) {
  d_->points->setName(name);
  d_->plot->replot();
}

QString TradeOffChart::xLabel() const { return d_->plot->xAxis->label(); }
std::vector<int> TradeOffChart::front() const { return d_->frontIndices; }

QPointF TradeOffChart::point(int index) const {
  if (index < 0 || index >= int(d_->data.size())) return {};
  const auto& p = d_->data[std::size_t(index)];
  return {p.share, d_->y(p)};
}

struct LayerChart::Private {
  struct Row {
    QString label;
    std::vector<double> drift;  ///< −1: not measured yet
  };
  QCustomPlot* plot = nullptr;
  QCPTextElement* title = nullptr;
  std::vector<Row> rows;
  std::vector<QCPBars*> bars;
  QCPBarsGroup* group = nullptr;
};

LayerChart::LayerChart(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  d_->plot = makeTitledPlot(this, d_->title);
  d_->plot->setMinimumSize(240, 160);
  d_->plot->xAxis->setLabel(QStringLiteral("the one layer substituted"));
  d_->plot->yAxis->setLabel(QStringLiteral("drift of the output"));
  d_->group = new QCPBarsGroup(d_->plot);
  d_->plot->xAxis->grid()->setVisible(false);  // bars need no vertical lines
  placeLegendBelow(d_->plot, 1);
  clear(QStringLiteral("Layer by layer: press Per layer"));
}

LayerChart::~LayerChart() = default;

void LayerChart::clear(const QString& title) {
  d_->rows.clear();
  d_->title->setText(title);
  redraw();
}

void LayerChart::setTitle(const QString& title) {
  d_->title->setText(title);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void LayerChart::beginRow(const QString& label, int layers) {
  if (d_->rows.size() == 3) d_->rows.erase(d_->rows.begin());
  d_->rows.push_back({label, std::vector<double>(std::size_t(std::max(layers, 0)), -1.0)});
  redraw();
}

void LayerChart::setBar(int layer, double drift) {
  if (d_->rows.empty() || layer < 0 || layer >= int(d_->rows.back().drift.size())) return;
  d_->rows.back().drift[std::size_t(layer)] = drift;
  redraw();
}

void LayerChart::redraw() {
  for (QCPBars* b : d_->bars) {
    d_->group->remove(b);
    d_->plot->removePlottable(b);
  }
  d_->bars.clear();
  // Oldest to newest: light to dark, so the row just measured stands out.
  const QColor colours[3] = {QColor(0xb5, 0xde, 0x2b), QColor(0x21, 0x90, 0x8d), QColor(0x44, 0x01, 0x54)};
  double hi = 0;
  int layers = 1;
  const std::size_t first = 3 - d_->rows.size();
  for (std::size_t r = 0; r < d_->rows.size(); ++r) {
    auto* bars = new QCPBars(d_->plot->xAxis, d_->plot->yAxis);
    bars->setName(d_->rows[r].label);
    bars->setPen(Qt::NoPen);
    bars->setBrush(colours[first + r]);
    bars->setWidth(0.8 / double(d_->rows.size()));
    bars->setBarsGroup(d_->group);
    for (std::size_t l = 0; l < d_->rows[r].drift.size(); ++l)
      if (d_->rows[r].drift[l] >= 0) {
        bars->addData(double(l), d_->rows[r].drift[l]);
        hi = std::max(hi, d_->rows[r].drift[l]);
      }
    layers = std::max(layers, int(d_->rows[r].drift.size()));
    d_->bars.push_back(bars);
  }
  auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
  ticker->setTickStep(1);
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  d_->plot->xAxis->setTicker(ticker);
  d_->plot->xAxis->setRange(-0.6, double(layers) - 0.4);
  d_->plot->yAxis->setRange(0, std::max(hi, 0.01) * 1.15);
  d_->plot->legend->setVisible(!d_->rows.empty());
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

QPixmap LayerChart::picture(int width, int height) const { return d_->plot->toPixmap(width, height); }

int LayerChart::rows() const { return int(d_->rows.size()); }
QString LayerChart::title() const { return fullTitle(d_->title); }

double LayerChart::bar(int layer) const {
  if (d_->rows.empty() || layer < 0 || layer >= int(d_->rows.back().drift.size())) return -1;
  return d_->rows.back().drift[std::size_t(layer)];
}

}  // namespace attnscope

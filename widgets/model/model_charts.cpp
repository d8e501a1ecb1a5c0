#include "widgets/model/model_charts.h"

#include <cmath>

#include <qcustomplot.h>

#include "widgets/shared/chart_frame.h"
#include "widgets/shared/heatmap_view.h"

namespace attnscope {

namespace {

void drawPlot(QCustomPlot* plot, FigureCanvas& canvas, const QRectF& rect) {
  auto& painter = static_cast<QCPPainter&>(canvas.painter());  // writeFigure paints with a QCPPainter
  painter.save();
  painter.translate(rect.topLeft());
  plot->toPainter(&painter, std::max(1, int(std::lround(rect.width()))), std::max(1, int(std::lround(rect.height()))));
  painter.restore();
}

// The chart's QCustomPlot filling `owner`, with a bold title row and the legend in a row under the axes.
QCustomPlot* makePlot(QWidget* owner, const QString& text, QCPTextElement*& title) {
  QCustomPlot* plot = makeTitledPlot(owner, title);
  title->setText(text);
  plot->setMinimumHeight(170);
  placeLegendBelow(plot);
  return plot;
}

}  // namespace

struct StackReachChart::Private {
  QCustomPlot* plot = nullptr;
  QCPGraph* reach = nullptr;
  QCPGraph* causal = nullptr;
  QCPTextElement* title = nullptr;
  QList<QCPItemStraightLine*> marks;
};

StackReachChart::StackReachChart(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  d_->plot = makePlot(this, QStringLiteral("Receptive field through the stack"), d_->title);
  d_->reach = d_->plot->addGraph();
  d_->reach->setName(QStringLiteral("all pairs"));
  d_->reach->setPen(QPen(QColor(0x21, 0x90, 0x8d), 2));
  d_->reach->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
  d_->causal = d_->plot->addGraph();
  d_->causal->setName(QStringLiteral("key before query"));
  d_->causal->setPen(QPen(QColor(0x44, 0x01, 0x54), 1.5, Qt::DashLine));
  d_->plot->xAxis->setLabel(QStringLiteral("layers passed"));
  // Layers are whole: ticks at multiples of 1 (1, 2, 5, 10, … apart as the stack grows), never at 2.5.
  auto layerTicks = QSharedPointer<QCPAxisTickerFixed>::create();
  layerTicks->setTickStep(1.0);
  layerTicks->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  d_->plot->xAxis->setTicker(layerTicks);
  d_->plot->yAxis->setLabel(QStringLiteral("pairs connected"));
  d_->plot->yAxis->setRange(0, 1.05);
}

StackReachChart::~StackReachChart() = default;

void StackReachChart::setCurves(const std::vector<double>& reach, const std::vector<double>& causalReach,
                                const std::vector<int>& fullLayers, int sampledSources) {
  QVector<double> x, y, yc;
  x << 0;
  y << 0;
  yc << 0;
  for (std::size_t i = 0; i < reach.size(); ++i) {
    x << double(i + 1);
    y << reach[i];
    yc << (i < causalReach.size() ? causalReach[i] : 0.0);
  }
  d_->reach->setData(x, y, true);
  d_->causal->setData(x, yc, true);
  for (auto* m : d_->marks) d_->plot->removeItem(m);
  d_->marks.clear();
  for (int layer : fullLayers) {
    auto* line = new QCPItemStraightLine(d_->plot);
    line->point1->setCoords(layer, 0);
    line->point2->setCoords(layer, 1);
    line->setPen(QPen(QColor(0xfd, 0xe7, 0x25).darker(130), 1, Qt::DotLine));
    d_->marks << line;
  }
  d_->plot->xAxis->setRange(0, std::max<double>(1.0, double(reach.size())) + 0.5);
  QString text = QStringLiteral("Receptive field");
  if (!fullLayers.empty()) text += QStringLiteral(" (dotted: full layers)");
  if (sampledSources > 0) text += QStringLiteral(", estimated from %1 tokens").arg(sampledSources);
  d_->title->setText(text);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void StackReachChart::clear(const QString& why) {
  d_->reach->data()->clear();
  d_->causal->data()->clear();
  for (auto* m : d_->marks) d_->plot->removeItem(m);
  d_->marks.clear();
  d_->title->setText(why);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

QString StackReachChart::title() const { return fullTitle(d_->title); }
int StackReachChart::points() const { return d_->reach->dataCount(); }
void StackReachChart::drawInto(FigureCanvas& canvas, const QRectF& rect) { drawPlot(d_->plot, canvas, rect); }

struct CostChart::Private {
  QCustomPlot* plot = nullptr;
  QCPGraph* attention = nullptr;
  QCPGraph* feedForward = nullptr;
  QCPTextElement* title = nullptr;
  QCPItemStraightLine* current = nullptr;
  Index crossover = 0;
};

CostChart::CostChart(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  d_->plot = makePlot(this, QStringLiteral("Cost per forward pass"), d_->title);
  d_->attention = d_->plot->addGraph();
  d_->attention->setName(QStringLiteral("attention"));
  d_->attention->setPen(QPen(QColor(0x3b, 0x52, 0x8b), 2));
  d_->attention->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
  d_->feedForward = d_->plot->addGraph();
  d_->feedForward->setName(QStringLiteral("feed-forward"));
  d_->feedForward->setPen(QPen(QColor(0x5e, 0xc9, 0x62), 2));
  d_->feedForward->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssSquare, 4));
  for (QCPAxis* axis : {d_->plot->xAxis, d_->plot->yAxis}) setLogAxis(axis, 10, 5, "eb", 0);
  d_->plot->xAxis->setLabel(QStringLiteral("sequence length n (dashed: this n)"));
  d_->plot->yAxis->setLabel(QStringLiteral("FLOPs per pass"));
  d_->current = new QCPItemStraightLine(d_->plot);
  d_->current->setPen(QPen(Qt::gray, 1, Qt::DashLine));
  d_->current->setVisible(false);
}

CostChart::~CostChart() = default;

void CostChart::setCurve(const std::vector<CostPoint>& points, Index currentN) {
  QVector<double> x, a, f;
  d_->crossover = 0;
  for (const CostPoint& p : points) {
    x << double(p.n);
    a << std::max(1.0, p.attentionFlops);
    f << std::max(1.0, p.feedForwardFlops);
    if (!d_->crossover && p.attentionFlops > p.feedForwardFlops) d_->crossover = p.n;
  }
  d_->attention->setData(x, a, true);
  d_->feedForward->setData(x, f, true);
  d_->current->point1->setCoords(double(currentN), 1);
  d_->current->point2->setCoords(double(currentN), 10);
  d_->current->setVisible(currentN > 0);
  d_->plot->rescaleAxes();
  d_->plot->xAxis->scaleRange(1.15, d_->plot->xAxis->range().center());
  d_->plot->yAxis->scaleRange(1.3, d_->plot->yAxis->range().center());
  d_->title->setText(
      d_->crossover ? QStringLiteral("Attention ≥ feed-forward from n = %L1").arg(d_->crossover)
                    : QStringLiteral("Attention < feed-forward to n = %L1").arg(points.empty() ? 0 : points.back().n));
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void CostChart::clear(const QString& why) {
  d_->attention->data()->clear();
  d_->feedForward->data()->clear();
  d_->current->setVisible(false);
  d_->crossover = 0;
  d_->title->setText(why);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

QString CostChart::title() const { return fullTitle(d_->title); }
Index CostChart::crossover() const { return d_->crossover; }
void CostChart::drawInto(FigureCanvas& canvas, const QRectF& rect) { drawPlot(d_->plot, canvas, rect); }

}  // namespace attnscope

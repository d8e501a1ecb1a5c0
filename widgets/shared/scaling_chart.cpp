#include "widgets/shared/scaling_chart.h"

#include <QLocale>

#include <qcustomplot.h>

#include <cmath>

#include "widgets/shared/number_text.h"
#include "widgets/shared/chart_frame.h"

namespace attnscope {

struct ScalingChart::Private {
  QCustomPlot* plot = nullptr;
  QCPGraph* pattern = nullptr;
  QCPGraph* full = nullptr;
  QCPTextElement* title = nullptr;
  QCPItemStraightLine* cross = nullptr;
  QCPItemText* crossLabel = nullptr;
  double crossN = 0;
  QString series = QStringLiteral("pattern");
  double lo = 1e300, hi = 0, nLo = 1e300, nHi = 0;

  void fit() {
    if (hi <= 0) return;
    plot->xAxis->setRange(nLo / 1.4, nHi * 1.4);
    plot->yAxis->setRange(lo / 2, hi * 2);
  }
};

ScalingChart::ScalingChart(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  d_->plot = makeTitledPlot(this, d_->title);
  d_->plot->setMinimumSize(260, 200);
  setLogAxis(d_->plot->xAxis, 2, 4);  // n labels that never run into each other
  setLogAxis(d_->plot->yAxis, 10, 5, "gb", 6);
  d_->plot->xAxis->setLabel(QStringLiteral("sequence length n (log scale)"));
  d_->plot->yAxis->setLabel(QStringLiteral("time, ms (log scale)"));
  auto graph = [&](const QString& name, QColor colour, QCPScatterStyle::ScatterShape shape) {
    QCPGraph* g = d_->plot->addGraph();
    g->setName(name);
    g->setPen(QPen(colour, 2));
    g->setScatterStyle(QCPScatterStyle(shape, 7));
    return g;
  };
  d_->full = graph(QStringLiteral("full attention"), QColor(0x44, 0x01, 0x54), QCPScatterStyle::ssSquare);
  d_->pattern = graph(QStringLiteral("pattern"), QColor(0x21, 0x90, 0x8d), QCPScatterStyle::ssCircle);
  placeLegendBelow(d_->plot);
  d_->cross = new QCPItemStraightLine(d_->plot);
  d_->cross->setPen(QPen(QColor(0xe6, 0x61, 0x01), 2, Qt::DashLine));
  d_->cross->setVisible(false);
  d_->crossLabel = new QCPItemText(d_->plot);
  d_->crossLabel->setColor(QColor(0xb0, 0x45, 0x00));
  d_->crossLabel->setPositionAlignment(Qt::AlignBottom | Qt::AlignLeft);
  d_->crossLabel->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
  d_->crossLabel->setVisible(false);
  clear(QStringLiteral("Scaling sweep: press Sweep"));
}

ScalingChart::~ScalingChart() = default;

void ScalingChart::clear(const QString& title) {
  d_->pattern->data()->clear();
  d_->full->data()->clear();
  d_->lo = 1e300;
  d_->hi = 0;
  d_->nLo = 1e300;
  d_->nHi = 0;
  d_->crossN = 0;
  d_->cross->setVisible(false);
  d_->crossLabel->setVisible(false);
  d_->title->setText(title);
  d_->plot->xAxis->setRange(128, 32768);
  d_->plot->yAxis->setRange(0.01, 10000);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void ScalingChart::addPoint(const ScalingPoint& p) {
  const double n = double(p.n);
  d_->full->addData(n, p.msFull);
  d_->nLo = std::min(d_->nLo, n);
  d_->nHi = std::max(d_->nHi, n);
  d_->lo = std::min(d_->lo, p.msFull);
  d_->hi = std::max(d_->hi, p.msFull);
  if (p.skipped.empty() && p.msPattern > 0) {
    d_->pattern->addData(n, p.msPattern);
    d_->lo = std::min(d_->lo, p.msPattern);
    d_->hi = std::max(d_->hi, p.msPattern);
  }
  d_->fit();
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void ScalingChart::setCrossover(Index n) {
  d_->crossN = double(n);
  d_->cross->setVisible(n > 0);
  d_->crossLabel->setVisible(n > 0);
  if (n > 0) {
    d_->cross->point1->setCoords(double(n), 1);
    d_->cross->point2->setCoords(double(n), 2);
    d_->crossLabel->position->setCoords(double(n), 0.97);
    d_->crossLabel->setText(QStringLiteral(" %1 faster from n = %2").arg(d_->series).arg(countText(n)));
  }
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void ScalingChart::setSeriesName(const QString& name) {
  d_->series = name;
  d_->pattern->setName(name);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void ScalingChart::setTitle(const QString& title) {
  d_->title->setText(title);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

int ScalingChart::points(bool full) const { return (full ? d_->full : d_->pattern)->dataCount(); }
double ScalingChart::crossoverMarked() const { return d_->crossN; }
QString ScalingChart::title() const { return fullTitle(d_->title); }

}  // namespace attnscope

#include "widgets/weights/pareto_chart.h"

#include <qcustomplot.h>

#include <algorithm>

#include "widgets/shared/chart_frame.h"

namespace attnscope {

struct ParetoChart::Private {
  QCustomPlot* plot = nullptr;
  QCPGraph* front = nullptr;
  QCPGraph* best = nullptr;
  QCPItemStraightLine* keep = nullptr;
  QCPItemText* keepLabel = nullptr;
  QCPTextElement* title = nullptr;
  double keepLevel = 0;
};

ParetoChart::ParetoChart(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  d_->plot = makeTitledPlot(this, d_->title);
  d_->plot->setMinimumSize(260, 180);
  setPercentLogAxis(d_->plot->xAxis, 1e-3, 1);
  d_->plot->xAxis->setLabel(QStringLiteral("cells, share of n² (log scale)"));
  d_->plot->yAxis->setLabel(QStringLiteral("attention mass kept"));
  d_->front = d_->plot->addGraph();
  d_->front->setName(QStringLiteral("Pareto front"));
  d_->front->setPen(QPen(QColor(0x21, 0x90, 0x8d), 2));
  d_->front->setLineStyle(QCPGraph::lsStepLeft);  // between two candidates, the cheaper one's mass is what you get
  d_->front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 6));
  d_->best = d_->plot->addGraph();
  d_->best->setName(QStringLiteral("chosen"));
  d_->best->setLineStyle(QCPGraph::lsNone);
  d_->best->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(QColor(0xb0, 0x00, 0x20), 2),
                                            QBrush(QColor(0xe6, 0x61, 0x01)), 12));
  placeLegendBelow(d_->plot);
  d_->keep = new QCPItemStraightLine(d_->plot);
  d_->keep->setPen(QPen(QColor(0xe6, 0x61, 0x01), 1.5, Qt::DashLine));
  d_->keepLabel = new QCPItemText(d_->plot);
  d_->keepLabel->setColor(QColor(0xb0, 0x45, 0x00));
  d_->keepLabel->setPositionAlignment(Qt::AlignBottom | Qt::AlignLeft);
  d_->keepLabel->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
  clear(QStringLiteral("Best pattern: press Fit every head"));
}

ParetoChart::~ParetoChart() = default;

void ParetoChart::clear(const QString& title) {
  d_->front->data()->clear();
  d_->best->data()->clear();
  d_->keep->setVisible(false);
  d_->keepLabel->setVisible(false);
  d_->keepLevel = 0;
  d_->title->setText(title);
  setPercentLogAxis(d_->plot->xAxis, 1e-3, 1);
  d_->plot->yAxis->setRange(0, 1.05);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void ParetoChart::setFit(const QString& title, const HeadFit& fit, double keep, double nSquared) {
  clear(title);
  double lo = 1, hi = 1e-9, yLo = 1;
  for (const FitCandidate& c : fit.front) {
    const double x = double(c.cells) / nSquared;
    d_->front->addData(x, c.massKept);
    lo = std::min(lo, x), hi = std::max(hi, x), yLo = std::min(yLo, c.massKept);
  }
  d_->best->addData(double(fit.best.cells) / nSquared, fit.best.massKept);
  d_->keepLevel = keep;
  d_->keep->setVisible(true);
  d_->keep->point1->setCoords(1e-9, keep);
  d_->keep->point2->setCoords(1, keep);
  d_->keepLabel->setVisible(true);
  d_->keepLabel->position->setCoords(0.02, keep);
  d_->keepLabel->setText(QStringLiteral("keep %1%").arg(QString::number(100 * keep, 'f', 0)));
  setPercentLogAxis(d_->plot->xAxis, lo / 1.5, std::min(1.0, hi) * 1.5);
  d_->plot->yAxis->setRange(std::max(0.0, std::min(yLo, keep) - 0.05), 1.02);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

int ParetoChart::points() const { return d_->front->dataCount(); }
QString ParetoChart::title() const { return fullTitle(d_->title); }
double ParetoChart::keepLevel() const { return d_->keepLevel; }

QPointF ParetoChart::point(int index) const {
  const QCPGraph* g = index < 0 ? d_->best : d_->front;
  const int at = std::max(index, 0);
  if (at >= g->dataCount()) return {};
  return {g->data()->at(at)->key, g->data()->at(at)->value};
}

}  // namespace attnscope

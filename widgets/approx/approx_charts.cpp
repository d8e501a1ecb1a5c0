#include "widgets/approx/approx_charts.h"

#include <qcustomplot.h>

#include <algorithm>

#include "widgets/shared/chart_frame.h"

namespace attnscope {

struct BudgetChart::Private {
  QCustomPlot* plot = nullptr;
  QCPGraph* output = nullptr;
  QCPGraph* weights = nullptr;
  QCPItemStraightLine* uniform = nullptr;
  QCPItemText* uniformLabel = nullptr;
  QCPTextElement* title = nullptr;
  double hi = 0, xLo = 1e300, xHi = 0, uniformLevel = 0;

  void fit() {
    if (xHi <= 0) return;
    plot->xAxis->setRange(xLo / 1.4, xHi * 1.4);
    plot->yAxis->setRange(0, std::max({hi, uniformLevel, 0.05}) * 1.15);
  }
};

BudgetChart::BudgetChart(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  d_->plot = makeTitledPlot(this, d_->title);
  d_->plot->setMinimumSize(260, 200);
  setLogAxis(d_->plot->xAxis, 2, 5);
  d_->plot->yAxis->setLabel(QStringLiteral("error"));
  auto graph = [&](const QString& name, QColor colour, QCPScatterStyle::ScatterShape shape) {
    QCPGraph* g = d_->plot->addGraph();
    g->setName(name);
    g->setPen(QPen(colour, 2));
    g->setScatterStyle(QCPScatterStyle(shape, 7));
    return g;
  };
  d_->output = graph(QStringLiteral("output error"), QColor(0x44, 0x01, 0x54), QCPScatterStyle::ssSquare);
  d_->weights = graph(QStringLiteral("weights L1"), QColor(0x21, 0x90, 0x8d), QCPScatterStyle::ssCircle);
  placeLegendBelow(d_->plot);
  d_->uniform = new QCPItemStraightLine(d_->plot);
  d_->uniform->setPen(QPen(QColor(0xe6, 0x61, 0x01), 2, Qt::DashLine));
  d_->uniformLabel = new QCPItemText(d_->plot);
  d_->uniformLabel->setColor(QColor(0xb0, 0x45, 0x00));
  d_->uniformLabel->setPositionAlignment(Qt::AlignBottom | Qt::AlignLeft);
  d_->uniformLabel->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
  d_->uniformLabel->setText(QStringLiteral(" uniform attention's L1"));
  setBudgetName(QStringLiteral("budget"));
  clear(QStringLiteral("Error vs budget: press Sweep budget"));
}

BudgetChart::~BudgetChart() = default;

void BudgetChart::clear(const QString& title) {
  d_->output->data()->clear();
  d_->weights->data()->clear();
  d_->hi = 0;
  d_->xLo = 1e300;
  d_->xHi = 0;
  d_->uniformLevel = 0;
  d_->uniform->setVisible(false);
  d_->uniformLabel->setVisible(false);
  d_->title->setText(title);
  d_->plot->xAxis->setRange(4, 1024);
  d_->plot->yAxis->setRange(0, 1);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void BudgetChart::setBudgetName(const QString& name) {
  d_->plot->xAxis->setLabel(name + QStringLiteral(" (log scale)"));
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void BudgetChart::addStep(const ApproxBudgetStep& step) {
  const double x = double(step.value);
  d_->output->addData(x, step.outputRelError);
  d_->weights->addData(x, step.weightsL1);
  d_->xLo = std::min(d_->xLo, x);
  d_->xHi = std::max(d_->xHi, x);
  d_->hi = std::max({d_->hi, step.outputRelError, step.weightsL1});
  d_->uniformLevel = step.uniformL1;
  d_->uniform->setVisible(true);
  d_->uniform->point1->setCoords(1, step.uniformL1);
  d_->uniform->point2->setCoords(2, step.uniformL1);
  d_->uniformLabel->setVisible(true);
  d_->uniformLabel->position->setCoords(0.0, step.uniformL1);
  d_->fit();
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void BudgetChart::setTitle(const QString& title) {
  d_->title->setText(title);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

int BudgetChart::points() const { return d_->output->dataCount(); }
QString BudgetChart::title() const { return fullTitle(d_->title); }
double BudgetChart::uniformLevel() const { return d_->uniformLevel; }

double BudgetChart::value(const QString& curve, int index) const {
  const QCPGraph* g = curve == QStringLiteral("output") ? d_->output : d_->weights;
  return index >= 0 && index < g->dataCount() ? g->data()->at(index)->value : 0.0;
}

}  // namespace attnscope

#include "widgets/pattern/reach_curve_view.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

#include "widgets/shared/chart_frame.h"

namespace attnscope {

struct ReachCurveView::Private {
  QCustomPlot* plot = nullptr;
  QCPGraph* graph = nullptr;
  QCPTextElement* title = nullptr;
};

ReachCurveView::ReachCurveView(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  d_->plot = newPlot(this);
  d_->plot->setMinimumHeight(180);
  layout->addWidget(d_->plot);
  d_->plot->plotLayout()->insertRow(0);
  d_->title = new QCPTextElement(d_->plot, QStringLiteral("Receptive field"), QFont(font().family(), 9, QFont::Bold));
  d_->plot->plotLayout()->addElement(0, 0, d_->title);
  d_->graph = d_->plot->addGraph();
  d_->graph->setPen(QPen(QColor(0x21, 0x90, 0x8d), 2));
  d_->graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
  d_->graph->setLineStyle(QCPGraph::lsLine);
  d_->plot->xAxis->setLabel(QStringLiteral("layers"));
  d_->plot->yAxis->setLabel(QStringLiteral("pairs connected"));
  d_->plot->yAxis->setRange(0, 1.05);
  auto percent = QSharedPointer<QCPAxisTickerFixed>::create();
  percent->setTickStep(0.25);
  d_->plot->yAxis->setTicker(percent);
  auto layers = QSharedPointer<QCPAxisTickerFixed>::create();
  layers->setTickStep(1.0);
  layers->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  d_->plot->xAxis->setTicker(layers);
}

ReachCurveView::~ReachCurveView() = default;

void ReachCurveView::setCurve(const std::vector<double>& reach, int sampledSources) {
  QVector<double> x, y;
  x << 0;
  y << 0;
  for (std::size_t i = 0; i < reach.size(); ++i) {
    x << double(i + 1);
    y << reach[i];
  }
  d_->graph->setData(x, y, true);
  d_->plot->xAxis->setRange(0, std::max<double>(1.0, double(reach.size())) + 0.3);
  d_->title->setText(sampledSources > 0 ? QStringLiteral("Pairs connected (from %1 tokens)").arg(sampledSources)
                                        : QStringLiteral("Pairs connected after L layers"));
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void ReachCurveView::clear(const QString& why) {
  d_->graph->data()->clear();
  d_->title->setText(why);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

int ReachCurveView::points() const { return d_->graph->dataCount(); }

}  // namespace attnscope

#include "widgets/chart_frame.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

namespace attnscope {

QCustomPlot* makeTitledPlot(QWidget* owner, QCPTextElement*& title, int points) {
  auto* layout = new QVBoxLayout(owner);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* plot = new QCustomPlot(owner);
  layout->addWidget(plot);
  plot->plotLayout()->insertRow(0);
  title = new QCPTextElement(plot, QString(), QFont(owner->font().family(), points, QFont::Bold));
  plot->plotLayout()->addElement(0, 0, title);
  return plot;
}

void setLogAxis(QCPAxis* axis, double base, int ticks, const char* format, int precision) {
  axis->setScaleType(QCPAxis::stLogarithmic);
  auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
  ticker->setLogBase(base);
  ticker->setTickCount(ticks);
  axis->setTicker(ticker);
  axis->setNumberFormat(QString::fromLatin1(format));
  axis->setNumberPrecision(precision);
}

}  // namespace attnscope

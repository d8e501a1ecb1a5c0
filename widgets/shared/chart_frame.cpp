#include "widgets/shared/chart_frame.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

#include <cmath>

#include "widgets/shared/text_size.h"

namespace attnscope {

namespace {

// The value a property of `object` should take at `factor`: its first value times the factor. The first value is
// remembered on the object the first time it is seen, and again whenever the chart's own code has set another
// value since (a compact view's smaller title), so that scaling never compounds.
// `whole`: the property holds integers, so the value set (and remembered as set) is rounded.
double scaled(QObject* object, const char* key, double current, double factor, bool whole = false) {
  const QByteArray base = QByteArray("textSizeBase_") + key, last = QByteArray("textSizeLast_") + key;
  const QVariant before = object->property(last.constData());
  if (!before.isValid() || std::abs(before.toDouble() - current) > 1e-6) object->setProperty(base.constData(), current);
  double value = object->property(base.constData()).toDouble() * factor;
  if (whole) value = std::max(1.0, std::round(value));
  object->setProperty(last.constData(), value);
  return value;
}

QFont scaledFont(QObject* object, const char* key, QFont font, double factor) {
  if (font.pointSizeF() > 0) font.setPointSizeF(scaled(object, key, font.pointSizeF(), factor));
  return font;
}

QPen scaledPen(QObject* object, const char* key, QPen pen, double factor) {
  if (pen.style() == Qt::NoPen) return pen;
  pen.setWidthF(scaled(object, key, pen.widthF() > 0 ? pen.widthF() : 1.0, factor));  // 0: a cosmetic pixel
  return pen;
}

void scaleAxis(QCPAxis* axis, double f) {
  axis->setTickLabelFont(scaledFont(axis, "tickFont", axis->tickLabelFont(), f));
  axis->setLabelFont(scaledFont(axis, "labelFont", axis->labelFont(), f));
  axis->setBasePen(scaledPen(axis, "basePen", axis->basePen(), f));
  axis->setTickPen(scaledPen(axis, "tickPen", axis->tickPen(), f));
  axis->setSubTickPen(scaledPen(axis, "subTickPen", axis->subTickPen(), f));
}

// A title wider than the chart is elided, line by line, and the whole title becomes the chart's tooltip. The
// text the chart's own code set is kept as the full title: it is whatever the element holds that this did not put
// there.
void elideTitle(QCustomPlot* plot, QCPTextElement* title) {
  const QString current = title->text();
  if (title->property("elidedTitle").toString() != current || !title->property("fullTitle").isValid())
    title->setProperty("fullTitle", current);
  const QString full = title->property("fullTitle").toString();
  const QFontMetrics metrics(title->font());
  const int width = std::max(40, plot->viewport().width() - 12);
  QStringList lines = full.split(QLatin1Char('\n'));
  for (QString& line : lines) line = metrics.elidedText(line, Qt::ElideRight, width);
  const QString shown = lines.join(QLatin1Char('\n'));
  title->setText(shown);
  title->setProperty("elidedTitle", shown);
  const bool elided = shown != full;
  if (elided || plot->property("titleTip").toBool()) plot->setToolTip(elided ? full : QString());
  plot->setProperty("titleTip", elided);
}

// Every font, line and marker of `plot` at the current text size.
void applyTextSize(QCustomPlot* plot) {
  const double f = TextSize::instance().factor();
  for (QCPAxisRect* rect : plot->axisRects())
    for (QCPAxis* axis : rect->axes()) scaleAxis(axis, f);
  for (QCPLayoutElement* element : plot->plotLayout()->elements(true)) {
    if (auto* text = qobject_cast<QCPTextElement*>(element)) {
      text->setFont(scaledFont(text, "font", text->font(), f));
      elideTitle(plot, text);
    } else if (auto* scale = qobject_cast<QCPColorScale*>(element)) {
      scaleAxis(scale->axis(), f);
      scale->setBarWidth(int(scaled(scale, "bar", scale->barWidth(), f, true)));
    } else if (auto* legend = qobject_cast<QCPLegend*>(element)) {
      legend->setFont(scaledFont(legend, "font", legend->font(), f));
      for (int i = 0; i < legend->itemCount(); ++i)
        if (QCPAbstractLegendItem* item = legend->item(i)) item->setFont(scaledFont(item, "font", item->font(), f));
      const QSize icon = legend->iconSize();
      legend->setIconSize(int(scaled(legend, "iconW", icon.width(), f, true)),
                          int(scaled(legend, "iconH", icon.height(), f, true)));
    }
  }
  for (int i = 0; i < plot->plottableCount(); ++i) {
    QCPAbstractPlottable* p = plot->plottable(i);
    if (auto* graph = qobject_cast<QCPGraph*>(p)) {
      QCPScatterStyle style = graph->scatterStyle();
      if (!style.isNone()) {
        style.setSize(scaled(graph, "marker", style.size(), f));
        graph->setScatterStyle(style);
      }
    }
    if (!qobject_cast<QCPColorMap*>(p)) p->setPen(scaledPen(p, "pen", p->pen(), f));
  }
  for (int i = 0; i < plot->itemCount(); ++i) {
    QCPAbstractItem* item = plot->item(i);
    if (auto* text = qobject_cast<QCPItemText*>(item)) {
      text->setFont(scaledFont(text, "font", text->font(), f));
      text->setPen(scaledPen(text, "pen", text->pen(), f));
    } else if (auto* line = qobject_cast<QCPItemLine*>(item)) {
      line->setPen(scaledPen(line, "pen", line->pen(), f));
    } else if (auto* straight = qobject_cast<QCPItemStraightLine*>(item)) {
      straight->setPen(scaledPen(straight, "pen", straight->pen(), f));
    } else if (auto* rect = qobject_cast<QCPItemRect*>(item)) {
      rect->setPen(scaledPen(rect, "pen", rect->pen(), f));
    }
  }
}

}  // namespace

void setPercentLogAxis(QCPAxis* axis, double lo, double hi) {
  axis->setScaleType(QCPAxis::stLogarithmic);
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  for (int power = -9; power <= 0; ++power)
    for (const double m : {1.0, 2.0, 5.0}) {
      const double at = m * std::pow(10.0, power);
      if (at < lo || at > hi || at > 1.0) continue;
      const double percent = 100 * at;
      ticker->addTick(at, QString::number(percent, 'g', 3) + QLatin1Char('%'));
    }
  axis->setTicker(ticker);
  axis->setRange(lo, hi);
}

QString fullTitle(QCPTextElement* title) {
  const QVariant full = title->property("fullTitle");
  return full.isValid() && title->property("elidedTitle").toString() == title->text() ? full.toString() : title->text();
}

void placeLegendBelow(QCustomPlot* plot, int columns) {
  QCPLegend* legend = plot->legend;
  legend->setVisible(true);
  if (legend->layout() == plot->plotLayout()) return;
  plot->axisRect()->insetLayout()->take(legend);
  QCPLayoutGrid* layout = plot->plotLayout();
  const int row = layout->rowCount();
  layout->insertRow(row);
  layout->addElement(row, 0, legend);
  layout->setRowStretchFactor(row, 0.001);  // as tall as its entries need
  legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  legend->setWrap(columns);
  legend->setBorderPen(Qt::NoPen);
  legend->setBrush(Qt::NoBrush);
  legend->setMargins(QMargins(6, 0, 6, 4));
}

QCustomPlot* newPlot(QWidget* owner) {
  auto* plot = new QCustomPlot(owner);
  // The plot's parts take its font when they are made: the application font at size 1, whatever it is now.
  const QFont base = TextSize::instance().baseFont();
  plot->setFont(base);
  for (QCPAxis* axis : plot->axisRect()->axes()) {
    axis->setTickLabelFont(base);
    axis->setLabelFont(base);
  }
  plot->legend->setFont(base);
  QObject::connect(plot, &QCustomPlot::beforeReplot, plot, [plot] { applyTextSize(plot); });
  QObject::connect(&TextSize::instance(), &TextSize::changed, plot,
                   [plot] { plot->replot(QCustomPlot::rpQueuedReplot); });
  return plot;
}

QCustomPlot* makeTitledPlot(QWidget* owner, QCPTextElement*& title, int points) {
  auto* layout = new QVBoxLayout(owner);
  layout->setContentsMargins(0, 0, 0, 0);
  QCustomPlot* plot = newPlot(owner);
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

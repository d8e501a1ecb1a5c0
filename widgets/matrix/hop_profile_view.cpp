#include "widgets/matrix/hop_profile_view.h"

#include <QLocale>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "widgets/shared/chart_frame.h"

#include <algorithm>
#include "widgets/shared/number_text.h"

namespace attnscope {

struct HopProfileView::Private {
  QCustomPlot* plot = nullptr;
  QCPGraph* reached = nullptr;
  QCPGraph* never = nullptr;
  QCPTextElement* title = nullptr;
  std::vector<Index> counts;  ///< keys at each hop count
  Index neverCount = 0;
};

HopProfileView::HopProfileView(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  d_->plot = newPlot(this);
  d_->plot->setMinimumHeight(150);
  layout->addWidget(d_->plot);
  d_->plot->plotLayout()->insertRow(0);
  d_->title = new QCPTextElement(d_->plot, QString(), QFont(font().family(), 10, QFont::Bold));
  d_->plot->plotLayout()->addElement(0, 0, d_->title);
  d_->reached = d_->plot->addGraph();
  d_->reached->setLineStyle(QCPGraph::lsStepCenter);
  d_->reached->setPen(QPen(QColor(0x21, 0x90, 0x8d), 1.5));
  d_->reached->setBrush(QColor(0x21, 0x90, 0x8d, 50));
  d_->never = d_->plot->addGraph();
  d_->never->setLineStyle(QCPGraph::lsNone);
  d_->never->setScatterStyle(
      QCPScatterStyle(QCPScatterStyle::ssSquare, QColor(0x9e, 0x9e, 0x9e), QColor(0xc8, 0xc8, 0xc8), 4));
  d_->plot->xAxis->setLabel(QStringLiteral("key j"));
  auto keys = QSharedPointer<QCPAxisTickerFixed>::create();  // keys are whole numbers
  keys->setTickStep(1.0);
  keys->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  d_->plot->xAxis->setTicker(keys);
  d_->plot->yAxis->setLabel(QStringLiteral("layers until heard"));
  d_->plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  d_->plot->axisRect()->setRangeDrag(Qt::Horizontal);
  d_->plot->axisRect()->setRangeZoom(Qt::Horizontal);
  clear(QStringLiteral("Pick a query to see how many layers each key takes to reach it"));
}

HopProfileView::~HopProfileView() = default;

void HopProfileView::clear(const QString& why) {
  d_->reached->data()->clear();
  d_->never->data()->clear();
  d_->counts.clear();
  d_->neverCount = 0;
  d_->title->setText(why);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void HopProfileView::setProfile(const HopDistances& distances, Index query, const QString& queryName) {
  const Index n = static_cast<Index>(distances.size());
  int maxHops = 0;
  for (auto d : distances) maxHops = std::max<int>(maxHops, d);
  d_->counts.assign(static_cast<std::size_t>(maxHops) + 1, 0);
  d_->neverCount = 0;
  QVector<double> x, y, nx, ny;
  x.reserve(n);
  y.reserve(n);
  const double neverRow = maxHops + 1;
  for (Index j = 0; j < n; ++j) {
    const auto d = distances[static_cast<std::size_t>(j)];
    if (d < 0) {
      ++d_->neverCount;
      nx << double(j);
      ny << neverRow;
      x << double(j);
      y << std::numeric_limits<double>::quiet_NaN();  // a gap in the line
    } else {
      ++d_->counts[static_cast<std::size_t>(d)];
      x << double(j);
      y << double(d);
    }
  }
  d_->reached->setData(x, y, true);
  d_->never->setData(nx, ny, true);
  // Whole hop counts on the axis, and "never" above them when some key is never heard.
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  const int step = std::max(1, (maxHops + 1) / 8);
  for (int h = 0; h <= maxHops; h += step) ticker->addTick(h, QString::number(h));
  if (d_->neverCount > 0) ticker->addTick(neverRow, QStringLiteral("never"));
  d_->plot->yAxis->setTicker(ticker);
  d_->plot->yAxis->setRange(-0.3, neverRow + (d_->neverCount > 0 ? 0.5 : -0.5));
  d_->plot->xAxis->setRange(-0.5, std::max<double>(0.5, double(n) - 0.5));
  const QLocale& en = numberLocale();
  QString name = QStringLiteral("query ") + en.toString(qlonglong(query));
  if (!queryName.isEmpty()) name += QStringLiteral(" (") + queryName + QLatin1Char(')');
  const QString layers = maxHops == 1 ? QStringLiteral("layer") : QStringLiteral("layers");
  QString text = QStringLiteral("%1 hears from every key within %2 %3").arg(name).arg(maxHops).arg(layers);
  if (d_->neverCount > 0)
    text = QStringLiteral("%1: %2 keys within %3 %4, %5 never")
               .arg(name, en.toString(qlonglong(n - d_->neverCount)))
               .arg(maxHops)
               .arg(layers)
               .arg(en.toString(qlonglong(d_->neverCount)));
  d_->title->setText(text);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

QString HopProfileView::title() const { return fullTitle(d_->title); }
Index HopProfileView::keysAt(int hops) const {
  return hops >= 0 && hops < static_cast<int>(d_->counts.size()) ? d_->counts[static_cast<std::size_t>(hops)] : 0;
}
Index HopProfileView::keysNever() const { return d_->neverCount; }

}  // namespace attnscope

#include "widgets/shared/heatmap_view.h"

#include <QClipboard>
#include <QFontMetricsF>
#include <QFileInfo>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QPdfWriter>
#include <QPicture>
#include <QBuffer>
#include <QSvgGenerator>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include "widgets/shared/chart_frame.h"

#include <algorithm>
#include <cmath>
#include <tuple>
#include <string_view>

#include "engine/io/atomic_file.h"

namespace attnscope {

QString fitTitle(const QString& text, QFont& font, double width, double height) {
  for (;;) {
    const QFontMetricsF metrics(font);
    QStringList lines;
    bool wordTooWide = false;
    for (const QString& paragraph : text.split(QLatin1Char('\n'))) {
      QString line;
      for (const QString& word : paragraph.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        wordTooWide = wordTooWide || metrics.horizontalAdvance(word) > width;
        const QString longer = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
        if (!line.isEmpty() && metrics.horizontalAdvance(longer) > width) {
          lines << line;
          line = word;
        } else {
          line = longer;
        }
      }
      lines << line;
    }
    const bool tooTall = metrics.lineSpacing() * lines.size() > height;
    if ((!wordTooWide && !tooTall) || font.pointSizeF() <= 4.0) return lines.join(QLatin1Char('\n'));
    font.setPointSizeF(std::max(4.0, font.pointSizeF() * 0.9));
  }
}

struct HeatmapView::Private {
  QCustomPlot* plot = nullptr;
  QCPColorMap* map = nullptr;
  QCPColorScale* scale = nullptr;
  QCPTextElement* titleElement = nullptr;
  QCPLayoutGrid* body = nullptr;      ///< the map's axes and its colour scale, under the title
  QCPLayoutElement* spacers[4] = {};  ///< left, right, top, bottom of the body: what a square map leaves
  QCPMarginGroup* margins = nullptr;
  std::shared_ptr<const MaskPicture> picture;
  std::shared_ptr<const SparseMask> mask;
  int head = 0;
  QString title;
  QStringList tokens;
  Index highlighted = -1;
  QList<QCPAbstractItem*> overlay;  // highlight and grid items
  QList<QCPAbstractItem*> pathItems;
  std::vector<Index> path;
  bool compact = false;
  Palette palette = Palette::Viridis;
  int tokenTicks = -1;  ///< 1: the tokens' words label the axes, 0: numbers, −1: not chosen yet
  /// Ticks that fit the pixels the map has: each token's word when a cell is tall enough for a line of text (the
  /// key labels are turned 60°, so they need a little more), else numbers spaced so that no two labels meet.
  void fitTicks(const QRect& area) {
    if (!picture) return;
    const double tokensShown = fitted ? double(n()) : plot->yAxis->range().size();
    const QFontMetricsF metrics(plot->xAxis->tickLabelFont());
    const double line = metrics.height();
    const bool words = !tokens.isEmpty() && tokens.size() == picture->n && picture->n <= 48 &&
                       area.height() / std::max(1.0, tokensShown) >= line * 1.16;
    if (int(words) != tokenTicks) {
      tokenTicks = int(words);
      for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
        if (words) {
          auto ticker = QSharedPointer<QCPAxisTickerText>::create();
          for (int i = 0; i < tokens.size(); ++i) ticker->addTick(i, tokens[i]);
          axis->setTicker(ticker);
        } else {
          // Tokens are whole numbers: ticks at integer steps, widened in multiples as the view zooms out.
          auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
          ticker->setTickStep(1.0);
          ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
          axis->setTicker(ticker);
        }
      }
      plot->xAxis->setTickLabelRotation(words ? 60 : 0);
    }
    if (words) return;
    // A tick every `step` tokens, the smallest of 1, 2, 5 × 10^k that leaves each label the room it needs.
    // Cells are square: tokens a pixel is the whole matrix over the shorter side, or the zoomed scale of the axis
    // the other follows (see the drawing's square rule below).
    const bool wide = area.width() >= area.height();
    const double tokensPerPixel =
        fitted ? double(n()) / std::max(1, std::min(area.width(), area.height()))
               : (wide ? plot->yAxis : plot->xAxis)->range().size() / std::max(1, wide ? area.height() : area.width());
    auto spaced = [&](QCPAxis* axis, double room) {
      const double least = std::max(1.0, room * tokensPerPixel);
      double step = std::pow(10.0, std::floor(std::log10(least)));
      for (const double m : {1.0, 2.0, 5.0, 10.0})
        if (step * m >= least) {
          step *= m;
          break;
        }
      if (auto ticker = qSharedPointerDynamicCast<QCPAxisTickerFixed>(axis->ticker())) {
        ticker->setScaleStrategy(QCPAxisTickerFixed::ssNone);
        ticker->setTickStep(step);
      }
    };
    const double label = metrics.horizontalAdvance(QString::number(std::max<Index>(0, n() - 1))) + line;
    spaced(plot->xAxis, label);
    spaced(plot->yAxis, 1.5 * line);
  }
  bool fitted = true;  ///< showing the whole matrix (until the user zooms or pans)
  QSize squaredFor;    ///< the axis rectangle the square cells were computed for
  bool customScale = false;
  bool logScale = false;
  std::function<QString(float)> valueText;
  double scaleLo = 0, scaleHi = 1;
  QString scaleLabel;
  QList<QPair<QString, QColor>> categories;
  bool interacting = false;  ///< a drag, wheel or key of the user's is moving the view (linked views follow)

  Index n() const { return picture ? picture->n : 0; }
  void applyScale();
  void showEmpty(bool empty);
};

namespace {

QCPColorGradient gradientFor(Palette palette) {
  QCPColorGradient g;
  g.clearColorStops();
  for (const auto& [pos, color] : paletteStops(palette)) g.setColorStopAt(pos, color);
  g.setColorInterpolation(QCPColorGradient::ciRGB);
  g.setNanHandling(QCPColorGradient::nhNanColor);  // "never": distinct from every value
  g.setNanColor(QColor(0xc8, 0xc8, 0xc8));
  return g;
}

}  // namespace

// The colour scale for what is shown: categories, a custom value range, or attended shares 0 … 1.
void HeatmapView::Private::showEmpty(bool empty) {
  // An empty map is a sentence, not a frame of axes from −1 to 1 and a colour bar for nothing.
  plot->xAxis->setVisible(!empty);
  plot->yAxis->setVisible(!empty);
  scale->setVisible(!empty && !compact && scale->layout() != nullptr);
  if (empty && title.isEmpty()) titleElement->setText(QStringLiteral("Nothing to show yet"));
}

void HeatmapView::Private::applyScale() {
  Private& d = *this;
  QCPAxis* axis = d.scale->axis();
  // A mask drawn one pixel a cell holds only 0 and 1: a legend of its two colours says so, where a continuous bar
  // with 0.2 … 0.8 would promise values that are not there. (Past 1,024 tokens a pixel is a share of its cells.)
  const bool binary = d.categories.isEmpty() && !d.customScale && d.picture && d.picture->exact();
  const QList<QPair<QString, QColor>> categories =
      binary ? QList<QPair<QString, QColor>>{{QStringLiteral("not"), paletteColorAt(d.palette, 0.0)},
                                             {QStringLiteral("attended"), paletteColorAt(d.palette, 1.0)}}
             : d.categories;
  if (!categories.isEmpty()) {
    const int k = static_cast<int>(categories.size());
    QCPColorGradient g;
    g.clearColorStops();
    for (int i = 0; i < k; ++i) g.setColorStopAt(k == 1 ? 0.0 : double(i) / (k - 1), categories[i].second);
    g.setLevelCount(std::max(2, k));  // value i lands exactly on stop i: no blending between categories
    g.setNanHandling(QCPColorGradient::nhNanColor);
    g.setNanColor(QColor(0xc8, 0xc8, 0xc8));
    d.map->setGradient(g);
    d.map->setDataRange(QCPRange(0, std::max(1, k - 1)));
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (int i = 0; i < k; ++i) ticker->addTick(i, categories[i].first);
    axis->setTicker(ticker);
    axis->setLabel(QString());
    return;
  }
  d.map->setGradient(gradientFor(d.palette));
  const bool log = d.customScale && d.logScale;
  d.map->setDataScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (log) {
    if (qSharedPointerDynamicCast<QCPAxisTickerLog>(axis->ticker()).isNull())
      axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    axis->setNumberFormat(QStringLiteral("gb"));
  } else if (!qSharedPointerDynamicCast<QCPAxisTickerText>(axis->ticker()).isNull() ||
             !qSharedPointerDynamicCast<QCPAxisTickerLog>(axis->ticker()).isNull()) {
    axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    axis->setNumberFormat(QStringLiteral("gbd"));
  }
  if (d.customScale) {
    d.map->setDataRange(QCPRange(d.scaleLo, d.scaleHi));
    axis->setLabel(d.scaleLabel);
  } else {
    d.map->setDataRange(QCPRange(0, 1));
    axis->setLabel(!d.picture || d.picture->exact() ? QStringLiteral("attended (1) or not (0)")
                                                    : QStringLiteral("share of cells attended"));
  }
}

HeatmapView::HeatmapView(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  d_->plot = newPlot(this);
  layout->addWidget(d_->plot);
  setFocusPolicy(Qt::StrongFocus);
  d_->plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  d_->plot->setNoAntialiasingOnDrag(true);
  // The title has a row of its own across the whole figure; below it, a grid of the map and its colour scale.
  QCPLayoutGrid* top = d_->plot->plotLayout();
  QCPAxisRect* axes = d_->plot->axisRect();
  top->take(axes);
  top->simplify();
  d_->titleElement = new QCPTextElement(d_->plot, QString(), QFont(font().family(), 11, QFont::Bold));
  top->addElement(0, 0, d_->titleElement);
  // The map and its scale (the body) sit centred in the space below the title, between spacers that take what a
  // square map leaves: a column of [spacer; row; spacer], the row [spacer, body, spacer].
  // Each grid joins the plot before anything is put into it, so that every element learns its plot from it.
  auto* column = new QCPLayoutGrid;
  top->addElement(1, 0, column);
  column->setRowSpacing(0);
  for (int k = 0; k < 4; ++k) {
    d_->spacers[k] = new QCPLayoutElement(d_->plot);
    d_->spacers[k]->setMinimumSize(0, 0);  // a row or column is limited by its most limited element: the body
  }
  column->addElement(0, 0, d_->spacers[2]);
  auto* row = new QCPLayoutGrid;
  column->addElement(1, 0, row);
  column->addElement(2, 0, d_->spacers[3]);
  row->setColumnSpacing(0);
  row->addElement(0, 0, d_->spacers[0]);
  d_->body = new QCPLayoutGrid;
  row->addElement(0, 1, d_->body);
  row->addElement(0, 2, d_->spacers[1]);
  // The spacers' stretch is small but not negligible: QCustomPlot's layout gives up (and says so) on factors
  // too small to converge on.
  row->setColumnStretchFactors({1e-3, 1.0, 1e-3});
  column->setRowStretchFactors({1e-3, 1.0, 1e-3});
  d_->body->addElement(0, 0, axes);

  d_->plot->xAxis->setLabel(QStringLiteral("key j"));
  d_->plot->yAxis->setLabel(QStringLiteral("query i"));
  d_->plot->yAxis->setRangeReversed(true);  // query 0 at the top, as a matrix is read
  d_->map = new QCPColorMap(d_->plot->xAxis, d_->plot->yAxis);
  d_->map->setInterpolate(false);  // crisp cells
  d_->map->setTightBoundary(false);
  d_->scale = new QCPColorScale(d_->plot);
  d_->body->addElement(0, 1, d_->scale);
  d_->scale->setType(QCPAxis::atRight);
  d_->map->setColorScale(d_->scale);
  d_->margins = new QCPMarginGroup(d_->plot);
  d_->plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, d_->margins);
  d_->scale->setMarginGroup(QCP::msBottom | QCP::msTop, d_->margins);
  setColorPalette(Palette::Viridis);
  d_->map->setDataRange(QCPRange(0, 1));
  d_->showEmpty(true);

  // Square cells that fill the space: the body may grow only as far as keeps the map's rectangle square, and the
  // spacers take the rest. After each layout the room the map could have (its rectangle plus the spacers') is
  // known; while the square that fits it is not the map's rectangle, the body's limit is set again and the layout
  // redone at once (a pass or two), so that every drawing — on screen or into an exported figure — is square.
  connect(d_->plot, &QCustomPlot::afterLayout, this, [this] {
    // A plot not yet given its size (Qt's 100 × 30 before it is shown) has no square worth making, and QCustomPlot's
    // layout cannot settle the limits on it.
    if (d_->plot->viewport().width() <= 100 || d_->plot->viewport().height() <= 100) return;
    QCPLayoutGrid* layout = d_->plot->plotLayout();
    for (int pass = 0; pass < 4; ++pass) {
      const QRect inner = d_->plot->axisRect()->rect();
      const int roomW = inner.width() + d_->spacers[0]->outerRect().width() + d_->spacers[1]->outerRect().width();
      const int roomH = inner.height() + d_->spacers[2]->outerRect().height() + d_->spacers[3]->outerRect().height();
      const int side = std::max(1, std::min(roomW, roomH));
      if (std::abs(inner.width() - side) <= 1 && std::abs(inner.height() - side) <= 1) return;
      const QRect body = d_->body->outerRect();
      const QSize limit(body.width() - inner.width() + side, body.height() - inner.height() + side);
      if (limit == d_->body->maximumSize()) return;  // nothing more can change
      d_->body->setMaximumSize(limit);
      layout->update(QCPLayoutElement::upPreparation);
      layout->update(QCPLayoutElement::upMargins);
      layout->update(QCPLayoutElement::upLayout);
    }
  });
  // Square cells: ranges are set before the replot (ticks are computed from them); if the layout then turns out
  // to have another size than the one used (a tab shown for the first time), one more replot follows.
  connect(d_->plot, &QCustomPlot::beforeReplot, this, [this] {
    if (d_->compact) return;  // small views show the whole matrix, and are square by the layout above
    // While the whole matrix is shown, every replot starts again from it, so a resize (or a hidden tab's layout)
    // never leaves it cropped. Zoomed or panned, the axis with room to spare (by a pixel, while the layout settles)
    // follows the other's scale, around its centre.
    const QRect area = d_->plot->axisRect()->rect();
    d_->squaredFor = area.size();
    d_->fitTicks(area);
    QCPAxis* follower = area.width() >= area.height() ? d_->plot->xAxis : d_->plot->yAxis;
    QCPAxis* leader = follower == d_->plot->xAxis ? d_->plot->yAxis : d_->plot->xAxis;
    if (d_->fitted) {  // the whole matrix, exactly: the rectangle is square (to a pixel), so are the cells
      const double n = std::max(1.0, double(d_->n()));
      d_->plot->xAxis->setRange(-0.5, n - 0.5);
      d_->plot->yAxis->setRange(-0.5, n - 0.5);
      return;
    }
    const double centre = follower->range().center();
    follower->setScaleRatio(leader, 1.0);
    follower->setRange(centre, follower->range().size(), Qt::AlignCenter);
  });
  connect(d_->plot, &QCustomPlot::afterLayout, this, [this] {
    if (!d_->compact && d_->plot->axisRect()->rect().size() != d_->squaredFor)
      d_->plot->replot(QCustomPlot::rpQueuedReplot);
  });
  // Linked views: every range change made by the user's hand is announced.
  for (QCPAxis* axis : {d_->plot->xAxis, d_->plot->yAxis})
    connect(axis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] {
      if (d_->interacting) emit viewMovedByUser(viewRange());
    });
  connect(d_->plot, &QCustomPlot::mouseWheel, this, [this] {
    d_->fitted = false;
    d_->interacting = true;  // the zoom follows this signal within the same event
    QTimer::singleShot(0, this, [this] { d_->interacting = false; });
  });
  connect(d_->plot, &QCustomPlot::mousePress, this, [this](QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) d_->interacting = true;
  });
  connect(d_->plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* event) {
    if (event->buttons() & Qt::LeftButton) d_->fitted = false;  // a drag pans
    const auto [query, key] = cellAt(event->pos());
    if (query < 0) {
      QToolTip::hideText();
      return;
    }
    emit cellHovered(query, key);
    QToolTip::showText(event->globalPosition().toPoint(), describeCell(query, key), d_->plot);
  });
  connect(d_->plot, &QCustomPlot::mouseRelease, this, [this](QMouseEvent* event) {
    if (event->button() != Qt::LeftButton) return;
    d_->interacting = false;
    const auto [query, key] = cellAt(event->pos());
    if (query < 0) return;
    if (event->modifiers() & Qt::ShiftModifier) {
      emit keyClicked(query, key);
      return;
    }
    highlightQuery(query == d_->highlighted ? -1 : query);
    emit queryClicked(query);
  });
}

HeatmapView::~HeatmapView() = default;

void HeatmapView::setColorPalette(Palette palette) {
  d_->palette = palette;
  d_->applyScale();
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::setValueText(std::function<QString(float)> describe) { d_->valueText = std::move(describe); }

void HeatmapView::clearValueScale() {
  d_->customScale = false;
  d_->logScale = false;
  d_->applyScale();
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::setValueScale(double lo, double hi, const QString& label, bool logarithmic) {
  d_->customScale = true;
  d_->logScale = logarithmic && lo > 0;
  d_->scaleLo = lo;
  d_->scaleHi = std::max(hi, lo + 1e-9);
  d_->scaleLabel = label;
  d_->applyScale();
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::setCategories(const QList<QPair<QString, QColor>>& categories) {
  d_->categories = categories;
  d_->applyScale();
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::setColorScaleVisible(bool visible) {
  if (visible == (d_->scale->layout() != nullptr)) return;
  if (visible) {
    d_->body->addElement(0, 1, d_->scale);
  } else {
    d_->body->take(d_->scale);
    d_->body->simplify();
  }
  d_->scale->setVisible(visible);
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::setCompact(bool compact) {
  d_->compact = compact;
  d_->scale->setVisible(!compact);
  if (compact) {
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Ignored);  // the grid divides the space; views do not push
    setMinimumSize(120, 120);
    d_->body->take(d_->scale);
    d_->body->simplify();
    d_->plot->xAxis->setLabel(QString());
    d_->plot->yAxis->setLabel(QString());
    d_->titleElement->setFont(QFont(font().family(), 9));
  }
}

void HeatmapView::setTokens(const QStringList& tokens) { d_->tokens = tokens; }

void HeatmapView::setPicture(std::shared_ptr<const MaskPicture> picture, int head,
                             std::shared_ptr<const SparseMask> mask, const QString& title) {
  const bool sameSize = d_->picture && picture && d_->picture->n == picture->n;
  d_->picture = std::move(picture);
  d_->mask = std::move(mask);
  d_->head = d_->picture ? std::clamp(head, 0, static_cast<int>(d_->picture->heads.size()) - 1) : 0;
  d_->title = title;
  d_->titleElement->setText(title);
  d_->showEmpty(!d_->picture);
  if (!d_->picture) {  // nothing to show: clear what was there, so no stale picture stays up
    d_->map->data()->clear();
    showPath({});
    highlightQuery(-1);
    d_->plot->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  const int side = d_->picture->side;
  const double n = double(d_->picture->n), cell = n / side;
  auto* data = d_->map->data();
  data->setSize(side, side);
  // Cell centres: tokens are centred on integers, so the map spans −0.5 … n − 0.5.
  data->setRange(QCPRange(cell / 2 - 0.5, n - cell / 2 - 0.5), QCPRange(cell / 2 - 0.5, n - cell / 2 - 0.5));
  const std::vector<float>& values = d_->picture->heads[d_->head];
  for (int r = 0; r < side; ++r)
    for (int c = 0; c < side; ++c) data->setCell(c, r, values[static_cast<std::size_t>(r) * side + c]);
  d_->applyScale();

  d_->tokenTicks = -1;  // chosen again at the next drawing, for the pixels it has (Private::fitTicks)
  if (!sameSize || d_->highlighted >= d_->picture->n) d_->highlighted = -1;
  if (!sameSize) showPath({});
  if (!sameSize) resetView();
  highlightQuery(d_->highlighted);
}

void HeatmapView::resetView() {
  d_->fitted = true;
  const double n = double(d_->n());
  d_->plot->xAxis->setRange(-0.5, std::max(0.5, n - 0.5));
  d_->plot->yAxis->setRange(-0.5, std::max(0.5, n - 0.5));
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

void HeatmapView::highlightQuery(Index query) {
  for (QCPAbstractItem* item : d_->overlay) d_->plot->removeItem(item);
  d_->overlay.clear();
  d_->highlighted = query;
  const Index n = d_->n();
  auto rect = [&](double x0, double y0, double x1, double y1, const QPen& pen, const QBrush& brush) {
    auto* r = new QCPItemRect(d_->plot);
    r->topLeft->setCoords(x0, y0);
    r->bottomRight->setCoords(x1, y1);
    r->setPen(pen);
    r->setBrush(brush);
    r->setSelectable(false);
    d_->overlay << r;
  };
  // Thin grid lines when cells are large enough to see.
  if (d_->picture && d_->picture->exact() && n <= 48 && !d_->compact) {
    const QPen grid(QColor(255, 255, 255, 70), 0);
    for (Index i = 0; i <= n; ++i) {
      for (bool vertical : {true, false}) {
        auto* line = new QCPItemLine(d_->plot);
        line->start->setCoords(vertical ? i - 0.5 : -0.5, vertical ? -0.5 : i - 0.5);
        line->end->setCoords(vertical ? i - 0.5 : n - 0.5, vertical ? n - 0.5 : i - 0.5);
        line->setPen(grid);
        line->setSelectable(false);
        d_->overlay << line;
      }
    }
  }
  if (query >= 0 && query < n) {
    rect(-0.5, query - 0.5, n - 0.5, query + 0.5, QPen(QColor(255, 64, 64), 2), Qt::NoBrush);
    if (d_->mask) {
      // One rectangle per run of consecutive keys: a window is one rectangle, not hundreds.
      const auto keys = d_->mask->row(std::min(d_->head, d_->mask->heads() - 1), query);
      for (std::size_t t = 0; t < keys.size();) {
        std::size_t u = t;
        while (u + 1 < keys.size() && keys[u + 1] == keys[u] + 1) ++u;
        rect(keys[t] - 0.5, query - 0.5, keys[u] + 0.5, query + 0.5, QPen(QColor(255, 64, 64), 1),
             QBrush(QColor(255, 64, 64, 110)));
        t = u + 1;
      }
    }
  }
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

Index HeatmapView::highlightedQuery() const { return d_->highlighted; }

void HeatmapView::showPath(const std::vector<Index>& path) {
  for (QCPAbstractItem* item : d_->pathItems) d_->plot->removeItem(item);
  d_->pathItems.clear();
  d_->path = path;
  // Drawn to be followed from the back of a room, on every palette: each hop's cell outlined twice (black outside,
  // white inside) and numbered 1, 2, … in a label of its own, and a thick arrow (white over black) from each hop to
  // the next. Hop k is the cell (path[k], path[k+1]): query path[k] attends key path[k+1].
  const std::size_t hops = path.size() < 2 ? 0 : path.size() - 1;
  for (std::size_t k = 0; k < hops; ++k) {
    const double key = double(path[k + 1]), query = double(path[k]);
    for (const auto& [colour, width] : {std::pair{QColor(0, 0, 0), 6.0}, std::pair{QColor(255, 255, 255), 2.5}}) {
      auto* cell = new QCPItemRect(d_->plot);
      cell->topLeft->setCoords(key - 0.5, query - 0.5);
      cell->bottomRight->setCoords(key + 0.5, query + 0.5);
      cell->setPen(QPen(colour, width));
      cell->setBrush(Qt::NoBrush);
      cell->setSelectable(false);
      d_->pathItems << cell;
    }
    if (k + 1 < hops) {  // to the next hop: row path[k+1], column path[k+2]
      for (const auto& [colour, width, head] :
           {std::tuple{QColor(0, 0, 0), 7.0, 22.0}, std::tuple{QColor(255, 255, 255), 3.5, 16.0}}) {
        auto* arrow = new QCPItemLine(d_->plot);
        arrow->start->setCoords(key, query);
        arrow->end->setCoords(double(path[k + 2]), double(path[k + 1]));
        arrow->setPen(QPen(colour, width, Qt::SolidLine, Qt::RoundCap));
        arrow->setHead(QCPLineEnding(QCPLineEnding::esSpikeArrow, head, head * 1.3));
        arrow->setSelectable(false);
        d_->pathItems << arrow;
      }
    }
    if (hops <= 32) {  // the hop's number past the cell's top-right corner (a path runs up and left, to earlier
                       // keys, more often than not), readable however small the cell
      auto* number = new QCPItemText(d_->plot);
      number->position->setCoords(key + 0.5, query - 0.5);
      number->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
      number->setText(QString::number(k + 1));
      QFont font = number->font();
      font.setBold(true);
      font.setPointSizeF(font.pointSizeF() * 1.3);
      number->setFont(font);
      number->setColor(Qt::black);
      number->setBrush(QColor(255, 255, 255, 235));
      number->setPen(QPen(Qt::black, 1.5));
      number->setPadding(QMargins(4, 1, 4, 1));
      number->setClipToAxisRect(false);
      number->setSelectable(false);
      d_->pathItems << number;
    }
  }
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

const std::vector<Index>& HeatmapView::shownPath() const { return d_->path; }
QString HeatmapView::title() const { return d_->title; }
int HeatmapView::pictureSide() const { return d_->picture ? d_->picture->side : 0; }
Index HeatmapView::tokens() const { return d_->n(); }

float HeatmapView::pictureValue(int row, int column) const {
  if (!d_->picture) return 0.0f;
  return d_->picture->heads[d_->head][static_cast<std::size_t>(row) * d_->picture->side + column];
}

std::pair<Index, Index> HeatmapView::cellAt(const QPoint& position) const {
  const Index n = d_->n();
  if (n == 0 || !d_->plot->axisRect()->rect().contains(position)) return {-1, -1};
  const double x = d_->plot->xAxis->pixelToCoord(position.x());
  const double y = d_->plot->yAxis->pixelToCoord(position.y());
  const Index key = static_cast<Index>(std::floor(x + 0.5)), query = static_cast<Index>(std::floor(y + 0.5));
  if (key < 0 || key >= n || query < 0 || query >= n) return {-1, -1};
  return {query, key};
}

QPoint HeatmapView::cellCenter(Index query, Index key) const {
  return QPoint(static_cast<int>(std::lround(d_->plot->xAxis->coordToPixel(double(key)))),
                static_cast<int>(std::lround(d_->plot->yAxis->coordToPixel(double(query)))));
}

QWidget* HeatmapView::plotWidget() const { return d_->plot; }

QRectF HeatmapView::viewRange() const {
  const QCPRange x = d_->plot->xAxis->range(), y = d_->plot->yAxis->range();
  return QRectF(QPointF(x.lower, y.lower), QPointF(x.upper, y.upper));
}

bool HeatmapView::showsWhole() const { return d_->fitted; }

QRect HeatmapView::mapRect() const { return d_->plot->axisRect()->rect(); }

bool HeatmapView::showsAxes() const { return d_->plot->xAxis->visible(); }

QString HeatmapView::shownTitle() const { return d_->titleElement->text(); }

QStringList HeatmapView::scaleLabels() const {
  QStringList labels;
  if (auto text = qSharedPointerDynamicCast<QCPAxisTickerText>(d_->scale->axis()->ticker()))
    for (const QString& label : text->ticks()) labels << label;
  return labels;
}

void HeatmapView::setViewRange(const QRectF& range) {
  if (range.isNull()) {  // the other view was reset
    resetView();
    return;
  }
  d_->fitted = false;
  d_->plot->xAxis->setRange(range.left(), range.right());
  d_->plot->yAxis->setRange(range.top(), range.bottom());
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

QString HeatmapView::describeCell(Index query, Index key) const {
  auto name = [&](Index t) {
    QString s = QString::number(t);
    if (d_->tokens.size() == d_->n() && t < d_->tokens.size())
      s += QStringLiteral(" (") + d_->tokens[t] + QLatin1Char(')');
    return s;
  };
  QString text = QStringLiteral("query ") + name(query) + QStringLiteral(" → key ") + name(key) + QStringLiteral(": ");
  if (!d_->categories.isEmpty() && d_->picture) {
    const int side = d_->picture->side;
    const int r = static_cast<int>(query * side / d_->n()), c = static_cast<int>(key * side / d_->n());
    const float v = pictureValue(r, c);
    const int i = std::isnan(v) ? -1 : static_cast<int>(std::lround(v));
    const QString what = i >= 0 && i < d_->categories.size() ? d_->categories[i].first : QStringLiteral("—");
    return text + (d_->picture->exact() ? what : QStringLiteral("tile around it mostly ") + what);
  }
  if (d_->customScale && d_->picture && d_->picture->exact()) {
    const float v = pictureValue(static_cast<int>(query), static_cast<int>(key));
    return text + (d_->valueText ? d_->valueText(v) : QString::number(v));
  }
  if (d_->mask) {
    const int h = std::min(d_->head, d_->mask->heads() - 1);
    text += d_->mask->contains(h, query, key) ? QStringLiteral("attended") : QStringLiteral("not attended");
  } else if (d_->picture && d_->picture->exact()) {  // a picture without a mask (full attention, say)
    text += pictureValue(static_cast<int>(query), static_cast<int>(key)) > 0.5f ? QStringLiteral("attended")
                                                                                : QStringLiteral("not attended");
  }
  if (d_->picture && !d_->picture->exact()) {
    const int side = d_->picture->side;
    const int r = static_cast<int>(query * side / d_->n()), c = static_cast<int>(key * side / d_->n());
    text += QStringLiteral(" (tile around it: %1% attended)").arg(100.0 * pictureValue(r, c), 0, 'f', 1);
  }
  return text;
}

void HeatmapView::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_R || event->key() == Qt::Key_Home) {
    resetView();
    emit viewMovedByUser(QRectF());  // a null range: linked views reset too
    return;
  }
  if (event->key() == Qt::Key_Escape) {
    highlightQuery(-1);
    return;
  }
  QWidget::keyPressEvent(event);
}

QList<QPair<double, QString>> HeatmapView::tickLabels(Qt::Orientation orientation) const {
  QCPAxis* axis = orientation == Qt::Horizontal ? d_->plot->xAxis : d_->plot->yAxis;
  QList<QPair<double, QString>> labels;
  if (!axis->visible() || !axis->tickLabels()) return labels;
  const QVector<double> ticks = axis->tickVector();
  const QVector<QString> texts = axis->tickVectorLabels();
  for (int i = 0; i < ticks.size() && i < texts.size(); ++i)
    if (axis->range().contains(ticks[i])) labels.append({axis->coordToPixel(ticks[i]), texts[i]});
  return labels;
}

QFont HeatmapView::tickLabelFont() const { return d_->plot->xAxis->tickLabelFont(); }

double HeatmapView::keyLabelRotation() const { return d_->plot->xAxis->tickLabelRotation(); }

QFont HeatmapView::titleFont() const { return d_->titleElement->font(); }

void HeatmapView::redraw() {
  // Twice: a first layout at a new size may ask for a second, to square the map (see the constructor).
  for (int pass = 0; pass < 2; ++pass) d_->plot->replot(QCustomPlot::rpImmediateRefresh);
}

QImage HeatmapView::toImage(int width, int height, double scale) {
  return d_->plot->toPixmap(width, height, scale).toImage();
}

namespace {
// The band a caption takes in a figure `height` logical pixels high.
double captionBand(double height) { return std::min(48.0, height * 0.12); }
}  // namespace

void FigureCanvas::drawView(HeatmapView& view, const QRectF& rect) { drawView_(view, rect); }

double FigureCanvas::drawCaption(const QString& caption) {
  const double top = captionBand(size_.height());
  drawText(QRectF(8, 4, size_.width() - 16, top - 8), caption, std::clamp(top / 3.2, 6.0, 13.0), true);
  return top;
}

void FigureCanvas::drawText(const QRectF& rect, const QString& text, double points, bool bold,
                            Qt::Alignment alignment) {
  painter_->save();
  QFont font = painter_->font();
  font.setPointSizeF(points);
  font.setBold(bold);
  const int flags = static_cast<int>(alignment) | Qt::TextWordWrap;
  // Wrapped to the rectangle, and set smaller until it fits its height too (never below 4 pt).
  for (;;) {
    painter_->setFont(font);
    if (font.pointSizeF() <= 4.0 || painter_->boundingRect(rect, flags, text).height() <= rect.height()) break;
    font.setPointSizeF(std::max(4.0, font.pointSizeF() * 0.9));
  }
  painter_->setPen(Qt::black);
  painter_->drawText(rect, flags, text);
  painter_->restore();
}

bool HeatmapView::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  return writeFigure(
      path, QSize(width, height), dpi, d_->title,
      [this](FigureCanvas& canvas) { canvas.drawView(*this, QRectF(QPointF(0, 0), canvas.size())); }, error);
}

bool HeatmapView::writeFigure(const QString& path, QSize size, int dpi, const QString& title,
                              const std::function<void(FigureCanvas&)>& draw, QString* error) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  auto fail = [&](const QString& why) {
    if (error) *error = why;
    return false;
  };
  const int width = size.width(), height = size.height();
  if (width < 16 || height < 16 || width > 20000 || height > 20000)
    return fail(QStringLiteral("size %1×%2 is not allowed: expected 16 … 20000 on each side").arg(width).arg(height));
  if (dpi < 36 || dpi > 2400) return fail(QStringLiteral("dpi %1 is not allowed: expected 36 … 2400").arg(dpi));
  if (suffix != QStringLiteral("png") && suffix != QStringLiteral("svg") && suffix != QStringLiteral("pdf"))
    return fail(QStringLiteral("'%1' is not allowed: expected a file ending in .png, .svg or .pdf").arg(path));
  // The figure is encoded in memory first and then written all or nothing, so a failed encoder or a full disk
  // leaves the old file as it was; symbolic links are written through and special files refused (atomic_file.h).
  QBuffer file;
  file.open(QIODevice::WriteOnly);
  // Every view is drawn by its own QCustomPlot onto the one painter, shifted to its place: vectors stay vectors.
  auto compose = [&](QCPPainter& painter, QSizeF logical) {
    FigureCanvas canvas(&painter, logical,
                        [&painter](HeatmapView& view, const QRectF& rect) { view.paintFigure(painter, rect); });
    draw(canvas);
  };
  if (suffix == QStringLiteral("png")) {
    // Laid out at size·96/dpi logical pixels and drawn at dpi/96 times that: the file is exactly width × height
    // pixels, with text sized for printing at `dpi`.
    const double scale = dpi / 96.0;
    QImage image(width, height, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::white);
    auto setDpi = [&image](double d) {
      const int dotsPerMeter = static_cast<int>(std::lround(d / 0.0254));
      image.setDotsPerMeterX(dotsPerMeter);
      image.setDotsPerMeterY(dotsPerMeter);
    };
    setDpi(96);  // fonts sized as on screen, then scaled with everything else
    {
      QCPPainter painter(&image);
      painter.setRenderHint(QPainter::Antialiasing);
      painter.scale(scale, scale);
      compose(painter, QSizeF(width / scale, height / scale));
    }
    setDpi(dpi);
    if (!image.save(&file, "PNG")) return fail(QStringLiteral("cannot write '%1': PNG encoding failed").arg(path));
  } else if (suffix == QStringLiteral("svg")) {
    QSvgGenerator generator;
    generator.setOutputDevice(&file);
    generator.setSize(QSize(width, height));
    generator.setViewBox(QRect(0, 0, width, height));
    generator.setTitle(title);
    generator.setDescription(QStringLiteral("AttnScope attention pattern"));
    QCPPainter painter;
    painter.begin(&generator);
    compose(painter, QSizeF(width, height));
    painter.end();
  } else {
    QPdfWriter writer(&file);
    writer.setPageSize(QPageSize(QSizeF(width, height), QPageSize::Point));
    writer.setPageMargins(QMarginsF(0, 0, 0, 0));
    writer.setResolution(72);
    writer.setTitle(title);
    writer.setCreator(QStringLiteral("AttnScope"));
    QCPPainter painter;
    if (!painter.begin(&writer)) return fail(QStringLiteral("cannot write '%1': PDF output failed").arg(path));
    compose(painter, QSizeF(width, height));
    painter.end();
  }
  try {
    writeFileAtomically(path.toStdString(), std::string_view(file.data().constData(), std::size_t(file.data().size())));
  } catch (const std::exception& e) {
    return fail(QString::fromStdString(e.what()));
  }
  return true;
}

// The title is wrapped (and, if a word is still too wide, set smaller) to the width it gets in this figure, then
// put back as the screen shows it.
void HeatmapView::paintFigure(QCPPainter& painter, const QRectF& rect) {
  QCPTextElement* title = d_->titleElement;
  const QString text = title->text(), full = fullTitle(title);
  const QFont font = title->font();
  QFont fitted = font;
  title->setText(fitTitle(full, fitted, rect.width() - 12, rect.height() * 0.3));
  title->setFont(fitted);
  painter.save();
  painter.translate(rect.topLeft());
  d_->plot->toPainter(&painter, std::max(1, int(std::lround(rect.width()))),
                      std::max(1, int(std::lround(rect.height()))));
  painter.restore();
  title->setText(text);
  title->setFont(font);
}

// Laid out as an export would lay it out at `size`, how much height the square map leaves over (the spacers above
// and below it). The layout stays at that size until the screen's next drawing, queued here.
double HeatmapView::unusedHeight(QSizeF size) {
  QPicture picture;
  {
    QCPPainter painter(&picture);
    paintFigure(painter, QRectF(QPointF(0, 0), size));
  }
  const double unused = d_->spacers[2]->outerRect().height() + d_->spacers[3]->outerRect().height();
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
  return unused;
}

QSize HeatmapView::figureSize(const QList<HeatmapView*>& views, bool caption, int width, int dpi) {
  const double scale = dpi / 96.0;  // logical pixels as writeFigure lays a PNG out
  const double columnWidth = width / scale / std::max<qsizetype>(1, views.size());
  // Drawn taller than a square needs, each map is as wide as its column allows; what is left over below and above
  // it is what the figure does not need.
  const double trial = columnWidth * 1.6;
  const double top = caption ? 48.0 : 0.0;
  double unused = trial;
  for (HeatmapView* view : views) unused = std::min(unused, view->unusedHeight(QSizeF(columnWidth, trial)));
  double height = top + trial - unused;
  if (caption) height += captionBand(height) - top;  // the band is smaller only in a very flat figure
  return {width, std::clamp(int(std::lround(height * scale)), 16, 20000)};
}

bool HeatmapView::writeCaptioned(const QString& path, QSize size, int dpi, const QString& caption,
                                 const QList<HeatmapView*>& views, QString* error) {
  return writeFigure(
      path, size, dpi, caption,
      [&](FigureCanvas& canvas) {
        const QSizeF whole = canvas.size();
        const double top = canvas.drawCaption(caption);
        const double width = whole.width() / std::max<qsizetype>(1, views.size());
        for (qsizetype i = 0; i < views.size(); ++i)
          canvas.drawView(*views[i], QRectF(double(i) * width, top, width, whole.height() - top));
      },
      error);
}

void HeatmapView::copyToClipboard(int width, int height) {
  QGuiApplication::clipboard()->setImage(toImage(width, height, 2.0));
}

}  // namespace attnscope

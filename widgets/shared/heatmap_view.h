#pragma once
// The attention matrix as a heatmap: query rows top to bottom, key columns left to right, crisp cells, a colour
// scale, zoom with the wheel, pan by dragging, R (or Home) to reset; hovering names the cell, clicking a query
// row highlights the keys it attends. It draws a precomputed MaskPicture, so its cost does not grow with n.

#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

#include "engine/masks/sparse_mask.h"
#include "widgets/shared/mask_picture.h"
#include "widgets/shared/palettes.h"

class QCPPainter;

namespace attnscope {

class HeatmapView;

/// A figure being written by HeatmapView::writeFigure, in logical units (points for SVG and PDF; pixels at
/// 96 dpi for PNG, scaled up to the file's resolution). Heatmaps are drawn as vectors where the format has them.
/// A title broken into lines no wider than `width` at spaces, with `font` made smaller while a single word is still
/// too wide or the lines are taller than `height` (never below 4 pt): how exported figures fit their titles.
QString fitTitle(const QString& text, QFont& font, double width, double height);

class FigureCanvas {
 public:
  QSizeF size() const { return size_; }
  QPainter& painter() { return *painter_; }
  /// Draws `view`'s whole figure (title, axes, colour scale) into `rect`.
  void drawView(HeatmapView& view, const QRectF& rect);
  /// `caption` in bold across the top, in a band of at most 48 units (an eighth of a flat figure); returns the
  /// band's height, where the rest of the figure starts.
  double drawCaption(const QString& caption);
  /// Text in `rect`, `points` high, wrapped at word boundaries.
  void drawText(const QRectF& rect, const QString& text, double points, bool bold = false,
                Qt::Alignment alignment = Qt::AlignCenter);

 private:
  friend class HeatmapView;
  FigureCanvas(QPainter* painter, QSizeF size, std::function<void(HeatmapView&, const QRectF&)> drawView)
      : painter_(painter), size_(size), drawView_(std::move(drawView)) {}
  QPainter* painter_;
  QSizeF size_;
  std::function<void(HeatmapView&, const QRectF&)> drawView_;
};

class HeatmapView : public QWidget {
  Q_OBJECT
 public:
  explicit HeatmapView(QWidget* parent = nullptr);
  ~HeatmapView() override;

  /// Shows head `head` of `picture`. `mask` (may be null) answers hover and clicks with exact cells; `title`
  /// names the pattern and its parameters (it is drawn above the map and in exports).
  void setPicture(std::shared_ptr<const MaskPicture> picture, int head, std::shared_ptr<const SparseMask> mask,
                  const QString& title);
  /// Axis labels for the tokens, used when they fit (n ≤ 48).
  void setTokens(const QStringList& tokens);
  void setColorPalette(Palette palette);
  /// Values other than attended shares (hop counts, say): the colour scale spans lo … hi under `label`; NaN cells
  /// are drawn in a distinct grey. Without this, the scale is 0 … 1.
  /// `logarithmic`: a log colour scale (lo > 0), for softmax weights that span orders of magnitude.
  void setValueScale(double lo, double hi, const QString& label, bool logarithmic = false);
  /// How hover text reads a value on a custom scale ("2 hops", "weight 0.013"); NaN cells included.
  void setValueText(std::function<QString(float)> describe);
  /// Back to the attended-share scale 0 … 1.
  void clearValueScale();
  /// Named categories instead of a continuous scale: picture value i (0, 1, …) is drawn in colours[i] and the
  /// colour scale reads the names. An empty list goes back to the continuous palette.
  void setCategories(const QList<QPair<QString, QColor>>& categories);
  /// Shows or hides the colour scale (two views side by side share one).
  void setColorScaleVisible(bool visible);
  /// A small version for the grid of heads: no colour scale, a short title.
  void setCompact(bool compact);
  void resetView();
  /// Lays the map out and draws it now, for the size it has (tests read what is drawn; the screen redraws itself).
  void redraw();
  /// Highlights the keys query `query` attends (−1 clears).
  void highlightQuery(Index query);
  Index highlightedQuery() const;
  /// Marks a multi-hop path i → j → … → k: the cells (i, j), (j, …), … outlined, with an arrow from each hop to the
  /// next. An empty path clears it.
  void showPath(const std::vector<Index>& path);
  const std::vector<Index>& shownPath() const;

  /// "query 7 (cat) → key 3 (the): attended", or the density of a tile above the exact size.
  QString describeCell(Index query, Index key) const;
  QString title() const;
  int pictureSide() const;
  Index tokens() const;
  /// Picture value at (row, column), for tests and tooltips.
  float pictureValue(int row, int column) const;
  /// The (query, key) under a position in plotWidget(), or (−1, −1); and the reverse.
  std::pair<Index, Index> cellAt(const QPoint& position) const;
  QPoint cellCenter(Index query, Index key) const;
  /// The widget that receives the mouse (for simulated clicks in tests).
  QWidget* plotWidget() const;
  /// The visible part of the matrix: x = keys, y = queries, in token coordinates (cells centred on integers).
  QRectF viewRange() const;
  /// Where the matrix is drawn, in plotWidget()'s pixels: square, centred in the view with its colour scale.
  QRect mapRect() const;
  /// The colour scale's named entries, when it has them ("not", "attended" for a mask drawn a pixel a
  /// cell; a comparison's categories), else empty: the scale is a continuous bar.
  QStringList scaleLabels() const;
  /// False while there is no picture: the view then shows a sentence, not empty axes.
  bool showsAxes() const;
  /// The title as drawn (with no picture and no title of its own, the sentence that says so).
  QString shownTitle() const;
  /// The tick labels drawn along the key (Horizontal) or query (Vertical) axis: each label's centre in
  /// plotWidget()'s pixels along the axis, and its text; with the font they are drawn in and the key labels' turn
  /// in degrees (60 when they are words), so a test can tell whether two of them meet.
  QList<QPair<double, QString>> tickLabels(Qt::Orientation orientation) const;
  QFont tickLabelFont() const;
  double keyLabelRotation() const;
  QFont titleFont() const;
  /// True while the whole matrix is shown (until the user zooms or pans).
  bool showsWhole() const;
  /// Shows `range` (as another view's viewRange()); a null range shows the whole matrix. Does not emit
  /// viewMovedByUser.
  void setViewRange(const QRectF& range);

  /// The whole figure (title, axes, colour scale) at width × height logical pixels times `scale`.
  QImage toImage(int width, int height, double scale = 1.0);
  /// Writes PNG (width × height pixels, `dpi` recorded and used to size text), SVG or PDF (width × height points),
  /// chosen by the file's ending; all or nothing. Returns false and sets `error` on failure.
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error);
  void copyToClipboard(int width, int height);
  /// Writes a figure composed by `draw` — PNG (size in pixels, `dpi` recorded and used to size text), SVG or PDF
  /// (size in points), chosen by the file's ending — all or nothing. Returns false and sets `error` on failure.
  static bool writeFigure(const QString& path, QSize size, int dpi, const QString& title,
                          const std::function<void(FigureCanvas&)>& draw, QString* error);
  /// The size of a figure `width` wide (pixels at `dpi`; points for SVG and PDF with dpi 96) that draws `views`
  /// side by side, under a caption band when `caption`, with square cells and no height left over.
  static QSize figureSize(const QList<HeatmapView*>& views, bool caption, int width, int dpi);
  /// The figure of a comparison: `caption` in bold across the top, `views` side by side below it in equal widths.
  static bool writeCaptioned(const QString& path, QSize size, int dpi, const QString& caption,
                             const QList<HeatmapView*>& views, QString* error);

 signals:
  void queryClicked(Index query);
  /// A shift-click: the key column picked as the end of a path.
  void keyClicked(Index query, Index key);
  void cellHovered(Index query, Index key);
  /// The user zoomed, panned or reset the view (for linking two views).
  void viewMovedByUser(const QRectF& range);

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  friend class FigureCanvas;
  /// The whole figure drawn into `rect` of `painter`, its title fitted to the width.
  void paintFigure(QCPPainter& painter, const QRectF& rect);
  double unusedHeight(QSizeF size);
  struct Private;
  std::unique_ptr<Private> d_;
};

}  // namespace attnscope

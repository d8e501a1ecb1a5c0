#pragma once
// The What it costs page's two charts.
// - TradeOffChart: what a model's answers keep (top-1 agreement, or the KL divergence from the full model) against
//   the share of attention cells a substitute computes, one point a budget of a sweep as it comes, the full model
//   at (100%, agreement 1 / KL 0), the Pareto front of the points drawn through them (nothing cheaper keeps more),
//   and on a second axis the measured time of each substituted pass.
// - LayerChart: what each layer tolerates: the drift of the model's output (relative L2 of the last residual
//   stream) when the substitute replaces one layer alone, a row of bars per substitute (the last three kept).

#include <QPixmap>
#include <QWidget>

#include <memory>
#include <vector>

namespace attnscope {

class TradeOffChart : public QWidget {
  Q_OBJECT
 public:
  enum class Quality { Agreement, Kl };
  explicit TradeOffChart(QWidget* parent = nullptr);
  ~TradeOffChart() override;

  void clear(const QString& title);
  /// One budget measured: its label ("radius=8"), the share of cells, the agreement, the mean KL and the substituted
  /// pass's time (and the full pass's, for the full model's point).
  void addPoint(const QString& label, double share, double agreement, double kl, double ms, double msFull);
  void setQuality(Quality quality);
  Quality quality() const;
  /// What the horizontal axis counts (the What it costs page: attention cells; the Compress page: bytes).
  void setXLabel(const QString& label);
  /// The least height the plot takes (160 by default): a page with more below it asks for less.
  void setMinimumPlotHeight(int height);
  /// What the points are, in the legend ("budgets"; the Compress page: "combinations").
  void setPointsName(const QString& name);
  QString xLabel() const;
  /// The chart drawn at the given size (the page's export).
  QPixmap picture(int width, int height) const;

  // For tests.
  int points() const;
  QString title() const;
  /// The indices (in the order added) of the points on the Pareto front, by rising share.
  std::vector<int> front() const;
  /// (share, quality) of point `index` as plotted.
  QPointF point(int index) const;

 private:
  void redraw();
  struct Private;
  std::unique_ptr<Private> d_;
};

class LayerChart : public QWidget {
  Q_OBJECT
 public:
  explicit LayerChart(QWidget* parent = nullptr);
  ~LayerChart() override;

  void clear(const QString& title);
  void setTitle(const QString& title);
  /// Starts a row for a substitute over `layers` layers (the oldest of three rows makes way).
  void beginRow(const QString& label, int layers);
  /// Layer `layer` of the newest row measured: the drift of the output with it alone substituted.
  void setBar(int layer, double drift);
  QPixmap picture(int width, int height) const;

  // For tests.
  int rows() const;
  QString title() const;
  /// The newest row's bar for `layer` (−1 when not measured yet).
  double bar(int layer) const;

 private:
  void redraw();
  struct Private;
  std::unique_ptr<Private> d_;
};

}  // namespace attnscope

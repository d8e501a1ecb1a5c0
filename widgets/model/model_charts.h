#pragma once
// The Model tab's charts: the receptive field through a stack (the full layers marked), and what attention and the
// feed-forward layers cost as n grows, on log axes, with the length where attention overtakes the feed-forward.

#include <QWidget>

#include <memory>
#include <vector>

#include "engine/models/model_cost.h"

namespace attnscope {

class FigureCanvas;

class StackReachChart : public QWidget {
  Q_OBJECT
 public:
  explicit StackReachChart(QWidget* parent = nullptr);
  ~StackReachChart() override;
  /// reach[ℓ − 1] and causalReach[ℓ − 1] after layer ℓ; `fullLayers` (1-based) are marked; `sampledSources` > 0
  /// labels the curves as estimated from that many tokens.
  void setCurves(const std::vector<double>& reach, const std::vector<double>& causalReach,
                 const std::vector<int>& fullLayers, int sampledSources);
  void clear(const QString& why);
  QString title() const;
  int points() const;
  void drawInto(FigureCanvas& canvas, const QRectF& rect);

 private:
  struct Private;
  std::unique_ptr<Private> d_;
};

class CostChart : public QWidget {
  Q_OBJECT
 public:
  explicit CostChart(QWidget* parent = nullptr);
  ~CostChart() override;
  /// The curve, and the current n marked. Says where attention FLOPs first pass the feed-forward's.
  void setCurve(const std::vector<CostPoint>& points, Index currentN);
  void clear(const QString& why);
  QString title() const;
  /// The first n of the curve where attention costs more than the feed-forward layers, or 0.
  Index crossover() const;
  void drawInto(FigureCanvas& canvas, const QRectF& rect);

 private:
  struct Private;
  std::unique_ptr<Private> d_;
};

}  // namespace attnscope

#pragma once
// The Real attention tab's best-pattern chart for one head: the Pareto front of the fitted candidates (the share of
// n² a pattern takes against the attention mass it keeps; nothing cheaper keeps more), the share asked for as a
// dashed line, and the pattern chosen — the cheapest on the front above that line — marked.

#include <QWidget>

#include <memory>
#include <vector>

#include "engine/weights/fit.h"

namespace attnscope {

class ParetoChart : public QWidget {
  Q_OBJECT
 public:
  explicit ParetoChart(QWidget* parent = nullptr);
  ~ParetoChart() override;

  void clear(const QString& title);
  /// One head's front and its best candidate, with n² to turn cells into shares.
  void setFit(const QString& title, const HeadFit& fit, double keep, double nSquared);

  // For tests.
  int points() const;
  QString title() const;
  /// (share of n², mass kept) of point `index` of the front, or of the marked best when index is −1.
  QPointF point(int index) const;
  double keepLevel() const;

 private:
  struct Private;
  std::unique_ptr<Private> d_;
};

}  // namespace attnscope

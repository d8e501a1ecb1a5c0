#pragma once
// Time against n on log-log axes for the pattern and for full attention, with the point from which the pattern is
// faster marked: the picture of "quadratic against linear" a class can measure on its own machine.

#include <QWidget>

#include <memory>
#include <vector>

#include "engine/attention/scaling_sweep.h"

namespace attnscope {

class ScalingChart : public QWidget {
  Q_OBJECT
 public:
  explicit ScalingChart(QWidget* parent = nullptr);
  ~ScalingChart() override;

  void clear(const QString& title);
  void addPoint(const ScalingPoint& point);
  /// Marks n (0: the pattern never became faster, which the title says).
  void setCrossover(Index n);
  /// What the faster curve is called (default "pattern"): a method's name in the Approximate tab.
  void setSeriesName(const QString& name);
  /// A new title, the points kept (a sweep's ending: cancelled, never faster).
  void setTitle(const QString& title);
  int points(bool full) const;
  double crossoverMarked() const;  ///< the n marked, 0 if none
  QString title() const;

 private:
  struct Private;
  std::unique_ptr<Private> d_;
};

}  // namespace attnscope

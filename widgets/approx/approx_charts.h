#pragma once
// The Approximate tab's error-against-budget chart: as a method's budget doubles (Linformer's k, Performer's
// nb_features, Nyströmformer's landmarks), its output error and the L1 distance of its weights from exact softmax,
// with uniform attention's L1 as a dashed line — on unstructured inputs several methods never get below it.

#include <QWidget>

#include <memory>

#include "engine/approx/approx_measure.h"

namespace attnscope {

class BudgetChart : public QWidget {
  Q_OBJECT
 public:
  explicit BudgetChart(QWidget* parent = nullptr);
  ~BudgetChart() override;

  void clear(const QString& title);
  /// Names the budget on the x axis ("nb_features").
  void setBudgetName(const QString& name);
  void addStep(const ApproxBudgetStep& step);
  void setTitle(const QString& title);
  int points() const;
  QString title() const;
  /// The y value plotted for step `index` of the named curve ("output" or "weights"), for tests.
  double value(const QString& curve, int index) const;
  double uniformLevel() const;

 private:
  struct Private;
  std::unique_ptr<Private> d_;
};

}  // namespace attnscope

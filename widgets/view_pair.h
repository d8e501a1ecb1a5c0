#pragma once
// Two heatmaps side by side, each as nearly square as the space allows and aligned at the top: a tall, narrow
// view would only add empty rows above and below its matrix.

#include <QWidget>

#include <algorithm>

namespace attnscope {

class ViewPair : public QWidget {
 public:
  ViewPair(QWidget* left, QWidget* right, QWidget* parent = nullptr);
  QSize sizeHint() const override { return {900, 520}; }
  QSize minimumSizeHint() const override { return {320, 200}; }
  bool hasHeightForWidth() const override { return true; }
  int heightForWidth(int width) const override { return std::max(200, squareHeight(width)); }
  /// The height at which each half's matrix is square.
  static int squareHeight(int width) { return std::max(1, (width - 8) / 2 - 60); }

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  QWidget* left_;
  QWidget* right_;
};

}  // namespace attnscope

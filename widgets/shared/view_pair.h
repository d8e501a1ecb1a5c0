#pragma once
// Two heatmaps side by side, each given half the width and the whole height: each keeps its own matrix square
// and centred in that space (HeatmapView's layout), at the largest size it allows.

#include <QWidget>

#include <algorithm>

namespace attnscope {

class ViewPair : public QWidget {
 public:
  ViewPair(QWidget* left, QWidget* right, QWidget* parent = nullptr);
  QSize sizeHint() const override { return {900, 520}; }
  QSize minimumSizeHint() const override { return {320, 200}; }

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  QWidget* left_;
  QWidget* right_;
};

}  // namespace attnscope

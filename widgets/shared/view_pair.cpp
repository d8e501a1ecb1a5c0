#include "widgets/shared/view_pair.h"

#include <algorithm>

namespace attnscope {

ViewPair::ViewPair(QWidget* left, QWidget* right, QWidget* parent) : QWidget(parent), left_(left), right_(right) {
  left_->setParent(this);
  right_->setParent(this);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void ViewPair::resizeEvent(QResizeEvent*) {
  constexpr int gap = 8;
  const int w = std::max(1, (width() - gap) / 2);
  const int h = std::max(1, height());
  left_->setGeometry(0, 0, w, h);
  right_->setGeometry(w + gap, 0, w, h);
}

}  // namespace attnscope

#include "widgets/shared/text_size.h"

#include <QApplication>

#include <algorithm>
#include <cmath>

namespace attnscope {

TextSize::TextSize() : base_(QApplication::font()) {}

TextSize& TextSize::instance() {
  static TextSize* size = new TextSize;  // lives as long as the application; never destroyed after it
  return *size;
}

void TextSize::setFactor(double factor) {
  // Rounded to hundredths, so that Larger then Smaller comes back exactly.
  factor = std::round(std::clamp(factor, kSmallest, kLargest) * 100.0) / 100.0;
  if (factor == factor_) return;
  factor_ = factor;
  QFont font = base_;
  if (base_.pointSizeF() > 0)
    font.setPointSizeF(base_.pointSizeF() * factor);
  else
    font.setPixelSize(std::max(1, int(std::lround(base_.pixelSize() * factor))));
  QApplication::setFont(font);
  emit changed(factor_);
}

}  // namespace attnscope

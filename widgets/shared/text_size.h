#pragma once
// The interface's text size, one factor for the whole application (View → Larger text, Smaller text, Reset text):
// it scales the application font and every chart's fonts, line widths and markers together, so a projected
// window reads from the back of a room. The main window remembers it between sessions.

#include <QFont>
#include <QObject>

namespace attnscope {

class TextSize : public QObject {
  Q_OBJECT
 public:
  /// The one instance; it records the application font as it is when first asked, the size 1 stands for.
  static TextSize& instance();

  static constexpr double kSmallest = 0.8;
  static constexpr double kLargest = 3.0;
  /// One step of Larger text (Smaller text divides by it).
  static constexpr double kStep = 1.25;

  double factor() const { return factor_; }
  /// Sets the factor (clamped to kSmallest … kLargest): the application font becomes the recorded one times it,
  /// and every chart follows at its next drawing. Emits changed() when it changes.
  void setFactor(double factor);
  void larger() { setFactor(factor_ * kStep); }
  void smaller() { setFactor(factor_ / kStep); }
  void reset() { setFactor(1.0); }
  /// The application font at size 1: what charts start from before they are scaled.
  QFont baseFont() const { return base_; }

 signals:
  void changed(double factor);

 private:
  TextSize();
  QFont base_;
  double factor_ = 1.0;
};

}  // namespace attnscope

#pragma once
// What every chart of ours starts from: a QCustomPlot filling its owner widget under a bold title row, and log axes
// with a chosen base. Kept here so QCustomPlot stays behind our own chart classes and each of them sets it up once.

class QCPAxis;
class QCPTextElement;
class QCustomPlot;
class QWidget;

namespace attnscope {

/// A new QCustomPlot in `owner` that follows the interface's text size (TextSize): it starts from the unscaled
/// application font, and before each drawing its fonts, line widths and markers are set to their first values
/// times the factor. Every chart of ours is made by this.
QCustomPlot* newPlot(QWidget* owner);

/// A QCustomPlot laid out to fill `owner` (no margins), with a title row of `points`-point bold text; `title` is set.
QCustomPlot* makeTitledPlot(QWidget* owner, QCPTextElement*& title, int points = 9);

/// A logarithmic axis of base `base` with about `ticks` labelled ticks, numbers in `format` ("f": plain, "eb":
/// powers) and `precision` digits.
void setLogAxis(QCPAxis* axis, double base, int ticks, const char* format = "f", int precision = 0);

}  // namespace attnscope

#pragma once
// What every chart of ours starts from: a QCustomPlot filling its owner widget under a bold title row, and log axes
// with a chosen base. Kept here so QCustomPlot stays behind our own chart classes and each of them sets it up once.

#include <QString>

class QCPAxis;
class QCPTextElement;
class QCustomPlot;
class QWidget;

namespace attnscope {

/// A new QCustomPlot in `owner` that follows the interface's text size (TextSize): it starts from the unscaled
/// application font, and before each drawing its fonts, line widths and markers are set to their first values
/// times the factor. Every chart of ours is made by this.
QCustomPlot* newPlot(QWidget* owner);

/// A logarithmic axis over shares lo … hi labelled in percent at 1, 2 and 5 times each power of ten ("0.5%",
/// "1%", "2%", …): a log axis over less than a decade still gets several labels.
void setPercentLogAxis(QCPAxis* axis, double lo, double hi);

/// Shows `plot`'s legend in a row of its own under the axes, its entries side by side (wrapping after `columns`),
/// so that it never covers data.
void placeLegendBelow(QCustomPlot* plot, int columns = 4);

/// The title a chart element shows in full, whatever it was shortened to on screen (see newPlot: titles wider
/// than the chart are elided, the whole title in the chart's tooltip).
QString fullTitle(QCPTextElement* title);

/// A QCustomPlot laid out to fill `owner` (no margins), with a title row of `points`-point bold text; `title` is set.
QCustomPlot* makeTitledPlot(QWidget* owner, QCPTextElement*& title, int points = 9);

/// A logarithmic axis of base `base` with about `ticks` labelled ticks, numbers in `format` ("f": plain, "eb":
/// powers) and `precision` digits.
void setLogAxis(QCPAxis* axis, double base, int ticks, const char* format = "f", int precision = 0);

}  // namespace attnscope

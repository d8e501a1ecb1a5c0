#pragma once
// Colour palettes for the heatmap, defined by their stops (QCustomPlot 2.1 has no viridis).

#include <QColor>
#include <QList>
#include <QPair>
#include <QString>

namespace attnscope {

enum class Palette { Viridis, Cividis, Grayscale, Diverging };

/// (position 0…1, colour) stops. Viridis: perceptually uniform (the default). Cividis: designed to read the same
/// with colour-vision deficiency. Grayscale: white (inactive) to black (active), for print. Diverging: blue
/// (negative) through white (0) to red (positive), for signed differences; not offered for masks.
QList<QPair<double, QColor>> paletteStops(Palette palette);
QString paletteName(Palette palette);
/// The palette's colour at t in 0 … 1 (clamped), interpolated between its stops: for pictures drawn without a plot.
QColor paletteColorAt(Palette palette, double t);
QList<Palette> allPalettes();

}  // namespace attnscope

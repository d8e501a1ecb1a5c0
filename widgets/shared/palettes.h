#pragma once
// Colour palettes for the heatmap, defined by their stops (QCustomPlot 2.1 has no viridis).

#include <QColor>
#include <QList>
#include <QPair>
#include <QString>

#include <algorithm>
#include <array>
#include <cmath>

namespace attnscope {

enum class Palette { Viridis, Cividis, Grayscale, Diverging };

/// (position 0…1, colour) stops. Viridis: perceptually uniform (the default). Cividis: designed to read the same
/// with colour-vision deficiency. Grayscale: white (inactive) to black (active), for print. Diverging: blue
/// (negative) through white (0) to red (positive), for signed differences; not offered for masks.
QList<QPair<double, QColor>> paletteStops(Palette palette);
QString paletteName(Palette palette);
/// The palette's colour at t in 0 … 1 (clamped), interpolated between its stops: for pictures drawn without a plot.
QColor paletteColorAt(Palette palette, double t);
/// The same at 256 evenly spaced t (entry i at t = i / 255), computed once a palette: for pictures of many pixels
/// (a head's thumbnail), where a colour a pixel through QColor costs more than the rest of the picture.
const std::array<QRgb, 256>& paletteTable(Palette palette);
/// The table's colour nearest t (clamped to 0 … 1).
inline QRgb paletteRgbAt(Palette palette, double t) {
  return paletteTable(palette)[static_cast<std::size_t>(std::lround(std::clamp(t, 0.0, 1.0) * 255.0))];
}
QList<Palette> allPalettes();

}  // namespace attnscope

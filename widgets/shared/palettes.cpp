#include "widgets/shared/palettes.h"

#include <algorithm>

namespace attnscope {

QList<QPair<double, QColor>> paletteStops(Palette palette) {
  switch (palette) {
    case Palette::Viridis:  // matplotlib's viridis, sampled at nine points
      return {{0.0, QColor(0x44, 0x01, 0x54)},   {0.125, QColor(0x47, 0x2c, 0x7a)}, {0.25, QColor(0x3b, 0x52, 0x8b)},
              {0.375, QColor(0x2c, 0x72, 0x8e)}, {0.5, QColor(0x21, 0x90, 0x8d)},   {0.625, QColor(0x27, 0xad, 0x81)},
              {0.75, QColor(0x5c, 0xc8, 0x63)},  {0.875, QColor(0xaa, 0xdc, 0x32)}, {1.0, QColor(0xfd, 0xe7, 0x25)}};
    case Palette::Cividis:  // Nuñez, Anderton and Renslow 2018
      return {{0.0, QColor(0x00, 0x22, 0x4e)},
              {0.25, QColor(0x3d, 0x4e, 0x6c)},
              {0.5, QColor(0x7c, 0x7b, 0x78)},
              {0.75, QColor(0xbc, 0xaf, 0x6f)},
              {1.0, QColor(0xfe, 0xe8, 0x38)}};
    case Palette::Grayscale: return {{0.0, QColor(0xff, 0xff, 0xff)}, {1.0, QColor(0x10, 0x10, 0x10)}};
    case Palette::Diverging:  // ColorBrewer RdBu, blue for negative
      return {{0.0, QColor(0x21, 0x66, 0xac)}, {0.167, QColor(0x67, 0xa9, 0xcf)}, {0.333, QColor(0xd1, 0xe5, 0xf0)},
              {0.5, QColor(0xf7, 0xf7, 0xf7)}, {0.667, QColor(0xfd, 0xdb, 0xc7)}, {0.833, QColor(0xef, 0x8a, 0x62)},
              {1.0, QColor(0xb2, 0x18, 0x2b)}};
  }
  return {};
}

QString paletteName(Palette palette) {
  switch (palette) {
    case Palette::Viridis: return QStringLiteral("Viridis");
    case Palette::Cividis: return QStringLiteral("Cividis (colour-blind safe)");
    case Palette::Grayscale: return QStringLiteral("Grayscale (print)");
    case Palette::Diverging: return QStringLiteral("Diverging (signed differences)");
  }
  return {};
}

QList<Palette> allPalettes() { return {Palette::Viridis, Palette::Cividis, Palette::Grayscale}; }

QColor paletteColorAt(Palette palette, double t) {
  const auto stops = paletteStops(palette);
  t = std::clamp(t, 0.0, 1.0);
  for (qsizetype i = 1; i < stops.size(); ++i)
    if (t <= stops[i].first) {
      const double u = (t - stops[i - 1].first) / std::max(1e-9, stops[i].first - stops[i - 1].first);
      const QColor a = stops[i - 1].second, b = stops[i].second;
      return QColor::fromRgbF(float(a.redF() + u * (b.redF() - a.redF())),
                              float(a.greenF() + u * (b.greenF() - a.greenF())),
                              float(a.blueF() + u * (b.blueF() - a.blueF())));
    }
  return stops.back().second;
}

const std::array<QRgb, 256>& paletteTable(Palette palette) {
  static const auto tables = [] {
    std::array<std::array<QRgb, 256>, 4> t{};
    for (const Palette p : {Palette::Viridis, Palette::Cividis, Palette::Grayscale, Palette::Diverging})
      for (int i = 0; i < 256; ++i) t[std::size_t(p)][std::size_t(i)] = paletteColorAt(p, i / 255.0).rgb();
    return t;
  }();
  return tables[std::size_t(palette)];
}

}  // namespace attnscope

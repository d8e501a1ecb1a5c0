#pragma once
// What every tab of the main window offers it, so that the window treats its tabs alike: the view's name (as
// --view and presets say it), whether it shows the pattern chosen on the left, the colour palette, and its picture
// as a file, with the size and name an export starts from.

#include <QList>
#include <QSize>
#include <QString>

#include "widgets/shared/palettes.h"

namespace attnscope {

class HeatmapView;

class ViewTab {
 public:
  virtual ~ViewTab();
  /// "matrix", "hops", "heads", "compare", "run", "model", "approx" or "weights".
  virtual QString viewName() const = 0;
  /// True when the tab shows the pattern chosen on the left: the counts, paths and explanation docks describe it.
  virtual bool showsLeftPattern() const = 0;
  virtual void setColorPalette(Palette palette) = 0;
  /// Writes what the tab shows: PNG (width × height pixels at `dpi`), SVG or PDF (points), chosen by the ending;
  /// all or nothing. False and `error` set when there is nothing to write or the file cannot be written.
  virtual bool exportTo(const QString& path, int width, int height, int dpi, QString* error) = 0;
  /// The file name an export offers, without its ending: what is shown and its n ("window-n16-hops").
  virtual QString exportName() const = 0;
  /// The size an export starts from, `width` wide (pixels at `dpi` for PNG; for SVG and PDF points, with dpi
  /// 96): as tall as the tab's maps need to be drawn with square cells and nothing left over.
  virtual QSize exportSize(int width, int dpi) const;
  /// How many maps an export draws side by side (1 when the figure is not made of maps).
  virtual int exportColumns() const;

 protected:
  /// The maps the export draws side by side, and whether a caption band runs above them; exportSize() follows them.
  virtual QList<HeatmapView*> exportedMaps() const = 0;
  virtual bool exportCaptioned() const { return true; }
};

}  // namespace attnscope

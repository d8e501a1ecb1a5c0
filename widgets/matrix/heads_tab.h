#pragma once
// The All heads tab: one small map per head (up to 16), in a grid of two to four columns.

#include <QWidget>

#include <memory>

#include "widgets/shared/view_tab.h"

class QGridLayout;

namespace attnscope {

struct MaskResult;

class HeadsTab : public QWidget, public ViewTab {
  Q_OBJECT
 public:
  static constexpr int kMostHeads = 16;

  explicit HeadsTab(QWidget* parent = nullptr);
  /// Rebuilds the grid for `result`'s heads (none when it has one head: the tab is then of no use).
  void setResult(std::shared_ptr<const MaskResult> result);
  int heads() const;

  QString viewName() const override { return QStringLiteral("heads"); }
  bool showsLeftPattern() const override { return true; }
  void setColorPalette(Palette palette) override;
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error) override;
  QString exportName() const override;
  int exportColumns() const override;
  QSize exportSize(int width, int dpi) const override;

 protected:
  QList<HeatmapView*> exportedMaps() const override;

 private:
  void rebuild();

  QGridLayout* grid_;
  Palette palette_ = Palette::Viridis;
  std::shared_ptr<const MaskResult> result_;
};

}  // namespace attnscope

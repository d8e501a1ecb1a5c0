#pragma once
// The Matrix tab: the pattern's attention matrix, one head at a time (or its block layout), with the path traced
// on it and a line that reads the cell under the mouse.

#include <QWidget>

#include <memory>
#include <vector>

#include "engine/util/types.h"
#include "widgets/shared/view_tab.h"

class QLabel;
class QSpinBox;

namespace attnscope {

struct MaskResult;

class MatrixTab : public QWidget, public ViewTab {
  Q_OBJECT
 public:
  explicit MatrixTab(QWidget* parent = nullptr);

  HeatmapView* map() const { return map_; }
  /// The head shown (its range follows the result's heads).
  QSpinBox* headBox() const { return head_; }
  void setResult(std::shared_ptr<const MaskResult> result);
  /// Block families: the layout of blocks instead of the token mask (the path is hidden meanwhile).
  void setShowLayout(bool layout);
  /// The path drawn over the map and, as `text` ("7 → 5 → 3 (2 hops)"), in the exported caption.
  void showPath(const std::vector<Index>& path, const QString& text);
  /// The band over an exported matrix: its counts and, when one is drawn, the path.
  QString exportCaption() const;

  QString viewName() const override { return QStringLiteral("matrix"); }
  bool showsLeftPattern() const override { return true; }
  void setColorPalette(Palette palette) override;
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error) override;
  QString exportName() const override;

 signals:
  void headChanged(int head);

 protected:
  QList<HeatmapView*> exportedMaps() const override { return {map_}; }

 private:
  void showHead();

  QSpinBox* head_;
  QLabel* hover_;
  HeatmapView* map_;
  std::shared_ptr<const MaskResult> result_;
  bool layout_ = false;
  std::vector<Index> path_;
  QString pathText_;
};

}  // namespace attnscope

#pragma once
// The Hops tab: how many layers until query i hears from key j (a map up to kMaxPictureSide tokens), and one
// query's hop distances at any length (computed off the GUI thread).

#include <QWidget>

#include <memory>

#include "widgets/shared/view_tab.h"

class QLabel;
class QSpinBox;

namespace attnscope {

struct MaskResult;
class HopProfileView;
class TaskRunner;

class HopsTab : public QWidget, public ViewTab {
  Q_OBJECT
 public:
  explicit HopsTab(QWidget* parent = nullptr);

  HeatmapView* map() const { return map_; }
  /// The query whose profile is shown (a click on a row of either map sets it).
  QSpinBox* queryBox() const { return query_; }
  HopProfileView* profile() const { return profile_; }
  /// Shows a result once its reachability has arrived (before that, and above the limits, a line says why not).
  void setResult(std::shared_ptr<const MaskResult> result);

  QString viewName() const override { return QStringLiteral("hops"); }
  bool showsLeftPattern() const override { return true; }
  void setColorPalette(Palette) override {}  // hop counts keep their own scale
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error) override;
  QString exportName() const override;

 protected:
  QList<HeatmapView*> exportedMaps() const override { return {map_}; }
  bool exportCaptioned() const override { return false; }

 private:
  void showProfile();

  QLabel* note_;
  HeatmapView* map_;
  QSpinBox* query_;
  HopProfileView* profile_;
  TaskRunner* runner_;
  std::shared_ptr<const MaskResult> result_;
};

}  // namespace attnscope

#include "widgets/matrix/heads_tab.h"

#include <QGridLayout>

#include <algorithm>

#include "widgets/pattern/mask_controller.h"
#include "widgets/pattern/pattern_choice.h"
#include "widgets/pattern/stats_text.h"
#include "widgets/shared/heatmap_view.h"

namespace attnscope {

namespace {
int columnsFor(int heads) { return heads <= 4 ? 2 : heads <= 9 ? 3 : 4; }
}  // namespace

HeadsTab::HeadsTab(QWidget* parent) : QWidget(parent), grid_(new QGridLayout(this)) {}

int HeadsTab::heads() const { return result_ ? static_cast<int>(result_->picture->heads.size()) : 0; }

void HeadsTab::setResult(std::shared_ptr<const MaskResult> result) {
  result_ = std::move(result);
  rebuild();
}

void HeadsTab::setColorPalette(Palette palette) {
  palette_ = palette;
  for (HeatmapView* view : exportedMaps()) view->setColorPalette(palette);
}

void HeadsTab::rebuild() {
  while (QLayoutItem* item = grid_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  if (heads() <= 1) return;
  const int columns = columnsFor(heads());
  for (int h = 0; h < std::min(heads(), kMostHeads); ++h) {
    auto* view = new HeatmapView(this);
    view->setCompact(true);
    view->setColorPalette(palette_);
    view->setPicture(result_->picture, h, result_->mask, QStringLiteral("head %1").arg(h));
    grid_->addWidget(view, h / columns, h % columns);
  }
}

QList<HeatmapView*> HeadsTab::exportedMaps() const {
  QList<HeatmapView*> maps;
  for (int i = 0; i < grid_->count(); ++i)
    if (auto* view = qobject_cast<HeatmapView*>(grid_->itemAt(i)->widget())) maps << view;
  return maps;
}

int HeadsTab::exportColumns() const { return columnsFor(heads()); }

QSize HeadsTab::exportSize(int width, int dpi) const {
  const QList<HeatmapView*> maps = exportedMaps();
  if (maps.isEmpty()) return ViewTab::exportSize(width, dpi);
  const int columns = columnsFor(heads());
  const int rows = static_cast<int>((maps.size() + columns - 1) / columns);
  const QSize row = HeatmapView::figureSize(maps.mid(0, columns), false, width, dpi);
  return {width, std::min(20000, rows * row.height() + int(48 * dpi / 96.0))};
}

// The heads as the grid shows them, rows of `columns` maps under the pattern's counts.
bool HeadsTab::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  const QList<HeatmapView*> maps = exportedMaps();
  if (maps.isEmpty()) {
    if (error) *error = QStringLiteral("this pattern has one head: export it from the Matrix tab");
    return false;
  }
  const int columns = columnsFor(heads());
  const int rows = static_cast<int>((maps.size() + columns - 1) / columns);
  const QString caption =
      result_->title.section(QLatin1Char('\n'), 0, 0) + QStringLiteral("   ·   ") + cellsSummary(result_->stats);
  return HeatmapView::writeFigure(
      path, QSize(width, height), dpi, caption,
      [&](FigureCanvas& canvas) {
        const QSizeF whole = canvas.size();
        const double top = canvas.drawCaption(caption);
        const double w = whole.width() / columns, h = (whole.height() - top) / rows;
        for (int i = 0; i < maps.size(); ++i)
          canvas.drawView(*maps[i], QRectF((i % columns) * w, top + (i / columns) * h, w, h));
      },
      error);
}

QString HeadsTab::exportName() const {
  return (result_ ? fileStem(result_->choice) : QStringLiteral("pattern")) + QStringLiteral("-heads");
}

}  // namespace attnscope

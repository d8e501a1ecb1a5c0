#include "widgets/shared/view_tab.h"

#include <algorithm>

#include "widgets/shared/heatmap_view.h"

namespace attnscope {

ViewTab::~ViewTab() = default;

int ViewTab::exportColumns() const { return std::max<int>(1, static_cast<int>(exportedMaps().size())); }

QSize ViewTab::exportSize(int width, int dpi) const {
  const QList<HeatmapView*> maps = exportedMaps();
  if (maps.isEmpty()) return {width, width * 5 / 8};
  return HeatmapView::figureSize(maps, exportCaptioned(), width, dpi);
}

}  // namespace attnscope

#include "widgets/matrix/hops_tab.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

#include "engine/reach/reachability.h"
#include "widgets/matrix/hop_profile_view.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/pattern/pattern_choice.h"
#include "widgets/shared/gui_limits.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {

HopsTab::HopsTab(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  note_ = new QLabel(this);
  note_->setWordWrap(true);
  note_->setText(
      QStringLiteral("How many layers until query i hears from key j; grey: never. Click a query row "
                     "to read its hop distances."));
  map_ = new HeatmapView(this);
  map_->setObjectName(QStringLiteral("hopMap"));
  map_->setValueText([](float v) {
    return std::isnan(v) ? QStringLiteral("never hears from it")
                         : QStringLiteral("%1 %2").arg(v).arg(v == 1 ? QStringLiteral("hop") : QStringLiteral("hops"));
  });
  auto* queryRow = new QHBoxLayout;
  query_ = new QSpinBox(this);
  query_->setObjectName(QStringLiteral("hopQuery"));
  query_->setPrefix(QStringLiteral("query "));
  query_->setRange(0, 15);
  query_->setValue(7);  // the query of the classroom example, 7 → 5 → 3
  query_->setToolTip(QStringLiteral("The query whose hop distances the chart below shows (or click a row)"));
  queryRow->addWidget(note_, 1);
  queryRow->addWidget(query_);
  profile_ = new HopProfileView(this);
  profile_->setObjectName(QStringLiteral("hopProfile"));
  runner_ = new TaskRunner(this);
  connect(runner_, &TaskRunner::failed, profile_, &HopProfileView::clear);
  layout->addLayout(queryRow);
  layout->addWidget(map_, 3);
  layout->addWidget(profile_, 1);
  connect(query_, &QSpinBox::valueChanged, this, &HopsTab::showProfile);
  connect(map_, &HeatmapView::queryClicked, query_, &QSpinBox::setValue);
  connect(map_, &HeatmapView::cellHovered, this,
          [this](Index q, Index k) { note_->setText(map_->describeCell(q, k)); });
}

void HopsTab::setResult(std::shared_ptr<const MaskResult> result) {
  result_ = std::move(result);
  if (result_) {
    const QSignalBlocker quiet(query_);
    query_->setRange(0, static_cast<int>(std::min<Index>(result_->choice.n, std::numeric_limits<int>::max()) - 1));
  }
  showProfile();
  const bool map = result_ && result_->hopPicture;
  map_->setVisible(map);
  if (!map) {
    map_->setPicture(nullptr, 0, nullptr, QString());
    note_->setText(!result_ || result_->graph
                       ? QStringLiteral("The hop map is drawn up to %1 tokens; below, one query's hop distances "
                                        "at any length (click a row in the matrix or pick the query).")
                             .arg(countText(kMaxPictureSide))
                       : QStringLiteral("Hop distances are computed up to %1 active cells; attnscope-cli "
                                        "path and stats --reach work at any size.")
                             .arg(countText(kGuiReachCells)));
    return;
  }
  const int diameter = result_->reach ? result_->reach->diameter.upper : 1;
  map_->setValueScale(0, std::max(1, diameter), QStringLiteral("hops (grey: never)"));
  map_->setTokens(result_->tokens);
  map_->setPicture(result_->hopPicture, 0, result_->mask,
                   result_->title + QStringLiteral(" — layers until query i hears from key j"));
  note_->setText(QStringLiteral("How many layers until query i hears from key j; grey: never. Diameter %1. Click "
                                "a row for its profile below.")
                     .arg(diameter));
}

void HopsTab::showProfile() {
  if (!result_ || !result_->graph) {
    profile_->clear(
        result_ && result_->stats.nnz > kGuiReachCells
            ? QStringLiteral("Hop distances are computed up to %1 active cells").arg(countText(kGuiReachCells))
            : QStringLiteral("Hop distances appear with the reachability figures"));
    return;
  }
  const Index q = std::min<Index>(query_->value(), result_->graph->n() - 1);
  const QString name = q < result_->tokens.size() ? result_->tokens[q] : QString();
  runner_->start([this, graph = result_->graph, q, name](const TaskRunner::Context&) -> std::function<void()> {
    auto distances = std::make_shared<HopDistances>(hopDistances(graph->forward(), q));
    return [this, distances, q, name] { profile_->setProfile(*distances, q, name); };
  });
}

bool HopsTab::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  return map_->exportTo(path, width, height, dpi, error);
}

QString HopsTab::exportName() const {
  return (result_ ? fileStem(result_->choice) : QStringLiteral("pattern")) + QStringLiteral("-hops");
}

}  // namespace attnscope

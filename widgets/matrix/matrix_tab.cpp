#include "widgets/matrix/matrix_tab.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>
#include <QVBoxLayout>

#include "widgets/pattern/mask_controller.h"
#include "widgets/pattern/stats_text.h"
#include "widgets/shared/heatmap_view.h"

namespace attnscope {

MatrixTab::MatrixTab(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* headRow = new QHBoxLayout;
  head_ = new QSpinBox(this);
  head_->setObjectName(QStringLiteral("head"));
  head_->setRange(0, 0);
  head_->setPrefix(QStringLiteral("head "));
  head_->setToolTip(QStringLiteral("Which head to show (patterns with several heads)"));
  hover_ = new QLabel(this);
  hover_->setObjectName(QStringLiteral("hover"));
  hover_->setText(
      QStringLiteral("Hover a cell to read it; click a query row to highlight its keys, shift-click a "
                     "key to trace the path to it; wheel to zoom, drag to pan, R to reset."));
  hover_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // long cell texts must not widen the window
  hover_->setMinimumWidth(80);
  headRow->addWidget(head_);
  headRow->addWidget(hover_, 1);
  map_ = new HeatmapView(this);
  map_->setObjectName(QStringLiteral("heatmap"));
  layout->addLayout(headRow);
  layout->addWidget(map_, 1);
  connect(head_, &QSpinBox::valueChanged, this, [this](int head) {
    showHead();
    emit headChanged(head);
  });
  connect(map_, &HeatmapView::cellHovered, this,
          [this](Index q, Index k) { hover_->setText(map_->describeCell(q, k)); });
}

void MatrixTab::setResult(std::shared_ptr<const MaskResult> result) {
  result_ = std::move(result);
  map_->setTokens(result_->tokens);
  const int heads = static_cast<int>(result_->picture->heads.size());
  head_->setRange(0, heads - 1);
  head_->setEnabled(heads > 1);
  showHead();
}

void MatrixTab::setShowLayout(bool layout) {
  layout_ = layout;
  showHead();
}

void MatrixTab::showHead() {
  if (!result_) return;
  const bool layout = layout_ && result_->layoutPicture;
  QString title = result_->title;
  if (result_->picture->heads.size() > 1) title += QStringLiteral(", head %1").arg(head_->value());
  if (layout) title += QStringLiteral(" — block layout");
  map_->setPicture(
      layout ? result_->layoutPicture : result_->picture, head_->value(),
      layout ? std::shared_ptr<const SparseMask>(result_->mask, &result_->mask->blockLayout()) : result_->mask, title);
  map_->showPath(layout ? std::vector<Index>{} : path_);
}

void MatrixTab::showPath(const std::vector<Index>& path, const QString& text) {
  path_ = path;
  pathText_ = path.empty() ? QString() : text;
  map_->showPath(layout_ && result_ && result_->layoutPicture ? std::vector<Index>{} : path_);
}

QString MatrixTab::exportCaption() const {
  if (!result_) return QString();
  QString caption = cellsSummary(result_->stats);
  if (!pathText_.isEmpty() && !(layout_ && result_->layoutPicture)) caption += QStringLiteral("   ·   ") + pathText_;
  return caption;
}

void MatrixTab::setColorPalette(Palette palette) { map_->setColorPalette(palette); }

// The matrix with what the screen says beside it: the counts and the path, in a band across the top.
bool MatrixTab::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  return HeatmapView::writeCaptioned(path, QSize(width, height), dpi, exportCaption(), {map_}, error);
}

QString MatrixTab::exportName() const { return result_ ? fileStem(result_->choice) : QStringLiteral("matrix"); }

}  // namespace attnscope

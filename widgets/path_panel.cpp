#include "widgets/path_panel.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QSpinBox>
#include <QVBoxLayout>

#include <climits>

#include "engine/reach/reachability.h"
#include "widgets/mask_controller.h"
#include "widgets/reach_curve_view.h"

namespace attnscope {

PathPanel::PathPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* row = new QHBoxLayout;
  from_ = new QSpinBox(this);
  to_ = new QSpinBox(this);
  from_->setObjectName(QStringLiteral("pathFrom"));
  to_->setObjectName(QStringLiteral("pathTo"));
  from_->setToolTip(QStringLiteral("Query token (or click a row of the heatmap)"));
  to_->setToolTip(QStringLiteral("Key token (or shift-click a column of the heatmap)"));
  from_->setValue(7);
  to_->setValue(3);
  row->addWidget(new QLabel(QStringLiteral("From query"), this));
  row->addWidget(from_);
  row->addWidget(new QLabel(QStringLiteral("to key"), this));
  row->addWidget(to_);
  row->addStretch(1);
  layout->addLayout(row);
  text_ = new QLabel(this);
  text_->setObjectName(QStringLiteral("pathText"));
  text_->setWordWrap(true);
  text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  QFont big = text_->font();
  big.setPointSizeF(big.pointSizeF() * 1.3);
  text_->setFont(big);
  layout->addWidget(text_);
  curve_ = new ReachCurveView(this);
  layout->addWidget(curve_, 1);
  connect(from_, &QSpinBox::valueChanged, this, &PathPanel::update);
  connect(to_, &QSpinBox::valueChanged, this, &PathPanel::update);
}

void PathPanel::setFrom(Index token) { from_->setValue(static_cast<int>(token)); }
void PathPanel::setTo(Index token) { to_->setValue(static_cast<int>(token)); }
QString PathPanel::pathText() const { return text_->text(); }

void PathPanel::setResult(std::shared_ptr<const MaskResult> result) {
  result_ = std::move(result);
  const int last = result_ ? static_cast<int>(std::min<Index>(result_->choice.n, INT_MAX) - 1) : 0;
  from_->setRange(0, last);
  to_->setRange(0, last);
  if (result_ && result_->reach) curve_->setCurve(result_->reach->reachByLayer, result_->reach->sampledSources);
  else curve_->clear(QStringLiteral("Receptive field: computed up to 4,000,000 active cells"));
  update();
}

void PathPanel::update() {
  std::vector<Index> path;
  if (!result_ || !result_->graph) {
    text_->setText(result_ ? QStringLiteral("Paths are traced up to 4,000,000 active cells; "
                                            "attnscope-cli path works at any size.")
                           : QString());
  } else {
    const Index i = from_->value(), j = to_->value();
    const ShortestPath p = shortestPath(*result_->graph, i, j);
    auto name = [&](Index t) {
      return t < result_->tokens.size() ? QStringLiteral("%1 (%2)").arg(t).arg(result_->tokens[t]) : QString::number(t);
    };
    if (!p.hops) {
      text_->setText(QStringLiteral("%1 never reaches %2: no path of any length, so %1 never hears from %2.")
                         .arg(name(i), name(j)));
    } else {
      QStringList hops;
      for (Index t : p.path) hops << name(t);
      text_->setText(hops.join(QStringLiteral(" → ")) +
                     QStringLiteral(" (%1 %2)").arg(*p.hops).arg(*p.hops == 1 ? QStringLiteral("hop") : QStringLiteral("hops")));
      path = p.path;
    }
  }
  if (path != path_) {
    path_ = path;
    emit pathChanged(path_);
  }
}

}  // namespace attnscope

#include "widgets/pattern/path_panel.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

#include <climits>

#include "engine/reach/reachability.h"
#include "widgets/shared/gui_limits.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/shared/number_text.h"
#include "widgets/pattern/reach_curve_view.h"
#include "widgets/shared/task_runner.h"

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
  runner_ = new TaskRunner(this);
  connect(runner_, &TaskRunner::failed, this, [this](const QString& message) { show({}, message); });
  connect(from_, &QSpinBox::valueChanged, this, &PathPanel::update);
  connect(to_, &QSpinBox::valueChanged, this, &PathPanel::update);
}

void PathPanel::setFrom(Index token) { from_->setValue(static_cast<int>(token)); }
void PathPanel::setPath(Index from, Index to) { wanted_ = {from, to}; }
Index PathPanel::from() const { return wanted_ ? wanted_->first : from_->value(); }
Index PathPanel::to() const { return wanted_ ? wanted_->second : to_->value(); }
void PathPanel::setTo(Index token) { to_->setValue(static_cast<int>(token)); }
QString PathPanel::pathText() const { return text_->text(); }
bool PathPanel::busy() const { return runner_->busy(); }

void PathPanel::setResult(std::shared_ptr<const MaskResult> result) {
  result_ = std::move(result);
  // The token numbers follow n: both ranges change first, then one path is traced (never with a stale token).
  const int last = result_ ? static_cast<int>(std::min<Index>(result_->choice.n, INT_MAX) - 1) : 0;
  for (QSpinBox* box : {from_, to_}) {
    const QSignalBlocker quiet(box);
    box->setRange(0, last);
  }
  if (wanted_) {  // a preset's tokens, now that its n is shown
    const QSignalBlocker quietFrom(from_), quietTo(to_);
    from_->setValue(static_cast<int>(std::min<Index>(wanted_->first, last)));
    to_->setValue(static_cast<int>(std::min<Index>(wanted_->second, last)));
    wanted_.reset();
  }
  if (result_ && result_->reach)
    curve_->setCurve(result_->reach->reachByLayer, result_->reach->sampledSources);
  else
    curve_->clear(QStringLiteral("Receptive field: computed up to %1 active cells").arg(countText(kGuiReachCells)));
  update();
}

void PathPanel::update() {
  if (!result_ || !result_->graph) {
    runner_->cancel();
    show({}, result_ ? QStringLiteral("Paths are traced up to %1 active cells; attnscope-cli path works at any size.")
                           .arg(countText(kGuiReachCells))
                     : QString());
    return;
  }
  // A breadth-first search is proportional to the mask: it runs in the background like all such work.
  const Index i = from_->value(), j = to_->value();
  runner_->start([this, result = result_, i, j](const TaskRunner::Context&) -> std::function<void()> {
    const ShortestPath p = shortestPath(*result->graph, i, j);
    auto name = [&](Index t) {
      return t < result->tokens.size() ? QStringLiteral("%1 (%2)").arg(t).arg(result->tokens[t]) : QString::number(t);
    };
    if (!p.hops)
      return [this, text = QStringLiteral("%1 never reaches %2: no path of any length, so %1 never hears from %2.")
                               .arg(name(i), name(j))] { show({}, text); };
    QStringList hops;
    for (Index t : p.path) hops << name(t);
    const QString text =
        hops.join(QStringLiteral(" → ")) + QStringLiteral(" (%1)").arg(countedText(*p.hops, "hop", "hops"));
    return [this, path = p.path, text] { show(path, text); };
  });
}

void PathPanel::show(const std::vector<Index>& path, const QString& text) {
  text_->setText(text);
  if (path != path_) {
    path_ = path;
    emit pathChanged(path_);
  }
}

}  // namespace attnscope

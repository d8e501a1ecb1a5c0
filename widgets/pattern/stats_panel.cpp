#include "widgets/pattern/stats_panel.h"

#include <QLabel>
#include <QLocale>
#include <QTextDocument>
#include <QVBoxLayout>

#include "widgets/shared/gui_limits.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/shared/number_text.h"
#include "widgets/pattern/stats_text.h"

namespace attnscope {

StatsPanel::StatsPanel(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  label_ = new QLabel(this);
  label_->setObjectName(QStringLiteral("stats"));
  label_->setWordWrap(true);
  label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  label_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  layout->addWidget(label_);
  layout->addStretch(1);
}

void StatsPanel::setResult(const MaskResult& r) {
  const QLocale& en = numberLocale();
  const MaskStats& s = r.stats;
  QString html = QStringLiteral("<p style='font-size:large'><b>%1</b></p>").arg(cellsSummary(s).toHtmlEscaped());
  html += QStringLiteral("<p>Full attention: %1 cells. This pattern: %2× fewer.</p>")
              .arg(en.toString(s.cells, 'f', 0))
              .arg(s.nnz > 0 ? en.toString(s.cells / double(s.nnz), 'f', 1) : QStringLiteral("∞"));
  html += QStringLiteral("<table cellspacing='4'>");
  auto row = [&](const QString& k, const QString& v) {
    html += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>").arg(k, v);
  };
  row(QStringLiteral("Heads"), QString::number(s.heads));
  row(QStringLiteral("Keys per query"), QStringLiteral("min %1 · mean %2 · max %3")
                                            .arg(en.toString(static_cast<qlonglong>(s.rowMin)))
                                            .arg(en.toString(s.rowMean, 'f', 2))
                                            .arg(en.toString(static_cast<qlonglong>(s.rowMax))));
  row(QStringLiteral("Empty rows"), s.emptyRows > 0
                                        ? QStringLiteral("<span style='color:#b00020'>%1 queries attend nothing</span>")
                                              .arg(en.toString(static_cast<qlonglong>(s.emptyRows)))
                                        : QStringLiteral("none"));
  if (s.blocksActive)
    row(QStringLiteral("Blocks"), QStringLiteral("%1 of %2 active (block %3)")
                                      .arg(en.toString(static_cast<qlonglong>(*s.blocksActive)))
                                      .arg(en.toString(static_cast<qlonglong>(*s.blocksTotal)))
                                      .arg(*s.blockSize));
  if (r.reach) {
    const ReachSummary& rs = *r.reach;
    row(QStringLiteral("Diameter"),
        rs.diameter.exact ? countedText(rs.diameter.upper, "hop", "hops")
                          : QStringLiteral("%1 … %2 hops (bounds)").arg(rs.diameter.lower).arg(rs.diameter.upper));
    row(QStringLiteral("Full reach"),
        rs.layersForFullReach
            ? QStringLiteral("after ") + countedText(*rs.layersForFullReach, "layer", "layers")
            : (rs.unreachableExact && rs.unreachablePairs > 0 ? QStringLiteral("never: %1 ordered pairs never connect")
                                                                    .arg(en.toString(rs.unreachablePairs, 'f', 0))
                                                              : QStringLiteral("not known at this size")));
    if (!rs.allPairsExact)
      row(QStringLiteral("Reach curve"), QStringLiteral("estimated from %1 sampled tokens").arg(rs.sampledSources));
  } else {
    row(QStringLiteral("Reachability"),
        QStringLiteral("not computed above %1 active cells (attnscope-cli stats --reach)")
            .arg(en.toString(static_cast<qlonglong>(kGuiReachCells))));
  }
  html += QStringLiteral("</table>");
  for (const QString& note : r.notes) html += QStringLiteral("<p><i>Note:</i> %1</p>").arg(note.toHtmlEscaped());
  html += QStringLiteral("<p style='color:gray'>Built in %1 ms.</p>").arg(en.toString(r.milliseconds, 'f', 1));
  label_->setText(html);
}

QString StatsPanel::plainText() const {
  QTextDocument doc;
  doc.setHtml(label_->text());
  return doc.toPlainText();
}

}  // namespace attnscope

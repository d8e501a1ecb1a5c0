#include "widgets/pattern/stats_text.h"

#include <QLocale>
#include "widgets/shared/number_text.h"

namespace attnscope {

QString cellsSummary(const MaskStats& s) {
  const QLocale& en = numberLocale();
  return QStringLiteral("%1 of %2 cells, %3%, ≈%4 per token")
      .arg(en.toString(static_cast<qlonglong>(s.nnz)), en.toString(s.cells, 'f', 0),
           en.toString(100.0 * s.density, 'f', 1), en.toString(s.nnzPerToken, 'f', 1));
}

}  // namespace attnscope

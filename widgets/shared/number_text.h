#pragma once
// Numbers on screen, written one way everywhere: English digits and thousands separators whatever the machine's
// locale (a projector's laptop in Germany shows the same "1,234,567" as the command line).

#include <QLocale>
#include <QString>

#include "engine/util/types.h"

namespace attnscope {

/// The locale every number on screen is written in.
inline const QLocale& numberLocale() {
  static const QLocale english(QLocale::English);
  return english;
}
/// 1234567 → "1,234,567".
inline QString countText(Index value) { return numberLocale().toString(static_cast<qlonglong>(value)); }
/// A count and its noun: (1, "hop", "hops") → "1 hop", (2, …) → "2 hops".
inline QString countedText(Index value, const char* one, const char* many) {
  return countText(value) + QLatin1Char(' ') + QString::fromUtf8(value == 1 ? one : many);
}
/// How many sizes a sweep doubling from `from` to at most `to` measures (256 … 16,384: 7).
inline int doublingSteps(Index from, Index to) {
  int steps = 0;
  for (Index n = from; n <= to && from > 0; n *= 2) ++steps;
  return steps;
}
/// A sweep's progress as a line says it: ("n", 4096, 5, 7) → "n = 4,096 — 5 of 7".
inline QString sweepStepText(const char* what, Index value, int done, int total) {
  return QStringLiteral("%1 = %2 — %3 of %4")
      .arg(QString::fromUtf8(what), countText(value), countText(done), countText(total));
}
/// `digits` significant digits: 0.000123456 → "0.000123" at 3.
inline QString significantText(double value, int digits) { return numberLocale().toString(value, 'g', digits); }
/// `decimals` digits after the point: 0.5 → "0.500" at 3.
inline QString fixedText(double value, int decimals) { return numberLocale().toString(value, 'f', decimals); }

}  // namespace attnscope

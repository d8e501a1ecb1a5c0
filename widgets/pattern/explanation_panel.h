#pragma once
// A short text on the chosen pattern: what it does, what it costs, which models use it, and the paper.

#include <QTextBrowser>

namespace attnscope {

class ExplanationPanel : public QTextBrowser {
  Q_OBJECT
 public:
  explicit ExplanationPanel(QWidget* parent = nullptr);
  /// Shows the families of `pattern` (joined by '+').
  void setPattern(const QString& pattern);
};

}  // namespace attnscope

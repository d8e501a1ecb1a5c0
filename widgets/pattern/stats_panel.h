#pragma once
// The counts: active cells against n², per-row figures, empty rows, blocks, reachability, notes.

#include <QWidget>

#include <memory>

class QLabel;

namespace attnscope {

struct MaskResult;

class StatsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit StatsPanel(QWidget* parent = nullptr);
  void setResult(const MaskResult& result);
  /// The panel's text without markup, for tests.
  QString plainText() const;

 private:
  QLabel* label_ = nullptr;
};

}  // namespace attnscope

#pragma once
// The receptive-field curve: the share of ordered token pairs connected within L layers, for L = 1 … diameter.

#include <QWidget>

#include <memory>
#include <vector>

namespace attnscope {

class ReachCurveView : public QWidget {
  Q_OBJECT
 public:
  explicit ReachCurveView(QWidget* parent = nullptr);
  ~ReachCurveView() override;
  /// `sampledSources` > 0 marks the curve as estimated from that many tokens.
  void setCurve(const std::vector<double>& reachByLayer, int sampledSources);
  void clear(const QString& why);
  int points() const;

 private:
  struct Private;
  std::unique_ptr<Private> d_;
};

}  // namespace attnscope

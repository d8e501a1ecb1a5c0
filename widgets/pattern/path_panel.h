#pragma once
// Multi-hop paths: pick a query and a key (click a row, shift-click a column, or type them) and read the shortest
// path over stacked layers ("7 → 5 → 3 (2 hops)"); below, the receptive-field curve.

#include <QWidget>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "engine/util/types.h"

class QLabel;
class QSpinBox;

namespace attnscope {

class ReachCurveView;
class TaskRunner;
struct MaskResult;

class PathPanel : public QWidget {
  Q_OBJECT
 public:
  explicit PathPanel(QWidget* parent = nullptr);
  /// A new result: its reachability graph (when computed) answers paths, its curve is drawn.
  void setResult(std::shared_ptr<const MaskResult> result);
  void setFrom(Index token);
  void setTo(Index token);
  /// Query and key together, kept until a result whose n holds them arrives (a preset's n may not be shown yet).
  void setPath(Index from, Index to);
  /// The query and key asked for (those set by setPath and not yet shown included).
  Index from() const;
  Index to() const;
  QString pathText() const;
  /// Whether a path is still being traced (in the background).
  bool busy() const;
  const std::vector<Index>& path() const { return path_; }
  ReachCurveView* curve() const { return curve_; }

 signals:
  void pathChanged(const std::vector<Index>& path);

 private:
  void update();
  void show(const std::vector<Index>& path, const QString& text);

  std::optional<std::pair<Index, Index>> wanted_;  ///< setPath's tokens, until a result is shown
  QSpinBox* from_ = nullptr;
  QSpinBox* to_ = nullptr;
  QLabel* text_ = nullptr;
  ReachCurveView* curve_ = nullptr;
  TaskRunner* runner_ = nullptr;
  std::shared_ptr<const MaskResult> result_;
  std::vector<Index> path_;
};

}  // namespace attnscope

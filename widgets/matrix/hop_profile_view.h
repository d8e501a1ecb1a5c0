#pragma once
// One query's hop distances at any n: for each key j, the number of layers until query i hears from it, drawn as
// a step line over the keys, with "never" as its own row at the top.

#include <QWidget>

#include <memory>

#include "engine/reach/reachability.h"

namespace attnscope {

class HopProfileView : public QWidget {
  Q_OBJECT
 public:
  explicit HopProfileView(QWidget* parent = nullptr);
  ~HopProfileView() override;

  /// Distances from `query` (−1: never), as hopDistances() gives them; `tokens` names the query when given.
  void setProfile(const HopDistances& distances, Index query, const QString& queryName = QString());
  void clear(const QString& why);
  QString title() const;
  /// Keys at each distance: count(h) for h = 0 … max, and the keys never reached.
  Index keysAt(int hops) const;
  Index keysNever() const;

 private:
  struct Private;
  std::unique_ptr<Private> d_;
};

}  // namespace attnscope

#pragma once
// The Real attention tab: a model's own attention weights (a .npy or .npz dump, memory-mapped). A layer × head grid
// of small pictures with each head's role under it; one head large on a log colour scale, tokens on the axes, zoom
// as in the matrix view; a table of every head's entropy and masses. *Measure the pattern on the left* adds, per
// head, the mass that pattern keeps beside the best any pattern of its budget could (top-k) and its density,
// coloured by value. Work runs on TaskRunners; a file that cannot be read changes nothing and says why.

#include <QWidget>

#include <memory>
#include <optional>

#include "engine/weights/attention_dump.h"
#include "engine/weights/head_stats.h"
#include "widgets/pattern_choice.h"

class QLabel;
class QPushButton;
class QTableWidget;

namespace attnscope {

class HeatmapView;
class TaskRunner;

class WeightsPanel : public QWidget {
  Q_OBJECT
 public:
  explicit WeightsPanel(QWidget* parent = nullptr);
  ~WeightsPanel() override;

  /// Opens a dump (and its tokens: `tokens`, or a sibling TOKENS file found beside it: <stem>-tokens.txt,
  /// tokens.txt or tokens.json). False, with the reason shown and nothing changed, when it cannot be read.
  bool openDump(const QString& path, const QString& tokens = {});
  /// The shipped synthetic example (resources/examples, labelled synthetic).
  bool openExample();
  /// Measures every head against this pattern, built at the dump's n.
  void measurePattern(const PatternChoice& choice);
  /// Shows head `head` of layer `layer` large.
  void selectHead(Index layer, int head);
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error);

  // For tests and the main window.
  const AttentionDump* dump() const { return dump_ ? &*dump_ : nullptr; }
  const WeightsReport* report() const { return report_.get(); }
  QTableWidget* grid() const { return grid_; }
  QTableWidget* table() const { return table_; }
  HeatmapView* headView() const { return view_; }  ///< null until a dump is open
  QString message() const;
  std::pair<Index, int> selected() const { return {layer_, head_}; }

 signals:
  /// The user asked to measure the pattern chosen on the left (the main window answers with measurePattern).
  void patternRequested();
  /// A dump's figures are shown.
  void measured();

 private:
  void analyse();
  void showReport();
  void showMessage(const QString& text, bool error);

  std::optional<AttentionDump> dump_;
  std::vector<std::string> tokens_;
  std::optional<PatternChoice> pattern_;
  std::shared_ptr<const WeightsReport> report_;
  QString file_;
  Index layer_ = 0;
  int head_ = 0;
  QLabel* title_ = nullptr;
  QLabel* message_ = nullptr;
  QPushButton* open_ = nullptr;
  QPushButton* example_ = nullptr;
  QPushButton* measurePattern_ = nullptr;
  QTableWidget* grid_ = nullptr;
  QTableWidget* table_ = nullptr;
  HeatmapView* view_ = nullptr;  ///< made with the first dump
  QWidget* viewHolder_ = nullptr;
  TaskRunner* runner_ = nullptr;
  TaskRunner* pictureRunner_ = nullptr;
};

}  // namespace attnscope

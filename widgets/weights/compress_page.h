#pragma once
// The Real attention tab's Compress page (issue 25): the model running in the tab, compressed in a copy — magnitude
// pruning (each weight matrix by itself or all together, PyTorch's semantics), whole heads removed by a named
// importance score, the weights held in FP16 or BF16 (optionally computed in it) or quantized to int8 as
// quantize_dynamic does — and what that changes on a text, against the uncompressed model:
// - each head's attention: the Jensen–Shannon divergence of its rows, a layers × heads map (pruned heads crossed
//   out), the heads that moved most named;
// - the answers: top-1 agreement, KL, perplexity; the weights' bytes and each pass's time;
// - every combination measured is a row of the table and a point on the size–quality chart (the uncompressed model
//   at 100%, the Pareto front through the rest).
// Moving a control measures again after a pause (on stories260K a step takes 50–70 ms); everything runs on the page's
// TaskRunner, newest wins, Cancel stops it; what cannot run is one inline line.

#include <QWidget>

#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "engine/compression/compare_models.h"
#include "engine/compression/compress.h"
#include "engine/runtime/inference.h"
#include "widgets/weights/page_parts.h"

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QTableWidget;

namespace attnscope {

class TaskRunner;
class TextChoice;
class TradeOffChart;

/// A layers × heads map of one number a head (the Jensen–Shannon divergence of its attention), square cells as large
/// as the room allows, a head removed drawn crossed out.
class HeadMap : public PaintedPicture {
  Q_OBJECT
 public:
  explicit HeadMap(QWidget* parent = nullptr);
  void setValues(std::vector<std::vector<double>> values, std::set<HeadId> removed, const QString& title);
  int layers() const { return int(values_.size()); }
  double value(int layer, int head) const { return values_[std::size_t(layer)][std::size_t(head)]; }
  bool removed(int layer, int head) const { return removed_.count({layer, head}) > 0; }
  /// The side of a cell as last drawn, in pixels (tests: square and filling the room).
  double cellSide() const { return cell_; }

 protected:
  void draw(QPainter& p, QSizeF size) const override;

 private:
  std::vector<std::vector<double>> values_;
  std::set<HeadId> removed_;
  QString title_;
  mutable double cell_ = 0;
};

class CompressPage : public QWidget {
  Q_OBJECT
 public:
  explicit CompressPage(QWidget* parent = nullptr);
  ~CompressPage() override;

  /// The model running in the tab (or null) and where the text above comes from.
  void setModel(std::shared_ptr<const RuntimeModel> model, std::function<QString()> textAbove);

  /// The controls, as a user sets them: the share pruned (0 … 0.9), over each layer or all together; whole heads
  /// removed and their score; how the weights are held.
  void setPrune(double amount, bool global);
  void setPruneHeads(int count, HeadScore score);
  void setStorage(WeightStorage storage, bool mixed);
  /// "" for the text above, or one of TextChoice::sampleNames().
  bool setSample(const QString& name);
  CompressionPlan plan() const;

  /// The combination the controls set (after a short pause, so a dragged slider measures once it rests).
  void measure();
  /// Eight combinations, one row each as it comes: nothing, fp16, bf16, int8, 20% of each layer, 50% of all
  /// together, a fifth of the heads, 20% of each layer then int8.
  void measureSet();
  void cancel();
  void clearTable();
  /// .json: every row of the table with its measures and js_by_head (compress --json's keys); .png: the map and
  /// the chart side by side. False with `error` set when it cannot.
  bool exportTo(const QString& path, QString* error) const;

  QSize sizeHint() const override { return minimumSizeHint(); }

  // For tests.
  bool busy() const;
  QString summary() const;
  QString message() const;
  QString note() const;
  int rows() const;
  HeadMap* headMap() const { return map_; }
  TradeOffChart* chart() const { return chart_; }
  QTableWidget* table() const { return table_; }
  QSlider* pruneSlider() const { return prune_; }

 signals:
  void ended();

 private:
  struct Row {
    CompressionPlan plan;
    QString label;
    CompressionMeasures measures;
    std::vector<HeadId> pruned;
    std::vector<std::vector<double>> headScores;  ///< every head's score when heads were pruned
    Index overflows = 0;
    double stepMs = 0;
  };
  void showMessage(const QString& text);
  void showRow(const Row& row);
  void addRow(Row row);
  std::optional<std::string> chosenText();
  void scheduleMeasure();
  void run(std::vector<CompressionPlan> plans, int pauseMs);

  std::shared_ptr<const RuntimeModel> model_;
  std::vector<Row> rows_;
  TaskRunner* runner_ = nullptr;
  QSlider* prune_ = nullptr;
  QLabel* pruneValue_ = nullptr;
  QComboBox* pruneScope_ = nullptr;
  QSpinBox* heads_ = nullptr;
  QComboBox* headScore_ = nullptr;
  QComboBox* storage_ = nullptr;
  TextChoice* text_ = nullptr;
  QPushButton* measure_ = nullptr;
  QPushButton* set_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QPushButton* clear_ = nullptr;
  QPushButton* export_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* summary_ = nullptr;
  QLabel* note_ = nullptr;
  QLabel* message_ = nullptr;
  PageLines lines_;
  HeadMap* map_ = nullptr;
  QTableWidget* table_ = nullptr;
  TradeOffChart* chart_ = nullptr;
};

}  // namespace attnscope

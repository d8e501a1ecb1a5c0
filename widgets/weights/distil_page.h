#pragma once
// The Real attention tab's Distil page (issue 25): the model running here as the teacher beside a student that shares
// its tokenizer — a compressed copy of it (pruned, stripped of heads, int8) or a model opened from disk — run on the
// same text and their heads compared as Clark et al. (2019) compare heads: the teacher × student similarity matrix
// (Jensen–Shannon divergence of attention rows) with the best one-to-one matching outlined (Hungarian), the layer
// mapping that fits best beside DistilBERT's, MiniLM's last-layer KL; a matched pair (a row of the table, or a cell
// of the matrix) is opened side by side: the teacher's head and the student's, on the same colour scale.

#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "engine/compression/distil.h"
#include "engine/runtime/inference.h"
#include "widgets/weights/page_parts.h"

class QComboBox;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace attnscope {

class HeatmapView;
class TaskRunner;
class TextChoice;

/// The teacher × student divergence matrix: a row a teacher head, a column a student head (layer by layer), square
/// cells, the matched pairs outlined; a click on a cell asks for that pair.
class SimilarityMap : public PaintedPicture {
  Q_OBJECT
 public:
  explicit SimilarityMap(QWidget* parent = nullptr);
  void setComparison(std::shared_ptr<const DistilComparison> comparison);
  void setSelected(int teacher, int student);
  double cellSide() const { return cell_; }
  /// The centre of cell (teacher, student) as last drawn (tests click it).
  QPoint cellCentre(int teacher, int student) const;

 signals:
  /// Flat indices: layer · heads + head.
  void cellClicked(int teacher, int student);

 protected:
  void draw(QPainter& p, QSizeF size) const override;
  void mousePressEvent(QMouseEvent* event) override;

 private:
  std::shared_ptr<const DistilComparison> d_;
  int selectedTeacher_ = -1, selectedStudent_ = -1;
  mutable double cell_ = 0, x0_ = 0, y0_ = 0;
};

class DistilPage : public QWidget {
  Q_OBJECT
 public:
  enum class Student { Pruned = 0, FewerHeads = 1, Int8 = 2, FromDisk = 3 };
  explicit DistilPage(QWidget* parent = nullptr);
  ~DistilPage() override;

  void setModel(std::shared_ptr<const RuntimeModel> model, std::function<QString()> textAbove);
  void setStudent(Student student);
  /// A student from disk (a model `infer` opens); false with the reason shown.
  bool openStudent(const QString& path);
  bool setSample(const QString& name);
  void compare();
  void cancel();
  /// Shows match `row` of the table (the student's layer and head order) side by side.
  void showMatch(int row);

  QSize sizeHint() const override { return minimumSizeHint(); }

  // For tests.
  bool busy() const;
  QString message() const { return lines_.messageText(); }
  QString summary() const;
  std::shared_ptr<const DistilComparison> comparison() const { return comparison_; }
  QTableWidget* table() const { return table_; }
  SimilarityMap* map() const { return map_; }
  QString teacherTitle() const;
  QString studentTitle() const;

 signals:
  void ended();

 private:
  std::optional<std::string> chosenText();
  void show(std::shared_ptr<const DistilComparison> d, std::shared_ptr<const ModelPass> teacher,
            std::shared_ptr<const ModelPass> student, QStringList tokens, QString studentName);
  void showPair(const HeadMatch& match);

  std::shared_ptr<const RuntimeModel> model_;
  std::shared_ptr<const RuntimeModel> fromDisk_;
  std::shared_ptr<const DistilComparison> comparison_;
  std::shared_ptr<const ModelPass> teacherPass_, studentPass_;
  QStringList tokens_;
  TaskRunner* runner_ = nullptr;
  TaskRunner* pictureRunner_ = nullptr;
  QComboBox* student_ = nullptr;
  TextChoice* text_ = nullptr;
  QPushButton* compare_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QProgressBar* progress_ = nullptr;
  PageLines lines_;
  SimilarityMap* map_ = nullptr;
  QTableWidget* table_ = nullptr;
  HeatmapView* teacherView_ = nullptr;
  HeatmapView* studentView_ = nullptr;
  QString teacherTitle_, studentTitle_;
};

}  // namespace attnscope

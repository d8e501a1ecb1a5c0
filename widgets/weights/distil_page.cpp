#include "widgets/weights/distil_page.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "engine/compression/compress.h"
#include "engine/util/error.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/shared/mask_picture.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/palettes.h"
#include "widgets/shared/task_runner.h"
#include "widgets/weights/text_choice.h"

namespace attnscope {

namespace {

QString headName(int layer, int head) { return QStringLiteral("%1.%2").arg(layer).arg(head); }

// The compressed copies offered as students, as plans.
CompressionPlan studentPlan(DistilPage::Student s, const LanguageModel& m) {
  CompressionPlan p;
  if (s == DistilPage::Student::Pruned) p.prune = {{0.3, false}};
  if (s == DistilPage::Student::FewerHeads) p.pruneHeads = std::max(1, m.layers() * m.heads() / 5);
  if (s == DistilPage::Student::Int8) p.storage = WeightStorage::Int8;
  return p;
}

}  // namespace

SimilarityMap::SimilarityMap(QWidget* parent) : PaintedPicture(parent) { setMinimumSize(200, 110); }

void SimilarityMap::setComparison(std::shared_ptr<const DistilComparison> comparison) {
  d_ = std::move(comparison);
  selectedTeacher_ = selectedStudent_ = -1;
  update();
}

void SimilarityMap::setSelected(int teacher, int student) {
  selectedTeacher_ = teacher;
  selectedStudent_ = student;
  update();
}

QPoint SimilarityMap::cellCentre(int teacher, int student) const {
  return QPointF(x0_ + (student + 0.5) * cell_, y0_ + (teacher + 0.5) * cell_).toPoint();
}

void SimilarityMap::mousePressEvent(QMouseEvent* event) {
  if (!d_ || cell_ <= 0) return;
  const int s = int(std::floor((event->position().x() - x0_) / cell_)),
            t = int(std::floor((event->position().y() - y0_) / cell_));
  if (t >= 0 && s >= 0 && t < int(d_->similarity.size()) && s < int(d_->similarity[0].size())) emit cellClicked(t, s);
}

void SimilarityMap::draw(QPainter& p, QSizeF size) const {
  p.fillRect(QRectF(QPointF(0, 0), size), Qt::white);
  const QFont font = this->font();
  const double line = QFontMetricsF(font).height();
  QFont bold = font;
  bold.setBold(true);
  p.setFont(bold);
  p.drawText(QRectF(0, 0, size.width(), 1.4 * line), Qt::AlignCenter, QStringLiteral("teacher × student heads"));
  if (!d_ || d_->similarity.empty()) {
    cell_ = 0;
    return;
  }
  p.setFont(font);
  const int rows = int(d_->similarity.size()), cols = int(d_->similarity[0].size());
  double top = 1e-12;
  for (const auto& r : d_->similarity)
    for (double v : r) top = std::max(top, v);
  const double left = QFontMetricsF(font).horizontalAdvance(QStringLiteral("teacher L00")) + 6;
  const double topBand = 1.5 * line, bottomBand = 1.4 * line;
  cell_ = std::max(1.0, std::min((size.width() - left - 4) / cols, (size.height() - topBand - bottomBand) / rows));
  x0_ = left;
  y0_ = topBand;
  // Darker is closer: the palette reversed, so a matched (small) divergence stands out dark.
  for (int t = 0; t < rows; ++t)
    for (int s = 0; s < cols; ++s)
      p.fillRect(QRectF(x0_ + s * cell_, y0_ + t * cell_, cell_, cell_),
                 paletteColorAt(Palette::Viridis, 1.0 - d_->similarity[std::size_t(t)][std::size_t(s)] / top));
  // Layer boundaries and names.
  p.setPen(QPen(Qt::white, 1));
  for (int l = 1; l < d_->teacherLayers; ++l)
    p.drawLine(QPointF(x0_, y0_ + l * d_->teacherHeads * cell_),
               QPointF(x0_ + cols * cell_, y0_ + l * d_->teacherHeads * cell_));
  for (int l = 1; l < d_->studentLayers; ++l)
    p.drawLine(QPointF(x0_ + l * d_->studentHeads * cell_, y0_),
               QPointF(x0_ + l * d_->studentHeads * cell_, y0_ + rows * cell_));
  p.setPen(Qt::black);
  for (int l = 0; l < d_->teacherLayers; ++l)
    p.drawText(QRectF(0, y0_ + l * d_->teacherHeads * cell_, x0_ - 4, d_->teacherHeads * cell_),
               Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("teacher L%1").arg(l));
  for (int l = 0; l < d_->studentLayers; ++l)
    p.drawText(QRectF(x0_ + l * d_->studentHeads * cell_, y0_ + rows * cell_, d_->studentHeads * cell_, line),
               Qt::AlignCenter, QStringLiteral("S%1").arg(l));
  // The matching: each pair outlined.
  p.setBrush(Qt::NoBrush);
  for (const HeadMatch& m : d_->matching) {
    const int t = m.teacherLayer * d_->teacherHeads + m.teacherHead,
              s = m.studentLayer * d_->studentHeads + m.studentHead;
    const bool chosen = t == selectedTeacher_ && s == selectedStudent_;
    if (chosen) {
      p.setPen(QPen(QColor(0xff, 0x30, 0x30), 3));
      p.drawRect(QRectF(x0_ + s * cell_ - 1, y0_ + t * cell_ - 1, cell_ + 2, cell_ + 2));
    } else {
      p.setPen(QPen(QColor(0xff, 0x8c, 0x00), 1));
      p.drawRect(QRectF(x0_ + s * cell_ + 0.5, y0_ + t * cell_ + 0.5, cell_ - 1, cell_ - 1));
    }
  }
}

DistilPage::DistilPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  student_ = new QComboBox(this);
  student_->setObjectName(QStringLiteral("distilStudent"));
  student_->addItems({QStringLiteral("a copy, 30% of each layer pruned"),
                      QStringLiteral("a copy without a fifth of "
                                     "its heads"),
                      QStringLiteral("a copy in int8"), QStringLiteral("a model from disk…")});
  student_->setToolTip(QStringLiteral(
      "the student beside the model running here (the teacher): a compressed copy, or a model from disk that shares "
      "its tokenizer (a distilled model, two llama2.c checkpoints, a model saved by compress --save)"));
  text_ = new TextChoice(QStringLiteral("distilText"), /*withFile=*/false, this);
  text_->setOnProblem([this](const QString& text) { lines_.showMessage(text); });
  for (QComboBox* box : {student_, static_cast<QComboBox*>(text_)}) {
    box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    box->setMinimumContentsLength(12);
  }
  compare_ = pageButton(this, QStringLiteral("Compare"), "distilCompare",
                        QStringLiteral("run both on the text and compare every teacher head with every student head"));
  cancel_ = pageButton(this, QStringLiteral("Cancel"), "distilCancel", QStringLiteral("stop the run"));
  cancel_->setEnabled(false);
  progress_ = pageProgress(this);
  bar->addWidget(new QLabel(QStringLiteral("Student"), this));
  bar->addWidget(student_);
  bar->addWidget(new QLabel(QStringLiteral("on"), this));
  bar->addWidget(text_);
  bar->addWidget(compare_);
  bar->addWidget(cancel_);
  bar->addWidget(progress_);
  bar->addStretch(1);
  layout->addLayout(bar);
  lines_ = addPageLines(this, layout, QStringLiteral("distil"));

  auto* views = new QHBoxLayout;
  auto* left = new QVBoxLayout;
  map_ = new SimilarityMap(this);
  map_->setObjectName(QStringLiteral("distilMap"));
  table_ = new QTableWidget(0, 3, this);
  table_->setObjectName(QStringLiteral("distilTable"));
  table_->setHorizontalHeaderLabels(
      {QStringLiteral("Student head"), QStringLiteral("Teacher head"), QStringLiteral("Jensen–Shannon")});
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  table_->verticalHeader()->hide();
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setMinimumHeight(4 * fontMetrics().height());
  table_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Ignored);
  left->addWidget(map_, 3);
  left->addWidget(table_, 2);
  views->addLayout(left, 2);
  teacherView_ = new HeatmapView(this);
  teacherView_->setObjectName(QStringLiteral("distilTeacherView"));
  studentView_ = new HeatmapView(this);
  studentView_->setObjectName(QStringLiteral("distilStudentView"));
  for (HeatmapView* v : {teacherView_, studentView_}) {
    v->setMinimumHeight(110);
    views->addWidget(v, 2);
  }
  layout->addLayout(views, 1);

  runner_ = new TaskRunner(this);
  pictureRunner_ = new TaskRunner(this);
  showRunnerOn(runner_, this, cancel_, progress_, lines_, [this] { emit ended(); });
  connect(compare_, &QPushButton::clicked, this, &DistilPage::compare);
  connect(cancel_, &QPushButton::clicked, this, &DistilPage::cancel);
  connect(student_, &QComboBox::activated, this, [this](int index) {
    if (index != int(Student::FromDisk)) return;
    const QString path = QFileDialog::getOpenFileName(
        this, QStringLiteral("The student: a llama2.c checkpoint, or a folder's config.json"), QString(),
        QStringLiteral("Models (*.bin config.json);;All files (*)"));
    if (path.isEmpty()) return;
    openStudent(path.endsWith(QStringLiteral("config.json")) ? path.section(QLatin1Char('/'), 0, -2) : path);
  });
  connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) { showMatch(row); });
  connect(map_, &SimilarityMap::cellClicked, this, [this](int t, int s) {
    if (!comparison_) return;
    for (int row = 0; row < int(comparison_->matching.size()); ++row) {
      const HeadMatch& m = comparison_->matching[std::size_t(row)];
      if (m.teacherLayer * comparison_->teacherHeads + m.teacherHead == t &&
          m.studentLayer * comparison_->studentHeads + m.studentHead == s) {
        table_->setCurrentCell(row, 0);
        return;
      }
    }
    // A pair the matching did not choose: shown all the same.
    showPair({t / comparison_->teacherHeads, t % comparison_->teacherHeads, s / comparison_->studentHeads,
              s % comparison_->studentHeads, comparison_->similarity[std::size_t(t)][std::size_t(s)]});
  });
  lines_.summary->setText(QStringLiteral(
      "Distillation trains a small student to do what a teacher does. Which of the teacher's heads does each of the "
      "student's heads do? Choose a student, then Compare."));
  lines_.note->setText(QStringLiteral(
      "Heads are compared by the Jensen–Shannon divergence of their attention rows (Clark et al. 2019; darker is "
      "closer), matched one to one by the Hungarian algorithm (outlined in orange); click a pair to see both heads "
      "side by side."));
}

DistilPage::~DistilPage() = default;

void DistilPage::setModel(std::shared_ptr<const RuntimeModel> model, std::function<QString()> textAbove) {
  if (model != model_) {  // another teacher: what was compared no longer describes it
    cancel();
    comparison_.reset();
    teacherPass_.reset();
    studentPass_.reset();
    map_->setComparison(nullptr);
    table_->setRowCount(0);
  }
  model_ = std::move(model);
  text_->setTextAbove(std::move(textAbove));
}

void DistilPage::setStudent(Student student) { student_->setCurrentIndex(int(student)); }

bool DistilPage::openStudent(const QString& path) {
  try {
    fromDisk_ = std::make_shared<const RuntimeModel>(openModel(path.toStdString()));
  } catch (const std::exception& e) {
    lines_.showMessage(QString::fromUtf8(e.what()));
    return false;
  }
  lines_.showMessage({});
  student_->setItemText(int(Student::FromDisk), QString::fromStdString(fromDisk_->path).section(QLatin1Char('/'), -1));
  student_->setCurrentIndex(int(Student::FromDisk));
  return true;
}

bool DistilPage::setSample(const QString& name) { return text_->setSample(name); }

bool DistilPage::busy() const { return runner_->busy() || pictureRunner_->busy(); }
QString DistilPage::summary() const { return lines_.summary->text(); }
QString DistilPage::teacherTitle() const { return teacherTitle_; }
QString DistilPage::studentTitle() const { return studentTitle_; }

std::optional<std::string> DistilPage::chosenText() { return text_->chosen(model_.get()); }

void DistilPage::cancel() {
  runner_->cancel();
  pictureRunner_->cancel();
}

void DistilPage::compare() {
  lines_.showMessage({});
  if (!model_) {
    lines_.showMessage(
        QStringLiteral("no model is running: press stories260K or Open model… above; it is the teacher here"));
    return;
  }
  const Student which = Student(student_->currentIndex());
  if (which == Student::FromDisk && !fromDisk_) {
    lines_.showMessage(QStringLiteral("no student is open: choose \"a model from disk…\" and pick one"));
    return;
  }
  const std::optional<std::string> text = chosenText();
  if (!text) return;
  if (text->find_first_not_of(" \t\r\n") == std::string::npos) {
    lines_.showMessage(QStringLiteral("the text is empty: type a text above or choose a sample"));
    return;
  }
  const std::shared_ptr<const RuntimeModel> teacher = model_, disk = fromDisk_;
  const std::string chosen = *text;
  const QString studentName =
      which == Student::FromDisk ? QString::fromStdString(disk->describe()) : student_->currentText();
  runner_->start([this, teacher, disk, which, chosen, studentName](const TaskRunner::Context& context) {
    const std::vector<int> ids = encodeText(*teacher, chosen);
    teacher->model->checkTokens(ids);
    std::shared_ptr<const LanguageModel> student;
    if (which == Student::FromDisk) {
      if (encodeText(*disk, chosen) != ids)
        throw Error(
            "the teacher and the student split the text differently: their tokenizers differ, and distil "
            "compares models that share one");
      student = disk->model;
    } else {
      std::shared_ptr<LanguageModel> copy = teacher->model->copy();
      applyPlan(*copy, studentPlan(which, *teacher->model), ids);
      student = copy;
    }
    student->checkTokens(ids);
    const LogitRows none = LogitRows::at({});
    auto a = std::make_shared<const ModelPass>(teacher->model->forward(ids, context.progress().part(0, 0.4), none));
    auto b = std::make_shared<const ModelPass>(student->forward(ids, context.progress().part(0.4, 0.8), none));
    auto d = std::make_shared<const DistilComparison>(compareHeads(*a, *b));
    QStringList tokens;
    for (int id : ids) tokens << QString::fromStdString(teacher->tokenizer->label(id));
    return std::function<void()>([this, d, a, b, tokens, studentName] { show(d, a, b, tokens, studentName); });
  });
}

void DistilPage::show(std::shared_ptr<const DistilComparison> d, std::shared_ptr<const ModelPass> teacher,
                      std::shared_ptr<const ModelPass> student, QStringList tokens, QString studentName) {
  comparison_ = std::move(d);
  teacherPass_ = std::move(teacher);
  studentPass_ = std::move(student);
  tokens_ = std::move(tokens);
  map_->setComparison(comparison_);
  const DistilComparison& c = *comparison_;
  table_->setRowCount(int(c.matching.size()));
  for (int r = 0; r < int(c.matching.size()); ++r) {
    const HeadMatch& m = c.matching[std::size_t(r)];
    const QStringList cells{headName(m.studentLayer, m.studentHead), headName(m.teacherLayer, m.teacherHead),
                            fixedText(m.divergence, 4)};
    for (int col = 0; col < 3; ++col) {
      auto* item = new QTableWidgetItem(cells[col]);
      item->setTextAlignment(Qt::AlignCenter);
      table_->setItem(r, col, item);
    }
  }
  QStringList mapping, even;
  for (std::size_t s = 0; s < c.layerMapping.size(); ++s)
    mapping << QStringLiteral("%1←%2").arg(s).arg(c.layerMapping[s]);
  for (std::size_t s = 0; s < c.evenMapping.size(); ++s) even << QStringLiteral("%1←%2").arg(s).arg(c.evenMapping[s]);
  QString text =
      QStringLiteral(
          "Student: %1. Matched heads differ by %2 nats on average (0 … 0.693). Layers, best "
          "rising fit: %3 (%4); DistilBERT's first-last-even: %5 (%6).")
          .arg(studentName, fixedText(c.matchingMean, 4), mapping.join(QLatin1Char(' ')),
               fixedText(c.layerMappingMean, 4), even.join(QLatin1Char(' ')), fixedText(c.evenMappingMean, 4));
  if (!c.miniLmKl.empty()) {
    double mean = 0;
    for (double v : c.miniLmKl) mean += v / double(c.miniLmKl.size());
    text += QStringLiteral(" MiniLM's last-layer KL: %1 nats a head.").arg(fixedText(mean, 4));
  }
  lines_.summary->setText(text);
  if (!c.matching.empty()) {
    // The pair that differs most: what the student changed.
    int worst = 0;
    for (int r = 1; r < int(c.matching.size()); ++r)
      if (c.matching[std::size_t(r)].divergence > c.matching[std::size_t(worst)].divergence) worst = r;
    table_->setCurrentCell(worst, 0);
    showMatch(worst);
  }
}

void DistilPage::showMatch(int row) {
  if (!comparison_ || row < 0 || row >= int(comparison_->matching.size())) return;
  showPair(comparison_->matching[std::size_t(row)]);
}

void DistilPage::showPair(const HeadMatch& m) {
  map_->setSelected(m.teacherLayer * comparison_->teacherHeads + m.teacherHead,
                    m.studentLayer * comparison_->studentHeads + m.studentHead);
  teacherTitle_ = QStringLiteral("teacher layer %1, head %2").arg(m.teacherLayer).arg(m.teacherHead);
  studentTitle_ = QStringLiteral("student layer %1, head %2 (JS %3)")
                      .arg(m.studentLayer)
                      .arg(m.studentHead)
                      .arg(fixedText(m.divergence, 4));
  const std::shared_ptr<const ModelPass> a = teacherPass_, b = studentPass_;
  pictureRunner_->start([this, a, b, m](const TaskRunner::Context&) {
    float lo = std::numeric_limits<float>::max(), hi = 0;
    auto pa = matrixPicture(a->attention[std::size_t(m.teacherLayer)][std::size_t(m.teacherHead)], true, lo, hi);
    auto pb = matrixPicture(b->attention[std::size_t(m.studentLayer)][std::size_t(m.studentHead)], true, lo, hi);
    return std::function<void()>([this, pa, pb, lo, hi] {
      const float top = hi > 0 ? hi : 1.0f;
      for (auto [view, picture, title] :
           {std::tuple{teacherView_, pa, teacherTitle_}, std::tuple{studentView_, pb, studentTitle_}}) {
        view->setValueScale(std::max(lo, top * 1e-4f), top, QStringLiteral("attention weight (log scale; grey: 0)"),
                            true);
        view->setTokens(tokens_);
        view->setPicture(picture, 0, nullptr, title);
      }
    });
  });
}

}  // namespace attnscope

#include "widgets/compare/compare_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSpinBox>
#include <QLineEdit>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <algorithm>

#include "engine/util/error.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/shared/number_text.h"
#include "widgets/pattern/pattern_controls.h"
#include "widgets/shared/view_pair.h"

namespace attnscope {

SideBySide compareResults(std::shared_ptr<const MaskResult> a, std::shared_ptr<const MaskResult> b,
                          const Progress& progress) {
  if (!a || !a->mask || !a->picture) throw Error("there is no pattern to compare yet");
  const SparseMask& maskA = *a->mask;
  const Index n = maskA.n();
  SideBySide s;
  s.a = a;
  s.b = b;
  s.nameA = a->choice.pattern;
  const int headsA = maskA.heads();
  int headsB = 1;
  const int side = a->picture->side;
  if (b) {
    if (!b->mask || b->mask->n() != n)
      throw Error("pattern B has n = " + std::to_string(b->mask ? b->mask->n() : 0) +
                  ", not A's n = " + std::to_string(n));
    headsB = b->mask->heads();
    s.nameB = b->choice.pattern;
    s.pictureB = b->picture;
    s.titleB = b->title;
  } else {
    auto ones = std::make_shared<MaskPicture>();
    ones->n = n;
    ones->side = side;
    ones->heads.emplace_back(static_cast<std::size_t>(side) * side, 1.0f);
    s.pictureB = std::move(ones);
    s.nameB = QStringLiteral("full");
    s.titleB = QStringLiteral("full, n = ") + countText(n);
  }
  if (headsA != headsB && headsA != 1 && headsB != 1)
    throw Error("num_heads " + std::to_string(headsB) + " of pattern B is not allowed against " +
                std::to_string(headsA) + " heads in A: expected the same count, or 1");
  if (s.nameA == s.nameB) {
    s.nameA = QStringLiteral("A (") + s.nameA + QLatin1Char(')');
    s.nameB = QStringLiteral("B (") + s.nameB + QLatin1Char(')');
  }
  // Heads compared: as many as the larger side; a one-head mask stands for every head.
  const int heads = std::max(headsA, headsB);
  s.cellsA = double(maskA.nnz()) * (heads / headsA);
  s.cellsB = b ? double(b->mask->nnz()) * (heads / headsB) : double(n) * double(n) * heads;
  progress.throwIfCancelled();

  std::optional<SparseMask> both;
  if (b) both = intersect(maskA, *b->mask);
  progress.throwIfCancelled();
  auto diff = std::make_shared<MaskPicture>();
  diff->n = n;
  diff->side = side;
  const bool exact = side == n;
  for (int h = 0; h < heads; ++h) {
    progress.throwIfCancelled();
    const std::vector<float>& dA = a->picture->heads[std::min(h, headsA - 1)];
    const std::vector<float>& dB = s.pictureB->heads[std::min(h, int(s.pictureB->heads.size()) - 1)];
    const std::vector<float> dAB = both ? both->density(std::min(h, both->heads() - 1), side, side) : dA;
    std::vector<float> values(dA.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (exact) {
        values[i] = float((dA[i] > 0.5f ? kOnlyA : 0) + (dB[i] > 0.5f ? kOnlyB : 0));
        continue;
      }
      // A tile: the category holding most of its cells among only-A, only-B and both.
      const float onlyA = dA[i] - dAB[i], onlyB = dB[i] - dAB[i], inBoth = dAB[i];
      constexpr float eps = 1e-7f;
      int category = kInNeither;
      float best = eps;
      for (auto [value, cat] : {std::pair{inBoth, kInBoth}, {onlyA, kOnlyA}, {onlyB, kOnlyB}})
        if (value > best) {
          best = value;
          category = cat;
        }
      values[i] = float(category);
    }
    diff->heads.push_back(std::move(values));
  }
  s.difference = std::move(diff);
  return s;
}

namespace {

// Titles sit over half-width maps: the parameter line is broken at commas into lines of about `width` characters.
QString wrapTitle(const QString& title, int width = 32) {
  QStringList lines = title.split(QLatin1Char('\n'));
  QStringList out;
  for (const QString& line : lines) {
    QString current;
    for (const QString& part : line.split(QStringLiteral(", "))) {
      if (!current.isEmpty() && current.size() + 2 + part.size() > width) {
        out << current + QLatin1Char(',');
        current.clear();
      }
      current += (current.isEmpty() ? QString() : QStringLiteral(", ")) + part;
    }
    out << current;
  }
  return out.join(QLatin1Char('\n'));
}

/// Pads the shorter of two titles with blank lines so that both maps start at the same height.
void padTitles(QString& a, QString& b) {
  const auto lines = [](const QString& t) { return t.count(QLatin1Char('\n')) + 1; };
  while (lines(a) < lines(b)) a += QStringLiteral("\n ");
  while (lines(b) < lines(a)) b += QStringLiteral("\n ");
}

}  // namespace

QString countsLine(const SideBySide& s) {
  const QLocale& en = numberLocale();
  QString line = QStringLiteral("%1: %2 cells; %3: %4 cells")
                     .arg(s.nameB, en.toString(s.cellsB, 'f', 0), s.nameA, en.toString(s.cellsA, 'f', 0));
  if (s.cellsA == s.cellsB) return line + QStringLiteral(", the same count");
  if (s.cellsA == 0) return line + QStringLiteral(", none at all");
  const double ratio = s.cellsA < s.cellsB ? s.cellsB / s.cellsA : s.cellsA / s.cellsB;
  return line + QStringLiteral(", %1× %2")
                    .arg(en.toString(ratio, 'f', ratio < 100 ? 1 : 0),
                         s.cellsA < s.cellsB ? QStringLiteral("fewer") : QStringLiteral("more"));
}

CompareView::CompareView(QWidget* parent) : QWidget(parent), runner_(new TaskRunner(this)) {
  auto* layout = new QVBoxLayout(this);
  buildBar(layout);
  buildViews(layout);
  connectWork();
  counts_->setText(QStringLiteral("Waiting for the pattern…"));
}

// What to compare with, how to show it, export; the counts line and the message line under it.
void CompareView::buildBar(QVBoxLayout* layout) {
  auto* bar = new QHBoxLayout;
  against_ = new QComboBox(this);
  against_->setObjectName(QStringLiteral("compareAgainst"));
  against_->addItems({QStringLiteral("full attention"), QStringLiteral("another pattern (B)")});
  show_ = new QComboBox(this);
  show_->setObjectName(QStringLiteral("compareShow"));
  show_->addItems({QStringLiteral("side by side"), QStringLiteral("difference")});
  show_->setToolTip(QStringLiteral("Difference: cells only in A, only in B, and in both, in one picture"));
  export_ = new QPushButton(QStringLiteral("Export comparison…"), this);
  bar->addWidget(new QLabel(QStringLiteral("Compare the pattern (A) with"), this));
  bar->addWidget(against_);
  bar->addSpacing(16);
  bar->addWidget(new QLabel(QStringLiteral("Show"), this));
  bar->addWidget(show_);
  bar->addStretch(1);
  bar->addWidget(export_);
  layout->addLayout(bar);
  counts_ = new QLabel(this);
  counts_->setObjectName(QStringLiteral("compareCounts"));
  QFont big = counts_->font();
  big.setPointSizeF(big.pointSizeF() * 1.25);
  big.setBold(true);
  counts_->setFont(big);
  counts_->setWordWrap(true);
  counts_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(counts_);
  message_ = new QLabel(this);
  message_->setStyleSheet(QStringLiteral("color: #b00020;"));
  message_->setWordWrap(true);
  message_->hide();
  layout->addWidget(message_);
}

// Pattern B's controls (hidden against full attention), then the two maps and the difference, linked.
void CompareView::buildViews(QVBoxLayout* layout) {
  auto* body = new QHBoxLayout;
  sideB_ = new QWidget(this);
  auto* sideLayout = new QVBoxLayout(sideB_);
  sideLayout->setContentsMargins(0, 0, 0, 0);
  auto* bTitle = new QLabel(QStringLiteral("<b>Pattern B</b> (n and sentence follow A)"), sideB_);
  sideLayout->addWidget(bTitle);
  auto* scroll = new QScrollArea(sideB_);
  scroll->setWidgetResizable(true);
  controlsB_ = new PatternControls(scroll);
  controlsB_->setObjectName(QStringLiteral("controlsB"));
  scroll->setWidget(controlsB_);
  sideLayout->addWidget(scroll, 1);
  sideB_->setFixedWidth(300);
  sideB_->hide();
  for (QWidget* w : {static_cast<QWidget*>(controlsB_->nBox()), static_cast<QWidget*>(controlsB_->nSlider()),
                     static_cast<QWidget*>(controlsB_->textField())}) {
    w->setEnabled(false);
    w->setToolTip(QStringLiteral("Pattern B uses A's sequence length and sentence"));
  }
  body->addWidget(sideB_);

  pages_ = new QStackedWidget(this);
  viewA_ = new HeatmapView;
  viewA_->setObjectName(QStringLiteral("compareA"));
  viewB_ = new HeatmapView;
  viewB_->setObjectName(QStringLiteral("compareB"));
  auto* pair = new ViewPair(viewA_, viewB_, pages_);
  difference_ = new HeatmapView(pages_);
  difference_->setObjectName(QStringLiteral("compareDifference"));
  pages_->addWidget(pair);
  pages_->addWidget(difference_);
  body->addWidget(pages_, 1);
  layout->addLayout(body, 1);

  // Linked zoom and pan: what the user does to one view, the others follow.
  const QList<HeatmapView*> views{viewA_, viewB_, difference_};
  for (HeatmapView* from : views)
    connect(from, &HeatmapView::viewMovedByUser, this, [from, views](const QRectF& range) {
      for (HeatmapView* to : views)
        if (to != from) to->setViewRange(range);
    });
}

// Pattern B's own computation, the choices in the bar, and the comparison's failures.
void CompareView::connectWork() {
  controllerB_ = new MaskController(this);
  controllerB_->setReachability(false);
  connect(controlsB_, &PatternControls::changed, this, &CompareView::requestB);
  connect(controllerB_, &MaskController::ready, this, [this](std::shared_ptr<const MaskResult> r) {
    controlsB_->showError(QString());
    b_ = std::move(r);
    recompute();
  });
  connect(controllerB_, &MaskController::failed, this, [this](const QString& message) {
    controlsB_->showError(message);
    message_->setText(QStringLiteral("Pattern B: ") + message);
    message_->show();
  });
  connect(against_, &QComboBox::currentIndexChanged, this, [this](int i) { setAgainstFull(i == 0); });
  connect(show_, &QComboBox::currentIndexChanged, this,
          [this](int i) { setShow(i == 0 ? Show::SideBySide : Show::Difference); });
  connect(export_, &QPushButton::clicked, this, &CompareView::exportRequested);
  connect(runner_, &TaskRunner::failed, this, [this](const QString& message) {  // a pair of huge masks, say
    message_->setText(message);
    message_->show();
    emit failed(message);
  });
}

CompareView::~CompareView() = default;

bool CompareView::againstFull() const { return against_->currentIndex() == 0; }
bool CompareView::busy() const { return runner_->busy() || controllerB_->busy(); }
QString CompareView::countsText() const { return counts_->text(); }

void CompareView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (stale_) setPrimary(a_);
}

void CompareView::setPrimary(std::shared_ptr<const MaskResult> a) {
  a_ = std::move(a);
  // A hidden tab does no work: every parameter change would otherwise pay for a comparison nobody sees.
  stale_ = !isVisible();
  if (stale_) return;
  if (!againstFull() && b_ && (b_->choice.n != a_->choice.n || b_->choice.text != a_->choice.text)) {
    requestB();  // B follows A's n; the comparison waits for it
    return;
  }
  recompute();
}

void CompareView::setAgainstFull(bool full) {
  if (against_->currentIndex() != (full ? 0 : 1)) {
    against_->setCurrentIndex(full ? 0 : 1);  // comes back here through the signal
    return;
  }
  sideB_->setVisible(!full);
  message_->hide();
  if (!full && !bInitialised_) {
    bInitialised_ = true;
    PatternChoice start;
    start.pattern = QStringLiteral("full");
    if (a_) {  // start from A's own settings: the class changes one thing and sees what it does
      start = a_->choice;
    }
    controlsB_->setChoice(start);  // emits changed(): B is computed
    return;
  }
  if (!full) {
    requestB();
    return;
  }
  recompute();
}

void CompareView::setShow(Show show) {
  show_->setCurrentIndex(show == Show::SideBySide ? 0 : 1);
  pages_->setCurrentIndex(show == Show::SideBySide ? 0 : 1);
  // The page shown takes over where the other was looking (the whole matrix, or the part zoomed into).
  auto follow = [](HeatmapView* from, HeatmapView* to) {
    to->setViewRange(from->showsWhole() ? QRectF() : from->viewRange());
  };
  if (show == Show::Difference) {
    follow(viewA_, difference_);
  } else {
    follow(difference_, viewA_);
    follow(difference_, viewB_);
  }
}

void CompareView::setHead(int head) {
  head_ = std::max(0, head);
  if (shown_) showComparison();
}

void CompareView::setColorPalette(Palette palette) {
  viewA_->setColorPalette(palette);
  viewB_->setColorPalette(palette);
}

void CompareView::requestB() {
  if (againstFull() || !a_) return;
  PatternChoice choice = controlsB_->choice();
  choice.n = a_->choice.n;
  choice.text = a_->choice.text;
  controllerB_->request(choice);
}

void CompareView::recompute() {
  if (!a_) return;
  std::shared_ptr<const MaskResult> b;
  if (!againstFull()) {
    if (!b_ || b_->choice.n != a_->choice.n) return;  // B is on its way
    b = b_;
  }
  runner_->start([this, a = a_, b](const TaskRunner::Context& context) -> std::function<void()> {
    auto s = std::make_shared<SideBySide>(compareResults(a, b, context.progress()));
    return [this, s] { setComparison(std::move(*s)); };
  });
}

void CompareView::setComparison(SideBySide s) {
  shown_ = std::make_unique<SideBySide>(std::move(s));
  message_->hide();
  showComparison();
  emit updated();
}

void CompareView::showComparison() {
  const SideBySide& s = *shown_;
  counts_->setText(countsLine(s));
  const int headsA = static_cast<int>(s.a->picture->heads.size());
  const int headsB = static_cast<int>(s.pictureB->heads.size());
  const int hA = std::min(head_, headsA - 1), hB = std::min(head_, headsB - 1);
  const QString headA = headsA > 1 ? QStringLiteral(", head %1").arg(hA) : QString();
  const QString headB = headsB > 1 ? QStringLiteral(", head %1").arg(hB) : QString();
  for (HeatmapView* v : {viewA_, viewB_, difference_}) v->setTokens(s.a->tokens);
  QString titleA = wrapTitle(QStringLiteral("A: ") + s.a->title + headA);
  QString titleB = wrapTitle(QStringLiteral("B: ") + s.titleB + headB);
  padTitles(titleA, titleB);
  viewA_->setPicture(s.a->picture, hA, s.a->mask, titleA);
  viewB_->setPicture(s.pictureB, hB, s.b ? s.b->mask : nullptr, titleB);
  difference_->setCategories({{QStringLiteral("in neither"), QColor(0xf2, 0xf2, 0xf2)},
                              {QStringLiteral("only in ") + s.nameA, QColor(0xe6, 0x61, 0x01)},
                              {QStringLiteral("only in ") + s.nameB, QColor(0x5e, 0x3c, 0x99)},
                              {QStringLiteral("in both"), QColor(0x1f, 0x1f, 0x1f)}});
  const int heads = static_cast<int>(s.difference->heads.size());
  difference_->setPicture(s.difference, std::min(head_, heads - 1), nullptr,
                          s.nameA + QStringLiteral(" against ") + s.nameB + QStringLiteral(", n = ") +
                              countText(s.a->choice.n) +
                              (heads > 1 ? QStringLiteral(", head %1").arg(std::min(head_, heads - 1)) : QString()));
}

bool CompareView::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  if (!shown_) {
    if (error) *error = QStringLiteral("there is no comparison to export yet");
    return false;
  }
  return HeatmapView::writeCaptioned(path, QSize(width, height), dpi, countsText(), exportedMaps(), error);
}

QList<HeatmapView*> CompareView::exportedMaps() const {
  return pages_->currentIndex() == 0 ? QList<HeatmapView*>{viewA_, viewB_} : QList<HeatmapView*>{difference_};
}

QString CompareView::exportName() const {
  return (a_ ? fileStem(a_->choice) : QStringLiteral("pattern")) + QStringLiteral("-compared");
}

}  // namespace attnscope

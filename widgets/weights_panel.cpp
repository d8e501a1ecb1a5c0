#include "widgets/weights_panel.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

#include "engine/masks/pattern_registry.h"
#include "engine/util/error.h"
#include "widgets/heatmap_view.h"
#include "widgets/mask_picture.h"
#include "widgets/palettes.h"
#include "widgets/task_runner.h"

namespace attnscope {

namespace {

constexpr int kThumbSide = 48;

QString number(double v, int digits) { return QLocale(QLocale::English).toString(v, 'f', digits); }

// A head's picture on a log scale from its largest value down four decades: tiles with no weight stay dark.
QImage logImage(const std::vector<float>& picture) {
  const int side = static_cast<int>(std::lround(std::sqrt(double(picture.size()))));
  float hi = 0;
  for (float v : picture) hi = std::max(hi, v);
  QImage image(std::max(side, 1), std::max(side, 1), QImage::Format_RGB32);
  image.fill(Qt::black);
  if (hi <= 0) return image;
  const double lo = std::log10(hi) - 4;
  for (int r = 0; r < side; ++r)
    for (int c = 0; c < side; ++c) {
      const float v = picture[static_cast<std::size_t>(r) * side + c];
      image.setPixelColor(c, r, paletteColorAt(Palette::Viridis, v > 0 ? (std::log10(v) - lo) / 4 : 0.0));
    }
  return image;
}

// Red (little kept) through yellow to green (all kept), light enough for black text.
// The role as a short label under a head's picture.
QString shortRole(const std::string& role) {
  if (role == "previous-token") return QStringLiteral("prev");
  if (role == "first-token sink") return QStringLiteral("sink");
  if (role == "diagonal") return QStringLiteral("diag");
  return QString::fromStdString(role);
}

QColor keptColor(double share) {
  const double t = std::clamp(share, 0.0, 1.0);
  return QColor::fromHsvF(float(t / 3), 0.45f, 1.0f);
}

}  // namespace

WeightsPanel::WeightsPanel(QWidget* parent) : QWidget(parent) {
  runner_ = new TaskRunner(this);
  pictureRunner_ = new TaskRunner(this);
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  open_ = new QPushButton(QStringLiteral("Open weights…"), this);
  open_->setToolTip(
      QStringLiteral("a .npy [n, n], [heads, n, n] or [layers, heads, n, n], or a .npz with one array "
                     "a layer (np.savez); see the README for the lines that dump a Hugging Face model"));
  example_ = new QPushButton(QStringLiteral("Synthetic example"), this);
  example_->setToolTip(QStringLiteral("weights written by scripts/make-synthetic-attention.py, not by a model"));
  measurePattern_ = new QPushButton(QStringLiteral("Measure the pattern on the left"), this);
  measurePattern_->setObjectName(QStringLiteral("weightsMeasurePattern"));
  measurePattern_->setEnabled(false);
  measurePattern_->setToolTip(QStringLiteral("the attention mass each head keeps inside the pattern, at this n"));
  title_ = new QLabel(QStringLiteral("No weights open: open a dump, or the synthetic example."), this);
  title_->setObjectName(QStringLiteral("weightsTitle"));
  title_->setWordWrap(true);
  bar->addWidget(open_);
  bar->addWidget(example_);
  bar->addWidget(measurePattern_);
  bar->addWidget(title_, 1);
  layout->addLayout(bar);
  message_ = new QLabel(this);
  message_->setObjectName(QStringLiteral("weightsMessage"));
  message_->setWordWrap(true);
  message_->hide();
  layout->addWidget(message_);

  auto* split = new QSplitter(Qt::Horizontal, this);
  grid_ = new QTableWidget(this);
  grid_->setObjectName(QStringLiteral("weightsGrid"));
  grid_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  grid_->setIconSize(QSize(kThumbSide, kThumbSide));
  grid_->horizontalHeader()->setDefaultSectionSize(kThumbSide + 40);
  grid_->verticalHeader()->setDefaultSectionSize(kThumbSide + 22);
  split->addWidget(grid_);
  // The large head's view is made when the first dump opens (a window that never opens one never builds it).
  viewHolder_ = new QWidget(this);
  auto* holder = new QVBoxLayout(viewHolder_);
  holder->setContentsMargins(0, 0, 0, 0);
  split->addWidget(viewHolder_);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  split->setSizes({380, 620});  // the large head gets the room; the grid scrolls
  layout->addWidget(split, 3);
  table_ = new QTableWidget(this);
  table_->setObjectName(QStringLiteral("weightsTable"));
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->hide();
  layout->addWidget(table_, 2);

  connect(open_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open attention weights"), QString(),
                                                      QStringLiteral("Attention weights (*.npy *.npz)"));
    if (!path.isEmpty()) openDump(path);
  });
  connect(example_, &QPushButton::clicked, this, &WeightsPanel::openExample);
  connect(measurePattern_, &QPushButton::clicked, this, &WeightsPanel::patternRequested);
  connect(grid_, &QTableWidget::cellClicked, this, [this](int row, int column) { selectHead(row, column); });
  connect(table_, &QTableWidget::cellClicked, this, [this](int row, int) {
    if (dump_ && report_) selectHead(report_->firstLayer + row / dump_->heads(), row % dump_->heads());
  });
  for (TaskRunner* r : {runner_, pictureRunner_})
    connect(r, &TaskRunner::failed, this, [this](const QString& m) { showMessage(m, true); });
}

WeightsPanel::~WeightsPanel() = default;

void WeightsPanel::showMessage(const QString& text, bool error) {
  message_->setText(text);
  message_->setStyleSheet(error ? QStringLiteral("color: #b00020") : QStringLiteral("color: #8a5a00"));
  message_->setVisible(!text.isEmpty());
}

QString WeightsPanel::message() const { return message_->isVisible() ? message_->text() : QString(); }

bool WeightsPanel::openDump(const QString& path, const QString& tokens) {
  try {
    AttentionDump dump = AttentionDump::open(path.toStdString());
    std::vector<std::string> labels;
    QString tokensPath = tokens;
    if (tokensPath.isEmpty()) {
      const QFileInfo info(path);
      for (const QString& name : {QString(info.completeBaseName() + QStringLiteral("-tokens.txt")),
                                  QStringLiteral("tokens.txt"), QStringLiteral("tokens.json")})
        if (QFileInfo::exists(info.dir().filePath(name))) {
          tokensPath = info.dir().filePath(name);
          break;
        }
    }
    if (!tokensPath.isEmpty()) labels = AttentionDump::readTokens(tokensPath.toStdString(), dump.n());
    dump_.emplace(std::move(dump));
    tokens_ = std::move(labels);
  } catch (const std::exception& e) {
    showMessage(QString::fromUtf8(e.what()), true);
    return false;
  }
  file_ = QFileInfo(path).fileName();
  if (file_.startsWith(QStringLiteral("synthetic")))
    file_ += QStringLiteral(" (SYNTHETIC: made by a script, not a model)");
  showMessage({}, false);
  layer_ = 0;
  head_ = 0;
  measurePattern_->setEnabled(true);
  analyse();
  return true;
}

bool WeightsPanel::openExample() {
  // The dump is memory-mapped, so the example is copied out of the resources into a folder of its own.
  static QTemporaryDir dir;
  const QString npz = dir.filePath(QStringLiteral("synthetic-attention.npz"));
  const QString tokens = dir.filePath(QStringLiteral("synthetic-attention-tokens.txt"));
  if (!QFileInfo::exists(npz)) {
    QFile::copy(QStringLiteral(":/examples/synthetic-attention.npz"), npz);
    QFile::copy(QStringLiteral(":/examples/synthetic-attention-tokens.txt"), tokens);
  }
  return openDump(npz, tokens);
}

void WeightsPanel::measurePattern(const PatternChoice& choice) {
  if (!dump_) return;
  pattern_ = choice;
  analyse();
}

void WeightsPanel::analyse() {
  if (!dump_) return;
  const AttentionDump* dump = &*dump_;
  std::optional<PatternChoice> pattern = pattern_;
  std::optional<PatternSpec> spec;
  ParamSet values;
  if (pattern) {
    try {
      spec = PatternSpec::parse(pattern->pattern.toStdString());
      std::vector<std::pair<std::string, std::string>> texts;
      for (const auto& [k, v] : pattern->params) texts.emplace_back(k.toStdString(), v.toStdString());
      values = spec->resolve(texts);
      spec->checkBuildMemory(values, dump->n());
    } catch (const std::exception& e) {
      showMessage(QString::fromUtf8(e.what()), true);
      pattern_.reset();
      return;
    }
  }
  title_->setText(
      QStringLiteral("<b>%1</b>: %2 layers × %3 heads, n = %4%5")
          .arg(file_.toHtmlEscaped())
          .arg(dump->layers())
          .arg(dump->heads())
          .arg(QLocale(QLocale::English).toString(qlonglong(dump->n())))
          .arg(pattern ? QStringLiteral(", measured against ") + pattern->title().toHtmlEscaped() : QString()));
  runner_->start([this, dump, spec, values](const TaskRunner::Context& ctx) -> std::function<void()> {
    std::optional<SparseMask> mask;
    if (spec) mask = buildMask(*spec->make(values, dump->n()));
    WeightsOptions options;
    options.thumbnailSide = kThumbSide;
    options.mask = mask ? &*mask : nullptr;
    auto report = std::make_shared<const WeightsReport>(measureWeights(*dump, options, ctx.progress()));
    return [this, report] {
      report_ = report;
      showReport();
      emit measured();
    };
  });
}

void WeightsPanel::showReport() {
  const WeightsReport& r = *report_;
  const bool withMask = !r.stats.empty() && !r.stats[0].empty() && r.stats[0][0].massKept >= 0;
  QStringList notes;
  if (r.offRows > 0)
    notes << QStringLiteral("%1 rows do not sum to 1 (within 0.01): are these softmax weights?").arg(r.offRows);
  if (r.paddingRows > 0)
    notes << QStringLiteral("%1 all-zero rows (padding) are left out of the figures").arg(r.paddingRows);
  if (!notes.isEmpty()) showMessage(notes.join(QStringLiteral("; ")), false);
  // The grid: a picture a head, its role under it.
  grid_->clear();
  grid_->setRowCount(static_cast<int>(r.stats.size()));
  grid_->setColumnCount(static_cast<int>(r.heads));
  QStringList rows, columns;
  for (std::size_t l = 0; l < r.stats.size(); ++l) rows << QStringLiteral("layer %1").arg(r.firstLayer + Index(l));
  for (Index h = 0; h < r.heads; ++h) columns << QStringLiteral("head %1").arg(h);
  grid_->setVerticalHeaderLabels(rows);
  grid_->setHorizontalHeaderLabels(columns);
  for (std::size_t l = 0; l < r.stats.size(); ++l)
    for (std::size_t h = 0; h < r.stats[l].size(); ++h) {
      const HeadStats& s = r.stats[l][h];
      auto* item = new QTableWidgetItem(QIcon(QPixmap::fromImage(logImage(s.thumbnail).scaled(kThumbSide, kThumbSide))),
                                        shortRole(s.role()));
      item->setData(Qt::UserRole, QString::fromStdString(s.role()));
      item->setToolTip(QStringLiteral("%1 — entropy %2, diagonal %3, previous %4, first %5")
                           .arg(s.role().empty() ? QStringLiteral("no clear role") : QString::fromStdString(s.role()),
                                number(s.entropy, 2), number(s.diagonal, 2), number(s.previous, 2),
                                number(s.first, 2)));
      if (withMask) item->setBackground(keptColor(s.massKept));
      grid_->setItem(static_cast<int>(l), static_cast<int>(h), item);
    }
  // The table: a row a head.
  QStringList headers{QStringLiteral("layer"),   QStringLiteral("head"), QStringLiteral("role"),
                      QStringLiteral("entropy"), QStringLiteral("diag"), QStringLiteral("prev"),
                      QStringLiteral("first"),   QStringLiteral("top-8")};
  if (withMask) headers << QStringLiteral("kept") << QStringLiteral("best (top-k)") << QStringLiteral("density");
  table_->clear();
  table_->setColumnCount(static_cast<int>(headers.size()));
  table_->setHorizontalHeaderLabels(headers);
  table_->setRowCount(static_cast<int>(r.stats.size() * std::size_t(r.heads)));
  int row = 0;
  for (std::size_t l = 0; l < r.stats.size(); ++l)
    for (std::size_t h = 0; h < r.stats[l].size(); ++h, ++row) {
      const HeadStats& s = r.stats[l][h];
      QStringList cells{QString::number(r.firstLayer + Index(l)),
                        QString::number(h),
                        QString::fromStdString(s.role()),
                        number(s.entropy, 3),
                        number(s.diagonal, 3),
                        number(s.previous, 3),
                        number(s.first, 3),
                        number(s.topk, 3)};
      if (withMask) cells << number(s.massKept, 3) << number(s.oracleKept, 3) << number(s.density, 4);
      for (int c = 0; c < cells.size(); ++c) {
        auto* item = new QTableWidgetItem(cells[c]);
        if (withMask && c == 8) item->setBackground(keptColor(s.massKept));
        table_->setItem(row, c, item);
      }
    }
  table_->resizeColumnsToContents();
  selectHead(layer_, head_);
}

void WeightsPanel::selectHead(Index layer, int head) {
  if (!dump_ || layer < 0 || layer >= dump_->layers() || head < 0 || head >= dump_->heads()) return;
  layer_ = layer;
  head_ = head;
  if (!view_) {
    view_ = new HeatmapView(viewHolder_);
    view_->setObjectName(QStringLiteral("weightsHead"));
    view_->setValueText(
        [](float v) { return QStringLiteral("weight ") + QLocale(QLocale::English).toString(v, 'g', 3); });
    viewHolder_->layout()->addWidget(view_);
  }
  const AttentionDump* dump = &*dump_;
  QStringList tokens;
  for (const std::string& t : tokens_) tokens << QString::fromStdString(t);
  pictureRunner_->start([this, dump, layer, head, tokens](const TaskRunner::Context& ctx) -> std::function<void()> {
    auto picture = std::make_shared<MaskPicture>();
    picture->n = dump->n();
    picture->side = static_cast<int>(std::min<Index>(dump->n(), kMaxPictureSide));
    picture->heads.push_back(headPicture(*dump, layer, head, picture->side, ctx.progress()));
    float lo = std::numeric_limits<float>::max(), hi = 0;
    for (float& v : picture->heads[0]) {
      if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
      if (!(v > 0)) v = std::numeric_limits<float>::quiet_NaN();  // exactly zero: grey, off the log scale
    }
    return [this, picture, layer, head, tokens, lo, hi] {
      const float top = hi > 0 ? hi : 1.0f;
      view_->setValueScale(std::max(lo, top * 1e-4f), top, QStringLiteral("attention weight (log scale; grey: 0)"),
                           true);
      view_->setTokens(tokens);
      view_->setPicture(picture, 0, nullptr, QStringLiteral("layer %1, head %2").arg(layer).arg(head));
      grid_->setCurrentCell(static_cast<int>(layer - (report_ ? report_->firstLayer : 0)), head);
    };
  });
}

bool WeightsPanel::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  if (!dump_ || !view_) {
    if (error) *error = QStringLiteral("no weights shown: open a dump first");
    return false;
  }
  return view_->exportTo(path, width, height, dpi, error);
}

}  // namespace attnscope

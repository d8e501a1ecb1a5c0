#include "widgets/weights/weights_panel.h"

#include <QCheckBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLineEdit>
#include <QShowEvent>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

#include "engine/masks/params.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/util/error.h"
#include "engine/weights/rollout.h"
#include "engine/weights/stack_masks.h"
#include "widgets/shared/gui_limits.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/shared/mask_picture.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/palettes.h"
#include "widgets/weights/compress_page.h"
#include "widgets/weights/cost_page.h"
#include "widgets/weights/distil_page.h"
#include "widgets/weights/tokens_page.h"
#include "widgets/weights/pareto_chart.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {

namespace {

constexpr int kThumbSide = 48;

// A head's picture on a log scale from its largest value down four decades: tiles with no weight stay dark.
QImage logImage(const std::vector<float>& picture, Palette palette) {
  const int side = static_cast<int>(std::lround(std::sqrt(double(picture.size()))));
  float hi = 0;
  for (float v : picture) hi = std::max(hi, v);
  QImage image(std::max(side, 1), std::max(side, 1), QImage::Format_RGB32);
  image.fill(Qt::black);
  if (hi <= 0) return image;
  const double lo = std::log10(hi) - 4;
  for (int r = 0; r < side; ++r) {
    auto* line = reinterpret_cast<QRgb*>(image.scanLine(r));
    for (int c = 0; c < side; ++c) {
      const float v = picture[static_cast<std::size_t>(r) * side + c];
      line[c] = paletteRgbAt(palette, v > 0 ? (std::log10(v) - lo) / 4 : 0.0);
    }
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

// A button that waits for a dump: named for tests, explained by its tooltip.
QPushButton* dumpButton(QWidget* parent, const QString& text, const QString& name, const QString& tip) {
  auto* b = new QPushButton(text, parent);
  b->setObjectName(name);
  b->setEnabled(false);
  b->setToolTip(tip);
  return b;
}

}  // namespace

WeightsPanel::WeightsPanel(QWidget* parent) : QWidget(parent) {
  runner_ = new TaskRunner(this);
  pictureRunner_ = new TaskRunner(this);
  fitRunner_ = new TaskRunner(this);
  rolloutRunner_ = new TaskRunner(this);
  modelRunner_ = new TaskRunner(this);
  auto* layout = new QVBoxLayout(this);
  // A model run here: its source, the text it reads, what it says.
  auto* modelBar = new QHBoxLayout;
  openModel_ = new QPushButton(QStringLiteral("Open model…"), this);
  openModel_->setObjectName(QStringLiteral("weightsOpenModel"));
  openModel_->setToolTip(
      QStringLiteral("a llama2.c checkpoint (.bin) with its tokenizer.bin or tok<vocab>.bin beside it, or a "
                     "Hugging Face folder of BERT, DistilBERT, RoBERTa, GPT-2, Llama, Mistral or Qwen2 (pick its "
                     "config.json): the model runs "
                     "here, on the text beside"));
  shippedModel_ = new QPushButton(QStringLiteral("stories260K"), this);
  shippedModel_->setObjectName(QStringLiteral("weightsShippedModel"));
  shippedModel_->setToolTip(
      QStringLiteral("the real model that ships with AttnScope: Karpathy's stories260K, a "
                     "Llama-2-style decoder of 5 layers and 8 heads trained on TinyStories"));
  modelText_ = new QLineEdit(QStringLiteral("Once upon a time, there was a little girl named Lily."), this);
  modelText_->setObjectName(QStringLiteral("weightsModelText"));
  modelText_->setToolTip(QStringLiteral("what the model reads: every key re-runs it, and its heads follow"));
  modelText_->setPlaceholderText(QStringLiteral("a text for the model"));
  modelOutputs_ = new QLabel(this);
  modelOutputs_->setObjectName(QStringLiteral("weightsModelOutputs"));
  modelOutputs_->setWordWrap(true);
  modelOutputs_->hide();
  modelBar->addWidget(openModel_);
  modelBar->addWidget(shippedModel_);
  modelBar->addWidget(modelText_, 1);
  modelWords_ = new QCheckBox(QStringLiteral("Words"), this);
  modelWords_->setObjectName(QStringLiteral("weightsModelWords"));
  modelWords_->setToolTip(
      QStringLiteral("attention between words instead of the tokenizer's pieces: summed over a "
                     "word's key pieces, averaged over its query pieces"));
  modelBar->addWidget(modelWords_);
  continue_ = new QPushButton(QStringLiteral("Continue"), this);
  continue_->setObjectName(QStringLiteral("weightsContinue"));
  continue_->setToolTip(
      QStringLiteral("a decoder writes on: its greedy continuation (the likeliest token, %1 times) is added to the "
                     "text, and the heads follow the longer text")
          .arg(kContinueTokens));
  continue_->setEnabled(false);
  modelBar->addWidget(continue_);
  connect(continue_, &QPushButton::clicked, this, &WeightsPanel::continueText);
  connect(modelWords_, &QCheckBox::toggled, this, [this] {
    if (model_) runModel();
  });
  layout->addLayout(modelBar);
  layout->addWidget(modelOutputs_);
  connect(openModel_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(
        this, QStringLiteral("Open a model"), QString(),
        QStringLiteral("llama2.c checkpoints (*.bin);;Hugging Face model folders (config.json);;All files (*)"));
    if (path.isEmpty()) return;
    // A Hugging Face model is its folder, picked by its config.json.
    const QFileInfo picked(path);
    openModel(picked.fileName() == QStringLiteral("config.json") ? picked.absolutePath() : path);
  });
  connect(shippedModel_, &QPushButton::clicked, this, &WeightsPanel::openShippedModel);
  connect(modelText_, &QLineEdit::textEdited, this, [this] {
    if (model_) runModel();
  });
  connect(modelRunner_, &TaskRunner::failed, this, [this](const QString& m) {
    showMessage(m, true);
    continue_->setEnabled(model_ && !model_->model->encoder() && model_->model->hasLogits());
  });
  auto* bar = new QHBoxLayout;
  open_ = new QPushButton(QStringLiteral("Open weights…"), this);
  open_->setToolTip(
      QStringLiteral("a .npy [n, n], [heads, n, n] or [layers, heads, n, n], or a .npz with one array "
                     "a layer (np.savez); see the README for the lines that dump a Hugging Face model"));
  example_ = new QPushButton(QStringLiteral("Synthetic example"), this);
  example_->setToolTip(QStringLiteral("weights written by scripts/make-synthetic-attention.py, not by a model"));
  measurePattern_ =
      dumpButton(this, QStringLiteral("Measure the pattern on the left"), QStringLiteral("weightsMeasurePattern"),
                 QStringLiteral("the attention mass each head keeps inside the pattern, at this n"));
  measureStack_ = dumpButton(
      this, QStringLiteral("Measure the Model tab's stack"), QStringLiteral("weightsMeasureStack"),
      QStringLiteral("the stack in the Model tab (a config's layers), built at this n: its layer ℓ against the "
                     "weights' layer ℓ, or a one-layer stack against every layer"));
  title_ = new QLabel(QStringLiteral("No weights open: open a dump, or the synthetic example."), this);
  title_->setObjectName(QStringLiteral("weightsTitle"));
  title_->setWordWrap(true);
  bar->addWidget(open_);
  bar->addWidget(example_);
  bar->addWidget(measurePattern_);
  bar->addWidget(measureStack_);
  bar->addStretch(1);
  layout->addWidget(title_);
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
  // The pictures above, the pages below; the Best pattern and Rollout pages take more of the height.
  auto* vertical = new QSplitter(Qt::Vertical, this);
  vertical->setObjectName(QStringLiteral("weightsSplit"));
  vertical->addWidget(split);
  layout->addWidget(vertical, 1);
  buildPages();
  vertical->addWidget(pages_);
  vertical->setStretchFactor(0, 3);
  vertical->setStretchFactor(1, 2);
  connect(pages_, &QTabWidget::currentChanged, this, [vertical](int page) {
    const int total = vertical->height();
    if (total < 200) return;  // not laid out yet: the stretch factors decide
    // Heads: the pictures first; What it costs and the pages after it: all the height for their charts and tables
    // (the pictures fold away; dragging the handle brings them back).
    vertical->setSizes(page == 0   ? QList<int>{total * 3 / 5, total * 2 / 5}
                       : page >= 4 ? QList<int>{0, total}
                                   : QList<int>{total / 2, total / 2});
  });

  connect(open_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open attention weights"), QString(),
                                                      QStringLiteral("Attention weights (*.npy *.npz)"));
    if (!path.isEmpty()) openDump(path);
  });
  connect(example_, &QPushButton::clicked, this, &WeightsPanel::openExample);
  connect(measurePattern_, &QPushButton::clicked, this, &WeightsPanel::patternRequested);
  connect(measureStack_, &QPushButton::clicked, this, &WeightsPanel::stackRequested);
  connect(grid_, &QTableWidget::cellClicked, this, [this](int row, int column) { selectHead(row, column); });
  connect(table_, &QTableWidget::cellClicked, this, [this](int row, int) {
    if (dump_ && report_) selectHead(report_->firstLayer + row / dump_->heads(), row % dump_->heads());
  });
  for (TaskRunner* r : {pictureRunner_, fitRunner_, rolloutRunner_})
    connect(r, &TaskRunner::failed, this, [this](const QString& m) { showMessage(m, true); });
  // A pattern or stack that cannot be held against the weights is forgotten; the figures shown stay.
  connect(runner_, &TaskRunner::failed, this, [this](const QString& m) {
    pattern_.reset();
    stack_.reset();
    showMessage(m, true);
  });
}

WeightsPanel::~WeightsPanel() = default;

void WeightsPanel::buildPages() {
  pages_ = new QTabWidget(this);
  pages_->setObjectName(QStringLiteral("weightsPages"));
  table_ = new QTableWidget(pages_);
  table_->setObjectName(QStringLiteral("weightsTable"));
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->hide();
  pages_->addTab(table_, QStringLiteral("Heads"));

  // Best pattern: the share to keep, the fit per head, and the selected head's Pareto front.
  auto* fitPage = new QWidget(pages_);
  auto* fitLayout = new QHBoxLayout(fitPage);
  auto* fitLeft = new QVBoxLayout;
  auto* fitBar = new QHBoxLayout;
  keep_ = new QDoubleSpinBox(fitPage);
  keep_->setObjectName(QStringLiteral("weightsKeep"));
  keep_->setRange(0.05, 1.0);
  keep_->setSingleStep(0.05);
  keep_->setDecimals(2);
  keep_->setValue(0.9);
  keep_->setToolTip(QStringLiteral("the share of each head's attention mass the pattern must keep"));
  fit_ = dumpButton(
      fitPage, QStringLiteral("Fit every head"), QStringLiteral("weightsFit"),
      QStringLiteral("per head, the cheapest window (both ways or causal, with or without token 0 global) that "
                     "keeps this share; causal or full when no window does"));
  fitBar->addWidget(new QLabel(QStringLiteral("keep"), fitPage));
  fitBar->addWidget(keep_);
  fitBar->addWidget(fit_);
  fitBar->addStretch(1);
  fitLeft->addLayout(fitBar);
  fitSummary_ =
      new QLabel(QStringLiteral("Fit every head to find the cheapest pattern that keeps the share."), fitPage);
  fitSummary_->setObjectName(QStringLiteral("weightsFitSummary"));
  fitSummary_->setWordWrap(true);
  fitLeft->addWidget(fitSummary_);
  fitTable_ = new QTableWidget(fitPage);
  fitTable_->setObjectName(QStringLiteral("weightsFitTable"));
  fitTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  fitTable_->setSelectionBehavior(QAbstractItemView::SelectRows);
  fitTable_->verticalHeader()->hide();
  fitLeft->addWidget(fitTable_, 1);
  fitLayout->addLayout(fitLeft, 3);
  pareto_ = new ParetoChart(fitPage);
  pareto_->setObjectName(QStringLiteral("weightsPareto"));
  fitLayout->addWidget(pareto_, 2);
  pages_->addTab(fitPage, QStringLiteral("Best pattern"));

  // Rollout: the real one, the one restricted to what was measured, and their difference.
  auto* rolloutPage = new QWidget(pages_);
  auto* rolloutLayout = new QVBoxLayout(rolloutPage);
  auto* rolloutBar = new QHBoxLayout;
  rollout_ = dumpButton(rolloutPage, QStringLiteral("Roll out"), QStringLiteral("weightsRollout"),
                        QStringLiteral("attention rollout (Abnar and Zuidema 2020) through every layer"));
  rolloutNote_ = new QLabel(
      QStringLiteral("Rollout: how much of each output token comes from each input token after all the layers."),
      rolloutPage);
  rolloutNote_->setObjectName(QStringLiteral("weightsRolloutNote"));
  rolloutNote_->setWordWrap(true);
  rolloutBar->addWidget(rollout_, 0, Qt::AlignTop);
  rolloutBar->addWidget(rolloutNote_, 1);
  rolloutLayout->addLayout(rolloutBar);
  rolloutHolder_ = new QWidget(rolloutPage);  // the maps are made with the first rollout
  auto* maps = new QHBoxLayout(rolloutHolder_);
  maps->setContentsMargins(0, 0, 0, 0);
  rolloutLayout->addWidget(rolloutHolder_, 1);
  pages_->addTab(rolloutPage, QStringLiteral("Rollout"));

  // Head anatomy: one head's steps for one query, on the vectors of the model running here.
  auto* anatomyPage = new QWidget(pages_);
  auto* anatomyLayout = new QVBoxLayout(anatomyPage);
  auto* anatomyBar = new QHBoxLayout;
  anatomyQuery_ = new QSpinBox(anatomyPage);
  anatomyQuery_->setObjectName(QStringLiteral("weightsAnatomyQuery"));
  anatomyQuery_->setPrefix(QStringLiteral("query "));
  anatomyQuery_->setToolTip(QStringLiteral("the query whose steps are shown (the head is the one selected above)"));
  anatomyNote_ = new QLabel(anatomyPage);
  anatomyNote_->setObjectName(QStringLiteral("weightsAnatomyNote"));
  anatomyNote_->setWordWrap(true);
  anatomyBar->addWidget(anatomyQuery_, 0, Qt::AlignTop);
  anatomyBar->addWidget(anatomyNote_, 1);
  anatomyLayout->addLayout(anatomyBar);
  anatomyTable_ = new QTableWidget(anatomyPage);
  anatomyTable_->setObjectName(QStringLiteral("weightsAnatomyTable"));
  anatomyTable_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  anatomyTable_->setColumnCount(4);
  anatomyTable_->setHorizontalHeaderLabels(
      {QStringLiteral("key"), QStringLiteral("q · k"), QStringLiteral("÷ √d"), QStringLiteral("softmax")});
  anatomyTable_->verticalHeader()->hide();
  anatomyLayout->addWidget(anatomyTable_, 1);
  pages_->addTab(anatomyPage, QStringLiteral("Head anatomy"));

  // What it costs: the model running here with a substitute for its attention.
  cost_ = new CostPage(pages_);
  cost_->setObjectName(QStringLiteral("weightsCost"));
  pages_->addTab(cost_, QStringLiteral("What it costs"));

  // Compress: the model running here pruned, halved or quantized in a copy, and what that changes.
  compress_ = new CompressPage(pages_);
  compress_->setObjectName(QStringLiteral("weightsCompress"));
  pages_->addTab(compress_, QStringLiteral("Compress"));

  // Tokens: why the tokenizer decides n, language by language.
  tokensPage_ = new TokensPage(pages_);
  tokensPage_->setObjectName(QStringLiteral("weightsTokens"));
  pages_->addTab(tokensPage_, QStringLiteral("Tokens"));

  // Distil: the model here as a teacher beside a student, head by head.
  distil_ = new DistilPage(pages_);
  distil_->setObjectName(QStringLiteral("weightsDistil"));
  pages_->addTab(distil_, QStringLiteral("Distil"));
  connect(anatomyQuery_, &QSpinBox::valueChanged, this, [this] {
    anatomyChosen_ = true;
    showAnatomy();
  });
  showAnatomy();

  connect(fit_, &QPushButton::clicked, this, &WeightsPanel::fitHeads);
  connect(rollout_, &QPushButton::clicked, this, &WeightsPanel::rollOut);
  connect(fitTable_, &QTableWidget::cellClicked, this, [this](int row, int) {
    if (dump_ && fits_) selectHead(row / dump_->heads(), row % dump_->heads());
  });
}

void WeightsPanel::showMessage(const QString& text, bool error) {
  message_->setText(text);
  message_->setStyleSheet(error ? QStringLiteral("color: #b00020") : QStringLiteral("color: #8a5a00"));
  message_->setVisible(!text.isEmpty());
}

QString WeightsPanel::message() const { return message_->isVisible() ? message_->text() : QString(); }

bool WeightsPanel::openDump(const QString& path, const QString& tokens) {
  modelRunner_->cancel();  // a dump opened by hand replaces the model's: its run in flight is dropped
  model_.reset();
  cost_->setModel(nullptr, {});
  compress_->setModel(nullptr, {});
  tokensPage_->setModel(nullptr);
  distil_->setModel(nullptr, {});
  compressModel_.reset();
  inference_.reset();
  modelOutputs_->hide();
  return showDump(path, tokens);
}

void WeightsPanel::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (opensShippedModel_ && !dump_ && !modelRunner_->busy()) {
    opensShippedModel_ = false;
    openShippedModel();
  }
}

void WeightsPanel::openShippedModel() {
  // Memory-mapped like any model, so the shipped one is copied out of the resources into a folder of its own.
  static QTemporaryDir dir;
  const QString bin = dir.filePath(QStringLiteral("stories260K.bin"));
  if (!QFileInfo::exists(bin)) {
    QFile::copy(QStringLiteral(":/stories260K/stories260K.bin"), bin);
    QFile::copy(QStringLiteral(":/stories260K/tok512.bin"), dir.filePath(QStringLiteral("tok512.bin")));
  }
  openModel(bin);
}

void WeightsPanel::openModel(const QString& path) { runModel(path); }

void WeightsPanel::continueText() {
  if (!model_ || model_->model->encoder()) return;
  const std::string text = modelText_->text().toStdString();
  continue_->setEnabled(false);
  modelRunner_->start([this, text, model = model_](const TaskRunner::Context& ctx) -> std::function<void()> {
    const Inference r = infer(*model, encodeText(*model, text), 0, kContinueTokens, ctx.progress());
    const QString longer = QString::fromStdString(text + r.generatedText);
    return [this, longer] { setModelText(longer); };
  });
}

void WeightsPanel::setModelText(const QString& text) {
  modelText_->setText(text);
  if (model_) runModel();
}

QString WeightsPanel::modelOutputs() const {
  return modelOutputs_->isVisible() || model_ ? modelOutputs_->text() : QString();
}

void WeightsPanel::runModel(const QString& path) {
  if (!runs_) runs_ = std::make_unique<QTemporaryDir>();
  const QString npz = runs_->filePath(QStringLiteral("run-%1.npz").arg(++runCount_));
  const QString tokens = runs_->filePath(QStringLiteral("run-%1-tokens.json").arg(runCount_));
  const std::string text = modelText_->text().toStdString();
  const bool words = modelWords_->isChecked();
  auto start = [this, path, text, npz, tokens, words,
                model = model_](const TaskRunner::Context& ctx) -> std::function<void()> {
    auto opened = model && path.isEmpty()
                      ? model
                      : std::make_shared<const RuntimeModel>(attnscope::openModel(path.toStdString()));
    const std::vector<int> ids = encodeText(*opened, text);
    auto inference = std::make_shared<const Inference>(infer(*opened, ids, 5, 0, ctx.progress()));
    // Pieces, or the words they make (their attention merged).
    const WordGroups groups = wordsOf(*opened, ids);
    writeAttention(npz.toStdString(), words ? mergeIntoWords(inference->pass, groups) : inference->pass);
    QJsonArray labels;
    for (const std::string& label : words ? groups.labels : inference->labels)
      labels.append(QString::fromStdString(label));
    QFile file(tokens);
    if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(labels).toJson()) < 0)
      throw Error("cannot write the tokens beside '" + npz.toStdString() + "'");
    file.close();
    return [this, opened, inference, npz, tokens] {
      // What was measured against the weights is measured again on the new text.
      const std::optional<PatternChoice> pattern = pattern_;
      const std::optional<LayerStack> stack = stack_;
      if (!showDump(npz, tokens)) return;
      // The runs before this one (shown, cancelled or failed) are not needed any more: one dump on disk at a time.
      for (const QFileInfo& old : QDir(runs_->path()).entryInfoList(QDir::Files))
        if (old.absoluteFilePath() != QFileInfo(npz).absoluteFilePath() &&
            old.absoluteFilePath() != QFileInfo(tokens).absoluteFilePath())
          QFile::remove(old.absoluteFilePath());
      model_ = opened;
      inference_ = inference;
      cost_->setModel(model_, [this] { return modelText_->text(); });
      if (compressModel_ != model_) {  // a new text keeps the table; a new model starts it again
        compressModel_ = model_;
        compress_->setModel(model_, [this] { return modelText_->text(); });
        tokensPage_->setModel(model_);
        distil_->setModel(model_, [this] { return modelText_->text(); });
      }
      continue_->setEnabled(!opened->model->encoder() && opened->model->hasLogits());
      {
        // The last token's steps by default: it sees the most keys (a choice made by hand stays while it fits).
        const QSignalBlocker quiet(anatomyQuery_);
        const int last = static_cast<int>(inference->ids.size()) - 1;
        anatomyQuery_->setRange(0, std::max(0, last));
        if (!anatomyChosen_) anatomyQuery_->setValue(last);
      }
      showAnatomy();
      file_ = QFileInfo(QString::fromStdString(opened->path)).fileName() + QStringLiteral(" (") +
              QString::fromStdString(opened->describe()) + QStringLiteral(")");
      QStringList next;
      for (const TokenChoice& c : inference->next)
        next << QStringLiteral("%1 %2").arg(QString::fromStdString(c.label), fixedText(c.p, 3));
      QString said = QStringLiteral("%1 tokens.").arg(inference->ids.size());
      if (!next.isEmpty()) said += QStringLiteral(" Next token: ") + next.join(QStringLiteral(" · "));
      for (const auto& [position, choices] : inference->masked) {
        QStringList words;
        for (const TokenChoice& c : choices)
          words << QStringLiteral("%1 %2").arg(QString::fromStdString(c.label), fixedText(c.p, 3));
        said += QStringLiteral(" At token %1: ").arg(position) + words.join(QStringLiteral(" · ")) + QLatin1Char('.');
      }
      if (const int mask = opened->tokenizer->maskToken(); mask >= 0 && inference->masked.empty())
        said += QStringLiteral(" Write %1 in the text to see the words it would put there.")
                    .arg(QString::fromStdString(opened->tokenizer->label(mask)));
      modelOutputs_->setText(said);
      modelOutputs_->show();
      if (pattern)
        measurePattern(*pattern);
      else if (stack)
        measureStack(*stack);
    };
  };
  if (path.isEmpty())
    modelRunner_->startAfter(typingPause_, start);  // typing: wait for a pause, newest text wins
  else
    modelRunner_->start(start);
}

bool WeightsPanel::showDump(const QString& path, const QString& tokens) {
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
    dump_ = std::make_shared<const AttentionDump>(std::move(dump));
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
  // A new dump starts afresh: nothing measured against it, fitted or rolled out yet.
  for (TaskRunner* r : {runner_, fitRunner_, rolloutRunner_}) r->cancel();
  pattern_.reset();
  stack_.reset();
  mask_.reset();
  layerMasks_.reset();
  against_.clear();
  fits_.reset();
  cost_->setFits(nullptr, 0);
  rolloutL1_ = -1;
  fitTable_->clear();
  fitTable_->setRowCount(0);
  fitSummary_->setText(QStringLiteral("Fit every head to find the cheapest pattern that keeps the share."));
  pareto_->clear(QStringLiteral("Best pattern: press Fit every head"));
  for (HeatmapView* v : rolloutViews_)
    if (v) v->setPicture(nullptr, 0, nullptr, QString());
  rolloutNote_->setText(
      QStringLiteral("Rollout: how much of each output token comes from each input token after all the layers."));
  for (QPushButton* b : {measurePattern_, measureStack_, fit_, rollout_}) b->setEnabled(true);
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
  stack_.reset();
  analyse();
}

void WeightsPanel::measureStack(const LayerStack& stack) {
  if (!dump_) return;
  if (stack.layers.empty())
    return showMessage(QStringLiteral("the Model tab has no stack: choose a model there"), true);
  stack_ = stack;
  pattern_.reset();
  analyse();
}

void WeightsPanel::analyse() {
  if (!dump_) return;
  // The task holds the dump it reads: a new text's dump may replace dump_ while this one still runs.
  const std::shared_ptr<const AttentionDump> dump = dump_;
  std::optional<CheckedPattern> checked;  // checked here, on the GUI thread, before the task starts
  QString against;
  if (pattern_) {
    try {
      const PatternSpec spec = PatternSpec::parse(pattern_->pattern.toStdString());
      checked = CheckedPattern::check(spec, spec.resolve(pattern_->paramTexts()), dump->n());
    } catch (const std::exception& e) {
      showMessage(QString::fromUtf8(e.what()), true);
      pattern_.reset();
      return;
    }
    // Its resolved parameters (a default included), without the n on the left: it is built at the dump's n.
    against = pattern_->pattern;
    for (const auto& [name, value] : checked->values().values())
      against += QLatin1Char(' ') + QString::fromStdString(name) + QLatin1Char('=') +
                 QString::fromStdString(formatParam(value));
  }
  const std::optional<LayerStack> stack = stack_;
  if (stack)
    against = QStringLiteral("the stack %1 (%2)")
                  .arg(QString::fromStdString(stack->name), stack->layers.size() == 1
                                                                ? QStringLiteral("one layer for every layer")
                                                                : QStringLiteral("layer ℓ against layer ℓ"));
  runner_->start([this, dump, checked, stack, against](const TaskRunner::Context& ctx) -> std::function<void()> {
    std::shared_ptr<const SparseMask> mask;
    std::shared_ptr<const std::vector<std::shared_ptr<const SparseMask>>> layers;
    WeightsOptions options;
    options.thumbnailSide = kThumbSide;
    QStringList notes;
    if (checked) {  // built with the task's token: Cancel stops it like the rest
      mask = std::make_shared<const SparseMask>(checked->build(nullptr, {}, ctx.progress().part(0.0, 0.2)));
      options.mask = mask.get();
    }
    if (stack) {
      const LayerMasks made = masksFromStack(*stack, *dump, ctx.progress().part(0.0, 0.2));
      layers = std::make_shared<const std::vector<std::shared_ptr<const SparseMask>>>(made.byLayer);
      options.layerMasks = made.pointers();
      for (const std::string& note : made.notes) notes << QString::fromStdString(note);
    }
    auto report = std::make_shared<const WeightsReport>(
        measureWeights(*dump, options, checked || stack ? ctx.progress().part(0.2, 1.0) : ctx.progress()));
    return [this, report, mask, layers, against, notes] {
      report_ = report;
      mask_ = mask;
      layerMasks_ = layers;
      against_ = against;
      title_->setText(
          QStringLiteral("<b>%1</b>: %2 layers × %3 heads, n = %4%5")
              .arg(file_.toHtmlEscaped())
              .arg(dump_->layers())
              .arg(dump_->heads())
              .arg(countText(dump_->n()))
              .arg(against.isEmpty() ? QString() : QStringLiteral(", measured against ") + against.toHtmlEscaped()));
      showMessage({}, false);
      showReport();
      if (!notes.isEmpty()) showMessage(notes.join(QStringLiteral("; ")), false);
      emit measured();
      if (autoRun_ == QStringLiteral("fit")) {
        autoRun_.clear();
        fitHeads();
      } else if (autoRun_ == QStringLiteral("cost") && model_) {
        // The sweep, then (once it has ended) the same pattern layer by layer: both charts drawn.
        autoRun_.clear();
        connect(
            cost_, &CostPage::ended, this, [this] { cost_->perLayer(); }, Qt::SingleShotConnection);
        cost_->sweep();
      } else if (autoRun_ == QStringLiteral("distil") && model_) {
        autoRun_.clear();
        distil_->compare();
      } else if (autoRun_ == QStringLiteral("compress") && model_) {
        autoRun_.clear();
        compress_->measureSet();
      } else if (autoRun_ == QStringLiteral("rollout")) {
        if (against_.isEmpty()) {
          emit patternRequested();  // answered with measurePattern: this runs again, with something to restrict to
        } else {
          autoRun_.clear();
          rollOut();
        }
      }
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
      auto* item = new QTableWidgetItem(
          QIcon(QPixmap::fromImage(logImage(s.thumbnail, palette_).scaled(kThumbSide, kThumbSide))),
          shortRole(s.role()));
      item->setData(Qt::UserRole, QString::fromStdString(s.role()));
      item->setToolTip(QStringLiteral("%1 — entropy %2, diagonal %3, previous %4, first %5")
                           .arg(s.role().empty() ? QStringLiteral("no clear role") : QString::fromStdString(s.role()),
                                fixedText(s.entropy, 2), fixedText(s.diagonal, 2), fixedText(s.previous, 2),
                                fixedText(s.first, 2)));
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
                        fixedText(s.entropy, 3),
                        fixedText(s.diagonal, 3),
                        fixedText(s.previous, 3),
                        fixedText(s.first, 3),
                        fixedText(s.topk, 3)};
      if (withMask) cells << fixedText(s.massKept, 3) << fixedText(s.oracleKept, 3) << fixedText(s.density, 4);
      for (int c = 0; c < cells.size(); ++c) {
        auto* item = new QTableWidgetItem(cells[c]);
        if (withMask && c == 8) item->setBackground(keptColor(s.massKept));
        table_->setItem(row, c, item);
      }
    }
  table_->resizeColumnsToContents();
  selectHead(layer_, head_);
}

// The steps of self-attention for the selected head and the chosen query, on the vectors of the last run.
void WeightsPanel::showAnatomy() {
  anatomyTable_->setRowCount(0);
  if (!inference_ || !dump_ || dump_->n() != static_cast<Index>(inference_->ids.size())) {
    anatomyQuery_->setEnabled(false);
    anatomyNote_->setText(
        inference_ ? QStringLiteral("Turn Words off: the steps are those of the tokenizer's pieces.")
                   : QStringLiteral("Run a model here (stories260K, or Open model…) to see one head's steps on its "
                                    "own vectors: q · k for every key, divided by √d, the softmax, and the weighted "
                                    "sum of the values."));
    return;
  }
  anatomyQuery_->setEnabled(true);
  {
    const QSignalBlocker quiet(anatomyQuery_);
    anatomyQuery_->setRange(0, static_cast<int>(dump_->n()) - 1);
  }
  const HeadAnatomy a = headAnatomy(inference_->pass, static_cast<int>(layer_), head_, anatomyQuery_->value());
  const auto& labels = inference_->labels;
  QStringList out;
  for (double v : a.output) out << fixedText(v, 3);
  anatomyNote_->setText(
      QStringLiteral("Layer %1, head %2, query %3 (%4). Its vector q meets every key it may see%5: q · k, divided "
                     "by √d = √%6 = %7, then the softmax turns the scores into the weights of this head's row. Its "
                     "output is the weighted sum of the values: (%8).")
          .arg(a.layer)
          .arg(a.head)
          .arg(a.query)
          .arg(QString::fromStdString(labels[std::size_t(a.query)]).toHtmlEscaped())
          .arg(a.firstKey > 0            ? QStringLiteral(" (itself and the tokens before it in its sliding window)")
               : inference_->pass.causal ? QStringLiteral(" (itself and the tokens before it)")
                                         : QString())
          .arg(a.headSize)
          .arg(fixedText(std::sqrt(double(a.headSize)), 2))
          .arg(out.join(QStringLiteral(", "))));
  anatomyTable_->setRowCount(static_cast<int>(a.weight.size()));
  for (std::size_t k = 0; k < a.weight.size(); ++k) {
    const int row = static_cast<int>(k);
    const std::size_t key = k + std::size_t(a.firstKey);
    anatomyTable_->setItem(
        row, 0, new QTableWidgetItem(QStringLiteral("%1 %2").arg(key).arg(QString::fromStdString(labels[key]))));
    anatomyTable_->setItem(row, 1, new QTableWidgetItem(fixedText(a.dot[k], 3)));
    anatomyTable_->setItem(row, 2, new QTableWidgetItem(fixedText(a.scaled[k], 3)));
    auto* weight = new QTableWidgetItem(fixedText(a.weight[k], 4));
    weight->setBackground(keptColor(a.weight[k]));
    anatomyTable_->setItem(row, 3, weight);
  }
}

void WeightsPanel::selectHead(Index layer, int head) {
  if (!dump_ || layer < 0 || layer >= dump_->layers() || head < 0 || head >= dump_->heads()) return;
  layer_ = layer;
  head_ = head;
  showAnatomy();
  if (!view_) {
    view_ = new HeatmapView(viewHolder_);
    view_->setObjectName(QStringLiteral("weightsHead"));
    view_->setValueText([](float v) { return QStringLiteral("weight ") + numberLocale().toString(v, 'g', 3); });
    viewHolder_->layout()->addWidget(view_);
    // Clicking a query row of the large head picks the query whose steps Head anatomy shows.
    connect(view_, &HeatmapView::queryClicked, this, [this](Index query) {
      if (anatomyQuery_->isEnabled() && query <= anatomyQuery_->maximum()) anatomyQuery_->setValue(int(query));
    });
  }
  if (fits_ && layer < static_cast<Index>(fits_->size())) {
    const HeadFit& f = (*fits_)[static_cast<std::size_t>(layer)][static_cast<std::size_t>(head)];
    pareto_->setFit(
        QStringLiteral("Layer %1, head %2\n%3").arg(layer).arg(head).arg(QString::fromStdString(f.best.text())), f,
        fitKeep_, double(dump_->n()) * double(dump_->n()));
    fitTable_->selectRow(static_cast<int>(layer * dump_->heads() + head));
  }
  // The task holds the dump it reads: a new text's dump may replace dump_ while this one still runs.
  const std::shared_ptr<const AttentionDump> dump = dump_;
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

bool WeightsPanel::showPage(const QString& name, bool run) {
  const QStringList names{QStringLiteral("heads"),   QStringLiteral("fit"),   QStringLiteral("rollout"),
                          QStringLiteral("anatomy"), QStringLiteral("cost"),  QStringLiteral("compress"),
                          QStringLiteral("tokens"),  QStringLiteral("distil")};
  const int index = static_cast<int>(names.indexOf(name));
  if (index < 0) return false;
  pages_->setCurrentIndex(index);
  autoRun_ = run && (index == 1 || index == 2 || index == 4 || index == 5 || index == 7) ? name : QString();
  return true;
}

void WeightsPanel::fitHeads() {
  if (!dump_) return;
  // The task holds the dump it reads: a new text's dump may replace dump_ while this one still runs.
  const std::shared_ptr<const AttentionDump> dump = dump_;
  const double keep = keep_->value();
  fitSummary_->setText(QStringLiteral("Fitting every head…"));
  fitRunner_->start([this, dump, keep](const TaskRunner::Context& ctx) -> std::function<void()> {
    FitOptions options;
    options.keep = keep;
    auto fits = std::make_shared<const std::vector<std::vector<HeadFit>>>(fitPatterns(*dump, options, ctx.progress()));
    return [this, fits, keep, n = dump->n()] {
      fits_ = fits;
      cost_->setFits(fits_, n);
      fitKeep_ = keep;
      showFits();
    };
  });
}

void WeightsPanel::showFits() {
  const auto& fits = *fits_;
  const double nn = double(dump_->n()) * double(dump_->n());
  fitTable_->clear();
  fitTable_->setColumnCount(5);
  fitTable_->setHorizontalHeaderLabels({QStringLiteral("layer"), QStringLiteral("head"), QStringLiteral("best pattern"),
                                        QStringLiteral("of n²"), QStringLiteral("kept")});
  fitTable_->setRowCount(static_cast<int>(fits.size() * std::size_t(dump_->heads())));
  double total = 0;
  QStringList layers;
  int row = 0;
  for (std::size_t l = 0; l < fits.size(); ++l) {
    double cells = 0;
    for (std::size_t h = 0; h < fits[l].size(); ++h, ++row) {
      const FitCandidate& b = fits[l][h].best;
      cells += double(b.cells);
      const QStringList texts{QString::number(l), QString::number(h), QString::fromStdString(b.text()),
                              fixedText(100 * double(b.cells) / nn, 2) + QLatin1Char('%'), fixedText(b.massKept, 3)};
      for (int c = 0; c < texts.size(); ++c) fitTable_->setItem(row, c, new QTableWidgetItem(texts[c]));
    }
    total += cells;
    layers << QStringLiteral("layer %1: %2%").arg(l).arg(fixedText(100 * cells / (nn * double(dump_->heads())), 1));
  }
  fitTable_->resizeColumnsToContents();
  const double share = total / (nn * double(dump_->heads()) * double(std::max<std::size_t>(1, fits.size())));
  fitSummary_->setText(QStringLiteral("<b>Keeping %1% of every head's mass, the fitted patterns take %2% of the cells "
                                      "of full attention</b> (%3× fewer). %4.")
                           .arg(fixedText(100 * fitKeep_, 0), fixedText(100 * share, 1), fixedText(1 / share, 1),
                                layers.join(QStringLiteral(", "))));
  selectHead(layer_, head_);
}

void WeightsPanel::makeRolloutViews() {
  if (rolloutViews_[0]) return;
  const QStringList names{QStringLiteral("weightsRolloutReal"), QStringLiteral("weightsRolloutRestricted"),
                          QStringLiteral("weightsRolloutDifference")};
  for (int v = 0; v < 3; ++v) {
    rolloutViews_[v] = new HeatmapView(rolloutHolder_);
    rolloutViews_[v]->setObjectName(names[v]);
    rolloutViews_[v]->setMinimumWidth(180);
    rolloutHolder_->layout()->addWidget(rolloutViews_[v]);
  }
  rolloutViews_[2]->setColorPalette(Palette::Diverging);
  auto share = [](float v) {
    return std::isnan(v) ? QStringLiteral("0: not reached") : QStringLiteral("share ") + fixedText(v, 4);
  };
  rolloutViews_[0]->setValueText(share);
  rolloutViews_[1]->setValueText(share);
  rolloutViews_[2]->setValueText([](float v) { return QStringLiteral("restricted − real = ") + fixedText(v, 4); });
  // Zooming one map zooms the others.
  for (HeatmapView* from : rolloutViews_)
    connect(from, &HeatmapView::viewMovedByUser, this, [this, from](const QRectF& range) {
      for (HeatmapView* to : rolloutViews_)
        if (to != from) to->setViewRange(range);
    });
}

HeatmapView* WeightsPanel::rolloutView(int which) const {
  return which >= 0 && which < 3 ? rolloutViews_[which] : nullptr;
}

void WeightsPanel::rollOut() {
  if (!dump_) return;
  if (dump_->n() > kMaxRolloutTokens)
    return showMessage(QStringLiteral("n = %1 is too large to roll out here: at most %2 tokens (three n × n matrices)")
                           .arg(countText(dump_->n()), countText(kMaxRolloutTokens)),
                       true);
  makeRolloutViews();
  // The task holds the dump it reads: a new text's dump may replace dump_ while this one still runs.
  const std::shared_ptr<const AttentionDump> dump = dump_;
  const auto mask = mask_;
  const auto layers = layerMasks_;
  const QString against = against_;
  QStringList tokens;
  for (const std::string& t : tokens_) tokens << QString::fromStdString(t);
  rolloutNote_->setText(QStringLiteral("Rolling out…"));
  rolloutRunner_->start([this, dump, mask, layers, against,
                         tokens](const TaskRunner::Context& ctx) -> std::function<void()> {
    const bool restricted = mask || layers;
    RolloutOptions options;
    const Matrix real = attentionRollout(*dump, options, ctx.progress().part(0.0, restricted ? 0.5 : 1.0));
    float lo = std::numeric_limits<float>::max(), hi = 0, dlo = 0, dhi = 0;
    std::shared_ptr<MaskPicture> realPicture = matrixPicture(real, true, lo, hi), restrictedPicture, diffPicture;
    double l1 = -1;
    if (restricted) {
      options.mask = mask.get();
      if (layers)
        for (const auto& m : *layers) options.layerMasks.push_back(m.get());
      const Matrix r = attentionRollout(*dump, options, ctx.progress().part(0.5, 1.0));
      restrictedPicture = matrixPicture(r, true, lo, hi);
      const Matrix difference = r - real;
      diffPicture = matrixPicture(difference, false, dlo, dhi);
      l1 = difference.cwiseAbs().cast<double>().rowwise().sum().mean();
    }
    return [this, realPicture, restrictedPicture, diffPicture, lo, hi, dlo, dhi, l1, against, tokens] {
      const float top = hi > 0 ? hi : 1.0f, bottom = std::max(lo, top * 1e-4f);
      const QString label = QStringLiteral("share (log scale; grey: 0)");
      for (HeatmapView* v : rolloutViews_) v->setTokens(tokens);
      rolloutViews_[0]->setValueScale(bottom, top, label, true);
      rolloutViews_[0]->setPicture(realPicture, 0, nullptr, QStringLiteral("rollout of the real weights"));
      rolloutL1_ = l1;
      const QString how =
          QStringLiteral(
              "Rollout (Abnar and Zuidema 2020) through all %1 layers: each layer's heads averaged, 0.5·A + 0.5·I for "
              "the residual, rows renormalised, layers multiplied. Row i: where output token i's information comes "
              "from.")
              .arg(dump_->layers());
      if (restrictedPicture) {
        rolloutViews_[1]->setValueScale(bottom, top, label, true);
        rolloutViews_[1]->setPicture(restrictedPicture, 0, nullptr, QStringLiteral("restricted to the pattern"));
        const float m = std::max({std::fabs(dlo), std::fabs(dhi), 1e-6f});
        rolloutViews_[2]->setValueScale(-m, m, QStringLiteral("restricted − real"));
        rolloutViews_[2]->setPicture(diffPicture, 0, nullptr, QStringLiteral("difference"));
        rolloutNote_->setText(
            how + QStringLiteral(" <b>Restricted to %1</b>, each head's rows renormalised inside it: mean row L1 "
                                 "distance from the real rollout %2 (0 … 2). Its support is the pattern's multi-hop "
                                 "reachability within %3 hops (the Hops tab), through the cells where the weights "
                                 "are positive (a decoder's causal mask keeps only earlier keys).")
                      .arg(against.toHtmlEscaped(), fixedText(l1, 4))
                      .arg(dump_->layers()));
      } else {
        for (int v = 1; v < 3; ++v) rolloutViews_[v]->setPicture(nullptr, 0, nullptr, QString());
        rolloutNote_->setText(how + QStringLiteral(" Measure a pattern or the Model tab's stack to see the rollout "
                                                   "restricted to it beside this one."));
      }
    };
  });
}

void WeightsPanel::setColorPalette(Palette palette) {
  palette_ = palette;
  if (report_) showReport();
}

QList<HeatmapView*> WeightsPanel::exportedMaps() const {
  if (exportCaptioned()) return {rolloutViews_[0], rolloutViews_[1], rolloutViews_[2]};
  return view_ ? QList<HeatmapView*>{view_} : QList<HeatmapView*>{};
}

bool WeightsPanel::exportCaptioned() const { return pages_->currentIndex() == 2 && rolloutL1_ >= 0; }

bool WeightsPanel::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  if (!dump_ || !view_) {
    if (error) *error = QStringLiteral("no weights shown: open a dump first");
    return false;
  }
  // On the Rollout page with a restricted rollout shown, the three maps with the figures as caption.
  if (exportCaptioned())
    return HeatmapView::writeCaptioned(
        path, QSize(width, height), dpi,
        QStringLiteral("Attention rollout of %1: real, restricted to %2, difference (mean row L1 %3)")
            .arg(file_, against_, fixedText(rolloutL1_, 4)),
        {rolloutViews_[0], rolloutViews_[1], rolloutViews_[2]}, error);
  return view_->exportTo(path, width, height, dpi, error);
}

}  // namespace attnscope

#include "widgets/model/model_panel.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

#include "engine/io/atomic_file.h"
#include "engine/models/hf_config.h"
#include "engine/models/stack_source.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/model/model_charts.h"
#include "widgets/pattern/pattern_choice.h"
#include "widgets/shared/palettes.h"
#include "widgets/shared/resources.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QString flopsText(double f) {
  if (f >= 1e12) return QStringLiteral("%1 T").arg(f / 1e12, 0, 'f', 2);
  if (f >= 1e9) return QStringLiteral("%1 G").arg(f / 1e9, 0, 'f', 2);
  if (f >= 1e6) return QStringLiteral("%1 M").arg(f / 1e6, 0, 'f', 2);
  if (f >= 1e3) return QStringLiteral("%1 k").arg(f / 1e3, 0, 'f', 1);
  return QStringLiteral("%1").arg(f, 0, 'f', 0);
}

// A layer's picture: layerDensity() gives side² values, side = min(n, ModelView::kThumbSide).
QImage thumbnail(const std::vector<float>& density, Palette palette) {
  const int side = static_cast<int>(std::lround(std::sqrt(double(density.size()))));
  QImage image(std::max(side, 1), std::max(side, 1), QImage::Format_RGB32);
  image.fill(Qt::black);
  for (int r = 0; r < side; ++r)
    for (int c = 0; c < side; ++c) {
      const float d = density[static_cast<std::size_t>(r) * side + c];
      // Any active cell shows: sparse tiles get at least a third of the scale.
      image.setPixel(c, r, paletteRgbAt(palette, d > 0 ? 0.33 + 0.67 * std::sqrt(double(d)) : 0.0));
    }
  return image;
}

// The shipped configs: (menu name, resource path).
const QList<QPair<QString, QString>>& shippedModels() {
  static const QList<QPair<QString, QString>> models = {
      {QStringLiteral("Mistral 7B v0.1"), QStringLiteral(":/models/mistral-7b-v0.1.json")},
      {QStringLiteral("Gemma 2 9B"), QStringLiteral(":/models/gemma-2-9b.json")},
      {QStringLiteral("Gemma 3 4B"), QStringLiteral(":/models/gemma-3-4b.json")},
      {QStringLiteral("GPT-Neo 1.3B"), QStringLiteral(":/models/gpt-neo-1.3b.json")},
      {QStringLiteral("Longformer base 4096"), QStringLiteral(":/models/longformer-base-4096.json")},
      {QStringLiteral("BigBird RoBERTa base"), QStringLiteral(":/models/bigbird-roberta-base.json")},
      {QStringLiteral("Llama 3 8B"), QStringLiteral(":/models/llama-3-8b.json")}};
  return models;
}

std::vector<int> fullLayers(const LayerStack& s) {
  std::vector<int> out;
  for (std::size_t l = 0; l < s.layers.size(); ++l)
    if (s.layers[l].kind == "full" || s.layers[l].kind == "global" || s.layers[l].pattern == "full" ||
        s.layers[l].pattern == "causal")
      out.push_back(static_cast<int>(l + 1));
  return out;
}

}  // namespace

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent) {
  runner_ = new TaskRunner(this);
  pathRunner_ = new TaskRunner(this);
  buildControls();
  buildViews();
  connect(runner_, &TaskRunner::started, this, [this] {
    progress_->setVisible(true);
    progress_->setValue(0);
  });
  connect(runner_, &TaskRunner::progress, this, [this](double f) { progress_->setValue(int(f * 100)); });
  connect(runner_, &TaskRunner::finished, this, [this] { progress_->setVisible(false); });
  connect(runner_, &TaskRunner::cancelled, this, [this] { progress_->setVisible(false); });
  connect(runner_, &TaskRunner::failed, this, [this](const QString& m) {
    progress_->setVisible(false);
    fail(m);
  });
  connect(pathRunner_, &TaskRunner::failed, this, [this](const QString& m) { path_->setText(m); });
  // The teacher's example: five windows, then one full layer.
  stack_.name = "typed stack";
  stack_.n = 64;
  stack_.layers = parseShortForm("window radius=2 ×5, full");
  shortForm_->setText(q(shortForm(stack_.layers)));
  showLayers();
  analyse();
}

ModelPanel::~ModelPanel() = default;

void ModelPanel::buildControls() {
  auto* outer = new QVBoxLayout(this);
  auto* row1 = new QHBoxLayout;
  model_ = new QComboBox(this);
  model_->setObjectName(QStringLiteral("modelChoice"));
  model_->addItem(QStringLiteral("Typed stack"));
  for (const auto& [name, path] : shippedModels()) model_->addItem(name, path);
  model_->setToolTip(
      QStringLiteral("Shipped configs (numbers from the released config.json files), or a stack typed below"));
  auto* open = new QPushButton(QStringLiteral("Open config.json…"), this);
  n_ = new QSpinBox(this);
  n_->setObjectName(QStringLiteral("modelN"));
  n_->setRange(1, static_cast<int>(kMaxSequenceLength));
  n_->setValue(64);
  n_->setPrefix(QStringLiteral("n = "));
  n_->setKeyboardTracking(false);
  n_->setGroupSeparatorShown(true);
  precision_ = new QComboBox(this);
  precision_->setObjectName(QStringLiteral("modelPrecision"));
  for (const char* p : {"fp32", "bf16", "fp16", "int8"}) precision_->addItem(QString::fromLatin1(p));
  precision_->setCurrentIndex(1);
  precision_->setToolTip(QStringLiteral("Bytes per element of the key-value cache and the score matrix"));
  mode_ = new QComboBox(this);
  mode_->setObjectName(QStringLiteral("modelMode"));
  mode_->addItems({QStringLiteral("BigBird: train"), QStringLiteral("BigBird: eval")});
  mode_->setToolTip(
      QStringLiteral("BigBird's random blocks as in training (seeded with the layer index), or none as at "
                     "evaluation"));
  globals_ = new QLineEdit(this);
  globals_->setObjectName(QStringLiteral("modelGlobals"));
  globals_->setPlaceholderText(QStringLiteral("global tokens, e.g. 0"));
  globals_->setToolTip(QStringLiteral("Longformer: the tokens with global_attention_mask = 1"));
  globals_->setMaximumWidth(160);
  row1->addWidget(model_);
  row1->addWidget(open);
  row1->addWidget(n_);
  row1->addWidget(precision_);
  row1->addWidget(mode_);
  row1->addWidget(globals_);
  row1->addStretch(1);

  auto* row2 = new QHBoxLayout;
  shortForm_ = new QLineEdit(this);
  shortForm_->setObjectName(QStringLiteral("modelShortForm"));
  shortForm_->setToolTip(
      QStringLiteral("Layers, comma-separated: a pattern, its KEY=VALUE parameters and ×N to repeat, "
                     "e.g. \"window radius=2 ×5, full\". Enter applies."));
  auto* apply = new QPushButton(QStringLiteral("Apply"), this);
  auto* addLeft = new QPushButton(QStringLiteral("Add pattern from the left"), this);
  addLeft->setToolTip(QStringLiteral("Append the pattern chosen in the controls as a new layer"));
  auto* openStackButton = new QPushButton(QStringLiteral("Open stack…"), this);
  auto* saveStackButton = new QPushButton(QStringLiteral("Save stack…"), this);
  row2->addWidget(new QLabel(QStringLiteral("Layers:"), this));
  row2->addWidget(shortForm_, 1);
  row2->addWidget(apply);
  row2->addWidget(addLeft);
  row2->addWidget(openStackButton);
  row2->addWidget(saveStackButton);

  message_ = new QLabel(this);
  message_->setObjectName(QStringLiteral("modelMessage"));
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  message_->setTextFormat(Qt::PlainText);  // notes quote configs and tokens ("<s>"): never rich text
  derivation_ = new QLabel(this);
  derivation_->setObjectName(QStringLiteral("modelDerivation"));
  derivation_->setWordWrap(true);
  derivation_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  derivation_->setTextFormat(Qt::PlainText);
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 100);
  progress_->setVisible(false);
  progress_->setMaximumHeight(10);
  progress_->setTextVisible(false);
  outer->addLayout(row1);
  outer->addLayout(row2);
  outer->addWidget(derivation_);
  outer->addWidget(message_);
  outer->addWidget(progress_);

  connect(model_, &QComboBox::activated, this, [this](int index) {
    if (index > 0) openConfig(model_->itemData(index).toString());
  });
  connect(open, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open a model's config.json"), QString(),
                                                      QStringLiteral("Model config (*.json);;All files (*)"));
    if (!path.isEmpty()) openConfig(path);
  });
  connect(n_, &QSpinBox::valueChanged, this, [this] {
    nChosen_ = true;
    fromConfig();
  });
  connect(precision_, &QComboBox::currentIndexChanged, this, [this] { analyse(); });
  connect(mode_, &QComboBox::currentIndexChanged, this, [this] { fromConfig(); });
  connect(globals_, &QLineEdit::editingFinished, this, [this] { fromConfig(); });
  connect(apply, &QPushButton::clicked, this, [this] { applyShortForm(shortForm_->text()); });
  connect(shortForm_, &QLineEdit::returnPressed, this, [this] { applyShortForm(shortForm_->text()); });
  connect(addLeft, &QPushButton::clicked, this, &ModelPanel::addCurrentPatternRequested);
  connect(openStackButton, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open stack"), QString(),
                                                      QStringLiteral("Stack (*.json);;All files (*)"));
    if (!path.isEmpty()) openStack(path);
  });
  connect(saveStackButton, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Save stack"), QStringLiteral("stack.json"),
                                                      QStringLiteral("Stack (*.json)"));
    QString error;
    if (!path.isEmpty() && !saveStack(path, &error)) fail(error);
  });
}

void ModelPanel::buildViews() {
  auto* outer = static_cast<QVBoxLayout*>(layout());
  stripArea_ = new QScrollArea(this);
  stripArea_->setObjectName(QStringLiteral("modelStrip"));
  stripArea_->setWidgetResizable(true);
  stripArea_->setFixedHeight(132);
  stripArea_->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  stripArea_->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  strip_ = new QWidget(stripArea_);
  stripLayout_ = new QHBoxLayout(strip_);
  stripLayout_->setContentsMargins(2, 2, 2, 2);
  stripLayout_->setSpacing(4);
  stripArea_->setWidget(strip_);
  outer->addWidget(stripArea_);

  // Below the strip: the two charts side by side, then the layers (editable) beside the cost table and the path.
  auto* rows = new QSplitter(Qt::Vertical, this);
  auto* charts = new QSplitter(Qt::Horizontal, rows);
  reach_ = new StackReachChart(charts);
  reach_->setObjectName(QStringLiteral("modelReach"));
  cost_ = new CostChart(charts);
  cost_->setObjectName(QStringLiteral("modelCostChart"));
  auto* bottom = new QSplitter(Qt::Horizontal, rows);

  auto* left = new QWidget(bottom);
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  layers_ = new QListWidget(left);
  layers_->setObjectName(QStringLiteral("modelLayers"));
  auto* edits = new QHBoxLayout;
  auto button = [&](const QString& text, const QString& tip) {
    auto* b = new QToolButton(left);
    b->setText(text);
    b->setToolTip(tip);
    edits->addWidget(b);
    return b;
  };
  QToolButton* up = button(QStringLiteral("Up"), QStringLiteral("Move the layer one place earlier"));
  QToolButton* down = button(QStringLiteral("Down"), QStringLiteral("Move the layer one place later"));
  QToolButton* repeat = button(QStringLiteral("Repeat"), QStringLiteral("Insert a copy of the layer after it"));
  QToolButton* remove = button(QStringLiteral("Remove"), QStringLiteral("Remove the layer"));
  up->setObjectName(QStringLiteral("layerUp"));
  down->setObjectName(QStringLiteral("layerDown"));
  repeat->setObjectName(QStringLiteral("layerRepeat"));
  remove->setObjectName(QStringLiteral("layerRemove"));
  leftLayout->addWidget(layers_, 1);
  leftLayout->addLayout(edits);
  connect(up, &QToolButton::clicked, this, [this] {
    editLayers([](std::vector<StackLayer>& l, int& row) {
      if (row > 0) std::swap(l[row], l[row - 1]), --row;
    });
  });
  connect(down, &QToolButton::clicked, this, [this] {
    editLayers([](std::vector<StackLayer>& l, int& row) {
      if (row + 1 < int(l.size())) std::swap(l[row], l[row + 1]), ++row;
    });
  });
  connect(repeat, &QToolButton::clicked, this, [this] {
    editLayers([](std::vector<StackLayer>& l, int& row) {
      if (int(l.size()) < kMaxStackLayers) l.insert(l.begin() + row + 1, l[row]), ++row;
    });
  });
  connect(remove, &QToolButton::clicked, this, [this] {
    editLayers([](std::vector<StackLayer>& l, int& row) {
      if (l.size() > 1) l.erase(l.begin() + row), row = std::min(row, int(l.size()) - 1);
    });
  });

  auto* right = new QWidget(bottom);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  table_ = new QTableWidget(right);
  table_->setObjectName(QStringLiteral("modelCost"));
  table_->setColumnCount(9);
  table_->setHorizontalHeaderLabels({QStringLiteral("layer"), QStringLiteral("kind"), QStringLiteral("cells a head"),
                                     QStringLiteral("of n²"), QStringLiteral("heads"), QStringLiteral("attention FLOP"),
                                     QStringLiteral("proj. FLOP"), QStringLiteral("FFN FLOP"),
                                     QStringLiteral("KV windowed, B")});
  table_->horizontalHeaderItem(2)->setToolTip(
      QStringLiteral("Active cells of one head's n × n matrix (the mean when heads differ)"));
  table_->horizontalHeaderItem(3)->setToolTip(QStringLiteral("Those cells as a share of the head's n² cells"));
  table_->horizontalHeaderItem(4)->setToolTip(QStringLiteral("The model's attention heads"));
  table_->horizontalHeaderItem(5)->setToolTip(
      QStringLiteral("Attention FLOPs over all heads: 4 · cells · head_dim (k, M, G, T: 10³, 10⁶, 10⁹, 10¹²)"));
  table_->horizontalHeaderItem(6)->setToolTip(QStringLiteral("FLOPs of the Q, K, V and output projections"));
  table_->horizontalHeaderItem(7)->setToolTip(QStringLiteral("FLOPs of the feed-forward layer"));
  table_->horizontalHeaderItem(8)->setToolTip(
      QStringLiteral("Key-value cache of a sliding layer that keeps only its window (full layers keep every "
                     "token: the totals below count them)"));
  table_->verticalHeader()->setVisible(false);
  table_->verticalHeader()->setDefaultSectionSize(20);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  totals_ = new QLabel(right);
  totals_->setObjectName(QStringLiteral("modelTotals"));
  totals_->setWordWrap(true);
  totals_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  auto* pathRow = new QHBoxLayout;
  pathFrom_ = new QSpinBox(right);
  pathFrom_->setObjectName(QStringLiteral("modelPathFrom"));
  pathFrom_->setPrefix(QStringLiteral("query "));
  pathTo_ = new QSpinBox(right);
  pathTo_->setObjectName(QStringLiteral("modelPathTo"));
  pathTo_->setPrefix(QStringLiteral("key "));
  for (QSpinBox* s : {pathFrom_, pathTo_}) {
    s->setRange(0, 63);
    s->setKeyboardTracking(false);
    connect(s, &QSpinBox::valueChanged, this, [this] { showPath(); });
  }
  pathFrom_->setValue(40);
  pathTo_->setValue(3);
  path_ = new QLabel(right);
  path_->setObjectName(QStringLiteral("modelPath"));
  path_->setWordWrap(true);
  path_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  pathRow->addWidget(new QLabel(QStringLiteral("Path through the stack:"), right));
  pathRow->addWidget(pathFrom_);
  pathRow->addWidget(pathTo_);
  pathRow->addWidget(path_, 1);
  rightLayout->addWidget(table_, 1);
  rightLayout->addWidget(totals_);
  rightLayout->addLayout(pathRow);
  left->setMaximumWidth(260);
  bottom->setStretchFactor(0, 0);
  bottom->setStretchFactor(1, 1);
  rows->setStretchFactor(0, 3);
  rows->setStretchFactor(1, 2);
  outer->addWidget(rows, 1);
}

void ModelPanel::fail(const QString& m) {
  error_ = true;
  message_->setStyleSheet(QStringLiteral("color: #b00020;"));
  message_->setText(m);
}

QString ModelPanel::message() const { return message_->text(); }
bool ModelPanel::busy() const { return runner_->busy(); }

bool ModelPanel::setStack(LayerStack stack, const QString& source) {
  try {
    checkStack(stack);
  } catch (const Error& e) {
    fail(source + QStringLiteral(": ") + q(e.what()));
    return false;
  }
  stack_ = std::move(stack);
  error_ = false;
  message_->setStyleSheet(QString());
  message_->clear();
  shortForm_->setText(q(shortForm(stack_.layers)));
  {
    const QSignalBlocker block(n_);
    n_->setValue(static_cast<int>(stack_.n));
  }
  showLayers();
  analyse();
  return true;
}

namespace {

// A shipped config (a Qt resource, which only Qt can open) is parsed from its bytes; a file on disk is read by the
// engine's one rule for config files (a regular file of bounded size), as the command line reads it.
JsonValue readConfigJson(const QString& path) {
  if (!path.startsWith(QStringLiteral(":/"))) return readHfConfigJson(path.toStdString());
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) throw Error("cannot read the shipped config " + path.toStdString());
  const QByteArray bytes = file.readAll();
  return parseJson(std::string_view(bytes.constData(), std::size_t(bytes.size())),
                   QFileInfo(path).fileName().toStdString());
}

}  // namespace

StackSource ModelPanel::configSource(const QString& name) const {
  StackSource source;
  source.config = name.toStdString();
  source.globals = globals_->text().toStdString();  // the field as the user sees it: the command line's --global
  source.mode = mode_->currentIndex() == 1 ? "eval" : "train";
  return source;
}

bool ModelPanel::openConfig(const QString& path) {
  initResources();
  try {
    JsonValue json = readConfigJson(path);
    // Until the user picks an n, a model opens at 4,096 tokens (the teacher's example starts at 64).
    LayerStack stack =
        configSource(QFileInfo(path).fileName()).fromConfig(json, nChosen_ ? n_->value() : 4096, "global token");
    config_ = std::move(json);
    configName_ = QFileInfo(path).fileName();
    const int shipped = model_->findData(path);
    model_->setItemText(0, shipped >= 0 ? QStringLiteral("Typed stack") : QStringLiteral("File: ") + configName_);
    model_->setCurrentIndex(shipped >= 0 ? shipped : 0);
    return setStack(std::move(stack), configName_);
  } catch (const Error& e) {
    fail(q(e.what()));
    return false;
  }
}

void ModelPanel::fromConfig() {
  if (!config_) {
    LayerStack s = stack_;
    s.n = n_->value();
    setStack(std::move(s), QStringLiteral("the stack"));
    return;
  }
  try {  // the command line's rules: --global's token indices 0 … n − 1, --mode's train or eval
    setStack(configSource(configName_).fromConfig(*config_, n_->value(), "global token"), configName_);
  } catch (const Error& e) {
    fail(q(e.what()));
  }
}

bool ModelPanel::openStack(const QString& path) {
  try {
    LayerStack s = readStackFile(path.toStdString());
    config_.reset();
    model_->setItemText(0, QStringLiteral("Stack: ") + QFileInfo(path).fileName());
    model_->setCurrentIndex(0);
    return setStack(std::move(s), QFileInfo(path).fileName());
  } catch (const Error& e) {
    fail(q(e.what()));
    return false;
  }
}

bool ModelPanel::saveStack(const QString& path, QString* error) const {
  try {
    writeStackFile(stack_, path.toStdString());
    return true;
  } catch (const std::exception& e) {
    if (error) *error = q(e.what());
    return false;
  }
}

bool ModelPanel::applyShortForm(const QString& text) {
  try {
    LayerStack s = stack_;
    s.layers = parseShortForm(text.toStdString());
    s.n = n_->value();
    if (config_) s.name = "edited from " + configName_.toStdString();
    config_.reset();
    model_->setItemText(0, QStringLiteral("Typed stack"));
    model_->setCurrentIndex(0);
    return setStack(std::move(s), QStringLiteral("the typed layers"));
  } catch (const Error& e) {
    fail(q(e.what()));
    return false;
  }
}

void ModelPanel::appendLayer(const StackLayer& layer) {
  editLayers([&](std::vector<StackLayer>& l, int& row) {
    if (int(l.size()) >= kMaxStackLayers) return;
    l.push_back(layer);
    row = int(l.size()) - 1;
  });
}

void ModelPanel::editLayers(const std::function<void(std::vector<StackLayer>&, int&)>& edit) {
  LayerStack s = stack_;
  int row = std::max(0, layers_->currentRow());
  if (row >= int(s.layers.size())) row = int(s.layers.size()) - 1;
  edit(s.layers, row);
  if (config_) s.name = "edited from " + configName_.toStdString();
  config_.reset();
  model_->setItemText(0, QStringLiteral("Typed stack"));
  model_->setCurrentIndex(0);
  if (setStack(std::move(s), QStringLiteral("the edited stack"))) layers_->setCurrentRow(row);
}

void ModelPanel::showLayers() {
  layers_->clear();
  for (std::size_t l = 0; l < stack_.layers.size(); ++l) {
    const StackLayer& layer = stack_.layers[l];
    layers_->addItem(
        QStringLiteral("%1  %2%3")
            .arg(l)
            .arg(q(layer.describe()), layer.kind.empty() ? QString() : QStringLiteral("  [%1]").arg(q(layer.kind))));
  }
  QStringList lines;
  for (const auto& d : stack_.derivation) lines << q(d);
  for (const auto& note : stack_.notes) lines << QStringLiteral("Note: ") + q(note);
  if (lines.isEmpty())
    lines << QStringLiteral("%1: %2 layers at n = %L3. Model sizes: %4.")
                 .arg(q(stack_.name))
                 .arg(stack_.layers.size())
                 .arg(stack_.n)
                 .arg(stack_.dimsFromConfig
                          ? QStringLiteral("from the stack file")
                          : QStringLiteral("BERT-base's (hidden 768, 12 heads of 64), for the costs"));
  derivation_->setText(lines.join(QLatin1Char('\n')));
  for (QSpinBox* s : {pathFrom_, pathTo_}) s->setMaximum(static_cast<int>(stack_.n - 1));
}

void ModelPanel::analyse() {
  const LayerStack stack = stack_;
  ModelOptions options;
  options.precision = parsePrecision(precision_->currentText().toStdString());
  // The GUI's budget: exact all pairs while it stays well under a second, sampled sources beyond.
  options.reachOptions.maxExactWork = 2e9;
  // The hand-back runs on the GUI thread only while this task is current; runner_ is our child, so `this` lives.
  runner_->start([this, stack, options](const TaskRunner::Context& ctx) -> std::function<void()> {
    auto view = std::make_shared<ModelView>();
    auto report = std::make_shared<ModelReport>(analyzeModel(stack, options, ctx.progress().part(0.0, 0.8)));
    // Costs at other lengths, for the chart: powers of two from 256 up to 131,072 (and n itself).
    std::vector<Index> lengths;
    for (Index len = 256; len <= (Index(1) << 17); len *= 2) lengths.push_back(len);
    if (std::find(lengths.begin(), lengths.end(), stack.n) == lengths.end() && stack.n <= (Index(1) << 17))
      lengths.push_back(stack.n);
    std::sort(lengths.begin(), lengths.end());
    view->curve = costCurve(stack, lengths, ctx.progress().part(0.8, 0.95));
    for (const auto& layer : report->graph.layers)
      view->thumbnails.push_back(layerDensity(*layer, ModelView::kThumbSide));
    view->report = std::move(report);
    return [this, view] { showView(view); };
  });
}

void ModelPanel::setColorPalette(Palette palette) {
  palette_ = palette;
  if (view_) showView(view_);
}

QString ModelPanel::exportName() const {
  return QStringLiteral("model-") + fileNamePart(QString::fromStdString(stack_.name)) + QStringLiteral("-n") +
         QString::number(stack_.n);
}

void ModelPanel::showView(std::shared_ptr<const ModelView> view) {
  view_ = std::move(view);
  const ModelReport& r = *view_->report;
  const LayerStack& s = r.stack;
  // The strip: one thumbnail a layer, full layers labelled.
  while (QLayoutItem* item = stripLayout_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  for (std::size_t l = 0; l < view_->thumbnails.size(); ++l) {
    auto* b = new QToolButton(strip_);
    b->setObjectName(QStringLiteral("layerThumb%1").arg(l));
    b->setToolButtonStyle(Qt::ToolButtonTextUnderIcon);
    b->setIcon(QIcon(QPixmap::fromImage(thumbnail(view_->thumbnails[l], palette_).scaled(80, 80))));
    b->setIconSize(QSize(80, 80));
    const StackLayer& layer = s.layers[l];
    const QString kind = layer.kind.empty() ? q(layer.pattern) : q(layer.kind);
    b->setText(QStringLiteral("%1 %2").arg(l).arg(kind));
    b->setToolTip(QStringLiteral("Layer %1: %2 — click to open it in the matrix view").arg(l).arg(q(layer.describe())));
    connect(b, &QToolButton::clicked, this, [this, layer, n = s.n] {
      QList<QPair<QString, QString>> params;
      for (const auto& [k, v] : layer.params) params.append({q(k), q(v)});
      emit openLayer(q(layer.pattern), params, n);
    });
    stripLayout_->addWidget(b);
  }
  stripLayout_->addStretch(1);
  // The receptive field.
  if (r.reach)
    reach_->setCurves(r.reach->reachByLayer, r.reach->earlierReachByLayer, fullLayers(s),
                      r.reach->exact ? 0 : r.reach->sampledSources);
  // The cost table.
  const ModelCost& c = r.cost;
  table_->setRowCount(static_cast<int>(c.layers.size()));
  for (int row = 0; row < int(c.layers.size()); ++row) {
    const LayerCost& lc = c.layers[static_cast<std::size_t>(row)];
    const QStringList cells = {QString::number(lc.index),
                               q(lc.kind.empty() ? lc.pattern : lc.kind),
                               countText(static_cast<Index>(std::llround(lc.cellsPerHead))),
                               fixedText(100.0 * lc.density, 1) + QLatin1Char('%'),
                               QString::number(lc.heads),
                               flopsText(lc.attentionFlops),
                               flopsText(lc.projectionFlops),
                               flopsText(lc.feedForwardFlops),
                               lc.windowed ? q(formatBytes(lc.kvCacheBytesWindowed)) : QStringLiteral("—")};
    for (int col = 0; col < cells.size(); ++col) {
      auto* item = new QTableWidgetItem(cells[col]);
      if (col != 1) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      table_->setItem(row, col, item);
    }
  }
  QString reachText;
  if (r.reach) {
    const StackReach& sr = *r.reach;
    const QString est = sr.exact ? QString() : QStringLiteral(" (estimated from %1 tokens)").arg(sr.sampledSources);
    reachText = sr.layersForFullReach ? QStringLiteral("Every token hears from every other after %1%2.")
                                            .arg(countedText(*sr.layersForFullReach, "layer", "layers"))
                                            .arg(est)
                : sr.layersForFullEarlierReach
                    ? QStringLiteral("Every query hears from every earlier key after %1%2; later keys never reach it.")
                          .arg(countedText(*sr.layersForFullEarlierReach, "layer", "layers"))
                          .arg(est)
                    : QStringLiteral("Some pairs never connect: %L1 ordered pairs apart after the last layer%2.")
                          .arg(sr.unreachablePairs, 0, 'f', 0)
                          .arg(est);
  }
  totals_->setText(QStringLiteral("%1\nAttention %2FLOP, projections %3FLOP, feed-forward %4FLOP. Score matrix %5 a "
                                  "layer if held whole. KV cache (%6): %7 keeping every token, %8 with sliding layers "
                                  "keeping their window.")
                       .arg(reachText, flopsText(c.attentionFlops), flopsText(c.projectionFlops),
                            flopsText(c.feedForwardFlops), q(formatBytes(c.scoreMatrixBytes)),
                            QString::fromLatin1(precisionName(c.precision)), q(formatBytes(c.kvCacheBytes)),
                            q(formatBytes(c.kvCacheBytesWindowed))));
  cost_->setCurve(view_->curve, s.n);
  if (!error_) {
    QStringList notes;
    std::vector<std::string> seen;
    for (const auto& layer : r.layers)
      for (const auto& note : layer.pattern->notes())
        if (std::find(seen.begin(), seen.end(), note) == seen.end()) {
          seen.push_back(note);
          notes << QStringLiteral("Note: ") + q(note);
        }
    message_->setStyleSheet(QString());
    message_->setText(notes.join(QLatin1Char('\n')));
  }
  showPath();
  emit analysed();
}

void ModelPanel::showPath() {
  if (!view_ || !view_->report->reach) return;
  const auto view = view_;
  const Index from = pathFrom_->value(), to = pathTo_->value();
  if (from >= view->report->graph.n || to >= view->report->graph.n) return;
  pathRunner_->start([this, view, from, to](const TaskRunner::Context& ctx) -> std::function<void()> {
    const StackPath p = stackPath(view->report->graph, from, to, ctx.progress());
    return [this, p, from, to] {
      if (!p.layers) {
        path_->setText(QStringLiteral("Query %1 never hears from key %2 through this stack.").arg(from).arg(to));
        return;
      }
      const QString text = QString::fromStdString(describeStackPath(p, from));
      path_->setText(text + QStringLiteral(": query %1 has heard from key %2 after %3.")
                                .arg(from)
                                .arg(to)
                                .arg(countedText(*p.layers, "layer", "layers")));
    };
  });
}

bool ModelPanel::exportTo(const QString& path, int width, int height, int dpi, QString* error) {
  const QString caption =
      QStringLiteral("%1, n = %L2: %3").arg(q(stack_.name)).arg(stack_.n).arg(q(shortForm(stack_.layers)));
  return HeatmapView::writeFigure(
      path, QSize(width, height), dpi, caption,
      [&](FigureCanvas& canvas) {
        const QSizeF whole = canvas.size();
        const double top = canvas.drawCaption(caption);
        const double half = whole.width() / 2;
        reach_->drawInto(canvas, QRectF(0, top, half, whole.height() - top));
        cost_->drawInto(canvas, QRectF(half, top, half, whole.height() - top));
      },
      error);
}

}  // namespace attnscope

#include "app/main_window.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QRegularExpression>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QCheckBox>
#include <QComboBox>
#include <QJsonDocument>
#include <QKeyEvent>

#include <cmath>
#include <limits>

#include "engine/util/error.h"
#include "widgets/gui_limits.h"
#include "widgets/number_text.h"
#include "widgets/task_runner.h"
#include "widgets/compare_view.h"
#include "widgets/explanation_panel.h"
#include "widgets/heatmap_view.h"
#include "widgets/hop_profile_view.h"
#include "widgets/mask_controller.h"
#include "widgets/approx_panel.h"
#include "widgets/weights_panel.h"
#include "widgets/model_panel.h"
#include "widgets/path_panel.h"
#include "widgets/pattern_controls.h"
#include "widgets/resources.h"
#include "widgets/run_panel.h"
#include "widgets/stats_panel.h"
#include "widgets/stats_text.h"

namespace attnscope {

namespace {
// A limit as the messages write it: "4,000,000".
}  // namespace

MainWindow::MainWindow(bool restore, QWidget* parent) : QMainWindow(parent), restore_(restore) {
  initResources();
  setWindowTitle(QStringLiteral("AttnScope"));
  setWindowIcon(QIcon(QStringLiteral(":/attnscope.svg")));
  setObjectName(QStringLiteral("mainWindow"));
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);

  buildTabs();
  buildDocks();
  buildStatusBar();
  connectController();
  connectViews();
  buildMenus();
  // Without a saved layout (the first start), the window takes the screen's available area, a projector's too.
  if (const QScreen* s = screen()) {
    const QRect available = s->availableGeometry();
    resize(available.size().expandedTo(QSize(640, 480)));
    move(available.topLeft());
  } else {
    resize(1400, 860);
  }
  restoreSession();
  qApp->installEventFilter(this);  // removed with the window
}

// A text field or a number box claims some shortcuts for editing before the menus see them (Ctrl+E moves to the
// end of the line, as in Emacs): a user who has just typed n and presses Ctrl+E expects the export. Every shortcut
// with Ctrl or Alt that one of this window's actions has is handed to the action instead; plain keys, and the
// editing keys no action uses (Ctrl+C, Ctrl+V, Ctrl+A, …), stay with the field.
bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() != QEvent::ShortcutOverride) return QMainWindow::eventFilter(watched, event);
  auto* key = static_cast<QKeyEvent*>(event);
  if (!(key->modifiers() & (Qt::ControlModifier | Qt::AltModifier))) return false;
  auto* widget = qobject_cast<QWidget*>(watched);
  if (!widget || widget->window() != this) return false;
  const QKeySequence pressed(key->keyCombination());
  for (const QAction* action : findChildren<QAction*>())
    if (action->isEnabled() && action->shortcuts().contains(pressed)) {
      event->ignore();  // not claimed by the field: the shortcut map runs the action
      return true;
    }
  return false;
}

// Centre: the matrix, the hop map, a grid with one small heatmap per head, side by side, and the run.
void MainWindow::buildTabs() {
  tabs_ = new QTabWidget(this);
  tabs_->setObjectName(QStringLiteral("tabs"));
  auto* matrixPage = new QWidget(tabs_);
  auto* matrixLayout = new QVBoxLayout(matrixPage);
  auto* headRow = new QHBoxLayout;
  head_ = new QSpinBox(matrixPage);
  head_->setObjectName(QStringLiteral("head"));
  head_->setRange(0, 0);
  head_->setPrefix(QStringLiteral("head "));
  head_->setToolTip(QStringLiteral("Which head to show (patterns with several heads)"));
  hover_ = new QLabel(matrixPage);
  hover_->setObjectName(QStringLiteral("hover"));
  hover_->setText(
      QStringLiteral("Hover a cell to read it; click a query row to highlight its keys, shift-click a "
                     "key to trace the path to it; wheel to zoom, drag to pan, R to reset."));
  hover_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // long cell texts must not widen the window
  hover_->setMinimumWidth(80);
  headRow->addWidget(head_);
  headRow->addWidget(hover_, 1);
  heatmap_ = new HeatmapView(matrixPage);
  heatmap_->setObjectName(QStringLiteral("heatmap"));
  matrixLayout->addLayout(headRow);
  matrixLayout->addWidget(heatmap_, 1);
  addPage(matrixPage, QStringLiteral("Matrix"));
  buildHopsTab();
  headGrid_ = new QWidget(tabs_);
  headGridLayout_ = new QGridLayout(headGrid_);
  addPage(headGrid_, QStringLiteral("All heads"));
  compare_ = new CompareView(tabs_);
  compare_->setObjectName(QStringLiteral("compare"));
  addPage(compare_, QStringLiteral("Side by side"));
  run_ = new RunPanel(tabs_);
  run_->setObjectName(QStringLiteral("run"));
  addPage(run_, QStringLiteral("Run attention"));
  model_ = new ModelPanel(tabs_);
  model_->setObjectName(QStringLiteral("model"));
  addPage(model_, QStringLiteral("Model"));
  approx_ = new ApproxPanel(tabs_);
  approx_->setObjectName(QStringLiteral("approx"));
  addPage(approx_, QStringLiteral("Approximate"));
  weights_ = new WeightsPanel(tabs_);
  weights_->setObjectName(QStringLiteral("weights"));
  addPage(weights_, QStringLiteral("Real attention"));
  setCentralWidget(tabs_);
}

// A page scrolls when the window is smaller than it needs (a 1280 × 720 projector with the docks open) and fills
// the tab otherwise.
void MainWindow::addPage(QWidget* page, const QString& title) {
  auto* area = new QScrollArea(tabs_);
  area->setObjectName(page->objectName().isEmpty() ? QString() : page->objectName() + QStringLiteral("Area"));
  area->setWidgetResizable(true);
  area->setFrameShape(QFrame::NoFrame);
  area->setWidget(page);
  pages_.append({area, page});
  tabs_->addTab(area, title);
}

QScrollArea* MainWindow::pageArea(QWidget* page) const {
  for (const auto& [area, inside] : pages_)
    if (inside == page) return area;
  return nullptr;
}

QWidget* MainWindow::currentPage() const {
  for (const auto& [area, inside] : pages_)
    if (area == tabs_->currentWidget()) return inside;
  return nullptr;
}

void MainWindow::setCurrentPage(QWidget* page) {
  if (QScrollArea* area = pageArea(page)) tabs_->setCurrentWidget(area);
}

void MainWindow::buildHopsTab() {
  auto* hopsPage = new QWidget(tabs_);
  auto* hopsLayout = new QVBoxLayout(hopsPage);
  hopsNote_ = new QLabel(hopsPage);
  hopsNote_->setWordWrap(true);
  hopsNote_->setText(
      QStringLiteral("How many layers until query i hears from key j; grey: never. Click a query row "
                     "to read its hop distances."));
  hops_ = new HeatmapView(hopsPage);
  hops_->setObjectName(QStringLiteral("hopMap"));
  hops_->setValueText([](float v) {
    return std::isnan(v) ? QStringLiteral("never hears from it")
                         : QStringLiteral("%1 %2").arg(v).arg(v == 1 ? QStringLiteral("hop") : QStringLiteral("hops"));
  });
  auto* queryRow = new QHBoxLayout;
  hopQuery_ = new QSpinBox(hopsPage);
  hopQuery_->setObjectName(QStringLiteral("hopQuery"));
  hopQuery_->setPrefix(QStringLiteral("query "));
  hopQuery_->setRange(0, 15);
  hopQuery_->setValue(7);  // the query of the classroom example, 7 → 5 → 3
  hopQuery_->setToolTip(QStringLiteral("The query whose hop distances the chart below shows (or click a row)"));
  queryRow->addWidget(hopsNote_, 1);
  queryRow->addWidget(hopQuery_);
  hopProfile_ = new HopProfileView(hopsPage);
  hopRunner_ = new TaskRunner(this);
  connect(hopRunner_, &TaskRunner::failed, hopProfile_, &HopProfileView::clear);
  hopProfile_->setObjectName(QStringLiteral("hopProfile"));
  hopsLayout->addLayout(queryRow);
  hopsLayout->addWidget(hops_, 3);
  hopsLayout->addWidget(hopProfile_, 1);
  addPage(hopsPage, QStringLiteral("Hops"));
}

// Docks: the controls on the left; counts, paths and the explanation on the right.
void MainWindow::buildDocks() {
  auto dock = [this](const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area) {
    auto* d = new QDockWidget(title, this);
    d->setObjectName(name);
    d->setWidget(w);
    addDockWidget(area, d);
    return d;
  };
  controls_ = new PatternControls(this);
  controls_->setObjectName(QStringLiteral("patternControls"));
  stats_ = new StatsPanel(this);
  stats_->setObjectName(QStringLiteral("statsPanel"));
  explanation_ = new ExplanationPanel(this);
  dock(QStringLiteral("Pattern"), QStringLiteral("patternDock"), controls_, Qt::LeftDockWidgetArea)
      ->setMinimumWidth(290);
  patternDocks_ << dock(QStringLiteral("Counts"), QStringLiteral("countsDock"), stats_, Qt::RightDockWidgetArea);
  paths_ = new PathPanel(this);
  paths_->setObjectName(QStringLiteral("pathPanel"));
  patternDocks_ << dock(QStringLiteral("Paths through layers"), QStringLiteral("pathsDock"), paths_,
                        Qt::RightDockWidgetArea);
  patternDocks_ << dock(QStringLiteral("About this pattern"), QStringLiteral("explanationDock"), explanation_,
                        Qt::RightDockWidgetArea);
  // The right-hand docks describe the pattern on the left: on the Model, Approximate and Real attention tabs,
  // which show something else, they step aside (and give their width to the tab), and come back on leaving.
  connect(tabs_, &QTabWidget::currentChanged, this, &MainWindow::fitDocksToTab);
}

void MainWindow::fitDocksToTab() {
  const QWidget* page = currentPage();
  const bool describesPattern = page != model_ && page != approx_ && page != weights_;
  if (describesPattern) {
    for (QDockWidget* d : std::as_const(dockedAside_)) d->show();
    dockedAside_.clear();
    return;
  }
  for (QDockWidget* d : std::as_const(patternDocks_))
    if (!d->isHidden() && !d->isFloating()) {  // isHidden: before the window is first shown too
      d->hide();
      dockedAside_ << d;
    }
}

void MainWindow::buildStatusBar() {
  progress_ = new QProgressBar(this);
  progress_->setRange(0, 100);
  progress_->setMaximumWidth(180);
  progress_->hide();
  statusBar()->addPermanentWidget(progress_);
}

// The pattern's computation: controls → controller → every view, and failures shown inline.
void MainWindow::connectController() {
  controller_ = new MaskController(this);
  controller_->setObjectName(QStringLiteral("maskController"));
  connect(controls_, &PatternControls::changed, this, [this] {
    const PatternChoice choice = controls_->choice();
    keepError_ = false;
    controller_->request(choice);
    explanation_->setPattern(choice.pattern);
  });
  connect(controller_, &MaskController::started, this, [this] {
    progress_->setValue(0);
    progress_->show();
  });
  connect(controller_, &MaskController::progress, this, [this](double f) { progress_->setValue(int(100 * f)); });
  connect(controller_, &MaskController::cancelled, progress_, &QProgressBar::hide);
  connect(controller_, &MaskController::ready, this, [this](std::shared_ptr<const MaskResult> r) {
    progress_->hide();
    if (!keepError_) controls_->showError(QString());
    showResult(std::move(r));
  });
  connect(controller_, &MaskController::reachabilityReady, this, [this](std::shared_ptr<const MaskResult> r) {
    result_ = std::move(r);
    stats_->setResult(*result_);
    paths_->setResult(result_);
    showHops();
  });
  connect(controller_, &MaskController::failed, this, [this](const QString& message) {
    progress_->hide();
    controls_->showError(message);  // the last good picture stays up
    statusBar()->showMessage(message, 8000);
  });
}

// Views that follow each other: clicks pick queries and keys, the head spin box drives every tab.
void MainWindow::connectViews() {
  // The Model tab: a layer's thumbnail opens it in the matrix; "Add pattern from the left" takes the controls' choice.
  connect(model_, &ModelPanel::openLayer, this,
          [this](const QString& pattern, const QList<QPair<QString, QString>>& params, Index n) {
            PatternChoice c;
            c.pattern = pattern;
            c.params = params;
            c.n = n;
            controls_->setChoice(c);
            setCurrentPage(heatmap_->parentWidget());
          });
  connect(weights_, &WeightsPanel::patternRequested, this, [this] { weights_->measurePattern(controls_->choice()); });
  connect(weights_, &WeightsPanel::stackRequested, this, [this] { weights_->measureStack(model_->stack()); });
  connect(model_, &ModelPanel::addCurrentPatternRequested, this, [this] {
    const PatternChoice c = controls_->choice();
    StackLayer layer;
    layer.pattern = c.pattern.toStdString();
    layer.params = c.paramTexts();
    model_->appendLayer(layer);
  });
  connect(hopQuery_, &QSpinBox::valueChanged, this, &MainWindow::showHopProfile);
  connect(hops_, &HeatmapView::queryClicked, hopQuery_, &QSpinBox::setValue);
  connect(heatmap_, &HeatmapView::queryClicked, hopQuery_, &QSpinBox::setValue);
  connect(hops_, &HeatmapView::cellHovered, this,
          [this](Index q, Index k) { hopsNote_->setText(hops_->describeCell(q, k)); });
  connect(heatmap_, &HeatmapView::queryClicked, paths_, [this](Index q) { paths_->setFrom(q); });
  connect(heatmap_, &HeatmapView::keyClicked, paths_, [this](Index, Index k) { paths_->setTo(k); });
  connect(paths_, &PathPanel::pathChanged, heatmap_, [this](const std::vector<Index>& path) {
    if (!showLayout_->isChecked()) heatmap_->showPath(path);
  });
  connect(head_, &QSpinBox::valueChanged, this, &MainWindow::showHead);
  connect(head_, &QSpinBox::valueChanged, compare_, &CompareView::setHead);
  connect(head_, &QSpinBox::valueChanged, run_, &RunPanel::setHead);
  connect(compare_, &CompareView::exportRequested, this, &MainWindow::exportDialog);
  connect(heatmap_, &HeatmapView::cellHovered, this,
          [this](Index q, Index k) { hover_->setText(heatmap_->describeCell(q, k)); });
}

// The last session's window layout and pattern, when asked to restore; else the window of 5 over 16 tokens.
void MainWindow::restoreSession() {
  Preset start;
  start.choice.params = {{QStringLiteral("radius"), QStringLiteral("2")}};
  if (restore_) {
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    const QByteArray last = settings.value(QStringLiteral("pattern/last")).toByteArray();
    if (!last.isEmpty()) {
      try {
        start = presetFromJson(QJsonDocument::fromJson(last).object());
      } catch (const Error& e) {  // a session saved by another version, or edited by hand: start afresh, and say so
        statusBar()->showMessage(
            QStringLiteral("The last session's pattern was not restored: ") + QString::fromStdString(e.what()), 8000);
      }
    }
  }
  loadPreset(start);
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus() {
  QMenu* file = menuBar()->addMenu(QStringLiteral("&File"));
  file->addAction(QStringLiteral("&Open preset…"), QKeySequence::Open, this, &MainWindow::openPreset);
  file->addAction(QStringLiteral("&Save preset…"), QKeySequence::Save, this, &MainWindow::savePreset);
  file->addAction(QStringLiteral("Open &model config…"), QKeySequence(Qt::CTRL | Qt::Key_M), this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open a model's config.json"), QString(),
                                                      QStringLiteral("Model config (*.json);;All files (*)"));
    if (!path.isEmpty()) openModelConfig(path);
  });
  file->addAction(
      QStringLiteral("Open &attention weights…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open attention weights"), QString(),
                                                          QStringLiteral("Attention weights (*.npy *.npz)"));
        if (!path.isEmpty()) openAttentionWeights(path);
      });
  file->addSeparator();
  file->addAction(QStringLiteral("&Export picture…"), QKeySequence(Qt::CTRL | Qt::Key_E), this,
                  &MainWindow::exportDialog);
  file->addAction(QStringLiteral("&Copy picture"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C), this, [this] {
    heatmap_->copyToClipboard(900, 800);
    statusBar()->showMessage(QStringLiteral("Picture copied"), 3000);
  });
  file->addSeparator();
  file->addAction(QStringLiteral("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* presets = menuBar()->addMenu(QStringLiteral("&Presets"));
  int index = 1;
  for (const Preset& preset : builtInPresets()) {
    QAction* a = presets->addAction(preset.name, this, [this, preset] { loadPreset(preset); });
    if (index <= 9) a->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_0 + index)));
    ++index;
  }

  QMenu* view = menuBar()->addMenu(QStringLiteral("&View"));
  view->addAction(QStringLiteral("&Reset zoom"), QKeySequence(Qt::CTRL | Qt::Key_0), this,
                  [this] { heatmap_->resetView(); });
  showLayout_ = view->addAction(QStringLiteral("Show block &layout"), QKeySequence(Qt::CTRL | Qt::Key_L), this,
                                &MainWindow::showHead);
  showLayout_->setCheckable(true);
  showLayout_->setToolTip(QStringLiteral("Block families: show the layout of blocks instead of the token mask"));
  QMenu* palette = view->addMenu(QStringLiteral("&Colours"));
  palettes_ = new QActionGroup(this);
  for (Palette p : allPalettes()) {
    QAction* a = palette->addAction(paletteName(p), this, [this, p] {
      heatmap_->setColorPalette(p);
      compare_->setColorPalette(p);
      run_->setColorPalette(p);
      approx_->setColorPalette(p);
      rebuildHeadGrid();
    });
    a->setCheckable(true);
    a->setChecked(p == Palette::Viridis);
    palettes_->addAction(a);
  }
  view->addSeparator();
  for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());

  QMenu* help = menuBar()->addMenu(QStringLiteral("&Help"));
  help->addAction(QStringLiteral("&About AttnScope"), this, &MainWindow::about);
  help->addAction(QStringLiteral("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::loadPreset(const Preset& preset) {
  controls_->setChoice(preset.choice);
  paths_->setPath(preset.from, preset.to);
  showView(preset.view);
  const int palette = presetPalettes().indexOf(preset.palette);
  if (palette >= 0) palettes_->actions().at(palette)->trigger();
}

void MainWindow::setPatternChoice(const PatternChoice& choice) { controls_->setChoice(choice); }

Preset MainWindow::currentPreset(const QString& name) const {
  Preset preset;
  preset.name = name;
  preset.choice = controls_->choice();
  preset.from = paths_->from();
  preset.to = paths_->to();
  for (const auto& [key, page] : views())
    if (page == currentPage()) preset.view = key;
  const int palette = static_cast<int>(palettes_->actions().indexOf(palettes_->checkedAction()));
  if (palette > 0) preset.palette = presetPalettes().value(palette);
  return preset;
}

QList<std::pair<QString, QWidget*>> MainWindow::views() const {
  return {{QStringLiteral("matrix"), heatmap_->parentWidget()},
          {QStringLiteral("hops"), hops_->parentWidget()},
          {QStringLiteral("heads"), headGrid_},
          {QStringLiteral("compare"), compare_},
          {QStringLiteral("run"), run_},
          {QStringLiteral("model"), model_},
          {QStringLiteral("approx"), approx_},
          {QStringLiteral("weights"), weights_}};
}

bool MainWindow::showView(const QString& name) {
  for (const auto& [key, page] : views())
    if (key == name.toLower()) {
      setCurrentPage(page);
      return true;
    }
  return false;
}

void MainWindow::showResult(std::shared_ptr<const MaskResult> r) {
  result_ = std::move(r);
  stats_->setResult(*result_);
  heatmap_->setTokens(result_->tokens);
  const int heads = static_cast<int>(result_->picture->heads.size());
  head_->setRange(0, heads - 1);
  head_->setEnabled(heads > 1);
  showLayout_->setEnabled(result_->layoutPicture != nullptr);
  showHead();
  rebuildHeadGrid();
  compare_->setPrimary(result_);
  run_->setResult(result_);
}

void MainWindow::showHead() {
  if (!result_) return;
  const bool layout = showLayout_->isChecked() && result_->layoutPicture;
  QString title = result_->title;
  if (result_->picture->heads.size() > 1) title += QStringLiteral(", head %1").arg(head_->value());
  if (layout) title += QStringLiteral(" — block layout");
  heatmap_->setPicture(
      layout ? result_->layoutPicture : result_->picture, head_->value(),
      layout ? std::shared_ptr<const SparseMask>(result_->mask, &result_->mask->blockLayout()) : result_->mask, title);
}

void MainWindow::showHops() {
  if (result_) {
    const QSignalBlocker quiet(hopQuery_);
    hopQuery_->setRange(0, static_cast<int>(std::min<Index>(result_->choice.n, std::numeric_limits<int>::max()) - 1));
  }
  showHopProfile();
  const bool map = result_ && result_->hopPicture;
  hops_->setVisible(map);
  if (!map) {
    hops_->setPicture(nullptr, 0, nullptr, QString());
    hopsNote_->setText(!result_ || result_->graph
                           ? QStringLiteral("The hop map is drawn up to %1 tokens; below, one query's hop distances "
                                            "at any length (click a row in the matrix or pick the query).")
                                 .arg(countText(kMaxPictureSide))
                           : QStringLiteral("Hop distances are computed up to %1 active cells; attnscope-cli "
                                            "path and stats --reach work at any size.")
                                 .arg(countText(kGuiReachCells)));
    return;
  }
  const int diameter = result_->reach ? result_->reach->diameter.upper : 1;
  hops_->setValueScale(0, std::max(1, diameter), QStringLiteral("hops (grey: never)"));
  hops_->setTokens(result_->tokens);
  hops_->setPicture(result_->hopPicture, 0, result_->mask,
                    result_->title + QStringLiteral(" — layers until query i hears from key j"));
  hopsNote_->setText(QStringLiteral("How many layers until query i hears from key j; grey: never. Diameter %1. Click "
                                    "a row for its profile below.")
                         .arg(diameter));
}

void MainWindow::showHopProfile() {
  if (!result_ || !result_->graph) {
    hopProfile_->clear(
        result_ && result_->stats.nnz > kGuiReachCells
            ? QStringLiteral("Hop distances are computed up to %1 active cells").arg(countText(kGuiReachCells))
            : QStringLiteral("Hop distances appear with the reachability figures"));
    return;
  }
  const Index q = std::min<Index>(hopQuery_->value(), result_->graph->n() - 1);
  const QString name = q < result_->tokens.size() ? result_->tokens[q] : QString();
  hopRunner_->start([this, graph = result_->graph, q, name](const TaskRunner::Context&) -> std::function<void()> {
    auto distances = std::make_shared<HopDistances>(hopDistances(graph->forward(), q));
    return [this, distances, q, name] { hopProfile_->setProfile(*distances, q, name); };
  });
}

void MainWindow::rebuildHeadGrid() {
  while (QLayoutItem* item = headGridLayout_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  if (!result_) return;
  const int heads = static_cast<int>(result_->picture->heads.size());
  tabs_->setTabEnabled(tabs_->indexOf(pageArea(headGrid_)), heads > 1);
  if (heads <= 1) return;
  const int columns = heads <= 4 ? 2 : heads <= 9 ? 3 : 4;
  for (int h = 0; h < std::min(heads, 16); ++h) {
    auto* view = new HeatmapView(headGrid_);
    view->setCompact(true);
    view->setColorPalette(allPalettes().value(
        std::max<int>(0, static_cast<int>(palettes_->actions().indexOf(palettes_->checkedAction())))));
    view->setPicture(result_->picture, h, result_->mask, QStringLiteral("head %1").arg(h));
    headGridLayout_->addWidget(view, h / columns, h % columns);
  }
}

bool MainWindow::showWeightsPage(const QString& page) {
  if (!weights_->showPage(page, true)) return false;
  setCurrentPage(weights_);
  return true;
}

bool MainWindow::openAttentionWeights(const QString& path) {
  setCurrentPage(weights_);
  return weights_->openDump(path);
}

bool MainWindow::openModelConfig(const QString& path) {
  setCurrentPage(model_);
  return model_->openConfig(path);
}

void MainWindow::openPreset() {
  const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Open preset"), QString(),
                                                    QStringLiteral("AttnScope presets (*.json)"));
  if (!path.isEmpty()) openPresetFile(path);
}

bool MainWindow::openPresetFile(const QString& path) {
  try {
    loadPreset(loadPresetFile(path));
    return true;
  } catch (const std::exception& e) {  // nothing changes: the message is shown where the controls are
    const QString message = QString::fromStdString(e.what());
    keepError_ = true;  // until the controls change, a result arriving does not clear it
    controls_->showError(message);
    statusBar()->showMessage(message, 8000);
    return false;
  }
}

void MainWindow::savePreset() {
  const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Save preset"), QStringLiteral("pattern.json"),
                                                    QStringLiteral("AttnScope presets (*.json)"));
  if (path.isEmpty()) return;
  try {
    savePresetFile(currentPreset(QFileInfo(path).completeBaseName()), path);
  } catch (const Error& e) {
    QMessageBox::warning(this, QStringLiteral("Save preset"), QString::fromStdString(e.what()));
  }
}

bool MainWindow::exportPicture(const QString& path, int width, int height, int dpi, QString* error) {
  QWidget* page = currentPage();
  if (page == compare_) return compare_->exportTo(path, width, height, dpi, error);
  if (page == run_) return run_->exportTo(path, width, height, dpi, error);
  if (page == model_) return model_->exportTo(path, width, height, dpi, error);
  if (page == approx_) return approx_->exportTo(path, width, height, dpi, error);
  if (page == weights_) return weights_->exportTo(path, width, height, dpi, error);
  if (page == hops_->parentWidget()) return hops_->exportTo(path, width, height, dpi, error);
  // The matrix with what the screen says beside it: the counts and the path, in a band across the top.
  return HeatmapView::writeCaptioned(path, QSize(width, height), dpi, exportCaption(), {heatmap_}, error);
}

QString MainWindow::exportCaption() const {
  if (!result_) return QString();
  QString caption = cellsSummary(result_->stats);
  if (const QString path = paths_->pathText(); !path.isEmpty() && !showLayout_->isChecked())
    caption += QStringLiteral("   ·   ") + path;
  return caption;
}

QString MainWindow::defaultExportName() const {
  auto safe = [](QString s) {
    s.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("_"));
    return s;
  };
  const QWidget* page = currentPage();
  const PatternChoice choice = controls_->choice();
  const QString pattern = safe(choice.pattern) + QStringLiteral("-n") + QString::number(choice.n);
  QString base;
  if (page == model_)
    base = QStringLiteral("model-") + safe(QString::fromStdString(model_->stack().name)) + QStringLiteral("-n") +
           QString::number(model_->stack().n);
  else if (page == approx_)
    base = QStringLiteral("approximation");
  else if (page == weights_)
    base = QStringLiteral("attention-weights");
  else if (page == hops_->parentWidget())
    base = pattern + QStringLiteral("-hops");
  else if (page == compare_)
    base = pattern + QStringLiteral("-compared");
  else if (page == run_)
    base = pattern + QStringLiteral("-run");
  else
    base = pattern;
  return base + QStringLiteral(".png");
}

void MainWindow::exportDialog() {
  QString filter;
  const QString path = QFileDialog::getSaveFileName(
      this, QStringLiteral("Export picture"), defaultExportName(),
      QStringLiteral("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"), &filter);
  if (path.isEmpty()) return;
  const bool png = path.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive);
  const bool wide = (currentPage() == compare_ && compare_->showBox()->currentIndex() == 0) || currentPage() == run_ ||
                    currentPage() == approx_;  // two or three maps
  QDialog dialog(this);
  dialog.setWindowTitle(QStringLiteral("Export size"));
  auto* form = new QFormLayout(&dialog);
  auto* width = new QSpinBox(&dialog);
  auto* height = new QSpinBox(&dialog);
  auto* dpi = new QSpinBox(&dialog);
  for (QSpinBox* s : {width, height}) s->setRange(16, 20000);
  width->setValue((png ? 2400 : 640) * (wide ? 2 : 1));
  height->setValue(png ? 2100 : 560);
  dpi->setRange(36, 2400);
  dpi->setValue(300);
  dpi->setEnabled(png);
  auto* copy = new QCheckBox(QStringLiteral("Also copy to the clipboard"), &dialog);
  form->addRow(png ? QStringLiteral("Width (pixels)") : QStringLiteral("Width (points)"), width);
  form->addRow(png ? QStringLiteral("Height (pixels)") : QStringLiteral("Height (points)"), height);
  form->addRow(QStringLiteral("Resolution (dpi)"), dpi);
  form->addRow(copy);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
  form->addRow(buttons);
  connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
  if (dialog.exec() != QDialog::Accepted) return;
  QString error;
  if (!exportPicture(path, width->value(), height->value(), dpi->value(), &error)) {
    QMessageBox::warning(this, QStringLiteral("Export picture"), error);
    return;
  }
  if (copy->isChecked()) heatmap_->copyToClipboard(900, 800);
  statusBar()->showMessage(QStringLiteral("Wrote %1").arg(path), 5000);
}

void MainWindow::about() {
  QMessageBox box(this);
  box.setWindowTitle(QStringLiteral("About AttnScope"));
  box.setIconPixmap(QIcon(QStringLiteral(":/attnscope.svg")).pixmap(64, 64));
  box.setText(QStringLiteral("<h3>AttnScope %1</h3><p>See how efficient transformers attend: sparse attention "
                             "patterns, their cost, and how information travels through stacked layers.</p>"
                             "<p>Patterns follow the definitions of Hugging Face Transformers, DeepSpeed and the "
                             "papers they come from. Embeddings made from a sentence are synthetic.</p>"
                             "<p>Built with Qt %2, QCustomPlot and Eigen.</p>")
                  .arg(QApplication::applicationVersion(), QString::fromLatin1(qVersion())));
  box.exec();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  for (QDockWidget* d : std::as_const(dockedAside_)) d->show();  // the layout saved is the user's, not the tab's
  dockedAside_.clear();
  if (restore_) {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("pattern/last"), QJsonDocument(presetToJson(currentPreset(QString()))).toJson());
  }
  event->accept();
}

}  // namespace attnscope

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
#include <QTimer>
#include <QCheckBox>
#include <QComboBox>
#include <QJsonDocument>
#include <QKeyEvent>

#include <cmath>
#include <limits>

#include "engine/util/error.h"
#include "widgets/shared/gui_limits.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/task_runner.h"
#include "widgets/compare/compare_view.h"
#include "widgets/pattern/export_code_dialog.h"
#include "widgets/pattern/explanation_panel.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/matrix/heads_tab.h"
#include "widgets/matrix/hop_profile_view.h"
#include "widgets/matrix/hops_tab.h"
#include "widgets/matrix/matrix_tab.h"
#include "widgets/shared/text_size.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/approx/approx_panel.h"
#include "widgets/weights/cost_page.h"
#include "widgets/weights/weights_panel.h"
#include "widgets/model/model_panel.h"
#include "widgets/pattern/path_panel.h"
#include "widgets/pattern/pattern_controls.h"
#include "widgets/shared/resources.h"
#include "widgets/run/run_panel.h"
#include "widgets/pattern/stats_panel.h"
#include "widgets/pattern/stats_text.h"

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
  matrix_ = addTab(new MatrixTab(tabs_), QStringLiteral("Matrix"));
  hops_ = addTab(new HopsTab(tabs_), QStringLiteral("Hops"));
  heads_ = addTab(new HeadsTab(tabs_), QStringLiteral("All heads"));
  compare_ = addTab(new CompareView(tabs_), QStringLiteral("Side by side"));
  compare_->setObjectName(QStringLiteral("compare"));
  run_ = addTab(new RunPanel(tabs_), QStringLiteral("Run attention"));
  run_->setObjectName(QStringLiteral("run"));
  model_ = addTab(new ModelPanel(tabs_), QStringLiteral("Model"));
  model_->setObjectName(QStringLiteral("model"));
  approx_ = addTab(new ApproxPanel(tabs_), QStringLiteral("Approximate"));
  approx_->setObjectName(QStringLiteral("approx"));
  weights_ = addTab(new WeightsPanel(tabs_), QStringLiteral("Real attention"));
  weights_->setObjectName(QStringLiteral("weights"));
  // The app opens the Real attention tab on the shipped model's attention the first time it is shown with nothing
  // open (a window made for a test does not: it opens what it tests).
  weights_->setOpensShippedModel(restore_);
  setCentralWidget(tabs_);
}

template <typename Tab>
Tab* MainWindow::addTab(Tab* tab, const QString& title) {
  addPage(tab, tab, title);
  return tab;
}

// A page scrolls when the window is smaller than it needs (a 1280 × 720 projector with the docks open) and fills
// the tab otherwise.
void MainWindow::addPage(QWidget* page, ViewTab* tab, const QString& title) {
  auto* area = new QScrollArea(tabs_);
  area->setWidgetResizable(true);
  area->setFrameShape(QFrame::NoFrame);
  area->setWidget(page);
  pages_.append({area, page, tab});
  tabs_->addTab(area, title);
}

QScrollArea* MainWindow::pageArea(QWidget* page) const {
  for (const Page& p : pages_)
    if (p.page == page) return p.area;
  return nullptr;
}

QWidget* MainWindow::currentPage() const {
  for (const Page& p : pages_)
    if (p.area == tabs_->currentWidget()) return p.page;
  return nullptr;
}

ViewTab* MainWindow::currentTab() const {
  for (const Page& p : pages_)
    if (p.area == tabs_->currentWidget()) return p.tab;
  return nullptr;
}

HopProfileView* MainWindow::hopProfile() const { return hops_->profile(); }
QSpinBox* MainWindow::hopQuery() const { return hops_->queryBox(); }

void MainWindow::setCurrentPage(QWidget* page) {
  if (QScrollArea* area = pageArea(page)) tabs_->setCurrentWidget(area);
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
  const ViewTab* tab = currentTab();
  if (!tab || tab->showsLeftPattern()) {
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
    hops_->setResult(result_);
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
            setCurrentPage(matrix_);
          });
  connect(weights_, &WeightsPanel::patternRequested, this, [this] { weights_->measurePattern(controls_->choice()); });
  connect(weights_, &WeightsPanel::stackRequested, this, [this] { weights_->measureStack(model_->stack()); });
  weights_->costPage()->setSources([this] { return controls_->choice(); }, [this] { return model_->stack(); },
                                   [this] { return approx_->choice(); });
  connect(model_, &ModelPanel::addCurrentPatternRequested, this, [this] {
    const PatternChoice c = controls_->choice();
    StackLayer layer;
    layer.pattern = c.pattern.toStdString();
    layer.params = c.paramTexts();
    model_->appendLayer(layer);
  });
  HeatmapView* matrix = matrix_->map();
  connect(matrix, &HeatmapView::queryClicked, hops_->queryBox(), &QSpinBox::setValue);
  connect(matrix, &HeatmapView::queryClicked, paths_, [this](Index q) { paths_->setFrom(q); });
  connect(matrix, &HeatmapView::keyClicked, paths_, [this](Index, Index k) { paths_->setTo(k); });
  connect(paths_, &PathPanel::pathChanged, matrix_,
          [this](const std::vector<Index>& path) { matrix_->showPath(path, paths_->pathText()); });
  connect(matrix_, &MatrixTab::headChanged, compare_, &CompareView::setHead);
  connect(matrix_, &MatrixTab::headChanged, run_, &RunPanel::setHead);
  connect(compare_, &CompareView::exportRequested, this, &MainWindow::exportDialog);
}

// The last session's window layout and pattern, when asked to restore; else the window of 5 over 16 tokens.
void MainWindow::restoreSession() {
  Preset start;
  start.choice.params = {{QStringLiteral("radius"), QStringLiteral("2")}};
  if (restore_) {
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    TextSize::instance().setFactor(settings.value(QStringLiteral("view/textSize"), 1.0).toDouble());
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
    matrix_->map()->copyToClipboard(900, 800);
    statusBar()->showMessage(QStringLiteral("Picture copied"), 3000);
  });
  file->addAction(QStringLiteral("Export pattern as c&ode…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E), this,
                  [this] { openExportCodeDialog(); });
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
  view->addAction(QStringLiteral("&Reset zoom"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R), this,
                  [this] { matrix_->map()->resetView(); });
  showLayout_ = view->addAction(QStringLiteral("Show block &layout"), QKeySequence(Qt::CTRL | Qt::Key_L), this,
                                [this](bool on) { matrix_->setShowLayout(on); });
  showLayout_->setCheckable(true);
  showLayout_->setToolTip(QStringLiteral("Block families: show the layout of blocks instead of the token mask"));
  QMenu* palette = view->addMenu(QStringLiteral("&Colours"));
  palettes_ = new QActionGroup(this);
  for (Palette p : allPalettes()) {
    QAction* a = palette->addAction(paletteName(p), this, [this, p] { applyColorPalette(p); });
    a->setCheckable(true);
    a->setChecked(p == Palette::Viridis);
    palettes_->addAction(a);
  }
  view->addSeparator();
  // Text for a projector: the interface and every chart together, remembered (see TextSize).
  TextSize& text = TextSize::instance();
  QAction* larger = view->addAction(QStringLiteral("&Larger text"), this, [&text] { text.larger(); });
  larger->setObjectName(QStringLiteral("largerText"));
  larger->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Plus), QKeySequence(Qt::CTRL | Qt::Key_Equal)});
  QAction* smaller = view->addAction(QStringLiteral("&Smaller text"), this, [&text] { text.smaller(); });
  smaller->setObjectName(QStringLiteral("smallerText"));
  smaller->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Minus));
  QAction* reset = view->addAction(QStringLiteral("Reset &text size"), this, [&text] { text.reset(); });
  reset->setObjectName(QStringLiteral("resetText"));
  reset->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
  auto enableSteps = [larger, smaller, reset](double f) {
    larger->setEnabled(f < TextSize::kLargest);
    smaller->setEnabled(f > TextSize::kSmallest);
    reset->setEnabled(f != 1.0);
  };
  enableSteps(text.factor());
  connect(&text, &TextSize::changed, this, enableSteps);
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

void MainWindow::applyColorPalette(Palette palette) {
  for (const Page& p : std::as_const(pages_)) p.tab->setColorPalette(palette);
}

void MainWindow::setPatternChoice(const PatternChoice& choice) { controls_->setChoice(choice); }

Preset MainWindow::currentPreset(const QString& name) const {
  Preset preset;
  preset.name = name;
  preset.choice = controls_->choice();
  preset.from = paths_->from();
  preset.to = paths_->to();
  if (const ViewTab* tab = currentTab()) preset.view = tab->viewName();
  const int palette = static_cast<int>(palettes_->actions().indexOf(palettes_->checkedAction()));
  if (palette > 0) preset.palette = presetPalettes().value(palette);
  return preset;
}

bool MainWindow::showView(const QString& name) {
  for (const Page& p : std::as_const(pages_))
    if (p.tab->viewName() == name.toLower()) {
      setCurrentPage(p.page);
      return true;
    }
  return false;
}

void MainWindow::showResult(std::shared_ptr<const MaskResult> r) {
  result_ = std::move(r);
  stats_->setResult(*result_);
  showLayout_->setEnabled(result_->layoutPicture != nullptr);
  matrix_->setResult(result_);
  heads_->setResult(result_);
  tabs_->setTabEnabled(tabs_->indexOf(pageArea(heads_)), heads_->heads() > 1);
  compare_->setPrimary(result_);
  run_->setResult(result_);
}

void MainWindow::runWhenBuilt() {
  setCurrentPage(run_);
  if (result_ && result_->reach && !controller_->busy()) {
    QTimer::singleShot(0, run_, &RunPanel::run);
    return;
  }
  connect(controller_, &MaskController::reachabilityReady, run_, &RunPanel::run, Qt::SingleShotConnection);
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
  return currentTab()->exportTo(path, width, height, dpi, error);
}

QString MainWindow::exportCaption() const { return matrix_->exportCaption(); }

QString MainWindow::defaultExportName() const { return currentTab()->exportName() + QStringLiteral(".png"); }

QSize MainWindow::defaultExportSize(bool png) const {
  const ViewTab* tab = currentTab();
  const int columns = tab->exportColumns();
  return png ? tab->exportSize(std::max(2400, 2000 * columns), 300) : tab->exportSize(640 * columns, 96);
}

ExportCodeDialog* MainWindow::openExportCodeDialog(const QString& format) {
  static const QStringList formats = {
      QStringLiteral("flex"),      QStringLiteral("deepspeed"), QStringLiteral("deepspeed-json"),
      QStringLiteral("hf-config"), QStringLiteral("npy"),       QStringLiteral("layout-npy")};
  const qsizetype index = format.isEmpty() ? -1 : formats.indexOf(format);
  if (!format.isEmpty() && index < 0) return nullptr;
  if (exportCode_) exportCode_->close();  // one at a time, always on what is on screen now
  std::optional<LayerStack> stack;
  if (!model_->stack().layers.empty()) stack = model_->stack();
  std::optional<codegen::FittedModel> fitted;
  if (weights_->fits() && weights_->dump())
    fitted = codegen::fittedModel(*weights_->fits(), weights_->dump()->n(), 0, weights_->fitKeep(),
                                  QFileInfo(QString::fromStdString(weights_->dump()->path())).fileName().toStdString());
  exportCode_ = new ExportCodeDialog(controls_->choice(), std::move(stack), std::move(fitted), this);
  exportCode_->setAttribute(Qt::WA_DeleteOnClose);
  if (index >= 0) exportCode_->formatBox()->setCurrentIndex(static_cast<int>(index));
  exportCode_->show();
  return exportCode_;
}

void MainWindow::exportDialog() {
  QString filter;
  const QString path = QFileDialog::getSaveFileName(
      this, QStringLiteral("Export picture"), defaultExportName(),
      QStringLiteral("PNG image (*.png);;SVG drawing (*.svg);;PDF document (*.pdf)"), &filter);
  if (path.isEmpty()) return;
  const bool png = path.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive);
  const QSize size = defaultExportSize(png);
  QDialog dialog(this);
  dialog.setWindowTitle(QStringLiteral("Export size"));
  auto* form = new QFormLayout(&dialog);
  auto* width = new QSpinBox(&dialog);
  auto* height = new QSpinBox(&dialog);
  auto* dpi = new QSpinBox(&dialog);
  for (QSpinBox* s : {width, height}) s->setRange(16, 20000);
  width->setValue(size.width());
  height->setValue(size.height());
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
  if (copy->isChecked()) matrix_->map()->copyToClipboard(900, 800);
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
    settings.setValue(QStringLiteral("view/textSize"), TextSize::instance().factor());
    settings.setValue(QStringLiteral("pattern/last"), QJsonDocument(presetToJson(currentPreset(QString()))).toJson());
  }
  event->accept();
}

}  // namespace attnscope

#pragma once
// The main window: pattern controls in a dock on the left, the heatmap in the centre (and a grid of heads), the
// counts and an explanation in docks on the right. Docks can be moved; layout, pattern and parameters are
// restored at the next start.

#include <QMainWindow>
#include <QPointer>

#include <memory>
#include <utility>

#include "widgets/pattern/pattern_choice.h"
#include "widgets/shared/palettes.h"

class QActionGroup;
class QLabel;
class QProgressBar;
class QScrollArea;
class QDockWidget;
class QSpinBox;
class QTabWidget;
class QGridLayout;

namespace attnscope {

class CompareView;
class ExportCodeDialog;
class HeadsTab;
class HopsTab;
class MatrixTab;
class ViewTab;
class TaskRunner;
class ExplanationPanel;
class HeatmapView;
class HopProfileView;
class MaskController;
class ApproxPanel;
class WeightsPanel;
class ModelPanel;
class PathPanel;
class PatternControls;
class RunPanel;
class StatsPanel;
struct MaskResult;
struct PatternChoice;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  /// `restore`: read the last session from QSettings (off in tests).
  explicit MainWindow(bool restore = true, QWidget* parent = nullptr);
  ~MainWindow() override;

  HopProfileView* hopProfile() const;
  QSpinBox* hopQuery() const;
  /// The result on screen (with reachability once it has arrived). Tests find the window's parts by object name:
  /// "patternControls", "heatmap", "hopMap", "hopProfile", "hopQuery", "statsPanel", "pathPanel",
  /// "maskController", "compare", "run", "model", "tabs".
  std::shared_ptr<const MaskResult> result() const { return result_; }
  /// Applies a preset whole: the pattern with every parameter it leaves out at its default, n, the sentence, the
  /// path's query and key, the view, and the palette when it names one. Whatever came before, the state after is
  /// the one the preset alone gives.
  void loadPreset(const Preset& preset);
  /// What is on screen, as a preset named `name` would keep it (the palette only when it is not the default).
  Preset currentPreset(const QString& name) const;
  /// The page of the tab shown (the matrix page, the Model panel, …), inside its scroll area.
  QWidget* currentPage() const;
  /// The tab shown, as every tab presents itself to the window.
  ViewTab* currentTab() const;
  /// Sets the controls to a choice (the pattern, its parameters, n, the sentence) and nothing else.
  void setPatternChoice(const PatternChoice& choice);
  /// Reads, checks and loads a preset file; a bad one changes nothing and its message is shown inline. False then.
  bool openPresetFile(const QString& path);
  /// Opens a model's config.json in the Model tab (and shows it); a bad file changes nothing, says why there, false.
  bool openModelConfig(const QString& path);
  /// Opens a dump of attention weights in the Real attention tab (a bad file: the tab says why).
  bool openAttentionWeights(const QString& path);
  /// Opens the Real attention tab on a page (heads, fit, rollout) whose work runs once a dump is open.
  bool showWeightsPage(const QString& page);
  /// Brings a view to the front: "matrix", "hops", "heads", "compare", "run" or "model"; false for another name.
  bool showView(const QString& name);
  /// Shows the Run attention tab and presses Run as soon as the pattern on the left is built (with its counts).
  void runWhenBuilt();
  /// File → Export pattern as code…: opens the dialog (non-modal, one at a time) on the pattern on the left, with the
  /// Model tab's stack as a second source, on a format ("flex", "deepspeed", "deepspeed-json", "hf-config", "npy",
  /// "layout-npy"; empty keeps its default). Null for another format name.
  ExportCodeDialog* openExportCodeDialog(const QString& format = QString());
  /// Writes what the current tab shows (PNG, SVG or PDF by extension); false and a message on failure.
  bool exportPicture(const QString& path, int width, int height, int dpi, QString* error);
  /// The band over an exported matrix: its counts and, when one is shown, the path ("7 → 5 → 3 (2 hops)").
  QString exportCaption() const;
  /// The file name the export offers: what is shown and its n ("window-n16.png", "hf-bigbird-n1024-hops.png").
  QString defaultExportName() const;
  /// The size the export offers for a file of that ending: the current tab's maps with square cells, 2,000 pixels
  /// a map across (at least 2,400) at 300 dpi for PNG, 640 points a map for SVG and PDF.
  QSize defaultExportSize(bool png) const;

 protected:
  void closeEvent(QCloseEvent* event) override;
  /// Lets the menus' shortcuts through while a text or number box has focus (see the .cpp).
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  /// The tabs' pages, each inside a scroll area: add one, find its area, the one shown, show one.
  template <typename Tab>
  Tab* addTab(Tab* tab, const QString& title);
  void addPage(QWidget* page, ViewTab* tab, const QString& title);
  QScrollArea* pageArea(QWidget* page) const;
  void setCurrentPage(QWidget* page);
  /// Hides the right-hand docks on tabs they do not describe, and brings back those it hid.
  void fitDocksToTab();
  // Setup steps, in the order the constructor takes them.
  void buildTabs();
  void buildDocks();
  void buildStatusBar();
  void connectController();
  void connectViews();
  void buildMenus();
  void restoreSession();
  void showResult(std::shared_ptr<const MaskResult> result);
  void applyColorPalette(Palette palette);
  void openPreset();
  void savePreset();
  void exportDialog();
  QPointer<ExportCodeDialog> exportCode_;
  void about();

  PatternControls* controls_ = nullptr;
  MatrixTab* matrix_ = nullptr;
  HopsTab* hops_ = nullptr;
  HeadsTab* heads_ = nullptr;
  bool keepError_ = false;  ///< a preset that could not be opened: its message stays until the controls change
  StatsPanel* stats_ = nullptr;
  ExplanationPanel* explanation_ = nullptr;
  PathPanel* paths_ = nullptr;
  CompareView* compare_ = nullptr;
  RunPanel* run_ = nullptr;
  ModelPanel* model_ = nullptr;
  ApproxPanel* approx_ = nullptr;
  WeightsPanel* weights_ = nullptr;
  MaskController* controller_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QAction* showLayout_ = nullptr;
  struct Page {
    QScrollArea* area;  ///< what the tab widget holds
    QWidget* page;      ///< inside it
    ViewTab* tab;       ///< the same page, as a tab
  };
  QList<Page> pages_;
  QList<QDockWidget*> patternDocks_;  ///< the right-hand docks, which describe the pattern on the left
  QList<QDockWidget*> dockedAside_;   ///< those hidden while a tab that shows something else is up
  QActionGroup* palettes_ = nullptr;
  std::shared_ptr<const MaskResult> result_;
  bool restore_ = true;
};

}  // namespace attnscope

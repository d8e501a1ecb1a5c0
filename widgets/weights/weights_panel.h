#pragma once
// The Real attention tab: a model's own attention weights (a .npy or .npz dump, memory-mapped). A layer × head grid
// of small pictures with each head's role under it; one head large on a log colour scale, tokens on the axes, zoom
// as in the matrix view. Below, eight pages:
// - Heads: every head's entropy and masses. *Measure the pattern on the left* (or *the Model tab's stack*, layer ℓ
//   against layer ℓ) adds, per head, the mass that pattern keeps beside the best any pattern of its budget could
//   (top-k) and its density, coloured by value.
// - Best pattern: the cheapest window (both ways or causal, with or without the first token global) keeping a
//   chosen share of each head's mass, per head, per layer and for the whole model, and the selected head's Pareto
//   front.
// - What it costs (cost_page.h): the model running here with a substitute for its attention, and what it then says
//   differently.
// - Compress (compress_page.h): the model running here pruned, stripped of heads, halved or quantized in a copy, and
//   which heads and answers change, a row and a point a combination.
// - Tokens (tokens_page.h): one sentence in ten languages through the model's tokenizer (and another beside it):
//   tokens per word, n, and what n² costs attention against English.
// - Distil (distil_page.h): the model here as a teacher beside a student (a compressed copy, or a model from disk),
//   heads matched by the divergence of their attention, a matched pair side by side.
// - Rollout: attention rollout through the layers, of the real weights and of the weights restricted to what was
//   measured, and their difference; the restricted one's support is the pattern's multi-hop reachability.
// - Head anatomy: one head's steps of self-attention for one query, on the model's own vectors.
// Beside the dumps, a model run here: *Open model…* (a llama2.c checkpoint or a Hugging Face folder) or
// *stories260K* (shipped), and a text box. Each text (newest wins, 150 ms after the last key) runs the model off the
// GUI thread; its attention becomes the dump shown (written to a private temporary folder, memory-mapped like any
// other), labelled with the tokenizer's pieces, and the next token's likeliest choices (an encoder's words at its
// masks) are shown under the box; *Continue* adds a decoder's greedy continuation to the text. What was measured
// against the weights is measured again on the new text.
// Work runs on TaskRunners; a file that cannot be read changes nothing and says why.

#include <QWidget>

#include <memory>
#include <optional>

#include "engine/models/layer_stack.h"
#include "engine/runtime/inference.h"
#include "engine/weights/attention_dump.h"
#include "engine/weights/fit.h"
#include "engine/weights/head_stats.h"
#include "widgets/pattern/pattern_choice.h"
#include "widgets/shared/view_tab.h"

class QCheckBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;
class QTemporaryDir;
class QLabel;
class QPushButton;
class QTableWidget;
class QTabWidget;

namespace attnscope {

class CompressPage;
class CostPage;
class TokensPage;
class DistilPage;
class HeatmapView;
class ParetoChart;
class SparseMask;
class TaskRunner;

class WeightsPanel : public QWidget, public ViewTab {
  Q_OBJECT
 public:
  explicit WeightsPanel(QWidget* parent = nullptr);
  ~WeightsPanel() override;

  /// Opens a dump (and its tokens: `tokens`, or a sibling TOKENS file found beside it: <stem>-tokens.txt,
  /// tokens.txt or tokens.json). False, with the reason shown and nothing changed, when it cannot be read.
  bool openDump(const QString& path, const QString& tokens = {});
  /// The shipped synthetic example (resources/examples, labelled synthetic).
  bool openExample();
  /// Loads a model (a llama2.c checkpoint, its tokenizer beside it, or a Hugging Face folder) off the GUI thread and
  /// runs it on the text box's text; a model that cannot be opened changes nothing and the message says why.
  void openModel(const QString& path);
  /// The model that ships with the app (stories260K), on the text box's text.
  void openShippedModel();
  /// A decoder's greedy continuation (kContinueTokens tokens) added to the text, which then runs as typing does.
  void continueText();
  static constexpr int kContinueTokens = 8;
  QPushButton* continueButton() const { return continue_; }
  /// How long typing must pause before the model runs (150 ms; the benchmark sets 0 to time the run itself).
  void setTypingPause(int ms) { typingPause_ = ms; }
  /// Sets the text the model reads (and runs it, as typing does).
  void setModelText(const QString& text);
  /// When set, the first time the tab is shown with nothing open it opens the shipped model (the app does this;
  /// a panel made alone in a test does not).
  void setOpensShippedModel(bool opens) { opensShippedModel_ = opens; }
  /// The model running the text, or null.
  const RuntimeModel* model() const { return model_.get(); }
  /// What the model said of the text ("next: ▁ball 0.42 · …"), or empty.
  QString modelOutputs() const;
  /// Measures every head against this pattern, built at the dump's n.
  void measurePattern(const PatternChoice& choice);
  /// Measures every head against a model's stack, built at the dump's n: layer ℓ against layer ℓ (a one-layer
  /// stack: every layer).
  void measureStack(const LayerStack& stack);
  /// Fits the cheapest window keeping the share in the Best pattern page to every head.
  void fitHeads();
  /// Rolls the weights out through the layers (and, when something was measured, restricted to it).
  void rollOut();
  /// Shows head `head` of layer `layer` large (and its Pareto front, when fitted).
  void selectHead(Index layer, int head);
  /// Shows a page: "heads", "fit", "rollout", "anatomy", "cost", "compress", "tokens" or "distil" (false for another
  /// name). With
  /// `run`, that page's work starts as soon as a dump's figures are shown: the fit, the rollout against the pattern on
  /// the left, or (for a model run here) the sweep of the pattern on the left, or the Compress page's set.
  bool showPage(const QString& name, bool run = false);
  bool exportTo(const QString& path, int width, int height, int dpi, QString* error) override;
  QString viewName() const override { return QStringLiteral("weights"); }
  bool showsLeftPattern() const override { return false; }
  /// The heads' thumbnails are drawn in `palette` (the maps keep their log and diverging scales).
  void setColorPalette(Palette palette) override;
  QString exportName() const override { return QStringLiteral("attention-weights"); }

  // For tests and the main window.
  const AttentionDump* dump() const { return dump_.get(); }
  const WeightsReport* report() const { return report_.get(); }
  const std::vector<std::vector<HeadFit>>* fits() const { return fits_.get(); }
  /// The share the shown fits keep.
  double fitKeep() const { return fitKeep_; }
  QTableWidget* grid() const { return grid_; }
  QTableWidget* table() const { return table_; }
  QTableWidget* fitTable() const { return fitTable_; }
  QTableWidget* anatomyTable() const { return anatomyTable_; }
  ParetoChart* pareto() const { return pareto_; }
  CostPage* costPage() const { return cost_; }
  CompressPage* compressPage() const { return compress_; }
  TokensPage* tokensPage() const { return tokensPage_; }
  DistilPage* distilPage() const { return distil_; }
  HeatmapView* headView() const { return view_; }  ///< null until a dump is open
  /// The rollout maps (real, restricted, difference); null until the first rollout.
  HeatmapView* rolloutView(int which) const;
  /// Mean row L1 distance between the real and the restricted rollout (−1: none yet).
  double rolloutL1() const { return rolloutL1_; }
  QString message() const;
  std::pair<Index, int> selected() const { return {layer_, head_}; }

 signals:
  /// The user asked to measure the pattern chosen on the left (the main window answers with measurePattern).
  void patternRequested();
  /// The user asked to measure the Model tab's stack (the main window answers with measureStack).
  void stackRequested();
  /// A dump's figures are shown.
  void measured();

 protected:
  void showEvent(QShowEvent* event) override;
  QList<HeatmapView*> exportedMaps() const override;
  bool exportCaptioned() const override;

 private:
  void buildPages();
  void analyse();
  void showReport();
  void showFits();
  void showMessage(const QString& text, bool error);
  void makeRolloutViews();
  bool showDump(const QString& path, const QString& tokens);
  void showAnatomy();
  /// Runs the model (the one open, or the one at `path` loaded first) on the text box's text.
  void runModel(const QString& path = {});

  std::shared_ptr<const AttentionDump> dump_;  ///< shared with the tasks that read it
  std::vector<std::string> tokens_;
  std::optional<PatternChoice> pattern_;  ///< what is measured: a pattern …
  std::optional<LayerStack> stack_;       ///< … or a model's stack (at most one of the two)
  // The masks of what was measured, kept for the restricted rollout.
  std::shared_ptr<const SparseMask> mask_;
  std::shared_ptr<const std::vector<std::shared_ptr<const SparseMask>>> layerMasks_;
  QString against_;  ///< what was measured, in words
  std::shared_ptr<const WeightsReport> report_;
  Palette palette_ = Palette::Viridis;  ///< of the heads' thumbnails
  std::shared_ptr<const std::vector<std::vector<HeadFit>>> fits_;
  double fitKeep_ = 0.9;
  double rolloutL1_ = -1;
  QString autoRun_;  ///< a page whose work starts once a dump's figures are shown
  QString file_;
  Index layer_ = 0;
  int head_ = 0;
  std::shared_ptr<const RuntimeModel> model_;
  std::shared_ptr<const Inference> inference_;  ///< the model's last run, for the Head anatomy page
  QSpinBox* anatomyQuery_ = nullptr;
  bool anatomyChosen_ = false;  ///< the user picked the query: a new run keeps it (while it fits)
  QLabel* anatomyNote_ = nullptr;
  QTableWidget* anatomyTable_ = nullptr;
  TaskRunner* modelRunner_ = nullptr;
  QLineEdit* modelText_ = nullptr;
  QCheckBox* modelWords_ = nullptr;
  QPushButton* continue_ = nullptr;
  int typingPause_ = 150;
  QLabel* modelOutputs_ = nullptr;
  QPushButton* openModel_ = nullptr;
  QPushButton* shippedModel_ = nullptr;
  std::unique_ptr<QTemporaryDir> runs_;  ///< the model's dumps, one a run (an open dump stays mapped)
  int runCount_ = 0;
  bool opensShippedModel_ = false;
  QLabel* title_ = nullptr;
  QLabel* message_ = nullptr;
  QPushButton* open_ = nullptr;
  QPushButton* example_ = nullptr;
  QPushButton* measurePattern_ = nullptr;
  QPushButton* measureStack_ = nullptr;
  QTableWidget* grid_ = nullptr;
  QTabWidget* pages_ = nullptr;
  QTableWidget* table_ = nullptr;
  QDoubleSpinBox* keep_ = nullptr;
  QPushButton* fit_ = nullptr;
  QLabel* fitSummary_ = nullptr;
  QTableWidget* fitTable_ = nullptr;
  ParetoChart* pareto_ = nullptr;
  CostPage* cost_ = nullptr;
  CompressPage* compress_ = nullptr;
  TokensPage* tokensPage_ = nullptr;
  DistilPage* distil_ = nullptr;
  std::shared_ptr<const RuntimeModel> compressModel_;  ///< the model the Compress page's table was made with
  QPushButton* rollout_ = nullptr;
  QLabel* rolloutNote_ = nullptr;
  QWidget* rolloutHolder_ = nullptr;
  HeatmapView* rolloutViews_[3] = {nullptr, nullptr, nullptr};
  HeatmapView* view_ = nullptr;  ///< made with the first dump
  QWidget* viewHolder_ = nullptr;
  TaskRunner* runner_ = nullptr;
  TaskRunner* pictureRunner_ = nullptr;
  TaskRunner* fitRunner_ = nullptr;
  TaskRunner* rolloutRunner_ = nullptr;
};

}  // namespace attnscope

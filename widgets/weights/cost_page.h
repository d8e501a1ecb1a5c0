#pragma once
// The Real attention tab's What it costs page: the model running in the tab, run again with a substitute in place of
// its attention — the pattern chosen on the left (in every layer), the Model tab's stack (layer ℓ on layer ℓ) or the
// heads fitted on the Best pattern page (each head through its own) — and what it then says differently: top-1
// agreement of its predictions, the KL divergence of its distributions, a decoder's perplexity, each layer's drift,
// against the share of attention cells the substitute computes and the time of both passes.
// - Measure: the substitute on the chosen text (the text above, a shipped sample, or a file; a text longer than the
//   model's positions is measured window by window, the stride said).
// - Sweep: the pattern on the left over a list of one parameter's values; each budget is a point on the trade-off
//   chart as it comes, with the full model at (100%, 1) and the Pareto front.
// - Per layer: the substitute in one layer at a time; a row of bars, one a layer, filling as it goes.
// Everything runs on the page's TaskRunner (newest wins, Cancel stops it); what cannot run is one inline line.
// Export writes the measures as JSON (attnscope-cli evaluate's keys) or both charts as a PNG.

#include <QWidget>

#include <functional>
#include <memory>
#include <vector>

#include "engine/models/layer_stack.h"
#include "engine/runtime/inference.h"
#include "widgets/weights/page_parts.h"
#include "engine/runtime/substitute.h"
#include "engine/weights/fit.h"
#include "widgets/pattern/pattern_choice.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace attnscope {

class LayerChart;
class TextChoice;
class TaskRunner;
class TradeOffChart;

class CostPage : public QWidget {
  Q_OBJECT
 public:
  enum class Source { Pattern = 0, Stack = 1, Fit = 2, Approx = 3 };
  using ParamTexts = std::vector<std::pair<std::string, std::string>>;

  explicit CostPage(QWidget* parent = nullptr);
  ~CostPage() override;

  /// Where substitutes come from (the main window gives them): the pattern chosen on the left, the Model tab's
  /// stack, and the Approximate tab's method with its parameters.
  void setSources(std::function<PatternChoice()> pattern, std::function<LayerStack()> stack,
                  std::function<std::pair<std::string, ParamTexts>()> approx = {});
  /// The model running in the tab (or null) and where the text above comes from.
  void setModel(std::shared_ptr<const RuntimeModel> model, std::function<QString()> textAbove);
  /// The Best pattern page's fits and the n of the text they were made on (null: none).
  void setFits(std::shared_ptr<const std::vector<std::vector<HeadFit>>> fits, Index n);

  void setSource(Source source);
  /// The text measured: "" for the text above, or a shipped sample's name (TextChoice::sampleNames()). False for
  /// another name.
  bool setSample(const QString& name);
  /// A text from a UTF-8 file (at most 1 MB); false, with the reason shown, when it cannot be read.
  bool setTextFile(const QString& path);
  /// The sweep: a parameter of the pattern on the left and its values ("0,1,2,4,8").
  void setSweep(const QString& key, const QString& values);

  void measure();
  void sweep();
  void perLayer();
  void cancel();
  /// .json: the measures, as attnscope-cli evaluate --json writes them (a sweep's rows, the per-layer rows);
  /// .png: the two charts side by side. False with `error` set when it cannot.
  bool exportTo(const QString& path, QString* error) const;

  /// As small as it can be: the page takes the room the tab gives it (its charts stretch), and does not make the
  /// tab taller than the window.
  QSize sizeHint() const override { return minimumSizeHint(); }

  // For tests.
  QString summary() const;
  QString message() const;
  QString note() const;
  bool busy() const;
  TradeOffChart* tradeOff() const { return tradeOff_; }
  LayerChart* layerChart() const { return layers_; }
  QPushButton* cancelButton() const { return cancel_; }

 signals:
  /// A measurement, sweep or per-layer run ended, however it ended.
  void ended();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  /// What a run needs, gathered on the GUI thread.
  struct Request {
    std::shared_ptr<const RuntimeModel> model;
    std::string text;
    QString label;                               ///< the substitute, in words
    QString note;                                ///< what to know about it (an approximation's)
    std::function<Substitute(Index n)> masksAt;  ///< throws Error for what cannot be made at n
    /// The same substitute with one parameter set otherwise (a sweep's budget); null when nothing can vary.
    /// Throws Error for a parameter or value it does not take.
    std::function<std::function<Substitute(Index n)>(const std::string& key, const std::string& value)> vary;
  };
  /// The request for the chosen substitute and text, or nothing (the reason shown).
  std::optional<Request> request(Source source);
  std::optional<std::string> chosenText();
  void showMessage(const QString& text);
  void showMeasures(const QString& label, const SubstituteMeasures& m, Index tokens, Index window, Index stride,
                    const QString& approxNote);
  void sourceChanged();
  QStringList sweepKeys() const;

  std::function<PatternChoice()> pattern_;
  std::function<LayerStack()> stack_;
  std::function<std::pair<std::string, ParamTexts>()> approx_;
  std::shared_ptr<const RuntimeModel> model_;
  std::shared_ptr<const std::vector<std::vector<HeadFit>>> fits_;
  Index fitsN_ = 0;
  struct Row {
    QString label;
    SubstituteMeasures measures;
  };
  std::vector<Row> rows_;      ///< the last measurement or sweep
  std::vector<Row> perLayer_;  ///< the last per-layer run
  QString sweepKey_;
  TaskRunner* runner_ = nullptr;
  QComboBox* source_ = nullptr;
  TextChoice* text_ = nullptr;
  QComboBox* sweepKeyBox_ = nullptr;
  QLineEdit* sweepValues_ = nullptr;
  QComboBox* quality_ = nullptr;
  QPushButton* measure_ = nullptr;
  QPushButton* sweep_ = nullptr;
  QPushButton* perLayerButton_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QPushButton* export_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* summary_ = nullptr;
  QLabel* note_ = nullptr;
  QLabel* message_ = nullptr;
  PageLines lines_;
  TradeOffChart* tradeOff_ = nullptr;
  LayerChart* layers_ = nullptr;
};

}  // namespace attnscope

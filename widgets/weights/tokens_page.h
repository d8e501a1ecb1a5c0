#pragma once
// The Real attention tab's Tokens page (issue 25): why tokenizers decide n. The same sentence in ten languages (the
// shipped set, or lines typed or pasted) through the running model's tokenizer and, side by side, another tokenizer
// opened by itself: per language the tokens per word and per character, the pieces it could not spell (unknown, or
// raw bytes), n, and what attention pays for that n — n² cells a head against the first line's, the model's FLOPs —
// in a table and a bar chart; the selected line's pieces spelt out below.

#include <QWidget>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "engine/runtime/fertility.h"
#include "engine/runtime/inference.h"
#include "widgets/weights/page_parts.h"

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QTextEdit;

namespace attnscope {

class TaskRunner;

/// Bars a line (language): n² against the first line's, for one tokenizer or two side by side.
class FertilityChart : public QWidget {
  Q_OBJECT
 public:
  explicit FertilityChart(QWidget* parent = nullptr);
  ~FertilityChart() override;
  /// `series`: (tokenizer name, one value a line); at most two.
  void setBars(const QStringList& lines, const std::vector<std::pair<QString, std::vector<double>>>& series,
               const QString& title);
  QPixmap picture(int width, int height) const;
  int series() const;
  double value(int series, int line) const;

 private:
  struct Private;
  std::unique_ptr<Private> d_;
};

class TokensPage : public QWidget {
  Q_OBJECT
 public:
  explicit TokensPage(QWidget* parent = nullptr);
  ~TokensPage() override;

  /// The model running in the tab (or null): its tokenizer is the first.
  void setModel(std::shared_ptr<const RuntimeModel> model);
  /// A second tokenizer to compare (a tokenizer.json or a folder of tokenizer files); false with the reason shown.
  bool openSecond(const QString& path);
  void clearSecond();
  /// The lines counted: the shipped set (true) or the lines in the box (false, one sample a line, words at spaces).
  void useSampleSet(bool samples);
  void setLines(const QString& text);
  void count();
  /// .json: both tokenizers' rows (tokens' keys); .png: the chart. False with `error` set.
  bool exportTo(const QString& path, QString* error) const;

  QSize sizeHint() const override { return minimumSizeHint(); }

  // For tests.
  bool busy() const;
  QString message() const { return lines_.messageText(); }
  QString summary() const;
  QTableWidget* table() const { return table_; }
  FertilityChart* chart() const { return chart_; }
  QString pieces() const;
  const std::vector<TokenCount>& counts(int tokenizer) const { return tokenizer == 0 ? first_ : second_; }

 signals:
  void ended();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  std::optional<std::vector<LanguageSample>> chosenSamples();
  void show(std::vector<TokenCount> first, std::vector<TokenCount> second);
  void showPieces(int row);

  std::shared_ptr<const RuntimeModel> model_;
  std::optional<OpenedTokenizer> secondTokenizer_;
  std::vector<TokenCount> first_, second_;
  TaskRunner* runner_ = nullptr;
  QComboBox* linesBox_ = nullptr;
  QPlainTextEdit* edit_ = nullptr;
  QPushButton* count_ = nullptr;
  QPushButton* open_ = nullptr;
  QPushButton* clear_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QPushButton* export_ = nullptr;
  QProgressBar* progress_ = nullptr;
  PageLines lines_;
  QTableWidget* table_ = nullptr;
  FertilityChart* chart_ = nullptr;
  QTextEdit* pieces_ = nullptr;
};

}  // namespace attnscope

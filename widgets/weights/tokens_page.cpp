#include "widgets/weights/tokens_page.h"

#include <qcustomplot.h>

#include <QFile>
#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTextEdit>
#include <QVBoxLayout>

#include <cmath>

#include "engine/io/atomic_file.h"
#include "engine/tokenizers/unicode_text.h"
#include "engine/util/error.h"
#include "widgets/shared/chart_frame.h"
#include "widgets/shared/number_text.h"
#include "widgets/shared/resources.h"
#include "widgets/shared/task_runner.h"

namespace attnscope {

namespace {

constexpr int kSampleSet = 0;

// The shipped set, read from the resources (the same file `attnscope-cli tokens --samples` reads).
std::vector<LanguageSample> shippedSamples() {
  initResources();
  QFile file(QStringLiteral(":/texts/one-sentence-ten-languages.json"));
  if (!file.open(QIODevice::ReadOnly)) throw Error("the sample set is missing from this build");
  const QByteArray bytes = file.readAll();
  return parseLanguageSamples(std::string_view(bytes.constData(), std::size_t(bytes.size())), "the shipped sample set");
}

// Lines typed in the box: one sample a line ("Label: text" names it), its words cut at spaces.
std::vector<LanguageSample> typedSamples(const QString& text) {
  std::vector<LanguageSample> out;
  const QStringList lines = text.split(QLatin1Char('\n'));
  if (lines.size() > 100) throw Error("at most 100 lines are counted; this box has " + std::to_string(lines.size()));
  for (const QString& raw : lines) {
    QString line = raw.trimmed();
    if (line.isEmpty()) continue;
    QString label = QStringLiteral("line %1").arg(out.size() + 1);
    if (const int colon = int(line.indexOf(QStringLiteral(": "))); colon > 0 && colon <= 24) {
      label = line.left(colon);
      line = line.mid(colon + 2).trimmed();
    }
    if (line.toUtf8().size() > 4096) throw Error(label.toStdString() + " is longer than 4,096 bytes");
    LanguageSample s{label.toStdString(), "", "", line.toStdString(), {}};
    for (const QString& w : line.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
      bool letters = false;
      for (char32_t cp : unicode::decode(w.toStdString())) letters |= unicode::isLetter(cp) || unicode::isNumber(cp);
      if (letters) s.words.push_back(w.toStdString());
    }
    if (s.words.empty()) throw Error(label.toStdString() + " has no words: letters or digits are needed");
    out.push_back(std::move(s));
  }
  if (out.empty()) throw Error("the box is empty: type or paste a line a language, or choose the shipped set");
  return out;
}

QString describeTokenizer(const RuntimeModel& m) {
  return QStringLiteral("the model's (%1)").arg(QString::fromStdString(m.tokenizerPath).section(QLatin1Char('/'), -1));
}

}  // namespace

struct FertilityChart::Private {
  QCustomPlot* plot = nullptr;
  QCPTextElement* title = nullptr;
  QCPBarsGroup* group = nullptr;
  std::vector<QCPBars*> bars;
  std::vector<std::vector<double>> values;
};

FertilityChart::FertilityChart(QWidget* parent) : QWidget(parent), d_(std::make_unique<Private>()) {
  d_->plot = makeTitledPlot(this, d_->title);
  d_->plot->setMinimumSize(300, 110);
  d_->plot->yAxis->setLabel(QStringLiteral("attention cells, × the first line's (n²)"));
  d_->plot->xAxis->grid()->setVisible(false);
  d_->group = new QCPBarsGroup(d_->plot);
  placeLegendBelow(d_->plot, 2);
}

FertilityChart::~FertilityChart() = default;

void FertilityChart::setBars(const QStringList& lines,
                             const std::vector<std::pair<QString, std::vector<double>>>& series, const QString& title) {
  for (QCPBars* b : d_->bars) {
    d_->group->remove(b);
    d_->plot->removePlottable(b);
  }
  d_->bars.clear();
  d_->values.clear();
  d_->title->setText(title);
  const QColor colours[2] = {QColor(0x21, 0x90, 0x8d), QColor(0xfd, 0xae, 0x61)};
  double hi = 1;
  for (std::size_t s = 0; s < std::min<std::size_t>(2, series.size()); ++s) {
    auto* bars = new QCPBars(d_->plot->xAxis, d_->plot->yAxis);
    bars->setName(series[s].first);
    bars->setPen(Qt::NoPen);
    bars->setBrush(colours[s]);
    bars->setWidth(0.8 / double(std::min<std::size_t>(2, series.size())));
    bars->setBarsGroup(d_->group);
    for (std::size_t i = 0; i < series[s].second.size(); ++i) {
      bars->addData(double(i), series[s].second[i]);
      hi = std::max(hi, series[s].second[i]);
    }
    d_->bars.push_back(bars);
    d_->values.push_back(series[s].second);
  }
  auto ticker = QSharedPointer<QCPAxisTickerText>::create();
  for (int i = 0; i < int(lines.size()); ++i) ticker->addTick(i, lines[i]);
  d_->plot->xAxis->setTicker(ticker);
  d_->plot->xAxis->setTickLabelRotation(lines.size() > 6 ? 35 : 0);
  d_->plot->xAxis->setRange(-0.6, double(lines.size()) - 0.4);
  d_->plot->yAxis->setRange(0, hi * 1.12);
  d_->plot->legend->setVisible(!d_->bars.empty());
  d_->plot->replot(QCustomPlot::rpQueuedReplot);
}

QPixmap FertilityChart::picture(int width, int height) const { return d_->plot->toPixmap(width, height); }
int FertilityChart::series() const { return int(d_->values.size()); }
double FertilityChart::value(int series, int line) const { return d_->values[std::size_t(series)][std::size_t(line)]; }

TokensPage::TokensPage(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  linesBox_ = new QComboBox(this);
  linesBox_->setObjectName(QStringLiteral("tokensLines"));
  linesBox_->addItems({QStringLiteral("one sentence in ten languages"), QStringLiteral("the lines below")});
  linesBox_->setToolTip(QStringLiteral(
      "the shipped set (the same sentence written in ten languages and nine scripts, its words cut by hand), or "
      "your own lines: one a language, \"Label: text\" names it, words at spaces"));
  count_ = pageButton(this, QStringLiteral("Count"), "tokensCount", QStringLiteral("tokenize every line and count"));
  open_ = pageButton(this, QStringLiteral("Compare with…"), "tokensOpen",
                     QStringLiteral("a second tokenizer beside the model's: a tokenizer.json, or a folder with one "
                                    "(or with vocab.txt, or vocab.json and merges.txt)"));
  clear_ = pageButton(this, QStringLiteral("Model's only"), "tokensClear", QStringLiteral("drop the second tokenizer"));
  cancel_ = pageButton(this, QStringLiteral("Cancel"), "tokensCancel", QStringLiteral("stop counting"));
  cancel_->setEnabled(false);
  export_ = pageButton(this, QStringLiteral("Export…"), "tokensExport",
                       QStringLiteral("the counts as JSON (tokens' keys), or the chart as a PNG"));
  progress_ = pageProgress(this);
  bar->addWidget(new QLabel(QStringLiteral("Lines"), this));
  bar->addWidget(linesBox_);
  bar->addWidget(count_);
  bar->addWidget(open_);
  bar->addWidget(clear_);
  bar->addWidget(cancel_);
  bar->addWidget(export_);
  bar->addWidget(progress_);
  bar->addStretch(1);
  layout->addLayout(bar);
  edit_ = new QPlainTextEdit(this);
  edit_->setObjectName(QStringLiteral("tokensEdit"));
  edit_->setPlaceholderText(
      QStringLiteral("English: The little girl saw a red kite.\nFrench: La petite fille a vu un "
                     "cerf-volant rouge."));
  edit_->setMaximumHeight(4 * fontMetrics().height());
  edit_->hide();
  layout->addWidget(edit_);
  lines_ = addPageLines(this, layout, QStringLiteral("tokens"));

  auto* views = new QHBoxLayout;
  table_ = new QTableWidget(0, 0, this);
  table_->setObjectName(QStringLiteral("tokensTable"));
  table_->verticalHeader()->hide();
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->setMinimumHeight(4 * fontMetrics().height());  // it grows with the room; the page fits 1280 × 720
  chart_ = new FertilityChart(this);
  chart_->setObjectName(QStringLiteral("tokensChart"));
  views->addWidget(table_, 3);
  views->addWidget(chart_, 2);
  layout->addLayout(views, 1);
  pieces_ = new QTextEdit(this);
  pieces_->setObjectName(QStringLiteral("tokensPieces"));
  pieces_->setReadOnly(true);
  pieces_->setMinimumHeight(int(2.6 * fontMetrics().height()));
  pieces_->setMaximumHeight(int(4.6 * fontMetrics().height()));
  layout->addWidget(pieces_);

  runner_ = new TaskRunner(this);
  showRunnerOn(runner_, this, cancel_, progress_, lines_, [this] { emit ended(); });
  connect(count_, &QPushButton::clicked, this, &TokensPage::count);
  connect(linesBox_, &QComboBox::currentIndexChanged, this, [this](int index) {
    edit_->setVisible(index != kSampleSet);
    if (index != kSampleSet && edit_->toPlainText().trimmed().isEmpty()) {
      // Start from the shipped sentences, to edit.
      QStringList lines;
      try {
        for (const LanguageSample& s : shippedSamples())
          lines << QString::fromStdString(s.language) + QStringLiteral(": ") + QString::fromStdString(s.text);
      } catch (const Error&) {
      }
      edit_->setPlainText(lines.join(QLatin1Char('\n')));
    }
    count();
  });
  connect(open_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getExistingDirectory(
        this, QStringLiteral("A folder with a tokenizer (tokenizer.json, vocab.txt, or vocab.json and merges.txt)"));
    if (!path.isEmpty() && openSecond(path)) count();
  });
  connect(clear_, &QPushButton::clicked, this, [this] {
    clearSecond();
    count();
  });
  connect(cancel_, &QPushButton::clicked, runner_, &TaskRunner::cancel);
  connect(table_, &QTableWidget::currentCellChanged, this, [this](int row) { showPieces(row); });
  connect(export_, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getSaveFileName(this, QStringLiteral("Export the counts"), QStringLiteral("tokens.json"),
                                     QStringLiteral("Counts (*.json);;Chart (*.png)"));
    QString error;
    if (!path.isEmpty() && !exportTo(path, &error)) lines_.showMessage(error);
  });
  lines_.summary->setText(QStringLiteral(
      "Tokens are what attention pays for, n² a head: the same sentence costs more in a language the tokenizer "
      "splits finely. Open a model above, then Count."));
  lines_.note->setText(QStringLiteral(
      "/word: tokens per word, the tokenizer's fertility. Bytes: pieces that spell a character it has no piece for as "
      "its UTF-8 bytes; Unk.: pieces it could not spell at all. Cells: n² against the first line's, the square of n's "
      "ratio. ² columns: the second tokenizer."));
}

TokensPage::~TokensPage() = default;

void TokensPage::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (model_ && first_.empty() && !runner_->busy()) count();  // counted when first looked at
}

void TokensPage::setModel(std::shared_ptr<const RuntimeModel> model) {
  model_ = std::move(model);
  first_.clear();
  second_.clear();
  table_->setRowCount(0);
  chart_->setBars({}, {}, QString());
  pieces_->clear();
  if (model_ && isVisible()) count();
}

bool TokensPage::openSecond(const QString& path) {
  try {
    secondTokenizer_ = openTokenizer(path.toStdString());
  } catch (const std::exception& e) {
    lines_.showMessage(QString::fromUtf8(e.what()));
    return false;
  }
  lines_.showMessage({});
  return true;
}

void TokensPage::clearSecond() { secondTokenizer_.reset(); }

void TokensPage::useSampleSet(bool samples) { linesBox_->setCurrentIndex(samples ? kSampleSet : 1); }

void TokensPage::setLines(const QString& text) {
  const QSignalBlocker block(linesBox_);
  edit_->setPlainText(text);
  linesBox_->setCurrentIndex(1);
  edit_->show();
}

bool TokensPage::busy() const { return runner_->busy(); }
QString TokensPage::summary() const { return lines_.summary->text(); }
QString TokensPage::pieces() const { return pieces_->toPlainText(); }

std::optional<std::vector<LanguageSample>> TokensPage::chosenSamples() {
  try {
    return linesBox_->currentIndex() == kSampleSet ? shippedSamples() : typedSamples(edit_->toPlainText());
  } catch (const Error& e) {
    lines_.showMessage(QString::fromUtf8(e.what()));
    return std::nullopt;
  }
}

void TokensPage::count() {
  lines_.showMessage({});
  if (!model_) {
    lines_.showMessage(
        QStringLiteral("no model is running: press stories260K or Open model… above; its tokenizer is "
                       "the one counted"));
    return;
  }
  const std::optional<std::vector<LanguageSample>> samples = chosenSamples();
  if (!samples) return;
  const std::shared_ptr<const RuntimeModel> model = model_;
  const std::shared_ptr<const TextTokenizer> second = secondTokenizer_ ? secondTokenizer_->tokenizer : nullptr;
  runner_->start([this, model, second, samples = *samples](const TaskRunner::Context& context) {
    std::vector<TokenCount> a = countTokens(*model->tokenizer, model->model.get(), samples);
    context.progress().report(0.5);
    context.progress().throwIfCancelled();
    std::vector<TokenCount> b = second ? countTokens(*second, nullptr, samples) : std::vector<TokenCount>{};
    return std::function<void()>(
        [this, a = std::move(a), b = std::move(b)]() mutable { show(std::move(a), std::move(b)); });
  });
}

void TokensPage::show(std::vector<TokenCount> first, std::vector<TokenCount> second) {
  first_ = std::move(first);
  second_ = std::move(second);
  const bool two = !second_.empty();
  QStringList headers{QStringLiteral("Line"),  QStringLiteral("Script"), QStringLiteral("Words"),
                      QStringLiteral("Chars"), QStringLiteral("Tokens"), QStringLiteral("n"),
                      QStringLiteral("/word"), QStringLiteral("/char"),  QStringLiteral("Bytes"),
                      QStringLiteral("Unk."),  QStringLiteral("Cells")};
  if (two)
    headers << QStringLiteral("Tokens²") << QStringLiteral("/word²") << QStringLiteral("Bytes²")
            << QStringLiteral("Unk.²") << QStringLiteral("Cells²");
  table_->clear();
  table_->setColumnCount(int(headers.size()));
  table_->setHorizontalHeaderLabels(headers);
  table_->setRowCount(int(first_.size()));
  for (int r = 0; r < int(first_.size()); ++r) {
    const TokenCount& c = first_[std::size_t(r)];
    QStringList cells{QString::fromStdString(c.language),
                      QString::fromStdString(c.script),
                      QString::number(c.words),
                      QString::number(c.characters),
                      QString::number(c.tokens),
                      QString::number(c.n),
                      fixedText(c.perWord, 2),
                      fixedText(c.perCharacter, 2),
                      QString::number(c.bytePieces),
                      QString::number(c.unknown),
                      fixedText(c.cellsRatio, 1) + QStringLiteral("×")};
    if (two) {
      const TokenCount& d = second_[std::size_t(r)];
      cells << QString::number(d.tokens) << fixedText(d.perWord, 2) << QString::number(d.bytePieces)
            << QString::number(d.unknown) << fixedText(d.cellsRatio, 1) + QStringLiteral("×");
    }
    for (int c2 = 0; c2 < int(cells.size()); ++c2) {
      auto* item = new QTableWidgetItem(cells[c2]);
      if (c2 >= 2) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      table_->setItem(r, c2, item);
    }
  }
  QStringList names;
  std::vector<double> cellsA, cellsB;
  for (const TokenCount& c : first_) names << QString::fromStdString(c.language), cellsA.push_back(c.cellsRatio);
  for (const TokenCount& c : second_) cellsB.push_back(c.cellsRatio);
  const QString firstName = describeTokenizer(*model_);
  std::vector<std::pair<QString, std::vector<double>>> series{{firstName, cellsA}};
  if (two) series.push_back({QString::fromStdString(secondTokenizer_->described), cellsB});
  chart_->setBars(names, series,
                  QStringLiteral("n² against %1's")
                      .arg(first_.empty() ? QString() : QString::fromStdString(first_.front().language)));
  // The summary: the dearest line against the first.
  if (!first_.empty()) {
    std::size_t dearest = 0;
    for (std::size_t i = 1; i < first_.size(); ++i)
      if (first_[i].cellsRatio > first_[dearest].cellsRatio) dearest = i;
    const TokenCount& a = first_.front();
    const TokenCount& b = first_[dearest];
    QString text = QStringLiteral(
                       "With %1, %2 takes n = %3 and %4 n = %5: %6 times the attention cells (%7 tokens a "
                       "word against %8).")
                       .arg(firstName, QString::fromStdString(a.language))
                       .arg(a.n)
                       .arg(QString::fromStdString(b.language))
                       .arg(b.n)
                       .arg(fixedText(b.cellsRatio, 1), fixedText(b.perWord, 2), fixedText(a.perWord, 2));
    if (b.passFlops && a.passFlops)
      text += QStringLiteral(" The whole pass: %1 against %2 MFLOP.")
                  .arg(fixedText(*b.passFlops / 1e6, 1), fixedText(*a.passFlops / 1e6, 1));
    lines_.summary->setText(text);
  }
  table_->setCurrentCell(0, 0);
  showPieces(0);
}

void TokensPage::showPieces(int row) {
  if (row < 0 || row >= int(first_.size())) {
    pieces_->clear();
    return;
  }
  auto spell = [](const TokenCount& c) {
    QStringList out;
    for (const std::string& p : c.pieces) {
      const QString piece = QString::fromStdString(p).toHtmlEscaped();
      const bool byte = p.size() == 6 && p.rfind("<0x", 0) == 0;
      out << (byte ? QStringLiteral("<span style=\"color:#b00020\">%1</span>").arg(piece) : piece);
    }
    return out.join(QStringLiteral(" │ "));
  };
  QString html = QStringLiteral("<b>%1</b>, %2 pieces: %3")
                     .arg(QString::fromStdString(first_[std::size_t(row)].language).toHtmlEscaped())
                     .arg(first_[std::size_t(row)].n)
                     .arg(spell(first_[std::size_t(row)]));
  if (row < int(second_.size()))
    html += QStringLiteral("<br><b>%1</b>, %2 pieces: %3")
                .arg(QString::fromStdString(secondTokenizer_ ? secondTokenizer_->described : "").toHtmlEscaped())
                .arg(second_[std::size_t(row)].n)
                .arg(spell(second_[std::size_t(row)]));
  pieces_->setHtml(html);
}

bool TokensPage::exportTo(const QString& path, QString* error) const {
  try {
    if (path.endsWith(QStringLiteral(".png"), Qt::CaseInsensitive)) {
      writePng(path, chart_->picture(1200, 700));
      return true;
    }
    if (!path.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive))
      throw Error("export to a .json (the counts) or a .png (the chart), not '" + path.toStdString() + "'");
    auto rows = [](const std::vector<TokenCount>& counts) {
      QJsonArray out;
      for (const TokenCount& c : counts) {
        QJsonArray pieces;
        for (const std::string& p : c.pieces) pieces.append(QString::fromStdString(p));
        out.append(QJsonObject{{QStringLiteral("language"), QString::fromStdString(c.language)},
                               {QStringLiteral("words"), double(c.words)},
                               {QStringLiteral("characters"), double(c.characters)},
                               {QStringLiteral("tokens"), double(c.tokens)},
                               {QStringLiteral("n"), double(c.n)},
                               {QStringLiteral("tokens_per_word"), c.perWord},
                               {QStringLiteral("tokens_per_character"), c.perCharacter},
                               {QStringLiteral("byte_pieces"), double(c.bytePieces)},
                               {QStringLiteral("unknown"), double(c.unknown)},
                               {QStringLiteral("cells_vs_first"), c.cellsRatio},
                               {QStringLiteral("pieces"), pieces}});
      }
      return out;
    };
    QJsonObject root{{QStringLiteral("rows"), rows(first_)}};
    if (!second_.empty()) {
      root.insert(QStringLiteral("compare_rows"), rows(second_));
      root.insert(QStringLiteral("compare_tokenizer"), QString::fromStdString(secondTokenizer_->described));
    }
    writeFileAtomically(path.toStdString(), QJsonDocument(root).toJson().toStdString());
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromUtf8(e.what());
    return false;
  }
}

}  // namespace attnscope

// The Real attention tab driven as a user would: open the synthetic example, read each head's role in the grid and
// the table, click a head to see it large, measure the pattern chosen on the left, refuse a bad file in one line.
#include <array>
#include <cmath>
#include <cstring>
#include <algorithm>

#include <QCheckBox>
#include <QComboBox>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QDir>
#include <QFileInfo>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QSlider>
#include <QSpinBox>
#include <QPushButton>
#include <QTableWidget>
#include <QTemporaryDir>

#include "tests/widgets/window_fixture.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/model/model_panel.h"
#include "engine/runtime/substitute.h"
#include "widgets/approx/approx_panel.h"
#include "widgets/weights/cost_charts.h"
#include "widgets/weights/compress_page.h"
#include "widgets/weights/cost_page.h"
#include "widgets/weights/distil_page.h"
#include "widgets/weights/tokens_page.h"
#include "widgets/weights/pareto_chart.h"
#include "widgets/weights/weights_panel.h"
#include "tests/shared/backwards_tokenizer.h"

namespace attnscope {
namespace {

class WeightsTabTest : public MainWindowTest {
 protected:
  WeightsPanel* panel() { return part<WeightsPanel>(w(), "weights"); }
  bool openExample() {
    w().showView(QStringLiteral("weights"));
    if (!panel()->openExample()) return false;
    return waitForBackground(*panel()) && panel()->report() != nullptr;
  }
  /// stories260K running on a short sentence, the page `name` shown.
  void openShippedModelOn(const QString& name) {
    w().showView(QStringLiteral("weights"));
    panel()->setModelText(QStringLiteral("Lily saw a big red ball"));
    panel()->openShippedModel();
    ASSERT_TRUE(waitUntil([&] { return panel()->model() && panel()->report(); })) << panel()->message().toStdString();
    ASSERT_TRUE(waitForBackground(*panel()));
    ASSERT_TRUE(panel()->showPage(name));
  }
  /// The tokens of the shipped story "The red kite" for the model running here.
  std::vector<int> storyIds() {
    QFile file(QStringLiteral(ATTNSCOPE_TEXTS_DIR "/the-red-kite.txt"));
    EXPECT_TRUE(file.open(QIODevice::ReadOnly));
    return encodeText(*panel()->model(), QString::fromUtf8(file.readAll()).trimmed().toStdString());
  }
};

TEST_F(WeightsTabTest, TheSyntheticExampleShowsEveryHeadAndItsRole) {
  ASSERT_TRUE(openExample()) << panel()->message().toStdString();
  EXPECT_TRUE(part<QLabel>(w(), "weightsTitle")->text().contains(QStringLiteral("SYNTHETIC")));
  QTableWidget* grid = panel()->grid();
  ASSERT_EQ(grid->rowCount(), 4);
  ASSERT_EQ(grid->columnCount(), 5);
  for (int l = 0; l < 4; ++l) {
    EXPECT_EQ(grid->item(l, 0)->data(Qt::UserRole).toString(), QStringLiteral("diagonal"));
    EXPECT_EQ(grid->item(l, 1)->data(Qt::UserRole).toString(), QStringLiteral("previous-token"));
    EXPECT_EQ(grid->item(l, 2)->data(Qt::UserRole).toString(), QStringLiteral("first-token sink"));
    EXPECT_EQ(grid->item(l, 3)->data(Qt::UserRole).toString(), QString()) << "blocks: no single role";
    EXPECT_EQ(grid->item(l, 4)->data(Qt::UserRole).toString(), QStringLiteral("broad"));
    EXPECT_EQ(grid->item(l, 1)->text(), QStringLiteral("prev"));
    EXPECT_FALSE(grid->item(l, 0)->icon().isNull());
  }
  EXPECT_EQ(panel()->table()->rowCount(), 20);
  EXPECT_EQ(panel()->headView()->title(), QStringLiteral("layer 0, head 0"));
  EXPECT_EQ(panel()->headView()->tokens(), 64);
  // Clicking a head shows it large: its picture holds the head's own weights (n = 64: a cell a weight).
  const QRect cell = grid->visualRect(grid->model()->index(2, 1));
  QTest::mouseClick(grid->viewport(), Qt::LeftButton, {}, cell.center());
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(panel()->headView()->title(), QStringLiteral("layer 2, head 1"));
  std::vector<float> row(64);
  panel()->dump()->row(2, 1, 10, row.data());
  EXPECT_NEAR(panel()->headView()->pictureValue(10, 9), row[9], 1e-6);
  EXPECT_GT(row[9], 0.5f) << "the previous-token head's weight on token 9 from token 10";
}

TEST_F(WeightsTabTest, ThePatternOnTheLeftIsMeasuredOnEveryHead) {
  ASSERT_TRUE(openExample());
  PatternChoice c;
  c.pattern = QStringLiteral("window");
  c.params = {{QStringLiteral("radius"), QStringLiteral("1")}, {QStringLiteral("causal"), QStringLiteral("true")}};
  c.n = 16;  // the pattern's n on the left does not matter: it is built at the dump's n
  controls()->setChoice(c);
  ASSERT_TRUE(waitForResult(w()));
  QTest::mouseClick(part<QPushButton>(w(), "weightsMeasurePattern"), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  const WeightsReport& r = *panel()->report();
  ASSERT_GE(r.stats[0][1].massKept, 0.0);
  EXPECT_GT(r.stats[0][1].massKept, 0.9) << "a causal window of 2 keeps the previous-token head";
  EXPECT_LT(r.stats[0][4].massKept, 0.3) << "but not the broad one";
  EXPECT_GE(r.stats[0][4].oracleKept, r.stats[0][4].massKept);
  EXPECT_EQ(panel()->table()->columnCount(), 11);
  EXPECT_TRUE(part<QLabel>(w(), "weightsTitle")->text().contains(QStringLiteral("window")));
}

TEST_F(WeightsTabTest, FittingEveryHeadFindsPatternsThatKeepTheShare) {
  ASSERT_TRUE(openExample());
  part<QDoubleSpinBox>(w(), "weightsKeep")->setValue(0.9);
  QTest::mouseClick(part<QPushButton>(w(), "weightsFit"), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_NE(panel()->fits(), nullptr);
  const auto& fits = *panel()->fits();
  ASSERT_EQ(fits.size(), 4u);
  EXPECT_EQ(panel()->fitTable()->rowCount(), 20);
  for (const auto& layer : fits)
    for (const HeadFit& f : layer) EXPECT_GE(f.best.massKept, 0.9) << f.best.text();
  // The previous-token head needs only the query and the one before it.
  EXPECT_EQ(fits[0][1].best.text(), "window radius=1 causal=true");
  EXPECT_TRUE(part<QLabel>(w(), "weightsFitSummary")->text().contains(QStringLiteral("Keeping 90%")));
  // Clicking a row shows that head's front; the chosen point sits on the dashed line's side that keeps enough.
  QTableWidget* table = panel()->fitTable();
  const QRect row = table->visualRect(table->model()->index(1, 2));
  QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, row.center());
  EXPECT_EQ(panel()->selected(), (std::pair<Index, int>{0, 1}));
  ParetoChart* chart = part<ParetoChart>(w(), "weightsPareto");
  EXPECT_TRUE(chart->title().startsWith(QStringLiteral("Layer 0, head 1")));
  EXPECT_EQ(chart->points(), static_cast<int>(fits[0][1].front.size()));
  EXPECT_DOUBLE_EQ(chart->keepLevel(), 0.9);
  EXPECT_DOUBLE_EQ(chart->point(-1).x(), double(fits[0][1].best.cells) / (64.0 * 64.0));
  EXPECT_GE(chart->point(-1).y(), 0.9);
}

TEST_F(WeightsTabTest, TheModelTabsStackIsHeldLayerByLayer) {
  ASSERT_TRUE(openExample());
  // Layers 0 and 2 see only the diagonal, 1 and 3 every earlier key: each layer keeps what its own layer allows.
  ASSERT_TRUE(part<ModelPanel>(w(), "model")
                  ->applyShortForm(QStringLiteral("window radius=0, causal, window radius=0, causal")));
  QTest::mouseClick(part<QPushButton>(w(), "weightsMeasureStack"), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  const WeightsReport& r = *panel()->report();
  for (int h = 0; h < 5; ++h) {
    EXPECT_NEAR(r.stats[0][h].massKept, r.stats[0][h].diagonal, 1e-9) << h;
    EXPECT_NEAR(r.stats[1][h].massKept, 1.0, 2e-3) << h;
    EXPECT_NEAR(r.stats[2][h].massKept, r.stats[2][h].diagonal, 1e-9) << h;
  }
  EXPECT_TRUE(part<QLabel>(w(), "weightsTitle")->text().contains(QStringLiteral("layer ℓ against layer ℓ")));
  // A stack of another depth says why, and the figures shown stay.
  ASSERT_TRUE(part<ModelPanel>(w(), "model")->applyShortForm(QStringLiteral("causal ×3")));
  QTest::mouseClick(part<QPushButton>(w(), "weightsMeasureStack"), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_TRUE(panel()->message().contains(QStringLiteral("the stack has 3 layers but the weights have 4")))
      << panel()->message().toStdString();
  EXPECT_EQ(panel()->report(), &r);
}

TEST_F(WeightsTabTest, TheRolloutRestrictedToAPatternStaysWithinItsReach) {
  ASSERT_TRUE(openExample());
  PatternChoice c;
  c.pattern = QStringLiteral("window");
  c.params = {{QStringLiteral("radius"), QStringLiteral("1")}};
  c.n = 16;
  controls()->setChoice(c);
  ASSERT_TRUE(waitForResult(w()));
  QTest::mouseClick(part<QPushButton>(w(), "weightsMeasurePattern"), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_TRUE(panel()->showPage(QStringLiteral("rollout")));
  QTest::mouseClick(part<QPushButton>(w(), "weightsRollout"), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  HeatmapView* real = panel()->rolloutView(0);
  HeatmapView* restricted = panel()->rolloutView(1);
  ASSERT_NE(restricted, nullptr);
  EXPECT_EQ(restricted->title(), QStringLiteral("restricted to the pattern"));
  EXPECT_GT(panel()->rolloutL1(), 0.0);
  // n = 64: a cell a pixel. Four layers of a window of radius 1 over causal heads: row i reaches keys i − 4 … i,
  // and nothing else (grey, NaN); the real rollout reaches every earlier key.
  for (int i = 0; i < 64; i += 7)
    for (int j = 0; j < 64; ++j) {
      const float v = restricted->pictureValue(i, j);
      EXPECT_EQ(!std::isnan(v) && v > 0, j <= i && i - j <= 4) << i << " " << j;
      EXPECT_EQ(!std::isnan(real->pictureValue(i, j)), j <= i) << i << " " << j;
    }
  EXPECT_TRUE(part<QLabel>(w(), "weightsRolloutNote")->text().contains(QStringLiteral("reachability")));
}

TEST_F(WeightsTabTest, OpeningOnAPageRunsItsWorkOnceTheDumpIsOpen) {
  EXPECT_FALSE(w().showWeightsPage(QStringLiteral("everything")));
  ASSERT_TRUE(w().showWeightsPage(QStringLiteral("fit")));
  ASSERT_TRUE(panel()->openExample());
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_NE(panel()->fits(), nullptr);
  EXPECT_EQ(panel()->fits()->size(), 4u);
  // The rollout page measures the pattern on the left first, then rolls out against it.
  ASSERT_TRUE(w().showWeightsPage(QStringLiteral("rollout")));
  ASSERT_TRUE(panel()->openExample());
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_GT(panel()->rolloutL1(), 0.0);
  EXPECT_TRUE(part<QLabel>(w(), "weightsTitle")->text().contains(QStringLiteral("measured against window")));
  EXPECT_EQ(panel()->fits(), nullptr) << "a dump opened again starts afresh";
}

TEST_F(WeightsTabTest, ABadFileSaysWhyAndChangesNothing) {
  ASSERT_TRUE(openExample());
  QTemporaryDir dir;
  const QString bad = dir.filePath(QStringLiteral("weights.npz"));
  QFile f(bad);
  ASSERT_TRUE(f.open(QIODevice::WriteOnly));
  f.write(QByteArray(200, 'x'));  // no end-of-archive record
  f.close();
  EXPECT_FALSE(w().openAttentionWeights(bad));
  EXPECT_TRUE(panel()->message().contains(QStringLiteral("not a ZIP file"))) << panel()->message().toStdString();
  EXPECT_EQ(panel()->dump()->layers(), 4) << "the example is still open";
  EXPECT_EQ(panel()->grid()->rowCount(), 4);
  QString error;
  const QString png = dir.filePath(QStringLiteral("head.png"));
  ASSERT_TRUE(w().exportPicture(png, 800, 700, 100, &error)) << error.toStdString();
  EXPECT_TRUE(QFile::exists(png));
}

// The model that ships with the app runs here: its attention becomes the tab's weights, labelled with the tokenizer's
// pieces, and what it would say next is shown. Typing re-runs it; what was measured is measured again on the new
// text; a model that cannot be opened changes nothing and says why.
TEST_F(WeightsTabTest, TheShippedModelRunsOnTheTextAndFollowsTyping) {
  w().showView(QStringLiteral("weights"));
  panel()->setModelText(QStringLiteral("Lily saw a big red ball"));
  panel()->openShippedModel();
  ASSERT_TRUE(waitUntil([&] { return panel()->model() && panel()->report(); })) << panel()->message().toStdString();
  ASSERT_TRUE(waitForBackground(*panel()));
  // <s> ▁Lily ▁saw ▁a ▁big ▁r ed ▁b all: 9 tokens, 5 layers of 8 heads (as `infer` prints them).
  EXPECT_EQ(panel()->dump()->n(), 9);
  EXPECT_EQ(panel()->dump()->layers(), 5);
  EXPECT_EQ(panel()->dump()->heads(), 8);
  EXPECT_EQ(panel()->grid()->rowCount(), 5);
  EXPECT_EQ(panel()->headView()->tokens(), 9);
  EXPECT_TRUE(panel()->modelOutputs().startsWith(QStringLiteral("9 tokens. Next token: . 0.469")))
      << panel()->modelOutputs().toStdString();
  EXPECT_TRUE(part<QLabel>(w(), "weightsTitle")->text().contains(QStringLiteral("stories260K.bin (llama2.c")))
      << part<QLabel>(w(), "weightsTitle")->text().toStdString();
  // Causal: layer 0's head 0 row 0 puts all its weight on <s>.
  std::vector<float> row(9);
  panel()->dump()->row(0, 0, 0, row.data());
  EXPECT_FLOAT_EQ(row[0], 1.0f);
  EXPECT_EQ(row[1], 0.0f);
  // Measure a window, then type: the new text's weights are measured against it again.
  PatternChoice window;
  window.params = {{QStringLiteral("radius"), QStringLiteral("2")}, {QStringLiteral("causal"), QStringLiteral("true")}};
  window.n = 9;
  panel()->measurePattern(window);
  ASSERT_TRUE(waitForBackground(*panel()));
  auto* text = part<QLineEdit>(w(), "weightsModelText");
  text->setFocus();
  text->end(false);
  QTest::keyClicks(text, QStringLiteral(" in the park"));
  const Index longer = static_cast<Index>(encodeText(*panel()->model(), text->text().toStdString()).size());
  EXPECT_GT(longer, 9);
  ASSERT_TRUE(waitUntil([&] { return panel()->dump() && panel()->dump()->n() == longer && panel()->report(); }));
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_TRUE(part<QLabel>(w(), "weightsTitle")->text().contains(QStringLiteral("measured against window")))
      << part<QLabel>(w(), "weightsTitle")->text().toStdString();
  // Words: <s> and the nine words of "Lily saw a big red ball in the park", however the tokenizer cut them.
  auto* words = part<QCheckBox>(w(), "weightsModelWords");
  words->click();
  const Index wordCount = static_cast<Index>(
      wordsOf(*panel()->model(), encodeText(*panel()->model(), text->text().toStdString())).labels.size());
  EXPECT_EQ(wordCount, 10);
  EXPECT_LT(wordCount, longer);
  ASSERT_TRUE(waitUntil([&] { return panel()->dump() && panel()->dump()->n() == wordCount && panel()->report(); }));
  ASSERT_TRUE(waitForBackground(*panel()));
  words->click();
  ASSERT_TRUE(waitUntil([&] { return panel()->dump() && panel()->dump()->n() == longer && panel()->report(); }));
  ASSERT_TRUE(waitForBackground(*panel()));
  // One run's dump on disk at a time, however many runs there were.
  const QString shown = QString::fromStdString(panel()->dump()->path());
  EXPECT_EQ(QDir(QFileInfo(shown).absolutePath()).entryList(QStringList{QStringLiteral("*.npz")}, QDir::Files).size(),
            1);
  // A folder is no model: the message says so and the weights shown stay.
  QTemporaryDir dir;
  panel()->openModel(dir.path());
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_TRUE(panel()->message().contains(QStringLiteral("is a folder"))) << panel()->message().toStdString();
  EXPECT_EQ(panel()->dump()->n(), longer);
  EXPECT_TRUE(panel()->model());
}

// Continue: a decoder writes on greedily, and the heads follow the longer text. From "Once upon a time," stories260K
// goes on as its README's reference story does: its next 8 tokens are " there was a little girl named".
TEST_F(WeightsTabTest, ContinueAddsTheGreedyStoryToTheText) {
  w().showView(QStringLiteral("weights"));
  auto* button = part<QPushButton>(w(), "weightsContinue");
  EXPECT_FALSE(button->isEnabled());  // no model yet
  panel()->setModelText(QStringLiteral("Once upon a time,"));
  panel()->openShippedModel();
  ASSERT_TRUE(waitUntil([&] { return panel()->model() && panel()->report(); })) << panel()->message().toStdString();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(panel()->dump()->n(), 6);
  ASSERT_TRUE(button->isEnabled());
  button->click();
  auto* text = part<QLineEdit>(w(), "weightsModelText");
  ASSERT_TRUE(waitUntil([&] { return text->text() != QStringLiteral("Once upon a time,"); }));
  EXPECT_EQ(text->text(), QStringLiteral("Once upon a time, there was a little girl named"));
  // The heads follow: the 6 tokens and the 8 written, which the longer text tokenizes back into.
  ASSERT_TRUE(waitUntil([&] { return panel()->dump() && panel()->dump()->n() == 14 && panel()->report(); }));
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_TRUE(button->isEnabled());
}

// Typing faster than the figures follow: each new text's dump replaces the one shown while the tasks that measure,
// draw and fit the old one may still read it; they keep it alive until they end (this read freed memory before).
TEST_F(WeightsTabTest, FastTypingNeverReadsADumpThatWasReplaced) {
  w().showView(QStringLiteral("weights"));
  panel()->setTypingPause(0);
  panel()->setModelText(QStringLiteral("Lily saw a big red ball"));
  panel()->openShippedModel();
  ASSERT_TRUE(waitUntil([&] { return panel()->model() && panel()->report(); })) << panel()->message().toStdString();
  QString text = QStringLiteral("Lily saw a big red ball");
  for (const QString& word :
       {QStringLiteral(" and"), QStringLiteral(" a"), QStringLiteral(" dog"), QStringLiteral(" in"),
        QStringLiteral(" the"), QStringLiteral(" park"), QStringLiteral(" with"), QStringLiteral(" Tom"),
        QStringLiteral(" and"), QStringLiteral(" Sue")}) {
    text += word;
    panel()->setModelText(text);
    QTest::qWait(2);  // some runs finish and are shown, some are overtaken
    panel()->fitHeads();
  }
  const Index n = static_cast<Index>(encodeText(*panel()->model(), text.toStdString()).size());
  ASSERT_TRUE(waitUntil([&] { return panel()->dump() && panel()->dump()->n() == n && panel()->report(); }));
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(panel()->report()->n, n);
  EXPECT_EQ(panel()->report()->stats.size() * panel()->report()->stats[0].size(), 40u);
}

// The app opens the tab on the shipped model the first time it is shown with nothing open.
TEST(WeightsPanelAlone, OpensTheShippedModelWhenFirstShown) {
  WeightsPanel panel;
  panel.setOpensShippedModel(true);
  panel.resize(1000, 700);
  panel.show();
  ASSERT_TRUE(waitUntil([&] { return panel.model() && panel.report(); })) << panel.message().toStdString();
  EXPECT_EQ(panel.dump()->layers(), 5);
  EXPECT_TRUE(panel.modelOutputs().contains(QStringLiteral("Next token:")));
  ASSERT_TRUE(waitForBackground(panel));
}

// Head anatomy: for the head selected in the grid and a query, the steps on the model's own vectors; the softmax
// column is that head's row of the weights shown, key by key.
TEST_F(WeightsTabTest, HeadAnatomyShowsTheStepsThatGiveTheRow) {
  w().showView(QStringLiteral("weights"));
  panel()->setModelText(QStringLiteral("Lily saw a big red ball"));
  panel()->openShippedModel();
  ASSERT_TRUE(waitUntil([&] { return panel()->model() && panel()->report(); })) << panel()->message().toStdString();
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_TRUE(panel()->showPage(QStringLiteral("anatomy")));
  panel()->selectHead(2, 5);
  part<QSpinBox>(w(), "weightsAnatomyQuery")->setValue(4);
  QTableWidget* table = panel()->anatomyTable();
  ASSERT_EQ(table->rowCount(), 5);  // causal: keys 0 … 4
  std::vector<float> row(9);
  panel()->dump()->row(2, 5, 4, row.data());
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(table->item(k, 3)->text().toDouble(), row[std::size_t(k)], 1e-4) << k;
  EXPECT_EQ(table->item(1, 0)->text(), QStringLiteral("1 \u2581Lily"));
  // ÷ √d is q · k over √8.
  EXPECT_NEAR(table->item(3, 2)->text().toDouble(), table->item(3, 1)->text().toDouble() / std::sqrt(8.0), 2e-3);
  EXPECT_TRUE(part<QLabel>(w(), "weightsAnatomyNote")->text().contains(QStringLiteral("Layer 2, head 5, query 4")));
  // A dump opened by hand has no vectors: the page says what it needs.
  ASSERT_TRUE(panel()->openExample());
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(table->rowCount(), 0);
  EXPECT_TRUE(part<QLabel>(w(), "weightsAnatomyNote")->text().startsWith(QStringLiteral("Run a model here")));
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

// What it costs: stories260K on a shipped story with the window chosen on the left in place of its attention. The
// sweep draws a point a radius, each the engine's own measurement of that substitute (the share of cells worked by
// hand: a decoder's query i keeps min(i, r) + 1 of its i + 1 keys); Per layer draws a bar a layer.
class CostPageTest : public WeightsTabTest {
 protected:
  CostPage* page() { return panel()->costPage(); }
  void openModel() { openShippedModelOn(QStringLiteral("cost")); }
};

TEST_F(CostPageTest, ASweepDrawsAPointABudgetAndPerLayerABarALayer) {
  openModel();
  ASSERT_TRUE(page()->setSample(QStringLiteral("The red kite")));
  page()->setSweep(QStringLiteral("radius"), QStringLiteral("0, 4, 600"));
  part<QPushButton>(w(), "costSweep")->click();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(page()->message(), QString());
  ASSERT_EQ(page()->tradeOff()->points(), 3);
  const std::vector<int> ids = storyIds();
  const Index n = static_cast<Index>(ids.size());
  const PatternSpec window = PatternSpec::parse("window");
  for (int k = 0; k < 3; ++k) {
    const Index radius = std::array<Index, 3>{0, 4, 600}[std::size_t(k)];
    double kept = 0, own = 0;
    for (Index i = 0; i < n; ++i) kept += double(std::min(i, radius) + 1), own += double(i + 1);
    EXPECT_NEAR(page()->tradeOff()->point(k).x(), kept / own, 1e-12);
    const SubstituteMeasures m =
        measureSubstitute(*panel()->model()->model, ids,
                          patternMasks(window, window.resolve({{"radius", std::to_string(radius)}}), n), -1);
    EXPECT_EQ(page()->tradeOff()->point(k).y(), m.top1Agreement);
  }
  EXPECT_LT(page()->tradeOff()->point(0).y(), 0.5);
  EXPECT_EQ(page()->tradeOff()->point(2).y(), 1.0);
  // Each point beats the one before in agreement at more cells: all three are on the front.
  EXPECT_EQ(page()->tradeOff()->front(), (std::vector<int>{0, 1, 2}));
  // The chart shows KL instead when asked: 0 for the window that holds the whole story.
  part<QComboBox>(w(), "costQuality")->setCurrentIndex(1);
  EXPECT_EQ(page()->tradeOff()->point(2).y(), 0.0);
  EXPECT_GT(page()->tradeOff()->point(0).y(), page()->tradeOff()->point(1).y());

  // Per layer: the pattern on the left (window radius 2) in one layer at a time.
  part<QPushButton>(w(), "costPerLayer")->click();
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_EQ(page()->layerChart()->rows(), 1);
  const SubstituteReference reference = referencePass(*panel()->model()->model, ids, -1);
  const std::vector<SubstituteMeasures> byLayer =
      measureLayerByLayer(*panel()->model()->model, reference, patternMasks(window, window.defaults(), n));
  for (int l = 0; l < 5; ++l) {
    EXPECT_GT(page()->layerChart()->bar(l), 0.0);
    EXPECT_NEAR(page()->layerChart()->bar(l), byLayer[std::size_t(l)].driftByLayer.back(), 1e-9);
  }

  // Export: the measures as evaluate writes them, the charts as a PNG; another ending is refused, nothing written.
  QTemporaryDir dir;
  QString error;
  ASSERT_TRUE(page()->exportTo(dir.filePath(QStringLiteral("cost.json")), &error)) << error.toStdString();
  QFile json(dir.filePath(QStringLiteral("cost.json")));
  ASSERT_TRUE(json.open(QIODevice::ReadOnly));
  const QJsonObject o = QJsonDocument::fromJson(json.readAll()).object();
  EXPECT_EQ(o.value(QStringLiteral("sweep")).toString(), QStringLiteral("radius"));
  const QJsonArray rows = o.value(QStringLiteral("rows")).toArray();
  ASSERT_EQ(rows.size(), 3);
  EXPECT_EQ(rows.at(2).toObject().value(QStringLiteral("top1_agreement")).toDouble(), 1.0);
  EXPECT_EQ(rows.at(1).toObject().value(QStringLiteral("radius")).toString(), QStringLiteral("4"));
  EXPECT_EQ(o.value(QStringLiteral("per_layer")).toArray().size(), 5);
  ASSERT_TRUE(page()->exportTo(dir.filePath(QStringLiteral("cost.png")), &error)) << error.toStdString();
  EXPECT_FALSE(QImage(dir.filePath(QStringLiteral("cost.png"))).isNull());
  EXPECT_FALSE(page()->exportTo(dir.filePath(QStringLiteral("cost.txt")), &error));
  EXPECT_TRUE(error.contains(QStringLiteral("expected a file ending in .json or .png"))) << error.toStdString();
  EXPECT_FALSE(QFile::exists(dir.filePath(QStringLiteral("cost.txt"))));
}

// A long sweep fills the chart as it goes and stops when cancelled: what was measured stays.
TEST_F(CostPageTest, ASweepCanBeCancelledAndKeepsItsPoints) {
  openModel();
  ASSERT_TRUE(page()->setSample(QStringLiteral("The little boat")));
  QStringList radii;
  for (int r = 0; r < 64; ++r) radii << QString::number(r);
  page()->setSweep(QStringLiteral("radius"), radii.join(QLatin1Char(',')));
  part<QPushButton>(w(), "costSweep")->click();
  ASSERT_TRUE(waitUntil([&] { return page()->tradeOff()->points() >= 1; }));
  ASSERT_TRUE(page()->cancelButton()->isEnabled());
  page()->cancelButton()->click();
  ASSERT_TRUE(waitForBackground(*panel()));
  const int shown = page()->tradeOff()->points();
  EXPECT_GE(shown, 1);
  EXPECT_LT(shown, 64);
  EXPECT_TRUE(page()->note().contains(QStringLiteral("Cancelled")));
  EXPECT_FALSE(page()->cancelButton()->isEnabled());
  QTest::qWait(50);  // nothing arrives after the cancel
  EXPECT_EQ(page()->tradeOff()->points(), shown);
}

// The Approximate tab's method in place of softmax: Performer swept over its features (run causally on this decoder),
// said on screen; a method that cannot run causally is refused before anything runs.
TEST_F(CostPageTest, AnApproximationFromTheApproximateTab) {
  openModel();
  auto* approx = part<ApproxPanel>(w(), "approx");
  approx->methodBox()->setCurrentText(QStringLiteral("linformer"));
  page()->setSource(CostPage::Source::Approx);
  page()->measure();
  EXPECT_TRUE(page()->message().contains(QStringLiteral("linformer cannot serve a decoder")))
      << page()->message().toStdString();
  EXPECT_FALSE(page()->busy());
  approx->methodBox()->setCurrentText(QStringLiteral("performer"));
  ASSERT_TRUE(page()->setSample(QStringLiteral("Tom's big cake")));
  page()->setSweep(QStringLiteral("nb_features"), QStringLiteral("4,16"));
  page()->sweep();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(page()->message(), QString());
  ASSERT_EQ(page()->tradeOff()->points(), 2);
  // Its share: m features of the i + 1 keys query i sees (all of them when fewer).
  const Index n = static_cast<Index>(encodeText(*panel()->model(),
                                                [] {
                                                  QFile f(QStringLiteral(ATTNSCOPE_TEXTS_DIR "/toms-big-cake.txt"));
                                                  f.open(QIODevice::ReadOnly);
                                                  return QString::fromUtf8(f.readAll()).trimmed().toStdString();
                                                }())
                                         .size());
  for (int k = 0; k < 2; ++k) {
    const Index m = k == 0 ? 4 : 16;
    double kept = 0, own = 0;
    for (Index i = 0; i < n; ++i) kept += double(std::min(m, i + 1)), own += double(i + 1);
    EXPECT_NEAR(page()->tradeOff()->point(k).x(), kept / own, 1e-12);
    EXPECT_LT(page()->tradeOff()->point(k).y(), 1.0);
  }
  EXPECT_TRUE(page()->note().contains(QStringLiteral("random features approximate softmax")))
      << page()->note().toStdString();
}

// What cannot run is one inline line, and nothing starts: no fit yet, a stack that does not fit the model, a sweep
// value out of range, a pattern made from the inputs. The fitted heads then run on the text they were fitted on.
TEST_F(CostPageTest, WhatCannotRunIsOneLineAndTheFitRunsOnItsText) {
  openModel();
  page()->setSource(CostPage::Source::Fit);
  page()->measure();
  EXPECT_TRUE(page()->message().contains(QStringLiteral("Fit every head on the Best pattern page first")))
      << page()->message().toStdString();
  EXPECT_FALSE(page()->busy());
  page()->setSource(CostPage::Source::Stack);
  page()->measure();
  EXPECT_FALSE(page()->message().isEmpty());
  EXPECT_FALSE(page()->busy());
  page()->setSource(CostPage::Source::Pattern);
  page()->setSweep(QStringLiteral("radius"), QStringLiteral("1,-3"));
  page()->sweep();
  EXPECT_TRUE(page()->message().contains(QStringLiteral("radius"))) << page()->message().toStdString();
  EXPECT_FALSE(page()->busy());
  page()->setSweep(QStringLiteral("size"), QStringLiteral("1"));
  page()->sweep();
  EXPECT_TRUE(page()->message().contains(QStringLiteral("'size' is not one of window's")))
      << page()->message().toStdString();

  // Fit every head on the text above, then run the fit on it: each head through its own window.
  panel()->fitHeads();
  ASSERT_TRUE(waitUntil([&] { return panel()->fits() != nullptr; }));
  ASSERT_TRUE(waitForBackground(*panel()));
  page()->setSource(CostPage::Source::Fit);
  ASSERT_TRUE(page()->setSample(QString()));
  page()->measure();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(page()->message(), QString());
  EXPECT_TRUE(page()->summary().startsWith(QStringLiteral("the fitted heads, on the text above (9 tokens)")))
      << page()->summary().toStdString();
  // On a story of another length the fit does not apply: said in one line.
  ASSERT_TRUE(page()->setSample(QStringLiteral("The red kite")));
  page()->measure();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_TRUE(page()->message().contains(QStringLiteral("the heads were fitted on 9 positions")))
      << page()->message().toStdString();
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

// The Compress page (issue 25): the model running in the tab compressed in a copy, each combination a row and a
// point, the numbers the engine's own.
class CompressPageTest : public WeightsTabTest {
 protected:
  CompressPage* page() { return panel()->compressPage(); }
  void openModel() { openShippedModelOn(QStringLiteral("compress")); }
};

TEST_F(CompressPageTest, ASetFillsTheTableWithTheEnginesNumbers) {
  openModel();
  ASSERT_TRUE(page()->setSample(QStringLiteral("The red kite")));
  part<QPushButton>(w(), "compressSet")->click();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(page()->message(), QString());
  ASSERT_EQ(page()->rows(), 8);
  QTableWidget* table = page()->table();
  // Row by row as listed: the bytes of stories260K's 226,560 linear weights, worked by hand.
  EXPECT_EQ(table->item(0, 1)->text(), QStringLiteral("none (the model as read)"));
  EXPECT_EQ(table->item(0, 4)->text(), QStringLiteral("100%"));      // top-1 agreement with itself
  EXPECT_EQ(table->item(1, 2)->text(), QStringLiteral("453.1 kB"));  // fp16: 2 bytes a weight
  EXPECT_EQ(table->item(3, 2)->text(), QStringLiteral("226.7 kB"));  // int8: 1 byte + 35 scales
  EXPECT_EQ(table->item(3, 3)->text(), QStringLiteral("25%"));
  EXPECT_EQ(table->item(4, 1)->text(), QStringLiteral("l1=0.2"));
  EXPECT_EQ(table->item(6, 1)->text(), QStringLiteral("8 heads (output-norm)"));  // a fifth of 40
  // The chart: a point a row, at its share of the bytes; the points' agreement is the engine's own.
  ASSERT_EQ(page()->chart()->points(), 8);
  EXPECT_EQ(page()->chart()->point(3).x(), (226560.0 + 4 * 35) / (4 * 226560.0));
  const std::vector<int> ids = storyIds();
  std::shared_ptr<LanguageModel> full = panel()->model()->model->copy(), int8 = panel()->model()->model->copy();
  CompressionPlan plan;
  plan.storage = WeightStorage::Int8;
  applyPlan(*int8, plan, ids);
  EXPECT_EQ(page()->chart()->point(3).y(), compareModels(*full, *int8, ids, -1).answers.top1Agreement);
  // The last row is shown: its map has a square cell a head, nothing removed; the heads row's map crosses out 8.
  HeadMap* map = page()->headMap();
  ASSERT_EQ(map->layers(), 5);
  EXPECT_GT(map->cellSide(), 10.0);
  table->setCurrentCell(6, 0);
  int removed = 0;
  for (int l = 0; l < 5; ++l)
    for (int h = 0; h < 8; ++h) removed += map->removed(l, h);
  EXPECT_EQ(removed, 8);
  EXPECT_TRUE(page()->note().contains(QStringLiteral("by output norm")));
  // Export: the rows as compress --json writes them, the pictures as a PNG.
  QTemporaryDir dir;
  QString error;
  ASSERT_TRUE(page()->exportTo(dir.filePath(QStringLiteral("c.json")), &error)) << error.toStdString();
  QFile json(dir.filePath(QStringLiteral("c.json")));
  ASSERT_TRUE(json.open(QIODevice::ReadOnly));
  const QJsonArray rows = QJsonDocument::fromJson(json.readAll()).object().value(QStringLiteral("rows")).toArray();
  ASSERT_EQ(rows.size(), 8);
  EXPECT_EQ(rows.at(3).toObject().value(QStringLiteral("size_bytes")).toDouble(), 226560.0 + 4 * 35);
  EXPECT_EQ(rows.at(6).toObject().value(QStringLiteral("pruned_heads")).toArray().size(), 8);
  ASSERT_TRUE(page()->exportTo(dir.filePath(QStringLiteral("c.png")), &error)) << error.toStdString();
  EXPECT_FALSE(QImage(dir.filePath(QStringLiteral("c.png"))).isNull());
  EXPECT_FALSE(page()->exportTo(dir.filePath(QStringLiteral("c.txt")), &error));
  EXPECT_FALSE(QFile::exists(dir.filePath(QStringLiteral("c.txt"))));
}

TEST_F(CompressPageTest, MovingTheSliderMeasuresOnceItRestsAndCancelKeepsWhatCame) {
  openModel();
  ASSERT_TRUE(page()->setSample(QStringLiteral("The red kite")));
  page()->setStorage(WeightStorage::Int8, false);
  EXPECT_EQ(page()->plan().describe(), "int8");
  // Dragged through 5%, 10% … 20%: one measurement, of where it rests.
  for (int v = 1; v <= 4; ++v) page()->pruneSlider()->setValue(v);
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_EQ(page()->rows(), 1);
  EXPECT_EQ(page()->table()->item(0, 1)->text(), QStringLiteral("l1=0.2 + int8"));
  EXPECT_TRUE(page()->summary().startsWith(QStringLiteral("l1=0.2 + int8: top-1 agreement")));
  // The same combination again replaces its row.
  page()->measure();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(page()->rows(), 1);
  // A set cancelled as its first row arrives keeps that row, and nothing comes after (rows already on their way to
  // the GUI thread are dropped).
  page()->clearTable();
  QObject::connect(
      page()->table()->model(), &QAbstractItemModel::rowsInserted, page(), [this] { page()->cancel(); },
      Qt::SingleShotConnection);
  page()->measureSet();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(page()->rows(), 1);
  QTest::qWait(100);
  EXPECT_EQ(page()->rows(), 1);
  EXPECT_FALSE(page()->busy());
}

TEST_F(CompressPageTest, WithoutAModelItSaysSoAndStartsNothing) {
  w().showView(QStringLiteral("weights"));
  ASSERT_TRUE(panel()->showPage(QStringLiteral("compress")));
  page()->measure();
  EXPECT_TRUE(page()->message().contains(QStringLiteral("no model is running"))) << page()->message().toStdString();
  EXPECT_FALSE(page()->busy());
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

// The Tokens page (issue 25): the shipped sentence in ten languages through stories260K's tokenizer (its counts
// worked by hand in tests/engine/fertility_test.cpp), GPT-2's byte-level BPE beside it, and lines of one's own.
class TokensPageTest : public WeightsTabTest {
 protected:
  TokensPage* page() { return panel()->tokensPage(); }
};

TEST_F(TokensPageTest, TheSampleSetAndASecondTokenizerSideBySide) {
  openShippedModelOn(QStringLiteral("tokens"));
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_EQ(page()->table()->rowCount(), 10);
  EXPECT_EQ(page()->table()->item(2, 0)->text(), QStringLiteral("Russian"));
  EXPECT_EQ(page()->table()->item(2, 4)->text(), QStringLiteral("151"));  // 69 letters × 2 bytes + 11 + 1 + 1
  ASSERT_EQ(page()->chart()->series(), 1);
  EXPECT_DOUBLE_EQ(page()->chart()->value(0, 5), 178.0 * 178.0 / (27.0 * 27.0));  // Hindi against English
  EXPECT_TRUE(page()->summary().contains(QStringLiteral("Hindi n = 178"))) << page()->summary().toStdString();
  EXPECT_TRUE(page()->pieces().startsWith(QStringLiteral("English, 27 pieces: <s> │ ▁The")))
      << page()->pieces().toStdString();
  // GPT-2's vocabulary beside it: every English word one piece but "kite" (Ġk, ite), the full stop another
  // (14 + 2 + 1), and no BOS.
  ASSERT_TRUE(page()->openSecond(QStringLiteral(ATTNSCOPE_TEST_DATA_DIR "/tokenizers/gpt2")))
      << page()->message().toStdString();
  page()->count();
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_EQ(page()->chart()->series(), 2);
  ASSERT_EQ(page()->counts(1).size(), 10u);
  EXPECT_EQ(page()->counts(1)[0].tokens, 17);
  EXPECT_EQ(page()->counts(1)[0].n, 17);
  EXPECT_EQ(page()->counts(1)[2].bytePieces, 0);  // byte-level BPE has a piece for every byte: none fall back
  EXPECT_EQ(page()->table()->columnCount(), 16);
  EXPECT_FALSE(page()->openSecond(QStringLiteral("/nonexistent/tokenizer")));
  EXPECT_TRUE(page()->message().contains(QStringLiteral("is not there"))) << page()->message().toStdString();
}

TEST_F(TokensPageTest, LinesOfOnesOwn) {
  openShippedModelOn(QStringLiteral("tokens"));
  ASSERT_TRUE(waitForBackground(*panel()));
  page()->setLines(QStringLiteral("Mine: Lily saw a ball.\n\nпривет мир"));
  page()->count();
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_EQ(page()->table()->rowCount(), 2);
  EXPECT_EQ(page()->table()->item(0, 0)->text(), QStringLiteral("Mine"));
  EXPECT_EQ(page()->table()->item(0, 2)->text(), QStringLiteral("4"));  // words at spaces
  EXPECT_EQ(page()->table()->item(1, 0)->text(), QStringLiteral("line 2"));
  // привет мир: 9 Cyrillic letters of 2 bytes, a space, the dummy prefix.
  EXPECT_EQ(page()->table()->item(1, 4)->text(), QStringLiteral("20"));
  page()->setLines(QStringLiteral("!!! ???"));
  page()->count();
  EXPECT_TRUE(page()->message().contains(QStringLiteral("has no words"))) << page()->message().toStdString();
  EXPECT_FALSE(page()->busy());
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

// The Distil page (issue 25): the running model as a teacher beside a pruned copy of itself, its numbers the
// engine's own, a pair opened side by side by a click on the matrix; a student that splits the text otherwise is
// refused.
class DistilPageTest : public WeightsTabTest {
 protected:
  DistilPage* page() { return panel()->distilPage(); }
};

TEST_F(DistilPageTest, APrunedCopyMatchedHeadByHead) {
  openShippedModelOn(QStringLiteral("distil"));
  ASSERT_TRUE(page()->setSample(QStringLiteral("The red kite")));
  page()->setStudent(DistilPage::Student::Pruned);
  part<QPushButton>(w(), "distilCompare")->click();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(page()->message(), QString());
  ASSERT_TRUE(page()->comparison());
  // The same comparison made here: the teacher's pass and a copy pruned by 30% of each layer.
  const std::vector<int> ids = storyIds();
  std::shared_ptr<LanguageModel> copy = panel()->model()->model->copy();
  CompressionPlan plan;
  plan.prune = {{0.3, false}};
  applyPlan(*copy, plan);
  const DistilComparison expected = compareHeads(panel()->model()->model->forward(ids, {}, LogitRows::at({})),
                                                 copy->forward(ids, {}, LogitRows::at({})));
  const DistilComparison& shown = *page()->comparison();
  ASSERT_EQ(shown.matching.size(), expected.matching.size());
  for (std::size_t i = 0; i < shown.matching.size(); ++i) {
    EXPECT_EQ(shown.matching[i].teacherHead, expected.matching[i].teacherHead);
    EXPECT_EQ(shown.matching[i].divergence, expected.matching[i].divergence);
  }
  EXPECT_EQ(shown.layerMapping, expected.layerMapping);
  EXPECT_EQ(page()->table()->rowCount(), 40);
  // The pair that differs most is opened first; a click on the matrix's first cell opens teacher 0.0 and student 0.0.
  EXPECT_TRUE(page()->studentTitle().startsWith(QStringLiteral("student layer")))
      << page()->studentTitle().toStdString();
  SimilarityMap* map = page()->map();
  ASSERT_GT(map->cellSide(), 0.0);
  QTest::mouseClick(map, Qt::LeftButton, {}, map->cellCentre(0, 0));
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(page()->teacherTitle(), QStringLiteral("teacher layer 0, head 0"));
  EXPECT_TRUE(page()->studentTitle().startsWith(QStringLiteral("student layer 0, head 0")));
}

TEST_F(DistilPageTest, AStudentWithAnotherTokenizerIsRefused) {
  openShippedModelOn(QStringLiteral("distil"));
  page()->setStudent(DistilPage::Student::FromDisk);
  page()->compare();
  EXPECT_TRUE(page()->message().contains(QStringLiteral("no student is open"))) << page()->message().toStdString();
  // stories260K with its pieces spelt backwards beside it: the same model, another tokenizer.
  QTemporaryDir dir;
  QFile::copy(QStringLiteral(ATTNSCOPE_TEXTS_DIR "/../stories260K/stories260K.bin"),
              dir.filePath(QStringLiteral("stories260K.bin")));
  ASSERT_TRUE(test::writeBackwardsTokenizer(QStringLiteral(ATTNSCOPE_TEXTS_DIR "/../stories260K/tok512.bin"),
                                            dir.filePath(QStringLiteral("tok512.bin"))));
  ASSERT_TRUE(page()->openStudent(dir.filePath(QStringLiteral("stories260K.bin")))) << page()->message().toStdString();
  ASSERT_TRUE(page()->setSample(QStringLiteral("The red kite")));
  page()->compare();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_TRUE(page()->message().contains(QStringLiteral("split the text differently")))
      << page()->message().toStdString();
  EXPECT_FALSE(page()->comparison());
}

}  // namespace
}  // namespace attnscope

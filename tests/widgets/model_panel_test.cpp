// The Model tab driven as a user would: open a config (a shipped one and a file), read the layer count and the
// reach, type a stack, edit it, click a layer's thumbnail, refuse a bad config without changing anything, export.
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolButton>

#include <algorithm>

#include "tests/widgets/window_fixture.h"
#include "widgets/model/model_charts.h"
#include "widgets/model/model_panel.h"

namespace attnscope {
namespace {

class ModelTabTest : public MainWindowTest {
 protected:
  ModelPanel* panel() { return part<ModelPanel>(w(), "model"); }
  // Waits for the analysis now under way (the panel starts one whenever the stack changes).
  bool waitForModel() {
    waitForBackground(*panel());
    return panel()->view() != nullptr;
  }
  QString writeFile(const QString& name, const QByteArray& text) {
    QFile f(dir_.filePath(name));
    f.open(QIODevice::WriteOnly);
    f.write(text);
    return f.fileName();
  }
  QTemporaryDir dir_;
};

TEST_F(ModelTabTest, StartsWithFiveWindowsThenAFullLayer) {
  ASSERT_TRUE(waitForModel());
  EXPECT_EQ(panel()->stack().layers.size(), 6u);
  EXPECT_EQ(part<QListWidget>(w(), "modelLayers")->count(), 6);
  const auto& reach = *panel()->view()->report->reach;
  // The full sixth layer connects everything: the receptive field jumps to 1 there.
  EXPECT_LT(reach.reachByLayer[4], 0.5);
  EXPECT_EQ(reach.reachByLayer[5], 1.0);
  EXPECT_EQ(reach.layersForFullReach, 6);
  EXPECT_EQ(part<StackReachChart>(w(), "modelReach")->points(), 7);
}

TEST_F(ModelTabTest, OpeningAConfigReadsTheLayerCountAndTheReach) {
  ASSERT_TRUE(waitForModel());
  const QString path = writeFile(QStringLiteral("config.json"), R"({"model_type": "gemma3_text",
      "num_hidden_layers": 12, "sliding_window": 4, "sliding_window_pattern": 3, "hidden_size": 64,
      "num_attention_heads": 2, "num_key_value_heads": 1})");
  part<QSpinBox>(w(), "modelN")->setValue(32);
  ASSERT_TRUE(waitForModel());
  ASSERT_TRUE(w().openModelConfig(path));
  EXPECT_EQ(w().currentPage(), panel());
  ASSERT_TRUE(waitForModel());
  EXPECT_EQ(panel()->stack().layers.size(), 12u);
  EXPECT_EQ(part<QListWidget>(w(), "modelLayers")->count(), 12);
  auto* table = part<QTableWidget>(w(), "modelCost");
  EXPECT_EQ(table->rowCount(), 12);
  // One head's matrix against its n² = 1,024 cells: a causal window of 4 keeps 1 + 2 + 3 + 4 · 29 = 122 (11.9%), the
  // full causal layer 3 (row 2) 32 · 33 / 2 = 528 (51.6%); 2 heads; the windowed cache is left empty for the full
  // layer, which keeps every token.
  auto text = [&](int row, int col) { return table->item(row, col)->text(); };
  EXPECT_EQ(table->horizontalHeaderItem(2)->text(), QStringLiteral("cells a head"));
  EXPECT_EQ(text(0, 2), QStringLiteral("122"));
  EXPECT_EQ(text(0, 3), QStringLiteral("11.9%"));
  EXPECT_EQ(text(0, 4), QStringLiteral("2"));
  EXPECT_EQ(text(2, 2), QStringLiteral("528"));
  EXPECT_EQ(text(2, 3), QStringLiteral("51.6%"));
  EXPECT_EQ(text(2, 8), QStringLiteral("—"));
  EXPECT_NE(text(0, 8), QStringLiteral("—"));
  // Thumbnails are min(n, 64) cells a side: 32 here.
  ASSERT_EQ(panel()->view()->thumbnails.size(), 12u);
  EXPECT_EQ(panel()->view()->thumbnails[0].size(), 32u * 32u);
  const auto& reach = *panel()->view()->report->reach;
  // As worked by hand in the engine test: 90 and 171 of 496 earlier pairs, then all at the full layer 3.
  EXPECT_DOUBLE_EQ(reach.earlierReachByLayer[0], 90.0 / 496);
  EXPECT_EQ(reach.layersForFullEarlierReach, 3);
  EXPECT_TRUE(part<QLabel>(w(), "modelTotals")->text().contains(QStringLiteral("every earlier key after 3 layers")));
  EXPECT_TRUE(part<QLabel>(w(), "modelDerivation")->text().contains(QStringLiteral("sliding_window_pattern")));
  EXPECT_TRUE(panel()->message().isEmpty()) << panel()->message().toStdString();
}

TEST_F(ModelTabTest, EveryShippedModelOpens) {
  auto* choice = part<QComboBox>(w(), "modelChoice");
  ASSERT_EQ(choice->count(), 8);
  for (int i = 1; i < choice->count(); ++i) {
    ASSERT_TRUE(panel()->openConfig(choice->itemData(i).toString())) << panel()->message().toStdString();
    ASSERT_TRUE(waitForModel());
    EXPECT_EQ(choice->currentIndex(), i);
    EXPECT_GT(panel()->view()->report->stack.layers.size(), 1u);
  }
}

TEST_F(ModelTabTest, ABadConfigSaysWhyAndChangesNothing) {
  ASSERT_TRUE(waitForModel());
  const auto before = panel()->view();
  const std::vector<StackLayer> layers = panel()->stack().layers;
  for (const QByteArray& bad :
       {QByteArray("{\"model_type\": \"llama\", "),
        QByteArray(R"({"model_type": "longformer", "num_hidden_layers": 2, "attention_window": [512]})"),
        QByteArray(R"({"model_type": "longformer", "attention_window": 511})")}) {
    EXPECT_FALSE(w().openModelConfig(writeFile(QStringLiteral("bad.json"), bad)));
    EXPECT_FALSE(panel()->message().isEmpty());
    EXPECT_EQ(panel()->message().count(QLatin1Char('\n')), 0) << panel()->message().toStdString();
    EXPECT_EQ(panel()->stack().layers, layers);
    EXPECT_FALSE(panel()->busy());
    EXPECT_EQ(panel()->view(), before);
  }
  EXPECT_TRUE(panel()->message().contains(QStringLiteral("is odd")));
}

// The tab takes a config as the command line's --config, --global and --mode do: the global tokens typed are the ones
// every Longformer layer gets (at the n chosen, with --global's rule for what is allowed), the file is read by the
// same rule (a folder is refused as a folder), and a refusal changes nothing.
TEST_F(ModelTabTest, AConfigIsReadWithTheCommandLinesRules) {
  ASSERT_TRUE(waitForModel());
  part<QSpinBox>(w(), "modelN")->setValue(128);  // a choice of n (the example opens at 64)
  ASSERT_TRUE(waitForModel());
  part<QLineEdit>(w(), "modelGlobals")->setText(QStringLiteral("0, 5"));
  const QString longformer = writeFile(QStringLiteral("longformer.json"), R"({"model_type": "longformer",
      "num_hidden_layers": 3, "attention_window": [8, 8, 16]})");
  ASSERT_TRUE(panel()->openConfig(longformer)) << panel()->message().toStdString();
  ASSERT_TRUE(waitForModel());
  ASSERT_EQ(panel()->stack().layers.size(), 3u);
  EXPECT_EQ(panel()->stack().n, 128);
  for (const StackLayer& layer : panel()->stack().layers) {
    EXPECT_EQ(layer.pattern, "hf-longformer");
    EXPECT_TRUE(std::find(layer.params.begin(), layer.params.end(),
                          std::pair<std::string, std::string>{"global_tokens", "0,5"}) != layer.params.end())
        << layer.describe();
  }
  // A token past n, typed once the config is open: --global's refusal, and the stack stays.
  const std::vector<StackLayer> layers = panel()->stack().layers;
  auto* globals = part<QLineEdit>(w(), "modelGlobals");
  globals->setText(QStringLiteral("128"));
  emit globals->editingFinished();
  EXPECT_EQ(panel()->message().toStdString(),
            "global token 128 is not allowed: expected token indices 0 … 127, comma-separated");
  EXPECT_EQ(panel()->stack().layers, layers);
  // A folder named like a config: the engine's rule for every input file.
  QDir(dir_.path()).mkdir(QStringLiteral("folder.json"));
  EXPECT_FALSE(panel()->openConfig(dir_.filePath(QStringLiteral("folder.json"))));
  EXPECT_TRUE(panel()->message().contains(QStringLiteral("it is not a regular file (a folder)")))
      << panel()->message().toStdString();
  EXPECT_EQ(panel()->stack().layers, layers);
}

TEST_F(ModelTabTest, TypingAndEditingTheStack) {
  ASSERT_TRUE(waitForModel());
  auto* form = part<QLineEdit>(w(), "modelShortForm");
  form->setText(QStringLiteral("window radius=1 ×3, causal"));
  QTest::keyClick(form, Qt::Key_Return);
  ASSERT_TRUE(waitForModel());
  EXPECT_EQ(panel()->stack().layers.size(), 4u);
  auto* list = part<QListWidget>(w(), "modelLayers");
  list->setCurrentRow(3);
  QTest::mouseClick(part<QToolButton>(w(), "layerRepeat"), Qt::LeftButton);
  ASSERT_TRUE(waitForModel());
  EXPECT_EQ(form->text(), QStringLiteral("window radius=1 ×3, causal ×2"));
  list->setCurrentRow(0);
  QTest::mouseClick(part<QToolButton>(w(), "layerDown"), Qt::LeftButton);
  QTest::mouseClick(part<QToolButton>(w(), "layerRemove"), Qt::LeftButton);
  ASSERT_TRUE(waitForModel());
  EXPECT_EQ(form->text(), QStringLiteral("window radius=1 ×2, causal ×2"));
  form->setText(QStringLiteral("window radius"));
  QTest::keyClick(form, Qt::Key_Return);
  EXPECT_TRUE(panel()->message().contains(QStringLiteral("neither KEY=VALUE")));
  EXPECT_EQ(panel()->stack().layers.size(), 4u);
  // The pattern chosen on the left becomes a new layer.
  PatternChoice c;
  c.pattern = QStringLiteral("global");
  c.params = {{QStringLiteral("tokens"), QStringLiteral("0,5")}};
  c.n = 16;
  controls()->setChoice(c);
  waitForResult(w());
  emit panel()->addCurrentPatternRequested();
  ASSERT_TRUE(waitForModel());
  EXPECT_EQ(panel()->stack().layers.back().describe(), "global (tokens=0,5)");
}

TEST_F(ModelTabTest, ALayerThumbnailOpensInTheMatrix) {
  ASSERT_TRUE(waitForModel());
  part<QLineEdit>(w(), "modelShortForm")->setText(QStringLiteral("full, window radius=3 dilation=2, full"));
  QTest::keyClick(part<QLineEdit>(w(), "modelShortForm"), Qt::Key_Return);
  ASSERT_TRUE(waitForModel());
  QToolButton* thumb = part<QToolButton>(w(), "layerThumb1");
  ASSERT_TRUE(thumb);
  QTest::mouseClick(thumb, Qt::LeftButton);
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_EQ(controls()->choice().pattern, QStringLiteral("window"));
  EXPECT_EQ(controls()->choice().n, 64);
  EXPECT_EQ(controls()->choice().param(QStringLiteral("radius")), QStringLiteral("3"));
  EXPECT_EQ(controls()->choice().param(QStringLiteral("dilation")), QStringLiteral("2"));
  EXPECT_EQ(w().currentPage(), heatmap()->parentWidget());
}

TEST_F(ModelTabTest, PathNamesTheLayerOfEachHop) {
  ASSERT_TRUE(waitForModel());
  part<QLineEdit>(w(), "modelShortForm")->setText(QStringLiteral("window radius=2 ×2"));
  QTest::keyClick(part<QLineEdit>(w(), "modelShortForm"), Qt::Key_Return);
  ASSERT_TRUE(waitForModel());
  part<QSpinBox>(w(), "modelPathFrom")->setValue(7);
  part<QSpinBox>(w(), "modelPathTo")->setValue(3);
  waitForBackground(*panel());
  // Written as the Matrix tab writes 7 → 5 → 3 (2 hops), with the layer of each hop.
  EXPECT_TRUE(part<QLabel>(w(), "modelPath")
                  ->text()
                  .startsWith(QStringLiteral("7 → 5 → 3 (2 hops: hop 1 in layer 1, hop 2 in layer 0)")))
      << part<QLabel>(w(), "modelPath")->text().toStdString();
}

TEST_F(ModelTabTest, StackFilesRoundTripAndTheTabExports) {
  ASSERT_TRUE(waitForModel());
  const QString file = dir_.filePath(QStringLiteral("stack.json"));
  QString error;
  ASSERT_TRUE(panel()->saveStack(file, &error)) << error.toStdString();
  part<QLineEdit>(w(), "modelShortForm")->setText(QStringLiteral("full"));
  QTest::keyClick(part<QLineEdit>(w(), "modelShortForm"), Qt::Key_Return);
  ASSERT_TRUE(waitForModel());
  ASSERT_TRUE(panel()->openStack(file));
  ASSERT_TRUE(waitForModel());
  EXPECT_EQ(panel()->stack().layers.size(), 6u);
  ASSERT_TRUE(w().showView(QStringLiteral("model")));
  for (const char* name : {"m.png", "m.svg", "m.pdf"}) {
    const QString out = dir_.filePath(QString::fromLatin1(name));
    ASSERT_TRUE(w().exportPicture(out, 900, 500, 96, &error)) << error.toStdString();
    EXPECT_GT(QFile(out).size(), 1000) << name;
  }
}

}  // namespace
}  // namespace attnscope

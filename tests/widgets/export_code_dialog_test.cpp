// File → Export pattern as code…: the dialog shows what the engine writes, refuses inline what a format cannot
// take, and saves what it previews; the main window opens it on the pattern on screen.
#include <QClipboard>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTemporaryDir>

#include "engine/codegen/deepspeed_config.h"
#include "engine/codegen/fitted_model.h"
#include "engine/masks/mask_io.h"
#include "tests/widgets/window_fixture.h"
#include "widgets/pattern/export_code_dialog.h"

namespace attnscope {
namespace {

bool settled(ExportCodeDialog& d) {
  return waitUntil([&] { return !d.runner()->busy(); });
}

PatternChoice choiceOf(const QString& pattern, Index n, QList<QPair<QString, QString>> params) {
  PatternChoice c;
  c.pattern = pattern;
  c.n = n;
  c.params = std::move(params);
  return c;
}

TEST(ExportCodeDialogTest, PreviewsCopiesAndSavesWhatTheEngineWrites) {
  const PatternChoice choice = choiceOf(QStringLiteral("deepspeed-bslongformer"), 128,
                                        {{QStringLiteral("global_block_indices"), QStringLiteral("0,3")}});
  ExportCodeDialog dialog(choice, std::nullopt);
  ASSERT_TRUE(settled(dialog));
  // A DeepSpeed pattern opens on DeepSpeed's format; the preview is the engine's text.
  const CheckedPattern checked = checkChoice(choice);
  EXPECT_EQ(dialog.text().toStdString(), codegen::deepspeedPython(checked));
  EXPECT_TRUE(dialog.preview()->toPlainText().contains(QStringLiteral("BSLongformerSparsityConfig(")));
  EXPECT_EQ(dialog.sourceBox()->count(), 1);  // no model stack was given
  dialog.copyButton()->click();
  EXPECT_EQ(QApplication::clipboard()->text(), dialog.text());

  dialog.formatBox()->setCurrentIndex(ExportCodeDialog::Flex);
  ASSERT_TRUE(settled(dialog));
  EXPECT_TRUE(dialog.text().contains(QStringLiteral("def mask_mod(b, h, q_idx, kv_idx):")));

  // The block layout as .npy: the bytes mask --layout writes.
  dialog.formatBox()->setCurrentIndex(ExportCodeDialog::LayoutNpy);
  ASSERT_TRUE(settled(dialog));
  EXPECT_TRUE(dialog.saveButton()->isEnabled());
  EXPECT_TRUE(dialog.suggestedName().endsWith(QStringLiteral("-layout.npy")));
  QTemporaryDir dir;
  const QString saved = dir.filePath(QStringLiteral("layout.npy")), expected = dir.filePath(QStringLiteral("e.npy"));
  ASSERT_TRUE(dialog.saveTo(saved));
  writeLayoutNpy(checked.build(), expected.toStdString());
  QFile a(saved), b(expected);
  ASSERT_TRUE(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
  EXPECT_EQ(a.readAll(), b.readAll());
}

TEST(ExportCodeDialogTest, AFormatThePatternCannotTakeSaysWhyInline) {
  LayerStack stack;
  stack.name = QStringLiteral("two layers").toStdString();
  stack.n = 64;
  stack.layers = parseShortForm("window radius=7 causal=true, causal");
  ExportCodeDialog dialog(choiceOf(QStringLiteral("window"), 64, {}), stack);
  ASSERT_TRUE(settled(dialog));
  dialog.formatBox()->setCurrentIndex(ExportCodeDialog::DeepSpeedJson);
  ASSERT_TRUE(settled(dialog));
  EXPECT_TRUE(dialog.message()->text().contains(QStringLiteral("'window' has no DeepSpeed SparsityConfig")))
      << dialog.message()->text().toStdString();
  EXPECT_FALSE(dialog.saveButton()->isEnabled());
  EXPECT_FALSE(dialog.copyButton()->isEnabled());
  EXPECT_TRUE(dialog.text().isEmpty());
  // The model's stack as Hugging Face fields.
  ASSERT_EQ(dialog.sourceBox()->count(), 2);
  dialog.sourceBox()->setCurrentIndex(1);
  dialog.formatBox()->setCurrentIndex(ExportCodeDialog::HfConfig);
  ASSERT_TRUE(settled(dialog));
  EXPECT_TRUE(dialog.text().contains(QStringLiteral("\"layer_types\": [\"sliding_attention\", \"full_attention\"]")))
      << dialog.text().toStdString();
  EXPECT_TRUE(dialog.text().contains(QStringLiteral("\"sliding_window\": 8")));
}

TEST(ExportCodeDialogTest, FittedHeadsAreWrittenHeadByHead) {
  codegen::FittedModel fitted;
  fitted.source = "dump.npz";
  fitted.n = 32;
  fitted.keep = 0.9;
  const FitCandidate narrow{"window", {{"radius", "1"}, {"causal", "true"}}, 0, 0.9};
  const FitCandidate wide{"window", {{"radius", "6"}, {"causal", "true"}}, 0, 0.95};
  fitted.heads = {{narrow, wide}, {wide, wide}};
  ExportCodeDialog dialog(choiceOf(QStringLiteral("full"), 32, {}), std::nullopt, fitted);
  ASSERT_EQ(dialog.sourceBox()->count(), 2);
  EXPECT_TRUE(dialog.sourceBox()->itemText(1).startsWith(QStringLiteral("The fitted heads: 2 layers × 2 heads")));
  dialog.sourceBox()->setCurrentIndex(1);
  ASSERT_TRUE(settled(dialog));
  EXPECT_EQ(dialog.text().toStdString(), codegen::flexAttentionFitCode(fitted));
  EXPECT_TRUE(dialog.text().contains(QStringLiteral("((h == 1) & fit_1(b, h, q_idx, kv_idx))")));
  // A config has one window a layer: the widest of its heads', said so.
  dialog.formatBox()->setCurrentIndex(ExportCodeDialog::HfConfig);
  ASSERT_TRUE(settled(dialog));
  EXPECT_TRUE(dialog.text().contains(QStringLiteral("\"sliding_window\": 7"))) << dialog.text().toStdString();
  EXPECT_TRUE(dialog.text().contains(QStringLiteral("layer 0: its heads' fits differ")));
  dialog.formatBox()->setCurrentIndex(ExportCodeDialog::DeepSpeedJson);
  ASSERT_TRUE(settled(dialog));
  EXPECT_TRUE(dialog.message()->text().contains(QStringLiteral("fitted heads are written as FlexAttention")));
}

class ExportCodeWindowTest : public ::testing::Test {
 protected:
  void SetUp() override { window_ = std::make_unique<MainWindow>(); }
  std::unique_ptr<MainWindow> window_;
};

TEST_F(ExportCodeWindowTest, TheMenuOpensItOnThePatternOnScreen) {
  ASSERT_TRUE(waitForResult(*window_));
  EXPECT_EQ(window_->openExportCodeDialog(QStringLiteral("onnx")), nullptr);
  QAction* action = nullptr;
  for (QAction* a : window_->findChildren<QAction*>())
    if (a->text() == QStringLiteral("Export pattern as c&ode…")) action = a;
  ASSERT_NE(action, nullptr);
  action->trigger();
  auto* dialog = window_->findChild<ExportCodeDialog*>();
  ASSERT_NE(dialog, nullptr);
  ASSERT_TRUE(settled(*dialog));
  EXPECT_TRUE(dialog->text().contains(QStringLiteral("# pattern:    window\n# parameters: radius=2, dilation=1")))
      << dialog->text().left(400).toStdString();
  dialog->close();
}

}  // namespace
}  // namespace attnscope

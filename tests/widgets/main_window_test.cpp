// The desktop app driven as a user would: real widgets, simulated keys and clicks, offscreen.
#include <gtest/gtest.h>

#include <QCheckBox>
#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QImage>
#include <QImageReader>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSlider>
#include <QTemporaryDir>
#include <QTabWidget>
#include <QTest>

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "engine/patterns/pattern_registry.h"
#include "widgets/shared/gui_limits.h"
#include "app/main_window.h"
#include "tests/widgets/window_fixture.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/matrix/hop_profile_view.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/pattern/path_panel.h"
#include "widgets/pattern/pattern_controls.h"
#include "widgets/pattern/reach_curve_view.h"
#include "widgets/pattern/stats_panel.h"
#include "widgets/weights/weights_panel.h"

namespace attnscope {
namespace {

TEST_F(MainWindowTest, StartsWithTheWindowOfFive) {
  EXPECT_TRUE(statsPanel()->plainText().contains(QStringLiteral("74 of 256 cells, 28.9%, ≈4.6 per token")))
      << statsPanel()->plainText().toStdString();
  EXPECT_TRUE(statsPanel()->plainText().contains(QStringLiteral("8 hops")));
  EXPECT_EQ(heatmap()->tokens(), 16);
  EXPECT_EQ(heatmap()->pictureValue(7, 5), 1.0f);
  EXPECT_EQ(heatmap()->pictureValue(7, 3), 0.0f);  // 7 cannot attend 3 directly
}

// A field that claims every key with a modifier for editing, as a line edit claims Ctrl+E (end of line) under the
// X11 key bindings (the offscreen platform's bindings are Windows', which leave Ctrl+E alone).
class GreedyField : public QLineEdit {
 public:
  using QLineEdit::QLineEdit;

 protected:
  bool event(QEvent* e) override {
    if (e->type() == QEvent::ShortcutOverride) {
      e->accept();
      return true;
    }
    return QLineEdit::event(e);
  }
};

// A shortcut pressed while a number box or a text field has focus reaches the menu's action, even one the field
// would take for editing. The actions' slots are disconnected here, so Export opens no dialog; the spy sees the
// action fire.
TEST_F(MainWindowTest, ShortcutsWorkWhileANumberBoxHasFocus) {
  w().activateWindow();
  ASSERT_TRUE(QTest::qWaitForWindowActive(&w()));
  QAction* exportAction = nullptr;
  QAction* layoutAction = nullptr;
  for (QAction* a : w().findChildren<QAction*>()) {
    if (a->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_E)) exportAction = a;
    if (a->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_L)) layoutAction = a;
  }
  ASSERT_TRUE(exportAction && layoutAction);
  QObject::disconnect(exportAction, &QAction::triggered, nullptr, nullptr);
  QSignalSpy exported(exportAction, &QAction::triggered);
  QWidget* n = nullptr;  // the left dock's (other tabs hold their own pattern controls, hidden)
  for (QWidget* c : w().findChildren<QWidget*>(QStringLiteral("n")))
    if (c->isVisible()) n = c;
  ASSERT_NE(n, nullptr);
  auto* greedy = new GreedyField(n->parentWidget());
  greedy->setObjectName(QStringLiteral("greedy"));
  greedy->show();
  for (const char* name : {"n", "text", "greedy"}) {
    SCOPED_TRACE(name);
    QWidget* field = nullptr;
    for (QWidget* c : w().findChildren<QWidget*>(QString::fromUtf8(name)))
      if (c->isVisible()) field = c;
    ASSERT_NE(field, nullptr);
    field->setFocus();
    ASSERT_TRUE(field->hasFocus());
    const int before = int(exported.count());
    QTest::keyClick(field, Qt::Key_E, Qt::ControlModifier);
    EXPECT_EQ(exported.count(), before + 1);
  }
  // Editing keys no action has stay with the field: Ctrl+A selects the sentence typed.
  QLineEdit* text = nullptr;
  for (QLineEdit* c : w().findChildren<QLineEdit*>(QStringLiteral("text")))
    if (c->isVisible()) text = c;
  ASSERT_NE(text, nullptr);
  text->setText(QStringLiteral("the cat sat"));
  text->setFocus();
  QTest::keyClick(text, Qt::Key_A, Qt::ControlModifier);
  EXPECT_EQ(text->selectedText(), QStringLiteral("the cat sat"));
}

// The window fits a 1280 × 720 projector with every dock open (at most 1,024 px wide at the default text size): a
// page that needs more than the tab has scrolls. The right-hand docks describe the pattern on the left, so the tabs
// that show something else (Model, Approximate, Real attention) put them aside, and leaving such a tab brings back
// exactly those.
TEST_F(MainWindowTest, TheWindowFitsAProjectorAndDocksFollowTheTab) {
  EXPECT_LE(w().minimumSizeHint().width(), 1024);
  EXPECT_LE(w().minimumSizeHint().height(), 720);
  w().resize(1280, 720);
  auto* counts = w().findChild<QDockWidget*>(QStringLiteral("countsDock"));
  auto* paths = w().findChild<QDockWidget*>(QStringLiteral("pathsDock"));
  auto* about = w().findChild<QDockWidget*>(QStringLiteral("explanationDock"));
  ASSERT_TRUE(counts && paths && about);
  about->hide();  // closed by the user: it stays closed
  for (const char* view : {"model", "approx", "weights"}) {
    SCOPED_TRACE(view);
    ASSERT_TRUE(w().showView(QString::fromUtf8(view)));
    EXPECT_FALSE(counts->isVisible());
    EXPECT_FALSE(paths->isVisible());
    ASSERT_TRUE(w().showView(QStringLiteral("matrix")));
    EXPECT_TRUE(counts->isVisible());
    EXPECT_TRUE(paths->isVisible());
    EXPECT_FALSE(about->isVisible());
  }
  ASSERT_TRUE(w().showView(QStringLiteral("compare")));  // side by side shows the left pattern: the docks stay
  EXPECT_TRUE(counts->isVisible());
}

// Every map fills the space it is given with square cells: on each tab that draws one, at a projector's 1280 × 720
// and at 1600 × 1000, the axes run exactly over the matrix (−0.5 … n − 0.5), the map's rectangle is square within
// 2%, and it spans at least half of the view's shorter side.
TEST_F(MainWindowTest, EveryMapFillsItsSpaceWithSquareCells) {
  w().showView(QStringLiteral("weights"));
  ASSERT_TRUE(part<WeightsPanel>(w(), "weights")->openExample());
  for (const QSize size : {QSize(1280, 720), QSize(1600, 1000)}) {
    w().resize(size);
    for (const char* view : {"matrix", "hops", "compare", "run", "approx", "weights"}) {
      ASSERT_TRUE(w().showView(QString::fromUtf8(view)));
      ASSERT_TRUE(waitForBackground(w()));
      int maps = 0;
      for (HeatmapView* map : w().findChildren<HeatmapView*>()) {
        if (!map->isVisible() || map->tokens() == 0) continue;
        SCOPED_TRACE(std::string(view) + " " + map->objectName().toStdString() + " at " + std::to_string(size.width()) +
                     "×" + std::to_string(size.height()));
        ++maps;
        ASSERT_TRUE(waitUntil([&] { return map->mapRect().width() > 1; }));
        const QRect rect = map->mapRect();
        const double n = double(map->tokens());
        const QRectF range = map->viewRange();
        EXPECT_DOUBLE_EQ(range.left(), -0.5);
        EXPECT_DOUBLE_EQ(range.right(), n - 0.5);
        EXPECT_DOUBLE_EQ(range.top(), -0.5);
        EXPECT_DOUBLE_EQ(range.bottom(), n - 0.5);
        EXPECT_NEAR(double(rect.width()) / rect.height(), 1.0, 0.02) << rect.width() << "×" << rect.height();
        const int shorter = std::min(map->plotWidget()->width(), map->plotWidget()->height());
        EXPECT_GE(rect.width(), shorter / 2) << rect.width() << " of " << shorter;
      }
      EXPECT_GE(maps, 1) << view;
    }
  }
}

// An export carries what the screen says beside the map (the counts and the path) and offers a file name that
// says what it shows and at which n.
TEST_F(MainWindowTest, AnExportSaysWhatTheScreenSaysAndIsNamedForIt) {
  ASSERT_TRUE(waitForBackground(w()));
  EXPECT_EQ(w().defaultExportName(), QStringLiteral("window-n16.png"));
  EXPECT_EQ(w().exportCaption(), QStringLiteral("74 of 256 cells, 28.9%, ≈4.6 per token   ·   7 → 5 → 3 (2 hops)"));
  w().showView(QStringLiteral("hops"));
  EXPECT_EQ(w().defaultExportName(), QStringLiteral("window-n16-hops.png"));
  w().showView(QStringLiteral("model"));
  EXPECT_EQ(w().defaultExportName(), QStringLiteral("model-typed_stack-n64.png"));
  w().showView(QStringLiteral("matrix"));
  w().loadPreset(builtInPresets().at(1));  // the window plus a CLS token: a '+' in the name
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_EQ(w().defaultExportName(), QStringLiteral("window_global-n16.png"));
  // The caption is drawn: above the map's own title the exported figure has a line of text that the map alone,
  // exported at the same size, does not.
  QTemporaryDir dir;
  const QString captioned = dir.filePath(QStringLiteral("matrix.png")), bare = dir.filePath(QStringLiteral("bare.png"));
  QString error;
  ASSERT_TRUE(w().exportPicture(captioned, 1200, 1200, 150, &error)) << error.toStdString();
  ASSERT_TRUE(heatmap()->exportTo(bare, 1200, 1200, 150, &error)) << error.toStdString();
  auto inkAtTop = [](const QString& file) {
    const QImage image(file);
    int dark = 0;
    for (int y = 0; y < 40 && y < image.height(); ++y)
      for (int x = 0; x < image.width(); ++x) dark += qGray(image.pixel(x, y)) < 128;
    return dark;
  };
  EXPECT_GT(inkAtTop(captioned), inkAtTop(bare) + 200);
}

// A mask drawn a pixel a cell holds only 0 and 1: its scale is a two-entry legend. Past 1,024 tokens a pixel is a
// share of its cells, and the scale is a continuous bar again.
TEST_F(MainWindowTest, ABinaryMaskHasATwoEntryLegend) {
  EXPECT_EQ(heatmap()->scaleLabels(), (QStringList{QStringLiteral("not"), QStringLiteral("attended")}));
  controls()->nBox()->setValue(2048);
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_EQ(heatmap()->tokens(), 2048);
  EXPECT_TRUE(heatmap()->scaleLabels().isEmpty());
}

// A map with nothing to show says so in a sentence instead of drawing axes from −1 to 1 around nothing; once a
// picture arrives the axes are back.
TEST_F(MainWindowTest, AnEmptyMapIsASentenceNotEmptyAxes) {
  HeatmapView view;
  view.resize(400, 400);
  EXPECT_FALSE(view.showsAxes());
  EXPECT_EQ(view.shownTitle(), QStringLiteral("Nothing to show yet"));
  view.setPicture(w().result()->picture, 0, w().result()->mask, QStringLiteral("window"));
  EXPECT_TRUE(view.showsAxes());
  EXPECT_EQ(view.shownTitle(), QStringLiteral("window"));
  view.setPicture(nullptr, 0, nullptr, QString());
  EXPECT_FALSE(view.showsAxes());
}

TEST_F(MainWindowTest, ChangingAParameterUpdatesCountsAndPicture) {
  auto* radius = qobject_cast<QSpinBox*>(controls()->editor(QStringLiteral("radius")));
  ASSERT_NE(radius, nullptr);
  radius->setFocus();
  QTest::keyClick(radius, Qt::Key_Up);  // radius 2 → 3
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_EQ(radius->value(), 3);
  // 16 rows of 7 keys, less 3 + 2 + 1 cut off at each end.
  EXPECT_TRUE(statsPanel()->plainText().contains(QStringLiteral("100 of 256 cells")))
      << statsPanel()->plainText().toStdString();
  EXPECT_EQ(heatmap()->pictureValue(0, 3), 1.0f);
  EXPECT_TRUE(heatmap()->title().contains(QStringLiteral("radius=3")));
}

TEST_F(MainWindowTest, AnInvalidValueShowsTheMessageAndKeepsThePicture) {
  const QString before = heatmap()->title();
  controls()->familyBox()->setCurrentText(QStringLiteral("blocks"));
  ASSERT_TRUE(waitForResult(w()));
  const QString blocks = heatmap()->title();
  EXPECT_TRUE(blocks.startsWith(QStringLiteral("blocks"))) << blocks.toStdString();
  QSpinBox* n = controls()->nBox();
  n->setFocus();
  QTest::keyClick(n, Qt::Key_Up);  // n = 17 is not a multiple of block 4
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_TRUE(controls()->errorText().contains(
      QStringLiteral("n = 17 is not allowed for blocks: it must be a multiple of block = 4")))
      << controls()->errorText().toStdString();
  EXPECT_EQ(heatmap()->title(), blocks);  // the last good picture stays up
  EXPECT_EQ(heatmap()->tokens(), 16);
  QTest::keyClick(n, Qt::Key_Down);  // back to 16: the message goes away
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_TRUE(controls()->errorText().isEmpty());
  (void)before;
}

TEST_F(MainWindowTest, LoadingAPresetSetsEveryControl) {
  PatternChoice preset;
  for (const Preset& p : builtInPresets())
    if (p.choice.pattern == QStringLiteral("deepspeed-fixed")) {
      preset = p.choice;
      w().loadPreset(p);
    }
  ASSERT_EQ(preset.pattern, QStringLiteral("deepspeed-fixed"));
  ASSERT_TRUE(waitForResult(w()));
  PatternControls* c = controls();
  EXPECT_EQ(c->familyBox()->currentText(), QStringLiteral("deepspeed-fixed"));
  EXPECT_EQ(c->nBox()->value(), 512);
  EXPECT_EQ(qobject_cast<QSpinBox*>(c->editor(QStringLiteral("num_heads")))->value(), 4);
  EXPECT_EQ(qobject_cast<QSpinBox*>(c->editor(QStringLiteral("block")))->value(), 16);
  EXPECT_TRUE(qobject_cast<QCheckBox*>(c->editor(QStringLiteral("different_layout_per_head")))->isChecked());
  EXPECT_EQ(qobject_cast<QSpinBox*>(c->editor(QStringLiteral("num_different_global_patterns")))->value(), 4);
  EXPECT_EQ(qobject_cast<QComboBox*>(c->editor(QStringLiteral("attention")))->currentText(),
            QStringLiteral("bidirectional"));
  auto* head = w().findChild<QSpinBox*>(QStringLiteral("head"));
  ASSERT_NE(head, nullptr);
  EXPECT_EQ(head->maximum(), 3);
  // The controls give the preset back: every value it sets is set (values equal to a default are left out).
  const PatternChoice back = c->choice();
  EXPECT_EQ(back.pattern, preset.pattern);
  EXPECT_EQ(back.n, preset.n);
  for (const auto& [key, value] : preset.params)
    EXPECT_TRUE(back.param(key) == value || (back.param(key).isEmpty() && key == QStringLiteral("block")))
        << key.toStdString();
  EXPECT_TRUE(statsPanel()->plainText().contains(QStringLiteral("Blocks")));
}

TEST_F(MainWindowTest, EveryBuiltInPresetLoads) {
  const auto presets = builtInPresets();
  EXPECT_GE(presets.size(), 9);
  for (const Preset& preset : presets) {
    w().loadPreset(preset);
    ASSERT_TRUE(waitForResult(w())) << preset.name.toStdString();
    EXPECT_TRUE(controls()->errorText().isEmpty())
        << preset.name.toStdString() << ": " << controls()->errorText().toStdString();
    EXPECT_EQ(heatmap()->tokens(), preset.choice.n) << preset.name.toStdString();
    // A sentence labels the axes only when n is its token count: every shipped preset with one keeps them equal.
    if (!preset.choice.text.isEmpty())
      EXPECT_EQ(w().result()->tokens.size(), preset.choice.n) << preset.name.toStdString();
  }
}

// What a preset decides, as the window shows it once the result is in.
struct PresetState {
  PatternChoice choice;  // the pattern, every parameter that differs from its default, n, the sentence
  Index from = -1, to = -1;
  int tab = -1;
  QString pathText;
  bool operator==(const PresetState&) const = default;
};

std::string describe(const PresetState& s) {
  return s.choice.title().toStdString() + (s.choice.text.isEmpty() ? "" : " '" + s.choice.text.toStdString() + "'") +
         ", path " + std::to_string(s.from) + " to " + std::to_string(s.to) + " (" + s.pathText.toStdString() +
         "), tab " + std::to_string(s.tab);
}

// Every parameter's value, defaults included.
std::map<std::string, std::string> resolved(const PatternChoice& c) {
  std::map<std::string, std::string> out;
  const PatternSpec spec = PatternSpec::parse(c.pattern.toStdString());
  const ParamSet values = spec.resolve(c.paramTexts());
  for (const auto& [name, value] : values.values()) out[name] = formatParam(value);
  return out;
}

PresetState stateOf(MainWindow& w) {
  EXPECT_TRUE(waitForBackground(w));
  auto* paths = part<PathPanel>(w, "pathPanel");
  return {part<PatternControls>(w, "patternControls")->choice(), paths->from(), paths->to(),
          part<QTabWidget>(w, "tabs")->currentIndex(), paths->pathText()};
}

// Applying any preset after any other ends in the state that preset alone gives on a fresh start: the previous
// family's parameters (BigBird's num_heads), path tokens (a key moved to 1) and tab never carry over.
TEST_F(MainWindowTest, EveryPairOfPresetsEndsAsTheSecondAlone) {
  const QList<Preset> presets = builtInPresets();
  std::vector<PresetState> alone;
  for (const Preset& preset : presets) {
    MainWindow fresh(/*restore=*/false);
    fresh.resize(1300, 850);
    fresh.show();
    ASSERT_TRUE(waitForResult(fresh));
    fresh.loadPreset(preset);
    ASSERT_TRUE(waitForResult(fresh)) << preset.name.toStdString();
    alone.push_back(stateOf(fresh));
    EXPECT_EQ(resolved(alone.back().choice), resolved(preset.choice)) << preset.name.toStdString();
    EXPECT_EQ(alone.back().choice.n, preset.choice.n) << preset.name.toStdString();
  }
  // One walk through the presets in which every ordered pair (i then j, i = j included) occurs once as
  // neighbours: a de Bruijn sequence of order 2 over their indices, so 82 loads stand for 81 pairs.
  const int k = static_cast<int>(presets.size());
  std::vector<int> walk, a(2 * static_cast<std::size_t>(k), 0);
  std::function<void(int, int)> debruijn = [&](int t, int p) {
    if (t > 2) {
      if (2 % p == 0)
        for (int q = 1; q <= p; ++q) walk.push_back(a[static_cast<std::size_t>(q)]);
      return;
    }
    a[static_cast<std::size_t>(t)] = a[static_cast<std::size_t>(t - p)];
    debruijn(t + 1, p);
    for (int v = a[static_cast<std::size_t>(t - p)] + 1; v < k; ++v) {
      a[static_cast<std::size_t>(t)] = v;
      debruijn(t + 1, t);
    }
  };
  debruijn(1, 1);
  walk.push_back(walk.front());  // the cycle closed: its last pair
  ASSERT_EQ(walk.size(), static_cast<std::size_t>(k * k + 1));
  std::set<std::pair<int, int>> pairs;
  for (std::size_t s = 1; s < walk.size(); ++s) pairs.insert({walk[s - 1], walk[s]});
  ASSERT_EQ(pairs.size(), static_cast<std::size_t>(k * k));

  auto* paths = part<PathPanel>(w(), "pathPanel");
  for (std::size_t s = 0; s < walk.size(); ++s) {
    const Preset& preset = presets[walk[s]];
    SCOPED_TRACE((s ? presets[walk[s - 1]].name.toStdString() + " then " : std::string()) + preset.name.toStdString());
    paths->setTo(1);  // what a user does in between: move the key, change the tab
    w().showView(QStringLiteral("hops"));
    w().loadPreset(preset);
    ASSERT_TRUE(waitForResult(w()));
    const PresetState now = stateOf(w());
    EXPECT_TRUE(now == alone[static_cast<std::size_t>(walk[s])])
        << describe(now) << "\n against " << describe(alone[static_cast<std::size_t>(walk[s])]);
  }
}

// The path stays drawn through every rebuild, even when its tokens and hops stay the same: a sentence of 16 words
// (the same n and window) and a preset that names the same path both redraw 7 → 5 → 3.
TEST_F(MainWindowTest, ThePathIsDrawnAgainAfterEveryRebuild) {
  auto* paths = part<PathPanel>(w(), "pathPanel");
  ASSERT_TRUE(waitForBackground(w()));
  ASSERT_EQ(heatmap()->shownPath(), (std::vector<Index>{7, 5, 3}));
  controls()->textField()->setText(QStringLiteral(
      "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"));
  ASSERT_TRUE(waitForResult(w()));
  ASSERT_TRUE(waitForBackground(w()));
  EXPECT_EQ(heatmap()->shownPath(), (std::vector<Index>{7, 5, 3}));
  EXPECT_TRUE(paths->pathText().startsWith(QStringLiteral("7 (eight) → 5 (six) → 3 (four)")))
      << paths->pathText().toStdString();
  w().loadPreset(builtInPresets().front());  // the window of 5: the same path
  ASSERT_TRUE(waitForResult(w()));
  ASSERT_TRUE(waitForBackground(w()));
  EXPECT_EQ(heatmap()->shownPath(), (std::vector<Index>{7, 5, 3}));
}

// When the sentence and n disagree, a line under the sentence says why no words label the axes, and goes away when
// they agree again.
TEST_F(MainWindowTest, ASentenceAndAnNThatDisagreeAreExplained) {
  QLabel* hint = controls()->findChild<QLabel*>(QStringLiteral("tokensHint"));
  ASSERT_NE(hint, nullptr);
  EXPECT_FALSE(hint->isVisible());
  QLineEdit* text = controls()->textField();
  text->setFocus();
  QTest::keyClicks(text, QStringLiteral("the cat sat on the mat"));
  ASSERT_TRUE(waitUntil([&] { return heatmap()->tokens() == 6; }));
  EXPECT_FALSE(hint->isVisible());  // n followed the sentence
  QSpinBox* n = controls()->nBox();
  n->setFocus();
  QTest::keyClick(n, Qt::Key_Up);  // 7, by hand
  ASSERT_TRUE(waitUntil([&] { return heatmap()->tokens() == 7; }));
  EXPECT_TRUE(hint->isVisible());
  EXPECT_EQ(hint->text(), QStringLiteral("The sentence has 6 tokens and n = 7, so its words do not label the axes: "
                                         "set n to 6 to see them."));
  QTest::keyClick(n, Qt::Key_Down);
  ASSERT_TRUE(waitUntil([&] { return heatmap()->tokens() == 6; }));
  EXPECT_FALSE(hint->isVisible());
}

TEST_F(MainWindowTest, ASentenceSetsNAndLabelsTheAxes) {
  QLineEdit* text = controls()->textField();
  text->setFocus();
  QTest::keyClicks(text, QStringLiteral("the cat sat on the mat"));
  ASSERT_TRUE(waitUntil([&] { return heatmap()->tokens() == 6; }));
  EXPECT_EQ(controls()->nBox()->value(), 6);
  EXPECT_EQ(heatmap()->tokens(), 6);
  EXPECT_EQ(heatmap()->describeCell(1, 0), QStringLiteral("query 1 (cat) → key 0 (the): attended"));
}

TEST_F(MainWindowTest, ClickingAQueryRowHighlightsItsKeys) {
  HeatmapView* map = heatmap();
  ASSERT_TRUE(waitUntil([&] { return laidOut(map, 7, 3); }));
  const QPoint cell = map->cellCenter(7, 3);
  EXPECT_EQ(map->cellAt(cell), (std::pair<Index, Index>(7, 3)));
  QTest::mouseClick(map->plotWidget(), Qt::LeftButton, Qt::NoModifier, cell);
  EXPECT_EQ(map->highlightedQuery(), 7);
  QTest::mouseClick(map->plotWidget(), Qt::LeftButton, Qt::NoModifier, cell);  // again: cleared
  EXPECT_EQ(map->highlightedQuery(), -1);
}

TEST_F(MainWindowTest, ClickingTwoCellsShowsThePath) {
  // The lesson: query 7 of a window of 5 cannot attend key 3, but hears from it two layers later.
  HeatmapView* map = heatmap();
  ASSERT_TRUE(waitUntil([&] { return laidOut(map, 7, 9); }));
  QTest::mouseClick(map->plotWidget(), Qt::LeftButton, Qt::NoModifier, map->cellCenter(7, 9));     // query 7
  QTest::mouseClick(map->plotWidget(), Qt::LeftButton, Qt::ShiftModifier, map->cellCenter(7, 3));  // key 3
  ASSERT_TRUE(waitForBackground(w()));
  EXPECT_EQ(pathPanel()->pathText(), QStringLiteral("7 → 5 → 3 (2 hops)"));
  EXPECT_EQ(map->shownPath(), (std::vector<Index>{7, 5, 3}));
  // A causal window never looks ahead: 3 never hears from 7.
  auto* causal = qobject_cast<QCheckBox*>(controls()->editor(QStringLiteral("causal")));
  ASSERT_NE(causal, nullptr);
  causal->setFocus();
  QTest::keyClick(causal, Qt::Key_Space);
  ASSERT_TRUE(causal->isChecked());
  ASSERT_TRUE(waitForResult(w()));
  pathPanel()->setFrom(3);
  pathPanel()->setTo(7);
  ASSERT_TRUE(waitForBackground(w()));
  EXPECT_TRUE(pathPanel()->pathText().startsWith(QStringLiteral("3 never reaches 7")))
      << pathPanel()->pathText().toStdString();
  EXPECT_TRUE(map->shownPath().empty());
  EXPECT_EQ(pathPanel()->curve()->points(), 1 + 8);  // layer 0 and layers 1 … 8
}

TEST_F(MainWindowTest, HopMapCountsLayersAndShowsNever) {
  HeatmapView* hops = hopMap();
  ASSERT_EQ(hops->tokens(), 16);
  EXPECT_EQ(hops->pictureValue(7, 3), 2.0f);  // 7 → 5 → 3
  EXPECT_EQ(hops->pictureValue(7, 8), 1.0f);
  EXPECT_EQ(hops->pictureValue(0, 15), 8.0f);  // the diameter
  EXPECT_EQ(hops->pictureValue(4, 4), 0.0f);
  EXPECT_EQ(hops->describeCell(7, 3), QStringLiteral("query 7 → key 3: 2 hops"));
  auto* causal = qobject_cast<QCheckBox*>(controls()->editor(QStringLiteral("causal")));
  causal->setFocus();
  QTest::keyClick(causal, Qt::Key_Space);
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_TRUE(std::isnan(hops->pictureValue(3, 7)));  // a causal window never looks ahead
  EXPECT_EQ(hops->describeCell(3, 7), QStringLiteral("query 3 → key 7: never hears from it"));
  // Above 1,024 tokens there is no hop map, and the old one does not stay up.
  QSpinBox* n = controls()->nBox();
  n->setFocus();
  n->selectAll();
  QTest::keyClicks(n, QStringLiteral("2048"));
  ASSERT_TRUE(waitUntil([&] { return hops->tokens() == 0; }));
  EXPECT_EQ(hops->tokens(), 0);
  EXPECT_EQ(hops->pictureSide(), 0);
}

TEST_F(MainWindowTest, HopProfileForOneQueryWorksBeyondTheMap) {
  // A window of 5 at n = 2,048: no all-pairs map, but query 7's distances are drawn — and a click picks another.
  QSpinBox* n = controls()->nBox();
  n->setFocus();
  n->selectAll();
  QTest::keyClicks(n, QStringLiteral("2048"));
  QTest::keyClick(n, Qt::Key_Enter);
  ASSERT_TRUE(waitForResult(w()));
  ASSERT_TRUE(w().showView(QStringLiteral("hops")));
  HopProfileView* profile = hopProfile();
  EXPECT_FALSE(hopMap()->isVisible());
  EXPECT_EQ(hopQuery()->value(), 7);
  ASSERT_TRUE(waitForBackground(w()));
  EXPECT_EQ(profile->keysAt(0), 1);  // itself
  EXPECT_EQ(profile->keysAt(1), 4);  // 5, 6, 8, 9
  EXPECT_EQ(profile->keysAt(2), 4);  // 3, 4, 10, 11
  EXPECT_EQ(profile->keysNever(), 0);
  // The farthest key, 2,047, is 2,040 tokens away: 1,020 hops of 2.
  EXPECT_TRUE(profile->title().endsWith(QStringLiteral("within 1020 layers"))) << profile->title().toStdString();
  ASSERT_TRUE(w().showView(QStringLiteral("matrix")));
  ASSERT_TRUE(waitUntil([&] { return laidOut(heatmap(), 1000, 1000, 4); }));
  const QPoint at = heatmap()->cellCenter(1000, 1000);
  const auto [query, key] = heatmap()->cellAt(at);
  QTest::mouseClick(heatmap()->plotWidget(), Qt::LeftButton, Qt::NoModifier, at);
  EXPECT_EQ(hopQuery()->value(), query);
  // From query q the far ends are q and 2,047 − q tokens away.
  const Index farthest = std::max<Index>(query, 2047 - query);
  ASSERT_TRUE(waitForBackground(w()));
  EXPECT_TRUE(profile->title().endsWith(QStringLiteral("within %1 layers").arg((farthest + 1) / 2)))
      << profile->title().toStdString();
}

TEST_F(MainWindowTest, ExportWritesPngSvgAndPdf) {
  QTemporaryDir dir;
  QString error;
  const QString png = dir.filePath(QStringLiteral("a.png")), svg = dir.filePath(QStringLiteral("a.svg")),
                pdf = dir.filePath(QStringLiteral("a.pdf"));
  ASSERT_TRUE(w().exportPicture(png, 900, 700, 300, &error)) << error.toStdString();
  ASSERT_TRUE(w().exportPicture(svg, 600, 500, 300, &error)) << error.toStdString();
  ASSERT_TRUE(w().exportPicture(pdf, 600, 500, 300, &error)) << error.toStdString();
  QImageReader reader(png);
  EXPECT_EQ(reader.format(), QByteArray("png"));
  EXPECT_EQ(reader.size(), QSize(900, 700));
  const QImage image = reader.read();
  EXPECT_NEAR(image.dotsPerMeterX() * 0.0254, 300.0, 1.0);
  QFile s(svg), p(pdf);
  ASSERT_TRUE(s.open(QIODevice::ReadOnly));
  ASSERT_TRUE(p.open(QIODevice::ReadOnly));
  const QByteArray svgText = s.readAll();
  EXPECT_TRUE(svgText.contains("<svg"));
  EXPECT_TRUE(svgText.contains("window, n = 16"));  // the title names the pattern
  EXPECT_TRUE(p.readAll().startsWith("%PDF"));
  // A failed write leaves nothing behind.
  EXPECT_FALSE(w().exportPicture(dir.filePath(QStringLiteral("missing/a.png")), 900, 700, 300, &error));
  EXPECT_TRUE(error.contains(QStringLiteral("cannot write")));
  EXPECT_FALSE(w().exportPicture(dir.filePath(QStringLiteral("a.bmp")), 900, 700, 300, &error));
  EXPECT_FALSE(QFile::exists(dir.filePath(QStringLiteral("a.bmp"))));
}

TEST_F(MainWindowTest, LargeInputsDrawTheDensityPicture) {
  PatternChoice big;
  big.pattern = QStringLiteral("hf-longformer");
  big.params = {{QStringLiteral("attention_window"), QStringLiteral("512")}};
  big.n = 65536;
  w().setPatternChoice(big);
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_EQ(heatmap()->tokens(), 65536);
  EXPECT_EQ(heatmap()->pictureSide(), kMaxPictureSide);
  // A tile on the diagonal is about half attended (513 of 64 × 64 … keys per 64 rows); far off it, none.
  EXPECT_GT(heatmap()->pictureValue(500, 500), 0.5f);
  EXPECT_EQ(heatmap()->pictureValue(500, 900), 0.0f);
}

}  // namespace
}  // namespace attnscope

namespace attnscope {

TEST_F(MainWindowTest, BadPresetsShowOneMessageAndChangeNothing) {
  QTemporaryDir dir;
  const PatternChoice before = controls()->choice();
  struct Case {
    const char* file;
    QByteArray body;
    const char* needle;
  };
  QByteArray deep(5000, '[');
  const Case cases[] = {
      {"not-json.json", "window radius 2", "is not a preset"},
      {"array.json", "[1, 2]", "it is not a JSON object"},
      {"deep.json", deep, "is not a preset"},
      {"no-family.json", R"({"n": 16})", "needs a \"family\""},
      {"unknown-family.json", R"({"family": "sliding", "n": 16})", "pattern 'sliding' is unknown"},
      {"n-text.json", R"({"family": "window", "n": "16"})", "\"n\" must be a whole number 1 … 16777216"},
      {"n-fraction.json", R"({"family": "window", "n": 16.5})", "\"n\" must be a whole number"},
      {"n-huge.json", R"({"family": "window", "n": 1e12})", "\"n\" must be a whole number 1 … 16777216"},
      {"n-small.json", R"({"family": "window", "n": 0})", "\"n\" must be a whole number"},
      {"param-range.json", R"({"family": "window", "n": 16, "params": {"radius": -3}})", "parameter 'radius' = -3"},
      {"param-unknown.json", R"({"family": "window", "n": 16, "params": {"radius2": 3}})",
       "parameter 'radius2' is unknown"},
      {"param-type.json", R"({"family": "window", "n": 16, "params": {"radius": {"a": 1}}})", "must be a whole number"},
      {"params-type.json", R"({"family": "window", "n": 16, "params": [1]})", "\"params\" must be an object"},
      {"extra-key.json", R"({"family": "window", "n": 16, "colour": "red"})", "unknown key \"colour\""},
      {"memory.json", R"({"family": "deepspeed-fixed", "n": 16777216, "params": {"block": 1024, "num_heads": 256,
                          "different_layout_per_head": true}})",
       "the limit here is"},
  };
  for (const Case& c : cases) {
    const QString path = dir.filePath(QString::fromUtf8(c.file));
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write(c.body);
    f.close();
    EXPECT_FALSE(w().openPresetFile(path)) << c.file;
    EXPECT_TRUE(controls()->errorText().contains(QString::fromUtf8(c.needle)))
        << c.file << ": " << controls()->errorText().toStdString();
    EXPECT_EQ(controls()->errorText().count(QLatin1Char('\n')), 0) << c.file;
    EXPECT_TRUE(controls()->choice() == before) << c.file;
  }
  // The message stays while nothing changes, even when a result arrives (a new window opening a bad preset).
  ASSERT_TRUE(waitForBackground(w()));
  EXPECT_FALSE(controls()->errorText().isEmpty());
  // Not a regular file, and a file of more than a megabyte: refused before reading.
  EXPECT_FALSE(w().openPresetFile(dir.path()));
  EXPECT_TRUE(controls()->errorText().contains(QStringLiteral("not a regular file")));
  {
    QFile big(dir.filePath(QStringLiteral("big.json")));
    ASSERT_TRUE(big.open(QIODevice::WriteOnly));
    big.write(QByteArray(3 * 1024 * 1024, ' '));
  }
  EXPECT_FALSE(w().openPresetFile(dir.filePath(QStringLiteral("big.json"))));
  EXPECT_TRUE(controls()->errorText().contains(QStringLiteral("a preset is at most")));
  // A good one still loads after all that.
  {
    QFile good(dir.filePath(QStringLiteral("good.json")));
    ASSERT_TRUE(good.open(QIODevice::WriteOnly));
    good.write(R"({"name": "w", "family": "window", "n": 32, "params": {"radius": 3}})");
  }
  EXPECT_TRUE(w().openPresetFile(dir.filePath(QStringLiteral("good.json"))));
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_EQ(controls()->nBox()->value(), 32);
}

TEST_F(MainWindowTest, AShorterNNeverLeavesThePathPanelPastTheEnd) {
  // Pick query 12 and key 3, then shrink n below both: the panel follows n instead of failing.
  pathPanel()->setFrom(12);
  pathPanel()->setTo(3);
  ASSERT_TRUE(waitForBackground(w()));
  QSpinBox* n = controls()->nBox();
  n->setFocus();
  n->selectAll();
  QTest::keyClicks(n, QStringLiteral("2"));
  QTest::keyClick(n, Qt::Key_Enter);
  ASSERT_TRUE(waitForResult(w()));
  ASSERT_TRUE(waitForBackground(w()));
  auto* from = w().findChild<QSpinBox*>(QStringLiteral("pathFrom"));
  auto* to = w().findChild<QSpinBox*>(QStringLiteral("pathTo"));
  ASSERT_NE(from, nullptr);
  ASSERT_NE(to, nullptr);
  EXPECT_EQ(from->maximum(), 1);
  EXPECT_EQ(from->value(), 1);
  EXPECT_EQ(to->value(), 1);
  EXPECT_EQ(pathPanel()->pathText(), QStringLiteral("1 (0 hops)"));
  // Back to 16 and a path near the end, then the Home key on the n slider (its smallest n, 2): the same.
  n->setFocus();
  n->selectAll();
  QTest::keyClicks(n, QStringLiteral("16"));
  QTest::keyClick(n, Qt::Key_Enter);
  ASSERT_TRUE(waitForResult(w()));
  pathPanel()->setFrom(15);
  auto* slider = controls()->findChild<QSlider*>();
  ASSERT_NE(slider, nullptr);
  slider->setFocus();
  QTest::keyClick(slider, Qt::Key_Home);
  ASSERT_TRUE(waitForResult(w()));
  ASSERT_TRUE(waitForBackground(w()));
  EXPECT_EQ(controls()->nBox()->value(), 2);
  EXPECT_EQ(from->maximum(), 1);
  EXPECT_EQ(from->value(), 1);
}

}  // namespace attnscope

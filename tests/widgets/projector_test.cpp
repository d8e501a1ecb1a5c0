// What a class sees from the back of the room: text that grows with the interface, tick labels that never meet,
// exports whose cells are square, tabs that the window treats alike.
#include <gtest/gtest.h>

#include <QAction>
#include <QApplication>
#include <QFontMetricsF>
#include <QImage>
#include <QSettings>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <string>

#include "tests/widgets/window_fixture.h"
#include "widgets/shared/palettes.h"
#include "widgets/shared/scaling_chart.h"
#include "widgets/shared/text_size.h"
#include "widgets/shared/view_tab.h"
#include "widgets/weights/weights_panel.h"

namespace attnscope {
namespace {

// Puts the text size back whatever a test did: it is one for the whole application.
struct TextSizeGuard {
  ~TextSizeGuard() { TextSize::instance().reset(); }
};

QAction* action(MainWindow& w, const char* name) { return part<QAction>(w, name); }

// View → Larger text scales the interface font and every chart's fonts together, Smaller text undoes it, and
// Reset text (Ctrl+0) goes back to the start; the steps stop at the ends of the range.
TEST_F(MainWindowTest, LargerTextEnlargesTheInterfaceAndEveryChart) {
  TextSizeGuard guard;
  ASSERT_TRUE(waitForBackground(w()));
  const double app = QApplication::font().pointSizeF();
  const double title = heatmap()->titleFont().pointSizeF(), ticks = heatmap()->tickLabelFont().pointSizeF();
  w().showView(QStringLiteral("hops"));
  ASSERT_TRUE(waitForBackground(w()));
  const double hopTicks = hopMap()->tickLabelFont().pointSizeF();
  w().showView(QStringLiteral("matrix"));
  action(w(), "largerText")->trigger();
  action(w(), "largerText")->trigger();
  EXPECT_DOUBLE_EQ(TextSize::instance().factor(), 1.56);
  EXPECT_NEAR(QApplication::font().pointSizeF(), app * 1.56, 0.01);
  // A widget of the window follows.
  EXPECT_TRUE(waitUntil([&] { return std::abs(controls()->font().pointSizeF() - app * 1.56) < 0.01; }))
      << controls()->font().pointSizeF();
  // Charts follow at their next drawing, the one shown and one on another tab alike.
  ASSERT_TRUE(waitUntil([&] { return std::abs(heatmap()->titleFont().pointSizeF() - title * 1.56) < 0.01; }));
  EXPECT_NEAR(heatmap()->tickLabelFont().pointSizeF(), ticks * 1.56, 0.01);
  w().showView(QStringLiteral("hops"));
  ASSERT_TRUE(waitUntil([&] { return std::abs(hopMap()->tickLabelFont().pointSizeF() - hopTicks * 1.56) < 0.01; }));
  // Smaller text comes back exactly; Reset from anywhere.
  action(w(), "smallerText")->trigger();
  EXPECT_DOUBLE_EQ(TextSize::instance().factor(), 1.25);
  action(w(), "resetText")->trigger();
  EXPECT_DOUBLE_EQ(TextSize::instance().factor(), 1.0);
  EXPECT_FALSE(action(w(), "resetText")->isEnabled());
  ASSERT_TRUE(waitUntil([&] { return std::abs(hopMap()->tickLabelFont().pointSizeF() - hopTicks) < 0.01; }));
  EXPECT_NEAR(QApplication::font().pointSizeF(), app, 0.01);
  for (int i = 0; i < 12; ++i) action(w(), "largerText")->trigger();
  EXPECT_DOUBLE_EQ(TextSize::instance().factor(), TextSize::kLargest);
  EXPECT_FALSE(action(w(), "largerText")->isEnabled());
  // The shortcuts are the usual ones.
  EXPECT_TRUE(action(w(), "largerText")->shortcuts().contains(QKeySequence(Qt::CTRL | Qt::Key_Plus)));
  EXPECT_EQ(action(w(), "smallerText")->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Minus));
  EXPECT_EQ(action(w(), "resetText")->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_0));
}

// The text size is remembered: a window that restores its session starts at the size the last one closed with.
TEST(TextSizeSession, IsRememberedBetweenSessions) {
  TextSizeGuard guard;
  QSettings settings;
  settings.clear();
  settings.setValue(QStringLiteral("view/textSize"), 1.25);
  settings.sync();
  {
    MainWindow window(/*restore=*/true);
    EXPECT_DOUBLE_EQ(TextSize::instance().factor(), 1.25);
    part<QAction>(window, "largerText")->trigger();
    window.close();
  }
  EXPECT_DOUBLE_EQ(QSettings().value(QStringLiteral("view/textSize")).toDouble(), 1.56);
  QSettings().clear();
}

// No two tick labels of a map meet, on any tab that draws one, at a projector's size and a large screen's, with
// words (a sentence of 17 tokens) or numbers, at the default text size and larger. Labels along the query axis
// need a line of height each; the key axis's words are turned 60°, so two neighbours need a line's height across
// their slant, and level numbers need half their widths.
TEST_F(MainWindowTest, TickLabelsNeverMeet) {
  TextSizeGuard guard;
  PatternChoice sentence = w().result()->choice;
  sentence.text = QStringLiteral("the quick brown fox jumps over the lazy dog while the cat sleeps in the warm sun");
  sentence.n = 17;
  w().setPatternChoice(sentence);
  ASSERT_TRUE(waitForResult(w()));
  ASSERT_EQ(w().result()->tokens.size(), 17);
  int wordsSeen = 0, numbersSeen = 0;
  w().showView(QStringLiteral("weights"));
  ASSERT_TRUE(part<WeightsPanel>(w(), "weights")->openExample());
  for (const double text : {1.0, 1.56}) {
    TextSize::instance().setFactor(text);
    for (const QSize size : {QSize(1280, 720), QSize(1600, 1000)}) {
      w().resize(size);
      for (const char* view : {"matrix", "hops", "compare", "run", "approx", "weights"}) {
        ASSERT_TRUE(w().showView(QString::fromUtf8(view)));
        ASSERT_TRUE(waitForBackground(w()));
        QCoreApplication::processEvents();  // the resize reaches every widget
        for (HeatmapView* map : w().findChildren<HeatmapView*>()) {
          if (!map->isVisible() || map->tokens() == 0) continue;
          map->redraw();  // what is read below is what this size draws, however busy the machine
          SCOPED_TRACE(std::string(view) + " " + map->objectName().toStdString() + " at " +
                       std::to_string(size.width()) + "×" + std::to_string(size.height()) + ", text ×" +
                       std::to_string(text));
          const QFontMetricsF metrics(map->tickLabelFont());
          const auto keys = map->tickLabels(Qt::Horizontal), queries = map->tickLabels(Qt::Vertical);
          if (std::string(view) == "matrix") {  // the large map has room for several of each
            EXPECT_GE(keys.size(), 3);
            EXPECT_GE(queries.size(), 3);
          }
          const bool words = map->keyLabelRotation() != 0;
          (words ? wordsSeen : numbersSeen)++;
          for (qsizetype i = 1; i < keys.size(); ++i) {
            const double gap = std::abs(keys[i].first - keys[i - 1].first);
            const double need =
                words ? metrics.height() / std::sin(map->keyLabelRotation() * M_PI / 180)
                      : (metrics.horizontalAdvance(keys[i].second) + metrics.horizontalAdvance(keys[i - 1].second)) / 2;
            EXPECT_GE(gap, need) << keys[i - 1].second.toStdString() << " and " << keys[i].second.toStdString();
          }
          for (qsizetype i = 1; i < queries.size(); ++i)
            EXPECT_GE(std::abs(queries[i].first - queries[i - 1].first), metrics.height())
                << queries[i - 1].second.toStdString() << " and " << queries[i].second.toStdString();
        }
      }
    }
  }
  EXPECT_GT(wordsSeen, 0);    // large maps show the words …
  EXPECT_GT(numbersSeen, 0);  // … and small ones numbers
}

// The extent of the pixels within `tolerance` of `colour` that form the widest run of columns (gaps of up to
// `gap` pixels, the grid lines between cells, bridged), and the rows they span within it: on an exported matrix,
// the map's rectangle (the colour scale beside it is a run of its own).
QRect widestRun(const QImage& image, QColor colour, int gap = 12, int tolerance = 16) {
  auto near = [&](int x, int y) {
    const QRgb p = image.pixel(x, y);
    return std::abs(qRed(p) - colour.red()) <= tolerance && std::abs(qGreen(p) - colour.green()) <= tolerance &&
           std::abs(qBlue(p) - colour.blue()) <= tolerance;
  };
  std::vector<char> column(std::size_t(image.width()), 0);
  for (int x = 0; x < image.width(); ++x)
    for (int y = 0; y < image.height() && !column[std::size_t(x)]; ++y) column[std::size_t(x)] = near(x, y);
  int bestLeft = 0, bestRight = -1;
  for (int x = 0; x < image.width();) {
    if (!column[std::size_t(x)]) {
      ++x;
      continue;
    }
    int right = x, y = x;
    while (y < image.width() && y - right <= gap) {
      if (column[std::size_t(y)]) right = y;
      ++y;
    }
    if (right - x > bestRight - bestLeft) bestLeft = x, bestRight = right;
    x = right + 1;
  }
  int top = image.height(), bottom = -1;
  for (int y = 0; y < image.height(); ++y)
    for (int x = bestLeft; x <= bestRight; ++x)
      if (near(x, y)) {
        top = std::min(top, y), bottom = std::max(bottom, y);
        break;
      }
  return QRect(QPoint(bestLeft, top), QPoint(bestRight, bottom));
}

// An export at the size the dialog offers has square cells: the window of radius 2's attended cells run corner to
// corner of the map, so the pixels of their colour span the map, and that span is square within 2%. The size follows
// the map: no more than a few percent of the height is left blank below it. The caption (the counts, the path) is over
// it.
TEST_F(MainWindowTest, AnExportAtTheOfferedSizeHasSquareCells) {
  ASSERT_TRUE(waitForBackground(w()));
  QTemporaryDir dir;
  QString error;
  const QSize size = w().defaultExportSize(/*png=*/true);
  EXPECT_EQ(size.width(), 2400);
  EXPECT_GT(size.height(), 2000);  // taller than wide: the title and caption over a square map
  const QString file = dir.filePath(QStringLiteral("matrix.png"));
  ASSERT_TRUE(w().exportPicture(file, size.width(), size.height(), 300, &error)) << error.toStdString();
  const QImage image = QImage(file).convertToFormat(QImage::Format_RGB32);
  ASSERT_EQ(image.size(), size);
  const QRect band = widestRun(image, paletteColorAt(Palette::Viridis, 1.0));
  SCOPED_TRACE("band " + std::to_string(band.width()) + "×" + std::to_string(band.height()) + " at y " +
               std::to_string(band.top()));
  EXPECT_NEAR(double(band.width()) / band.height(), 1.0, 0.02);
  EXPECT_GT(band.width(), size.width() / 2);
  // The key axis, its label and the margin are all that is below the map.
  EXPECT_LT(size.height() - band.bottom(), size.height() * 0.2);
  // Two maps side by side (Side by side, full attention beside the window) are twice as wide, as tall.
  w().showView(QStringLiteral("compare"));
  ASSERT_TRUE(waitForBackground(w()));
  const QSize pair = w().defaultExportSize(true);
  EXPECT_EQ(pair.width(), 4000);
  EXPECT_NEAR(double(pair.height()), 2000.0 / 2400.0 * size.height(), size.height() * 0.05);
}

// A chart title wider than its chart is shortened with an ellipsis on screen and given whole in the chart's
// tooltip; the chart still knows it whole (so "— cancelled" is added to the title, not to its shortened form).
TEST(ChartTitles, ALongTitleIsElidedWithTheWholeInTheTooltip) {
  ScalingChart chart;
  chart.resize(260, 220);
  chart.show();
  const QString title = QStringLiteral("window radius=128 dilation=1 causal=true against full attention, dim 64");
  chart.clear(title);
  auto* plot = chart.findChild<QWidget*>();
  ASSERT_TRUE(plot);
  ASSERT_TRUE(waitUntil([&] { return plot->toolTip() == title; }));
  EXPECT_EQ(chart.title(), title);
  chart.resize(1400, 400);
  ASSERT_TRUE(waitUntil([&] { return plot->toolTip().isEmpty(); }));
  EXPECT_EQ(chart.title(), title);
}

// The All heads tab's small maps are square and show their whole matrix too, at both sizes.
TEST_F(MainWindowTest, EveryHeadsMapIsSquareAndWhole) {
  w().loadPreset(builtInPresets().at(7));  // DeepSpeed Fixed, 4 heads, n = 512
  ASSERT_TRUE(waitForResult(w()));
  ASSERT_EQ(w().result()->picture->heads.size(), 4u);
  for (const QSize size : {QSize(1280, 720), QSize(1600, 1000)}) {
    w().resize(size);
    ASSERT_TRUE(w().showView(QStringLiteral("heads")));
    QCoreApplication::processEvents();
    int maps = 0;
    for (HeatmapView* map : w().currentPage()->findChildren<HeatmapView*>()) {
      map->redraw();
      SCOPED_TRACE(map->title().toStdString() + " at " + std::to_string(size.width()));
      ++maps;
      ASSERT_TRUE(waitUntil([&] { return map->mapRect().width() > 1; }));
      const QRect rect = map->mapRect();
      EXPECT_NEAR(double(rect.width()) / rect.height(), 1.0, 0.02) << rect.width() << "×" << rect.height();
      const QRectF range = map->viewRange();
      EXPECT_DOUBLE_EQ(range.left(), -0.5);
      EXPECT_DOUBLE_EQ(range.right(), 511.5);
      EXPECT_DOUBLE_EQ(range.top(), -0.5);
      EXPECT_DOUBLE_EQ(range.bottom(), 511.5);
      const int shorter = std::min(map->plotWidget()->width(), map->plotWidget()->height());
      EXPECT_GE(rect.width(), shorter / 2) << rect.width() << " of " << shorter;
    }
    EXPECT_EQ(maps, 4);
  }
  // Exported as the grid shows them: two rows of two, at the size offered (two maps across, two rows down).
  EXPECT_EQ(w().defaultExportName(), QStringLiteral("deepspeed-fixed-n512-heads.png"));
  const QSize size = w().defaultExportSize(true);
  EXPECT_EQ(size.width(), 4000);
  EXPECT_GT(size.height(), size.width() * 9 / 10);  // two rows of square maps under a caption
  QTemporaryDir dir;
  QString error;
  const QString file = dir.filePath(QStringLiteral("heads.png"));
  ASSERT_TRUE(w().exportPicture(file, 1000, 1000, 96, &error)) << error.toStdString();
  EXPECT_EQ(QImage(file).size(), QSize(1000, 1000));
}

// Every tab presents itself to the window the same way: its view name brings it up, and the name a preset keeps
// is that name; the tabs that show the left pattern are the ones the right-hand docks stay beside.
TEST_F(MainWindowTest, EveryTabIsAViewTabTheWindowTreatsAlike) {
  const std::map<std::string, bool> left = {{"matrix", true}, {"hops", true},   {"heads", true},   {"compare", true},
                                            {"run", true},    {"model", false}, {"approx", false}, {"weights", false}};
  for (const auto& [name, shows] : left) {
    SCOPED_TRACE(name);
    if (name == "heads") continue;  // disabled while the pattern has one head
    ASSERT_TRUE(w().showView(QString::fromStdString(name)));
    ASSERT_TRUE(w().currentTab());
    EXPECT_EQ(w().currentTab()->viewName().toStdString(), name);
    EXPECT_EQ(w().currentTab()->showsLeftPattern(), shows);
    EXPECT_EQ(w().currentPreset(QString()).view.toStdString(), name);
    EXPECT_TRUE(w().defaultExportName().endsWith(QStringLiteral(".png")));
  }
  EXPECT_FALSE(w().showView(QStringLiteral("nowhere")));
}

}  // namespace
}  // namespace attnscope

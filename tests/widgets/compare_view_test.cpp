// Side by side: counts against the engine, the difference view, linked zoom, a second pattern, export.
#include <gtest/gtest.h>

#include <QComboBox>
#include <QFile>
#include <QImageReader>
#include <QMenu>
#include <QToolButton>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QWheelEvent>

#include "engine/patterns/pattern_registry.h"
#include "tests/widgets/window_fixture.h"
#include "widgets/compare/compare_view.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/pattern/pattern_controls.h"

namespace attnscope {
namespace {

// Waits for the comparison view to show a comparison newer than the call.
bool waitForComparison(CompareView* view) {
  QSignalSpy updated(view, &CompareView::updated);
  QSignalSpy failed(view, &CompareView::failed);
  waitUntil([&] { return !updated.isEmpty() || !failed.isEmpty(); });
  return !updated.isEmpty();
}

// Active cells as the engine counts them.
Index engineCells(const std::string& pattern, std::vector<std::pair<std::string, std::string>> params, Index n) {
  const PatternSpec spec = PatternSpec::parse(pattern);
  return spec.build(params, n).nnz();
}

class CompareTest : public MainWindowTest {
 protected:
  void SetUp() override {
    MainWindowTest::SetUp();
    PatternChoice choice;
    choice.pattern = QStringLiteral("window+global");
    choice.params = {{QStringLiteral("radius"), QStringLiteral("2")}, {QStringLiteral("tokens"), QStringLiteral("0")}};
    choice.n = 256;
    compare_ = compareView();
    ASSERT_TRUE(w().showView(QStringLiteral("compare")));
    QSignalSpy updated(compare_, &CompareView::updated);
    w().setPatternChoice(choice);
    ASSERT_TRUE(waitUntil(
        [&] { return !updated.isEmpty() && compare_->comparison() && compare_->comparison()->a->choice.n == 256; }));
  }
  CompareView* compare_ = nullptr;
};

TEST_F(CompareTest, CountsAgainstFullAttentionMatchTheEngine) {
  // Worked by hand: 256 rows of 5 keys less 6 at the ends, plus row 0 (253 new) and column 0 (253 new).
  const Index cells = engineCells("window+global", {{"radius", "2"}, {"tokens", "0"}}, 256);
  ASSERT_EQ(cells, 1780);
  EXPECT_EQ(compare_->countsText(), QStringLiteral("full: 65,536 cells; window+global: 1,780 cells, 36.8× fewer"));
  EXPECT_EQ(compare_->viewB()->pictureValue(7, 3), 1.0f);  // full attention: every cell
  EXPECT_EQ(compare_->viewA()->pictureValue(7, 3), 0.0f);
}

TEST_F(CompareTest, DifferenceViewSeparatesOnlyAOnlyBAndBoth) {
  compare_->showBox()->setCurrentIndex(1);
  HeatmapView* diff = compare_->differenceView();
  ASSERT_TRUE(diff->isVisible());
  EXPECT_EQ(diff->pictureValue(7, 5), float(kInBoth));
  EXPECT_EQ(diff->pictureValue(7, 3), float(kOnlyB));     // full attends it, the window does not
  EXPECT_EQ(diff->pictureValue(200, 0), float(kInBoth));  // the global token
  EXPECT_TRUE(diff->describeCell(7, 3).endsWith(QStringLiteral("only in full")))
      << diff->describeCell(7, 3).toStdString();
}

TEST_F(CompareTest, AnotherPatternHasItsOwnControlsAndCounts) {
  QSignalSpy updated(compare_, &CompareView::updated);
  compare_->againstBox()->setCurrentIndex(1);  // B starts as a copy of A
  ASSERT_TRUE(waitForComparison(compare_));
  EXPECT_TRUE(compare_->countsText().endsWith(QStringLiteral("the same count")))
      << compare_->countsText().toStdString();
  // B: the plain window of radius 5, set through B's own controls; A stays as it is.
  QMenu* join = compare_->controlsB()->joinButton()->menu();
  ASSERT_EQ(join->actions().last()->text(), QStringLiteral("Remove joined families"));
  join->actions().last()->trigger();
  ASSERT_TRUE(waitForComparison(compare_));
  auto* radius = qobject_cast<QSpinBox*>(compare_->controlsB()->editor(QStringLiteral("radius")));
  ASSERT_NE(radius, nullptr);
  radius->setValue(5);
  ASSERT_TRUE(waitForComparison(compare_));
  const Index b = engineCells("window", {{"radius", "5"}}, 256);
  EXPECT_EQ(b, 256 * 11 - 30);
  EXPECT_EQ(compare_->countsText(), QStringLiteral("window: %1 cells; window+global: 1,780 cells, %2× fewer")
                                        .arg(QLocale(QLocale::English).toString(static_cast<qlonglong>(b)))
                                        .arg(double(b) / 1780, 0, 'f', 1));
  EXPECT_EQ(w().result()->choice.pattern, QStringLiteral("window+global"));
  compare_->showBox()->setCurrentIndex(1);
  EXPECT_EQ(compare_->differenceView()->pictureValue(100, 104), float(kOnlyB));  // radius 5 only
  EXPECT_EQ(compare_->differenceView()->pictureValue(0, 100), float(kOnlyA));    // the global row
}

TEST_F(CompareTest, AHiddenViewCatchesUpWhenShown) {
  // Changed on the Matrix tab, the comparison waits — and is there as soon as its tab is opened.
  ASSERT_TRUE(w().showView(QStringLiteral("matrix")));
  auto* radius = qobject_cast<QSpinBox*>(controls()->editor(QStringLiteral("radius")));
  radius->setValue(3);
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_TRUE(compare_->countsText().contains(QStringLiteral("1,780 cells"))) << "a hidden view does no work";
  QSignalSpy updated(compare_, &CompareView::updated);
  ASSERT_TRUE(w().showView(QStringLiteral("compare")));
  ASSERT_TRUE(updated.wait(5000));
  const Index cells = engineCells("window+global", {{"radius", "3"}, {"tokens", "0"}}, 256);
  EXPECT_TRUE(compare_->countsText().contains(QLocale(QLocale::English).toString(static_cast<qlonglong>(cells)) +
                                              QStringLiteral(" cells")))
      << compare_->countsText().toStdString();
}

TEST_F(CompareTest, ZoomInOneViewZoomsTheOther) {
  HeatmapView* a = compare_->viewA();
  HeatmapView* b = compare_->viewB();
  ASSERT_TRUE(waitUntil([&] { return laidOut(a, 64, 64, 2); }));
  const QRectF before = b->viewRange();
  const QPoint at = a->cellCenter(64, 64);
  QWheelEvent wheel(at, a->plotWidget()->mapToGlobal(at), QPoint(), QPoint(0, 240), Qt::NoButton, Qt::NoModifier,
                    Qt::NoScrollPhase, false);
  QCoreApplication::sendEvent(a->plotWidget(), &wheel);
  ASSERT_TRUE(waitUntil([&] { return a->viewRange().width() < before.width() * 0.9; }));
  const QRectF zoomed = a->viewRange();
  EXPECT_LT(zoomed.width(), before.width() * 0.9);
  EXPECT_NEAR(b->viewRange().left(), zoomed.left(), 1e-6);
  EXPECT_NEAR(b->viewRange().right(), zoomed.right(), 1e-6);
  EXPECT_NEAR(b->viewRange().top(), zoomed.top(), 1e-6);
  // R in B resets both.
  b->setFocus();
  QTest::keyClick(b, Qt::Key_R);
  EXPECT_TRUE(waitUntil([&] { return a->viewRange().width() > 255.0; }));
}

TEST_F(CompareTest, ExportWritesTheWholeComparison) {
  QTemporaryDir dir;
  QString error;
  const QString png = dir.filePath(QStringLiteral("compare.png"));
  ASSERT_TRUE(w().exportPicture(png, 1600, 700, 150, &error)) << error.toStdString();
  QImageReader reader(png);
  EXPECT_EQ(reader.size(), QSize(1600, 700));
  const QImage image = reader.read();
  // Left half: mostly the dark "not attended" colour; right half: full attention's bright yellow throughout.
  EXPECT_GT(image.pixelColor(1200, 400).red(), 200);
  EXPECT_LT(image.pixelColor(400, 500).red(), 120);
  const QString svg = dir.filePath(QStringLiteral("compare.svg"));
  ASSERT_TRUE(w().exportPicture(svg, 1000, 460, 300, &error)) << error.toStdString();
  QFile file(svg);
  ASSERT_TRUE(file.open(QIODevice::ReadOnly));
  const QByteArray text = file.readAll();
  EXPECT_TRUE(text.contains("<svg"));
  EXPECT_TRUE(text.contains("36.8")) << "the counts line is in the figure";
  const QString pdf = dir.filePath(QStringLiteral("compare.pdf"));
  ASSERT_TRUE(w().exportPicture(pdf, 1000, 460, 300, &error)) << error.toStdString();
  QFile pdfFile(pdf);
  ASSERT_TRUE(pdfFile.open(QIODevice::ReadOnly));
  EXPECT_TRUE(pdfFile.read(5) == "%PDF-");
  // A bad size leaves nothing behind.
  const QString bad = dir.filePath(QStringLiteral("bad.png"));
  EXPECT_FALSE(w().exportPicture(bad, 5, 700, 150, &error));
  EXPECT_TRUE(error.contains(QStringLiteral("5×700"))) << error.toStdString();
  EXPECT_FALSE(QFile::exists(bad));
}

}  // namespace
}  // namespace attnscope

namespace attnscope {

TEST(FigureTitles, WrapOrShrinkToFitEveryWidth) {
  // The comparison's title at the widths a 600-pixel-wide figure and wider give each half (down to 90 points).
  const QString title = QStringLiteral("A: window+global, n = 64\nradius=2, dilation=1, causal=false, tokens=0");
  for (double width : {90.0, 140.0, 200.0, 400.0, 800.0}) {
    QFont font(QStringLiteral("DejaVu Sans"), 11, QFont::Bold);
    const QString fitted = fitTitle(title, font, width, 200);
    const QFontMetricsF metrics(font);
    for (const QString& line : fitted.split(QLatin1Char('\n')))
      EXPECT_LE(metrics.horizontalAdvance(line), width) << width << ": '" << line.toStdString() << "'";
    // Nothing is lost: the same words in the same order.
    EXPECT_EQ(fitted.simplified(), QString(title).replace(QLatin1Char('\n'), QLatin1Char(' ')).simplified());
    if (width >= 400) EXPECT_EQ(font.pointSizeF(), 11.0);  // wide enough: the size stays
  }
}

}  // namespace attnscope

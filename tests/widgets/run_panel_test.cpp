// The live run: a small run shows the engine's own figures; Cancel stops a long run quickly and the app carries
// on; the scaling sweep plots its points and marks the crossover.
#include <gtest/gtest.h>

#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QImageReader>
#include <QTemporaryDir>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>

#include <cmath>

#include "engine/attention/attention_compare.h"
#include "tests/widgets/window_fixture.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/pattern/pattern_controls.h"
#include "widgets/run/run_panel.h"
#include "widgets/shared/scaling_chart.h"

namespace attnscope {
namespace {

class RunTest : public MainWindowTest {
 protected:
  void SetUp() override {
    MainWindowTest::SetUp();
    ASSERT_TRUE(w().showView(QStringLiteral("run")));
    panel_ = runPanel();
  }
  void load(const QString& pattern, QList<QPair<QString, QString>> params, Index n) {
    PatternChoice choice;
    choice.pattern = pattern;
    choice.params = params;
    choice.n = n;
    w().setPatternChoice(choice);
    // Wait for the reachability figures too, so that nothing else is computing while the run is timed.
    ASSERT_TRUE(waitForResult(w()));
    ASSERT_EQ(w().result()->choice.n, n);
  }
  RunPanel* panel_ = nullptr;
};

TEST_F(RunTest, ASmallRunShowsTheEnginesFigures) {
  QSignalSpy finished(panel_->runner(), &AttentionRunner::finished);
  ASSERT_TRUE(panel_->runButton()->isEnabled());
  QTest::mouseClick(panel_->runButton(), Qt::LeftButton);
  ASSERT_TRUE(finished.wait(5000));
  ASSERT_NE(panel_->lastResult(), nullptr);
  // The same figures straight from the engine, on the same inputs (window of 5 at n = 16, Gaussian, dim 64).
  const RunResult& r = *panel_->lastResult();
  const AttentionInputs in = runInputs(r.request, 1);
  const SparseMask& mask = *w().result()->mask;
  const Comparison engine = compareWithFull(in, mask);
  EXPECT_NEAR(r.comparison.massKept, engine.massKept, 1e-6);
  EXPECT_NEAR(r.comparison.relError, engine.relError, 1e-6);
  const QString kept = QStringLiteral("%1%").arg(100 * engine.massKept, 0, 'f', 1);
  EXPECT_TRUE(panel_->resultsText().contains(QStringLiteral("Attention mass kept <b>") + kept))
      << panel_->resultsText().toStdString();
  ASSERT_EQ(panel_->log()->rowCount(), 1);
  EXPECT_EQ(panel_->log()->item(0, 8)->text(), kept);
  EXPECT_EQ(panel_->log()->item(0, 1)->text(), QStringLiteral("window"));
  // The weights: masked cells are NaN (grey), attended ones positive, each row of the pattern sums to 1.
  EXPECT_TRUE(std::isnan(panel_->patternView()->pictureValue(7, 3)));
  EXPECT_GT(panel_->patternView()->pictureValue(7, 5), 0.0f);
  EXPECT_GT(panel_->fullView()->pictureValue(7, 3), 0.0f);
  double row = 0;
  for (int k = 5; k <= 9; ++k) row += panel_->patternView()->pictureValue(7, k);
  EXPECT_NEAR(row, 1.0, 1e-5);
  EXPECT_TRUE(panel_->patternView()->describeCell(7, 3).endsWith(QStringLiteral("masked out")));
  // Exported from its tab, the run is one figure: both maps under its figures.
  QTemporaryDir dir;
  QString error;
  const QString png = dir.filePath(QStringLiteral("run.png"));
  ASSERT_TRUE(w().exportPicture(png, 1400, 650, 150, &error)) << error.toStdString();
  EXPECT_EQ(QImageReader(png).size(), QSize(1400, 650));
  const QString svg = dir.filePath(QStringLiteral("run.svg"));
  ASSERT_TRUE(w().exportPicture(svg, 900, 420, 300, &error)) << error.toStdString();
  QFile file(svg);
  ASSERT_TRUE(file.open(QIODevice::ReadOnly));
  EXPECT_TRUE(file.readAll().contains(kept.toUtf8())) << "the mass kept is in the caption";
  // A second run adds a second line to the log, newest first.
  QTest::mouseClick(panel_->runButton(), Qt::LeftButton);
  ASSERT_TRUE(finished.wait(5000));
  EXPECT_EQ(panel_->log()->rowCount(), 2);
  EXPECT_EQ(panel_->log()->item(0, 0)->text(), QStringLiteral("2"));
}

TEST_F(RunTest, CancelStopsALongRunQuicklyAndTheAppCarriesOn) {
  load(QStringLiteral("window"), {{QStringLiteral("radius"), QStringLiteral("2")}}, 32768);
  QSignalSpy ticks(panel_->runner(), &AttentionRunner::tick);
  QSignalSpy cancelled(panel_->runner(), &AttentionRunner::cancelled);
  QSignalSpy finished(panel_->runner(), &AttentionRunner::finished);
  QTest::mouseClick(panel_->runButton(), Qt::LeftButton);
  EXPECT_FALSE(panel_->runButton()->isEnabled());
  // Wait until full attention (stage 1, about 275 GFLOP here) is under way and some of its rows are on screen.
  ASSERT_TRUE(waitUntil([&] {
    for (const auto& args : ticks)
      if (args.at(0).toInt() == 1) return true;
    return false;
  }));
  EXPECT_TRUE(panel_->timersText().contains(QStringLiteral("full attention"))) << panel_->timersText().toStdString();
  QElapsedTimer clock;
  clock.start();
  QTest::mouseClick(panel_->cancelButton(), Qt::LeftButton);
  ASSERT_TRUE(waitUntil([&] { return !cancelled.isEmpty(); }));
  RecordProperty("cancel_ms", static_cast<int>(clock.elapsed()));  // recorded, not asserted: speed is benchmarks'
  EXPECT_EQ(cancelled.size(), 1);
  EXPECT_TRUE(finished.isEmpty());
  EXPECT_TRUE(panel_->resultsText().startsWith(QStringLiteral("Run cancelled"))) << panel_->resultsText().toStdString();
  EXPECT_TRUE(panel_->runButton()->isEnabled());
  EXPECT_FALSE(panel_->cancelButton()->isEnabled());
  // The app is usable: a parameter change redraws, and a new (small) run completes.
  auto* radius = qobject_cast<QSpinBox*>(controls()->editor(QStringLiteral("radius")));
  radius->setValue(3);
  ASSERT_TRUE(waitForResult(w()));
  EXPECT_TRUE(heatmap()->title().contains(QStringLiteral("radius=3")));
  load(QStringLiteral("window"), {{QStringLiteral("radius"), QStringLiteral("3")}}, 512);
  QTest::mouseClick(panel_->runButton(), Qt::LeftButton);
  ASSERT_TRUE(finished.wait(5000));
  EXPECT_EQ(panel_->log()->rowCount(), 1);
}

// `attnscope --run`: the window waits for the pattern being built, then presses Run once, on that pattern.
TEST_F(RunTest, RunWhenBuiltTimesThePatternOnceItIsBuilt) {
  w().showView(QStringLiteral("matrix"));
  PatternChoice choice;
  choice.pattern = QStringLiteral("window");
  choice.params = {{QStringLiteral("radius"), QStringLiteral("7")}};
  choice.n = 256;
  QSignalSpy finished(panel_->runner(), &AttentionRunner::finished);
  w().setPatternChoice(choice);  // still being built
  w().runWhenBuilt();
  EXPECT_EQ(w().currentPage(), panel_);
  ASSERT_TRUE(finished.wait(20000));
  EXPECT_EQ(panel_->log()->rowCount(), 1);
  ASSERT_TRUE(panel_->log()->item(0, 2));
  EXPECT_EQ(panel_->log()->item(0, 2)->text(), QStringLiteral("256"));  // the pattern being built, not the last one
  QTest::qWait(50);
  EXPECT_EQ(finished.size(), 1);  // once
}

TEST_F(RunTest, SweepPlotsEveryNAndMarksTheCrossover) {
  panel_->sweepLimit()->setCurrentIndex(0);  // 256, 512, 1,024
  QSignalSpy done(panel_->runner(), &AttentionRunner::sweepFinished);
  QSignalSpy point(panel_->runner(), &AttentionRunner::sweepPoint);
  QTest::mouseClick(panel_->sweepButton(), Qt::LeftButton);
  EXPECT_TRUE(panel_->resultsText().contains(QStringLiteral("3 sizes"))) << panel_->resultsText().toStdString();
  // While it runs, the line says which size is done of how many (the sweep may already be past the first).
  ASSERT_TRUE(waitUntil([&] { return !point.isEmpty() || !done.isEmpty(); }));
  if (done.isEmpty())
    EXPECT_TRUE(panel_->resultsText().contains(QStringLiteral(" of 3")) ||
                panel_->resultsText().startsWith(QStringLiteral("Sweep done")))
        << panel_->resultsText().toStdString();
  ASSERT_TRUE(done.isEmpty() ? done.wait(20000) : true);
  EXPECT_TRUE(panel_->resultsText().startsWith(QStringLiteral("Sweep done (3 sizes). ")))
      << panel_->resultsText().toStdString();
  EXPECT_EQ(panel_->chart()->points(true), 3);
  EXPECT_EQ(panel_->chart()->points(false), 3);
  // A window of 5 does 5n of full attention's n² cells: at n = 1,024 it is far faster.
  EXPECT_GT(panel_->chart()->crossoverMarked(), 0);
  EXPECT_LE(panel_->chart()->crossoverMarked(), 1024);
  EXPECT_TRUE(panel_->resultsText().contains(QStringLiteral("faster than full attention from n = ")))
      << panel_->resultsText().toStdString();
  // Another pattern clears the sweep of the old one; another n does not (a sweep covers every n).
  load(QStringLiteral("window"), {{QStringLiteral("radius"), QStringLiteral("2")}}, 32);
  EXPECT_EQ(panel_->chart()->points(true), 3);
  load(QStringLiteral("window"), {{QStringLiteral("radius"), QStringLiteral("4")}}, 32);
  EXPECT_EQ(panel_->chart()->points(true), 0);
  EXPECT_TRUE(panel_->chart()->title().contains(QStringLiteral("pattern changed")))
      << panel_->chart()->title().toStdString();
}

TEST_F(RunTest, ASweepCanBeCancelledAtAnyPoint) {
  panel_->sweepLimit()->setCurrentIndex(panel_->sweepLimit()->count() - 1);  // up to 65,536: minutes
  QSignalSpy point(panel_->runner(), &AttentionRunner::sweepPoint);
  QSignalSpy cancelled(panel_->runner(), &AttentionRunner::cancelled);
  QSignalSpy failed(panel_->runner(), &AttentionRunner::failed);
  QSignalSpy finished(panel_->runner(), &AttentionRunner::sweepFinished);
  QTest::mouseClick(panel_->sweepButton(), Qt::LeftButton);
  ASSERT_TRUE(point.wait(5000));
  while (point.size() < 5) ASSERT_TRUE(point.wait(10000));  // into n = 8,192 and beyond
  QElapsedTimer clock;
  clock.start();
  ASSERT_TRUE(panel_->cancelButton()->isEnabled());
  QTest::mouseClick(panel_->cancelButton(), Qt::LeftButton);
  ASSERT_TRUE(waitUntil([&] { return !cancelled.isEmpty(); }))
      << (failed.isEmpty() ? std::string() : failed.first().first().toString().toStdString()) << ", " << finished.size()
      << " finished, " << point.size() << " points";
  RecordProperty("cancel_ms", static_cast<int>(clock.elapsed()));  // recorded, not asserted
  EXPECT_EQ(cancelled.size(), 1);
  EXPECT_TRUE(finished.isEmpty());
  EXPECT_LT(panel_->chart()->points(true), 9);
  EXPECT_TRUE(panel_->sweepButton()->isEnabled());
}

}  // namespace
}  // namespace attnscope

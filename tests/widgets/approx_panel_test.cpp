// The Approximate tab driven as a user would: its maps hold the weights worked out independently here, a method
// with negative weights shows them, a request the engine refuses changes nothing, both sweeps fill their charts
// and can be cancelled, and the tab exports.
#include <QProgressBar>
#include <QComboBox>
#include <QImageReader>
#include <QPushButton>
#include <QSpinBox>
#include <QTemporaryDir>

#include <cmath>

#include "engine/inputs/attention_inputs.h"
#include "engine/io/npy.h"
#include "tests/widgets/window_fixture.h"
#include "widgets/approx/approx_charts.h"
#include "widgets/approx/approx_panel.h"
#include "widgets/shared/scaling_chart.h"

namespace attnscope {
namespace {

class ApproxTabTest : public MainWindowTest {
 protected:
  ApproxPanel* panel() { return part<ApproxPanel>(w(), "approx"); }
  bool open() {
    w().showView(QStringLiteral("approx"));
    return measured();
  }
  bool measured() {
    if (!waitForBackground(*panel())) return false;
    return panel()->lastReport() != nullptr;
  }
  void choose(const char* method) { panel()->methodBox()->setCurrentText(QString::fromLatin1(method)); }
};

double phi(double x) { return x > 0 ? x + 1 : std::exp(x); }  // elu(x) + 1

TEST_F(ApproxTabTest, TheMapsHoldTheExactAndTheLinearWeightsWorkedOutHere) {
  ASSERT_TRUE(open());
  EXPECT_EQ(panel()->methodBox()->currentText(), QStringLiteral("performer"));  // the tab opens on FAVOR+
  choose("linear");
  ASSERT_TRUE(measured());
  // The same inputs the tab uses: Gaussian, seed 0, n = 256, d = 64, logit scale 1.
  const AttentionInputs in = syntheticInputs(1, 256, 64, 0);
  const MatrixD q = in.q[0].cast<double>(), k = in.k[0].cast<double>();
  for (Index i : {0, 77, 255}) {
    Eigen::VectorXd exact = k * q.row(i).transpose() / 8.0;
    exact = (exact.array() - exact.maxCoeff()).exp();
    exact /= exact.sum();
    Eigen::VectorXd lin(256);
    for (Index j = 0; j < 256; ++j) {
      double s = 0;
      for (Index c = 0; c < 64; ++c) s += phi(q(i, c)) * phi(k(j, c));
      lin[j] = s;
    }
    lin /= lin.sum();
    for (Index j : {0, 5, 200}) {
      const int r = static_cast<int>(i), c = static_cast<int>(j);
      EXPECT_NEAR(panel()->exactView()->pictureValue(r, c), exact[j], 1e-6 + 1e-4 * exact[j]) << i << " " << j;
      EXPECT_NEAR(panel()->approxView()->pictureValue(r, c), lin[j], 1e-6) << i << " " << j;
      EXPECT_NEAR(panel()->differenceView()->pictureValue(r, c), lin[j] - exact[j], 1e-5) << i << " " << j;
    }
  }
  // The measures, with uniform attention's L1 beside the method's.
  const QString text = panel()->measuresText();
  EXPECT_TRUE(text.contains(QStringLiteral("uniform attention"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("output error"))) << text.toStdString();
  EXPECT_EQ(panel()->lastReport()->negativeShare, 0.0);
  EXPECT_FALSE(panel()->budgetButton()->isEnabled()) << "linear has no budget to sweep";
}

TEST_F(ApproxTabTest, LinformersNegativeWeightsShowOnTheDivergingMapAndABadRequestChangesNothing) {
  ASSERT_TRUE(open());
  choose("linformer");
  ASSERT_TRUE(measured());
  auto* k = qobject_cast<QSpinBox*>(panel()->editor(QStringLiteral("k")));
  ASSERT_TRUE(k);
  k->setValue(32);
  ASSERT_TRUE(measured());
  const ApproxReport& r = *panel()->lastReport();
  EXPECT_GT(r.negativeShare, 0.05);
  EXPECT_TRUE(panel()->approxView()->title().startsWith(QStringLiteral("linformer")));
  // A negative entry of Â: grey (NaN) on the log map, below −exact on the diverging one.
  int negatives = 0;
  for (int i = 0; i < 256 && negatives == 0; ++i)
    for (int j = 0; j < 256; ++j)
      if ((*r.weights)(i, j) < 0) {
        EXPECT_TRUE(std::isnan(panel()->approxView()->pictureValue(i, j)));
        EXPECT_LT(panel()->differenceView()->pictureValue(i, j), 0.0f);
        ++negatives;
        break;
      }
  EXPECT_EQ(negatives, 1);
  // Nyströmformer needs n to be a multiple of its 64 landmarks: n = 250 is refused in one line, nothing changes.
  const double before = panel()->lastReport()->outputRelError;
  choose("nystrom");
  ASSERT_TRUE(measured());
  const ApproxReport* shown = panel()->lastReport();
  panel()->nBox()->setValue(250);
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(panel()->lastReport(), shown);
  EXPECT_TRUE(panel()->errorText().contains(QStringLiteral("num_landmarks"))) << panel()->errorText().toStdString();
  EXPECT_NE(panel()->lastReport()->outputRelError, before) << "the Nyström report is still shown";
  EXPECT_TRUE(panel()->approxView()->title().startsWith(QStringLiteral("nystrom")));
  panel()->nBox()->setValue(256);
  ASSERT_TRUE(measured());
  EXPECT_TRUE(panel()->errorText().isEmpty());
}

TEST_F(ApproxTabTest, CancelWhileAMeasurementWaitsToStartLeavesTheTabIdle) {
  // A change of method waits 120 ms before it measures (a burst of changes measures once). Cancel pressed in that
  // time used to drop the waiting task without any ending, and the tab stayed busy for ever.
  ASSERT_TRUE(open());
  const ApproxReport* shown = panel()->lastReport();
  choose("linear");
  ASSERT_TRUE(panel()->runner()->busy());
  ASSERT_TRUE(panel()->cancelButton()->isEnabled());
  QTest::mouseClick(panel()->cancelButton(), Qt::LeftButton);
  EXPECT_FALSE(panel()->runner()->busy());
  EXPECT_FALSE(panel()->cancelButton()->isEnabled());
  EXPECT_TRUE(panel()->timeButton()->isEnabled());
  // Nothing was measured, and the tab answers the next request.
  EXPECT_EQ(panel()->lastReport(), shown);
  QTest::mouseClick(panel()->timeButton(), Qt::LeftButton);
  EXPECT_TRUE(panel()->cancelButton()->isEnabled());
  QTest::mouseClick(panel()->cancelButton(), Qt::LeftButton);
  EXPECT_FALSE(panel()->cancelButton()->isEnabled());
}

TEST_F(ApproxTabTest, TheSweepsFillTheirChartsAndCanBeCancelled) {
  ASSERT_TRUE(open());
  choose("performer");
  panel()->nBox()->setValue(128);
  ASSERT_TRUE(measured());
  ASSERT_TRUE(panel()->budgetButton()->isEnabled());
  QTest::mouseClick(panel()->budgetButton(), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  BudgetChart* budget = panel()->budgetChart();
  EXPECT_EQ(budget->points(), 5);  // nb_features = 8, 16, 32, 64, 128
  EXPECT_TRUE(budget->title().contains(QStringLiteral("nb_features"))) << budget->title().toStdString();
  EXPECT_LT(budget->value(QStringLiteral("weights"), 4), budget->value(QStringLiteral("weights"), 0));
  EXPECT_GT(budget->uniformLevel(), 0.0);
  // The bar said what it was doing, and now that it is done.
  auto* bar = panel()->findChild<QProgressBar*>();
  ASSERT_TRUE(bar);
  EXPECT_EQ(bar->text(), QStringLiteral("Done: 5 of 5"));
  // Time against n up to 1,024: three sizes, each with both kernels.
  panel()->sweepLimit()->setCurrentIndex(0);
  QTest::mouseClick(panel()->timeButton(), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(panel()->timeChart()->points(true), 3);
  EXPECT_EQ(panel()->timeChart()->points(false), 3);
  EXPECT_EQ(bar->text(), QStringLiteral("Done: 3 of 3"));
  // Up to 65,536 would take a while: cancel it as soon as it starts.
  panel()->sweepLimit()->setCurrentIndex(panel()->sweepLimit()->count() - 1);
  QTest::mouseClick(panel()->timeButton(), Qt::LeftButton);
  EXPECT_TRUE(panel()->cancelButton()->isEnabled());
  QTest::mouseClick(panel()->cancelButton(), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_TRUE(panel()->timeChart()->title().contains(QStringLiteral("cancelled")))
      << panel()->timeChart()->title().toStdString();
  EXPECT_LT(panel()->timeChart()->points(true), 9);
  EXPECT_TRUE(bar->text().startsWith(QStringLiteral("Cancelled after "))) << bar->text().toStdString();
  EXPECT_TRUE(bar->text().endsWith(QStringLiteral(" of 9"))) << bar->text().toStdString();
  EXPECT_FALSE(panel()->cancelButton()->isEnabled());
}

// A sweep describes the inputs it ran on: picking another method (or changing n, d, the inputs) clears it, so the
// charts never show Performer's curve under "linear".
TEST_F(ApproxTabTest, AChangedMethodClearsTheSweepsOfTheOldOne) {
  ASSERT_TRUE(open());
  choose("performer");
  panel()->nBox()->setValue(128);
  ASSERT_TRUE(measured());
  QTest::mouseClick(panel()->budgetButton(), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  panel()->sweepLimit()->setCurrentIndex(0);
  QTest::mouseClick(panel()->timeButton(), Qt::LeftButton);
  ASSERT_TRUE(waitForBackground(*panel()));
  ASSERT_EQ(panel()->budgetChart()->points(), 5);
  ASSERT_EQ(panel()->timeChart()->points(true), 3);
  choose("linear");
  EXPECT_EQ(panel()->budgetChart()->points(), 0);
  EXPECT_EQ(panel()->timeChart()->points(true), 0);
  EXPECT_FALSE(panel()->budgetChart()->title().contains(QStringLiteral("performer")))
      << panel()->budgetChart()->title().toStdString();
  EXPECT_FALSE(panel()->timeChart()->title().contains(QStringLiteral("performer")))
      << panel()->timeChart()->title().toStdString();
}

TEST_F(ApproxTabTest, ItRunsOnYourOwnQKVFromNpyFilesAndRefusesAMismatchInOneLine) {
  ASSERT_TRUE(open());
  QTemporaryDir dir;
  // Two heads of 64 tokens, width 8, as a model dump would give them: [heads, n, d].
  const AttentionInputs in = syntheticInputs(2, 64, 8, 21);
  auto write = [&](const char* name, const std::vector<Matrix>& m) {
    std::vector<float> data;
    for (const Matrix& h : m) data.insert(data.end(), h.data(), h.data() + h.size());
    const QString path = dir.filePath(QString::fromLatin1(name));
    writeNpyFloat(path.toStdString(), {2, 64, 8}, data.data());
    return path;
  };
  const QString q = write("q.npy", in.q), k = write("k.npy", in.k), v = write("v.npy", in.v);
  choose("linear");
  ASSERT_TRUE(measured());
  ASSERT_TRUE(panel()->setNpyInputs(q, k, v)) << panel()->errorText().toStdString();
  ASSERT_TRUE(measured());
  EXPECT_EQ(panel()->inputsBox()->currentIndex(), 2);
  EXPECT_TRUE(panel()->measuresText().contains(QStringLiteral("q.npy (2 heads")))
      << panel()->measuresText().toStdString();
  ASSERT_EQ(panel()->lastReport()->out.size(), 2u);
  // The exact map is head 0's softmax(q·k/√8).
  Eigen::VectorXd s = in.k[0].cast<double>() * in.q[0].row(9).cast<double>().transpose() / std::sqrt(8.0);
  s = (s.array() - s.maxCoeff()).exp();
  s /= s.sum();
  EXPECT_NEAR(panel()->exactView()->pictureValue(9, 30), s[30], 1e-6);
  // A K of another length: one line naming the file, and the inputs stay as they were.
  const std::vector<float> shortK(2 * 32 * 8, 0.5f);
  const QString bad = dir.filePath(QStringLiteral("k-short.npy"));
  writeNpyFloat(bad.toStdString(), {2, 32, 8}, shortK.data());
  const ApproxReport* shown = panel()->lastReport();
  EXPECT_FALSE(panel()->setNpyInputs(q, bad, v));
  EXPECT_TRUE(panel()->errorText().contains(QStringLiteral("k-short.npy"))) << panel()->errorText().toStdString();
  ASSERT_TRUE(waitForBackground(*panel()));
  EXPECT_EQ(panel()->lastReport(), shown);
}

TEST_F(ApproxTabTest, TheTabExportsItsThreeMaps) {
  ASSERT_TRUE(open());
  QTemporaryDir dir;
  QString error;
  const QString png = dir.filePath(QStringLiteral("approx.png"));
  ASSERT_TRUE(w().exportPicture(png, 1500, 600, 150, &error)) << error.toStdString();
  EXPECT_EQ(QImageReader(png).size(), QSize(1500, 600));
  const QString svg = dir.filePath(QStringLiteral("approx.svg"));
  ASSERT_TRUE(w().exportPicture(svg, 1000, 400, 300, &error)) << error.toStdString();
  QFile file(svg);
  ASSERT_TRUE(file.open(QIODevice::ReadOnly));
  EXPECT_TRUE(file.readAll().contains("output error"));
}

}  // namespace
}  // namespace attnscope

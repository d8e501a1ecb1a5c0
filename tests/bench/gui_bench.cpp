// Responsiveness of the desktop app, offscreen: from a parameter change to the new picture on screen (the worker
// builds mask, statistics, reachability and picture; the GUI thread draws it), and start-up to the first picture.
// Goals: < 50 ms at n = 4,096, < 200 ms at n = 65,536; start-up < 1 s.
#include <benchmark/benchmark.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QTest>

#include <QPushButton>
#include <QSignalSpy>

#include "app/main_window.h"
#include "widgets/run/attention_runner.h"
#include "widgets/compare/compare_view.h"
#include "widgets/run/run_panel.h"
#include "widgets/shared/heatmap_view.h"
#include "widgets/pattern/mask_controller.h"
#include "widgets/pattern/pattern_controls.h"
#include "widgets/weights/weights_panel.h"
#include "engine/weights/attention_dump.h"
#include "engine/weights/head_stats.h"

namespace {

using namespace attnscope;

// Alternates between two attention windows so every iteration is a real change; times until the picture with
// the new title has been drawn.
void changeToPicture(benchmark::State& state, Index n) {
  MainWindow window(/*restore=*/false);
  window.resize(1400, 860);
  window.show();
  HeatmapView* heatmap = window.findChild<HeatmapView*>(QStringLiteral("heatmap"));
  PatternChoice a, b;
  a.pattern = b.pattern = QStringLiteral("hf-longformer");
  a.n = b.n = n;
  a.params = {{QStringLiteral("attention_window"), QStringLiteral("512")},
              {QStringLiteral("global_tokens"), QStringLiteral("0,1")}};
  b.params = {{QStringLiteral("attention_window"), QStringLiteral("510")},
              {QStringLiteral("global_tokens"), QStringLiteral("0,1")}};
  bool flip = false;
  for (auto _ : state) {
    const PatternChoice& next = flip ? a : b;
    flip = !flip;
    QElapsedTimer timer;
    timer.start();
    window.setPatternChoice(next);
    const QString wanted = next.param(QStringLiteral("attention_window"));
    while (!heatmap->title().contains(QStringLiteral("attention_window=") + wanted)) QTest::qWait(1);
    heatmap->repaint();  // the replot the user sees
    QCoreApplication::processEvents();
    state.SetIterationTime(double(timer.nsecsElapsed()) * 1e-9);
  }
}
void BM_ParameterChangeToPicture_4096(benchmark::State& state) { changeToPicture(state, 4096); }
void BM_ParameterChangeToPicture_65536(benchmark::State& state) { changeToPicture(state, 65536); }
BENCHMARK(BM_ParameterChangeToPicture_4096)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(30);
BENCHMARK(BM_ParameterChangeToPicture_65536)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(20);

void BM_StartupToFirstPicture(benchmark::State& state) {
  for (auto _ : state) {
    QElapsedTimer timer;
    timer.start();
    MainWindow window(/*restore=*/false);
    window.show();
    while (!window.result()) QTest::qWait(1);
    QCoreApplication::processEvents();
    state.SetIterationTime(double(timer.nsecsElapsed()) * 1e-9);
  }
}
BENCHMARK(BM_StartupToFirstPicture)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(10);

// Side by side at n = 65,536, the worker's part: counts, and the difference picture from the two masks.
void compareAt65536(benchmark::State& state, const QString& other) {
  PatternChoice a;
  a.pattern = QStringLiteral("hf-longformer");
  a.n = 65536;
  a.params = {{QStringLiteral("attention_window"), QStringLiteral("512")},
              {QStringLiteral("global_tokens"), QStringLiteral("0,1")}};
  auto left = std::make_shared<const MaskResult>(computeMaskResult(a, {}, false));
  std::shared_ptr<const MaskResult> right;
  if (other != QStringLiteral("full")) {
    PatternChoice b = a;
    b.pattern = other;
    b.params = {};
    right = std::make_shared<const MaskResult>(computeMaskResult(b, {}, false));
  }
  for (auto _ : state) benchmark::DoNotOptimize(compareResults(left, right));
}
void BM_CompareWithFull_65536(benchmark::State& state) { compareAt65536(state, QStringLiteral("full")); }
void BM_CompareWithBigBird_65536(benchmark::State& state) { compareAt65536(state, QStringLiteral("hf-bigbird")); }
BENCHMARK(BM_CompareWithFull_65536)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CompareWithBigBird_65536)->Unit(benchmark::kMillisecond)->UseRealTime();

// From a click on Cancel, while full attention runs at n = 32,768, to the window hearing that the run stopped.
// Typing in the Real attention tab: from a new text to its heads on screen — the model's pass, the dump written
// and read back, the heads' figures and the pictures — with the pause the tab waits for after a key set to 0, so
// only the work is timed. The shipped stories260K on a 64-token text (issue 23's goal: under 20 ms).
void BM_TypingToHeads_Stories260K_64(benchmark::State& state) {
  WeightsPanel panel;
  panel.resize(1400, 860);
  panel.show();
  panel.setTypingPause(0);
  // 63 tokens, and a final "." or "!" makes 64.
  const QString base = QStringLiteral(
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her big red "
      "ball and her friend Tom. One day, they saw a big dog in the park. The dog was");
  panel.setModelText(base);
  panel.openShippedModel();
  QElapsedTimer wait;
  wait.start();
  while (!(panel.model() && panel.report()) && wait.elapsed() < 20000) QTest::qWait(5);
  bool flip = false;
  for (auto _ : state) {
    flip = !flip;
    const QString text = base + (flip ? QStringLiteral(".") : QStringLiteral("!"));
    const std::string before = panel.dump() ? panel.dump()->path() : std::string();
    QElapsedTimer timer;
    timer.start();
    panel.setModelText(text);
    while ((!panel.dump() || panel.dump()->path() == before || !panel.report()) && timer.elapsed() < 10000)
      QCoreApplication::processEvents(QEventLoop::AllEvents, 1);
    state.SetIterationTime(double(timer.nsecsElapsed()) / 1e9);
    state.counters["tokens"] = double(panel.dump() ? panel.dump()->n() : 0);
  }
}
BENCHMARK(BM_TypingToHeads_Stories260K_64)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(30);

void BM_CancelToStopped(benchmark::State& state) {
  MainWindow window(/*restore=*/false);
  window.resize(1400, 860);
  window.show();
  PatternChoice c;
  c.pattern = QStringLiteral("window");
  c.n = 32768;
  c.params = {{QStringLiteral("radius"), QStringLiteral("2")}};
  QSignalSpy reach(window.findChild<MaskController*>(QStringLiteral("maskController")),
                   &MaskController::reachabilityReady);
  window.setPatternChoice(c);
  while (reach.isEmpty()) QTest::qWait(5);
  window.showView(QStringLiteral("run"));
  RunPanel* panel = window.findChild<RunPanel*>(QStringLiteral("run"));
  for (auto _ : state) {
    QSignalSpy ticks(panel->runner(), &AttentionRunner::tick);
    QSignalSpy cancelled(panel->runner(), &AttentionRunner::cancelled);
    panel->run();
    bool inFull = false;
    while (!inFull) {
      QTest::qWait(5);
      for (const auto& args : ticks) inFull |= args.at(0).toInt() == 1;
    }
    QTest::qWait(200);  // well into full attention
    QElapsedTimer timer;
    timer.start();
    QTest::mouseClick(panel->cancelButton(), Qt::LeftButton);
    while (cancelled.isEmpty()) QTest::qWait(0);
    state.SetIterationTime(double(timer.nsecsElapsed()) * 1e-9);
  }
}
BENCHMARK(BM_CancelToStopped)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(20);

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

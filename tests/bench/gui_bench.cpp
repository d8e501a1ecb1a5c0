// Responsiveness of the desktop app, offscreen: from a parameter change to the new picture on screen (the worker
// builds mask, statistics, reachability and picture; the GUI thread draws it), and start-up to the first picture.
// Goals: < 50 ms at n = 4,096, < 200 ms at n = 65,536; start-up < 1 s.
#include <benchmark/benchmark.h>

#include <QApplication>
#include <QElapsedTimer>
#include <QTest>

#include "app/main_window.h"
#include "widgets/heatmap_view.h"
#include "widgets/mask_controller.h"
#include "widgets/pattern_controls.h"

namespace {

using namespace attnscope;

// Alternates between two attention windows so every iteration is a real change; times until the picture with
// the new title has been drawn.
void changeToPicture(benchmark::State& state, Index n) {
  MainWindow window(/*restore=*/false);
  window.resize(1400, 860);
  window.show();
  PatternChoice a, b;
  a.pattern = b.pattern = QStringLiteral("hf-longformer");
  a.n = b.n = n;
  a.params = {{QStringLiteral("attention_window"), QStringLiteral("512")}, {QStringLiteral("global_tokens"), QStringLiteral("0,1")}};
  b.params = {{QStringLiteral("attention_window"), QStringLiteral("510")}, {QStringLiteral("global_tokens"), QStringLiteral("0,1")}};
  bool flip = false;
  for (auto _ : state) {
    const PatternChoice& next = flip ? a : b;
    flip = !flip;
    QElapsedTimer timer;
    timer.start();
    window.loadPreset(next);
    const QString wanted = next.param(QStringLiteral("attention_window"));
    while (!window.heatmap()->title().contains(QStringLiteral("attention_window=") + wanted)) QTest::qWait(1);
    window.heatmap()->repaint();  // the replot the user sees
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

}  // namespace

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// attnscope-cli: the engine for scripts and handouts, without a display.
#include <QCoreApplication>
#ifdef ATTNSCOPE_HAVE_RENDER
#include <QApplication>
#include <QDir>
#include <QFile>
#include <unistd.h>
#endif

#include <iostream>
#include <memory>
#include <string>

#include "app/cli/cli_common.h"
#include "engine/util/format.h"
#include "engine/io/atomic_file.h"

namespace {

const char* kUsage =
    "Usage: attnscope-cli COMMAND [OPTIONS]\n"
    "\n"
    "Commands:\n"
    "  patterns   list the pattern families with their parameters\n"
    "  stats      count a pattern's active cells (--pattern NAME -p KEY=VALUE --n N [--json])\n"
    "  mask       write a pattern's mask as .npy, .csv or .png (--out FILE [--layout])\n"
    "  path       the shortest multi-hop path between two tokens (--from I --to J)\n"
    "  run        compute attention for a pattern and for full attention; times, mass kept, error\n"
    "  bench      sweep n: dense and sparse kernels next to this machine's matrix-multiply speed\n"
    "  bench-model  time a model's forward pass (a model infer opens, or --shape distilroberta) against the peak\n"
    "  render     draw the heatmap figure to .png, .svg or .pdf without a display\n"
    "  model      a model's layers from its config.json: reach through the stack, cost per layer\n"
    "  approx     a low-rank or kernel approximation (linear, performer, linformer, nystrom) against exact softmax\n"
    "  attention  a model's own attention weights (.npy/.npz): what each head does, what a pattern keeps of it\n"
    "  infer      run a real model (llama2.c; Hugging Face BERT, GPT-2, Llama …) on a text: tokens, predictions,\n"
    "             a continuation, and every layer's attention as a dump\n"
    "  evaluate   what a pattern costs a model: its answers with the pattern in place of full attention\n"
    "  compress   what pruning, half precision or int8 changes: a model's answers and each head's attention\n"
    "  distil     a teacher's and a student's heads compared: similarity, matching, layer mapping\n"
    "  tokens     a text (or one sentence in ten languages) through a model's tokenizer: pieces, fertility, n\n"
    "  export-code  a pattern or a stack as code: FlexAttention mask_mod, DeepSpeed SparsityConfig, HF config fields\n"
    "\n"
    "Run 'attnscope-cli COMMAND --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
#ifdef ATTNSCOPE_HAVE_RENDER
  // render draws widgets, so it needs a QApplication; without a chosen platform it draws offscreen.
  const bool render = argc >= 2 && std::string(argv[1]) == "render";
  if (render && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  if (render && qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
    // Outside a desktop session Qt would warn on stderr and then use this same private folder; errors stay one line.
    const QString dir = QDir::tempPath() + QStringLiteral("/runtime-") + QString::number(::getuid());
    QDir().mkpath(dir);
    QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(dir));
  }
  std::unique_ptr<QCoreApplication> appPtr =
      render ? std::make_unique<QApplication>(argc, argv) : std::make_unique<QCoreApplication>(argc, argv);
#else
  auto appPtr = std::make_unique<QCoreApplication>(argc, argv);
#endif
  attnscope::removeTemporariesOnSignals();  // Ctrl+C during a write leaves no .part file behind
  QCoreApplication::setApplicationName(QStringLiteral("attnscope-cli"));
  QCoreApplication::setApplicationVersion(QStringLiteral(ATTNSCOPE_VERSION));
  QStringList args = QCoreApplication::arguments();
  if (args.size() < 2 || args[1] == QStringLiteral("--help") || args[1] == QStringLiteral("-h")) {
    std::cout << kUsage;
    return args.size() < 2 ? 2 : 0;
  }
  if (args[1] == QStringLiteral("--version")) {
    std::cout << "attnscope-cli " << ATTNSCOPE_VERSION << "\n";
    return 0;
  }
  const QString command = args[1];
  args.removeAt(1);  // the command's own parser sees program name + options
  try {
    using namespace attnscope::cli;
    if (command == QStringLiteral("patterns")) return runPatterns(args);
    if (command == QStringLiteral("stats")) return runStats(args);
    if (command == QStringLiteral("mask")) return runMask(args);
    if (command == QStringLiteral("path")) return runPath(args);
    if (command == QStringLiteral("run")) return runRun(args);
    if (command == QStringLiteral("bench")) return runBench(args);
    if (command == QStringLiteral("model")) return runModel(args);
    if (command == QStringLiteral("approx")) return runApprox(args);
    if (command == QStringLiteral("attention")) return runAttention(args);
    if (command == QStringLiteral("infer")) return runInfer(args);
    if (command == QStringLiteral("bench-model")) return runBenchModel(args);
    if (command == QStringLiteral("evaluate")) return runEvaluate(args);
    if (command == QStringLiteral("compress")) return runCompress(args);
    if (command == QStringLiteral("distil")) return runDistil(args);
    if (command == QStringLiteral("tokens")) return runTokens(args);
    if (command == QStringLiteral("export-code")) return runExportCode(args);
#ifdef ATTNSCOPE_HAVE_RENDER
    if (command == QStringLiteral("render")) return runRender(args);
#else
    if (command == QStringLiteral("render")) {
      std::cerr
          << "attnscope-cli: command 'render' is not available: this build has no widgets (ATTNSCOPE_BUILD_GUI=OFF)\n";
      return 2;
    }
#endif
    std::cerr << "attnscope-cli: command '" << attnscope::quoted(command.toStdString())
              << "' is unknown: expected patterns, stats, mask, path, run, bench, bench-model, render, model, approx, "
                 "attention, infer, evaluate, compress, distil or tokens (see --help)\n";
    return 2;
  } catch (const attnscope::cli::HelpShown& help) {
    std::cout << help.text;
    return 0;
  } catch (const attnscope::Error& e) {
    std::cerr << "attnscope-cli: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "attnscope-cli: out of memory: choose a smaller n or a sparser pattern\n";
    return 2;
  } catch (const std::exception& e) {
    // Anything else the standard library throws on odd input (out_of_range, length_error, …): still one line.
    std::cerr << "attnscope-cli: internal error (" << attnscope::oneLine(e.what())
              << "); please report the command that caused it\n";
    return 2;
  } catch (...) {
    std::cerr << "attnscope-cli: internal error of an unknown kind; please report the command that caused it\n";
    return 2;
  }
}

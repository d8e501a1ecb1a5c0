// attnscope-cli bench-model: the model runtime's forward pass (every layer's attention kept, as the Real attention
// tab keeps it) timed at one thread and at --threads, next to this machine's FMA peak measured in the same run, so
// the figure is also a share of what the core can do. The model is one the runtime opens, or a synthetic model of
// a named shape with random weights (DistilRoBERTa's: 6 layers, hidden 768, 12 heads, feed-forward 3,072, without
// its masked-LM head; tests/bench/torch_model.py builds the same in PyTorch). With --pattern, the same pass with the
// pattern in place of full attention in every layer is timed beside it (what evaluate's substitute costs); with
// --quantize int8 or --precision, a compressed copy (compress's) is timed beside it the same way.
#include <QJsonArray>

#include <Eigen/Core>
#include <iostream>
#include <memory>
#include <optional>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "app/cli/ceilings.h"
#include "app/cli/cli_common.h"
#include "engine/attention/scaling_sweep.h"
#include "engine/attention/tile_gemm.h"
#include "engine/compression/compress.h"
#include "engine/quantization/dynamic_int8.h"
#include "engine/runtime/bert_model.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/runtime/inference.h"
#include "engine/runtime/substitute.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

// What `bench-model` was asked; Check() says the first thing wrong with it.
struct BenchModelArgs {
  std::string model, shape, pattern, quantize, precision;
  bool mixed = false;
  std::vector<std::pair<std::string, std::string>> params;
  Index tokens = 128;
  int threads = 1, reps = 5;
  bool json = false;
  std::optional<TileBackend> backend;

  std::string Check() const {
    if (model.empty() == shape.empty())
      return "give either --model PATH (a model the runtime opens) or --shape distilroberta";
    if (!shape.empty() && shape != "distilroberta")
      return "--shape '" + quoted(shape) + "' is not allowed: expected distilroberta";
    if (pattern.empty() && !params.empty()) return "-p goes with --pattern";
    if (!quantize.empty() && quantize != "int8")
      return "--quantize '" + quoted(quantize) + "' is not allowed: expected int8";
    if (!precision.empty() && precision != "fp16" && precision != "bf16")
      return "--precision '" + quoted(precision) + "' is not allowed: expected fp16 or bf16";
    if (!quantize.empty() && !precision.empty()) return "--quantize and --precision: choose one";
    if (mixed && precision.empty()) return "--mixed goes with --precision fp16 or bf16";
    return {};
  }
};

BenchModelArgs readBenchModelArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "Time the model runtime's forward pass (every layer's attention kept) on --tokens tokens, at one thread and at "
      "--threads, as GFLOP/s and as a share of this machine's FMA peak measured in the same run."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("A model `infer` opens."),
                                 QStringLiteral("PATH"));
  const QCommandLineOption shape(
      QStringLiteral("shape"),
      QStringLiteral("A synthetic model instead: distilroberta (6 layers, hidden 768, 12 heads, feed-forward 3,072)."),
      QStringLiteral("NAME"));
  const QCommandLineOption tokens(QStringLiteral("tokens"), QStringLiteral("Tokens a pass (default 128)."),
                                  QStringLiteral("N"), QStringLiteral("128"));
  const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("Threads (default: all cores)."),
                                   QStringLiteral("T"));
  const QCommandLineOption repeat(QStringLiteral("repeat"), QStringLiteral("Passes per figure; the best counts (5)."),
                                  QStringLiteral("R"), QStringLiteral("5"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  const QCommandLineOption backend(
      QStringLiteral("backend"),
      QStringLiteral("The linear layers' and heads' tile products on libxsmm (the default when built with it) or "
                     "eigen."),
      QStringLiteral("B"));
  const QCommandLineOption quantize(QStringLiteral("quantize"),
                                    QStringLiteral("int8: time a copy quantized as `compress --quantize int8` beside."),
                                    QStringLiteral("TYPE"));
  const QCommandLineOption precision(QStringLiteral("precision"),
                                     QStringLiteral("fp16 or bf16: time a copy held in it beside (with --mixed)."),
                                     QStringLiteral("P"));
  const QCommandLineOption mixed(QStringLiteral("mixed"), QStringLiteral("With --precision: computed in it."));
  for (const QCommandLineOption* o :
       {&model, &shape, &tokens, &threads, &repeat, &json, &backend, &quantize, &precision, &mixed})
    parser.addOption(*o);
  const PatternOptions patternOptions;
  parser.addOption(patternOptions.pattern);
  parser.addOption(patternOptions.param);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  BenchModelArgs a;
  a.model = toStd(parser.value(model));
  a.shape = toStd(parser.value(shape));
  a.tokens = readInteger(QStringLiteral("tokens"), parser.value(tokens), 1, 8192);
  a.reps = static_cast<int>(readInteger(QStringLiteral("repeat"), parser.value(repeat), 1, 100));
#ifdef _OPENMP
  a.threads = parser.isSet(threads)
                  ? static_cast<int>(readInteger(QStringLiteral("threads"), parser.value(threads), 1, 256))
                  : omp_get_num_procs();
#endif
  a.json = parser.isSet(json);
  a.pattern = toStd(parser.value(patternOptions.pattern));
  a.params = readParamTexts(parser, patternOptions);
  a.quantize = toStd(parser.value(quantize));
  a.precision = toStd(parser.value(precision));
  a.mixed = parser.isSet(mixed);
  if (parser.isSet(backend)) a.backend = readTileBackend(parser.value(backend));
  return a;
}

void useThreads(int t) {
#ifdef _OPENMP
  omp_set_num_threads(t);
#endif
  Eigen::setNbThreads(t);
}

// DistilRoBERTa's shape (distilroberta-base's config.json).
std::shared_ptr<const LanguageModel> distilRoberta() {
  BertConfig c = bertDefaults(BertFlavour::Roberta);
  c.layers = 6;
  return std::make_shared<const BertModel>(BertModel::synthetic(c, /*head*/ false));
}

}  // namespace

int runBenchModel(const QStringList& arguments) {
  const BenchModelArgs args = readBenchModelArgs(arguments);
  refuse(args.Check());
  if (args.backend) setTileBackend(*args.backend);
  std::shared_ptr<const LanguageModel> model = args.shape.empty() ? openModel(args.model).model : distilRoberta();
  if (args.tokens > model->maxPositions())
    refuse("--tokens " + std::to_string(args.tokens) + " is not allowed: this model takes at most " +
           std::to_string(model->maxPositions()));
  // Ids spread over the vocabulary (past the first few, which are special in most vocabularies).
  std::vector<int> ids;
  const int vocab = model->vocabSize();
  for (Index t = 0; t < args.tokens; ++t) ids.push_back(vocab > 8 ? 4 + int((t * 7919) % (vocab - 4)) : int(t % vocab));
  const double gflop = model->passFlops(args.tokens) / 1e9;
  // The substitute, checked and built before anything is timed.
  AttentionMasks masks;
  PassOptions substituted;
  if (!args.pattern.empty()) {
    const PatternSpec spec = PatternSpec::parse(args.pattern);
    masks = patternMasks(spec, spec.resolve(args.params), args.tokens);
    model->checkTokens(ids, &masks);
    substituted.masks = &masks;
  }
  // The compressed copy, made before anything is timed.
  std::shared_ptr<LanguageModel> compressed;
  CompressionPlan plan;
  if (!args.quantize.empty() || !args.precision.empty()) {
    plan.storage = !args.quantize.empty()     ? WeightStorage::Int8
                   : args.precision == "fp16" ? WeightStorage::Fp16
                                              : WeightStorage::Bf16;
    plan.mixed = args.mixed;
    compressed = model->copy();
    applyPlan(*compressed, plan);
  }
  std::vector<int> counts{1};
  if (args.threads > 1) counts.push_back(args.threads);
  QJsonArray runs;
  std::map<int, double> ms;
  if (!args.json)
    std::cout << "tile products: " << tileBackendName(tileBackend()) << "\n"
              << model->describe() << "\n"
              << args.tokens << " tokens: " << fixedDigits(gflop, 2)
              << " GFLOP a pass (linear layers, attention, logits)\n";
  for (int t : counts) {
    useThreads(t);
    const double peak = fmaPeakGflops(t, args.reps);
    // SGEMM 1024³ beside it: Eigen's, and OpenBLAS's when the machine has it (it honours OPENBLAS_CORETYPE).
    const double eigen = eigenSgemmGflops(args.reps);
    const std::optional<double> openblas = openblasSgemmGflops(t, args.reps);
    model->forward(ids);  // the tile kernels are generated on first use
    ms[t] = bestOfMs(args.reps, [&] { model->forward(ids); });
    const double rate = gflop / (ms[t] / 1e3);
    std::optional<double> subMs;
    if (substituted.masks) subMs = bestOfMs(args.reps, [&] { model->forward(ids, {}, substituted); });
    std::optional<double> compressedMs;
    if (compressed) {
      compressed->forward(ids);
      compressedMs = bestOfMs(args.reps, [&] { compressed->forward(ids); });
    }
    runs.append(QJsonObject{{QStringLiteral("substituted_ms"), subMs ? QJsonValue(*subMs) : QJsonValue()},
                            {QStringLiteral("compressed_ms"), compressedMs ? QJsonValue(*compressedMs) : QJsonValue()},
                            {QStringLiteral("threads"), t},
                            {QStringLiteral("ms"), ms[t]},
                            {QStringLiteral("gflops"), rate},
                            {QStringLiteral("fma_peak_gflops"), peak},
                            {QStringLiteral("eigen_sgemm_gflops"), eigen},
                            {QStringLiteral("openblas_sgemm_gflops"), openblas ? QJsonValue(*openblas) : QJsonValue()},
                            {QStringLiteral("of_peak"), rate / peak}});
    if (!args.json)
      std::cout << t << (t == 1 ? " thread:  " : " threads: ") << fixedDigits(ms[t], 2) << " ms, "
                << fixedDigits(rate, 1) << " GFLOP/s, " << fixedDigits(100 * rate / peak, 1) << "% of the FMA peak ("
                << fixedDigits(peak, 1) << " GFLOP/s, measured now)"
                << (t > 1 ? ", " + fixedDigits(ms[1] / ms[t], 2) + "× one thread" : std::string())
                << "; SGEMM 1024³: Eigen " << fixedDigits(eigen, 1)
                << (openblas ? ", OpenBLAS " + fixedDigits(*openblas, 1) : std::string()) << " GFLOP/s\n";
    if (!args.json && subMs)
      std::cout << "  with " << args.pattern << " in place of full attention: " << fixedDigits(*subMs, 2) << " ms, "
                << fixedDigits(*subMs / ms[t], 3) << "× the full pass\n";
    if (!args.json && compressedMs)
      std::cout << "  its linear layers " << plan.describe() << ": " << fixedDigits(*compressedMs, 2) << " ms, "
                << fixedDigits(ms[t] / *compressedMs, 2) << "× as fast as float32"
                << (plan.storage == WeightStorage::Int8 ? std::string(" (integer products: ") + int8KernelName() + ")"
                                                        : std::string())
                << "\n";
  }
  if (args.json)
    printJson(QJsonObject{
        {QStringLiteral("model"), QString::fromStdString(model->describe())},
        {QStringLiteral("tokens"), static_cast<double>(args.tokens)},
        {QStringLiteral("gflop"), gflop},
        {QStringLiteral("tile_backend"), QString::fromUtf8(tileBackendName(tileBackend()))},
        {QStringLiteral("compressed"), compressed ? QJsonValue(QString::fromStdString(plan.describe())) : QJsonValue()},
        {QStringLiteral("int8_kernel"), QString::fromUtf8(int8KernelName())},
        {QStringLiteral("runs"), runs}});
  return 0;
}

}  // namespace attnscope::cli

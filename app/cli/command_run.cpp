// attnscope-cli run: real attention for a pattern against full attention on the same inputs.
#include <QJsonArray>

#include <Eigen/Core>
#include <cstdio>
#include <iostream>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "app/cli/cli_common.h"
#include "engine/attention/attention_compare.h"
#include "engine/util/format.h"
#include "engine/masks/mask_io.h"
#include "engine/io/npy.h"

namespace attnscope::cli {

void setThreads(const QCommandLineParser& parser, const QCommandLineOption& threads) {
  if (!parser.isSet(threads)) return;
  const int t = static_cast<int>(readInteger(QStringLiteral("threads"), parser.value(threads), 1, 256));
#ifdef _OPENMP
  omp_set_num_threads(t);
#endif
  Eigen::setNbThreads(t);
}

namespace {

// The pattern's weights as a dense float32 [heads, n, n] array (zeros where masked).
void writeWeights(const SparseWeights& w, const AttentionInputs& in, const std::string& path) {
  const Index n = in.n();
  checkDenseSize(4.0 * double(in.heads()) * double(n) * double(n), ".npy weights");
  BigVector<float> dense(static_cast<std::size_t>(in.heads() * n * n));
  std::fill(dense.begin(), dense.end(), 0.0f);
  for (int h = 0; h < in.heads(); ++h) {
    const int mh = w.maskHead(h);
    for (Index i = 0; i < n; ++i) {
      const auto keys = w.mask.row(mh, i);
      const float* values = w.values[h].data() + w.mask.headRows(mh).offsets[i];
      for (std::size_t t = 0; t < keys.size(); ++t) dense[(h * n + i) * n + keys[t]] = values[t];
    }
  }
  writeNpyFloat(path, {in.heads(), n, n}, dense.data());
}

// What `run` was asked beyond the pattern and its inputs; Check() says the first thing wrong with it.
struct RunArgs {
  std::string out, weights;  ///< .npy files to write, or empty
  bool json = false;
  int repeat = 3;  ///< timed passes of each kernel; the best is reported (as `bench` reports it)

  std::string Check() const {
    for (const auto& [option, path] : {std::pair{"--out", &out}, std::pair{"--weights", &weights}})
      if (!path->empty() && !(path->size() >= 4 && path->compare(path->size() - 4, 4, ".npy") == 0))
        return std::string(option) + " '" + quoted(*path) + "' is not allowed: expected a file ending in .npy";
    return {};
  }
};

// The run: the pattern's mask, both kernels on the same inputs, and the files asked for.
struct RunDone {
  PatternRequest request;
  Comparison comparison;
  const char* kernel = "sparse";
  int threads = 1;
  int repeat = 1;
};

RunDone runAndWrite(PatternRequest request, const RunArgs& args) {
  CompareHooks hooks;
  hooks.repeat = args.repeat;
  RunDone done{std::move(request), {}, "sparse", 1, 1};
  const AttentionInputs& in = *done.request.inputs;
  const auto pattern = done.request.makePattern();
  if (pattern->heads() != 1 && pattern->heads() != in.heads())
    throw UsageError("heads = " + std::to_string(in.heads()) + " is not allowed: pattern '" +
                     done.request.spec().name() + "' has " + std::to_string(pattern->heads()) + " heads (use --heads " +
                     std::to_string(pattern->heads()) + ")");
  if (!args.weights.empty()) checkDenseSize(4.0 * double(in.heads()) * double(in.n()) * double(in.n()), ".npy weights");
  const SparseMask mask = buildMask(*pattern);
  AttentionOutput patternOut;
  done.kernel = mask.hasBlockLayout() ? "block-sparse" : "sparse";
  done.comparison = compareWithFull(in, mask, {}, &patternOut, nullptr, hooks);
  done.repeat = args.repeat;
  if (!args.out.empty()) {
    BigVector<float> flat(static_cast<std::size_t>(in.heads() * in.n() * in.valueDim()));
    for (int h = 0; h < in.heads(); ++h)
      std::copy(patternOut.out[h].data(), patternOut.out[h].data() + patternOut.out[h].size(),
                flat.data() + h * in.n() * in.valueDim());
    writeNpyFloat(args.out, {in.heads(), in.n(), in.valueDim()}, flat.data());
  }
  if (!args.weights.empty()) {
    AttentionOptions withWeights;
    withWeights.wantWeights = true;
    writeWeights(*maskedAttention(in, mask, withWeights).weights, in, args.weights);
  }
#ifdef _OPENMP
  done.threads = omp_get_max_threads();
#endif
  return done;
}

void printRunJson(const RunDone& done) {
  const PatternRequest& request = done.request;
  const AttentionInputs& in = *request.inputs;
  const Comparison& c = done.comparison;
  const char* kernel = done.kernel;
  const int threadCount = done.threads;
  QJsonObject o{{QStringLiteral("pattern"), toQ(request.spec().name())},
                {QStringLiteral("n"), static_cast<qint64>(in.n())},
                {QStringLiteral("heads"), in.heads()},
                {QStringLiteral("dim"), static_cast<qint64>(in.dim())},
                {QStringLiteral("inputs"), request.inputsKind},
                {QStringLiteral("threads"), threadCount},
                {QStringLiteral("kernel"), QString::fromUtf8(kernel)},
                {QStringLiteral("repeat"), done.repeat},
                {QStringLiteral("nnz"), c.usefulCells},
                {QStringLiteral("ms_pattern"), c.msPattern},
                {QStringLiteral("ms_full"), c.msFull},
                {QStringLiteral("speedup"), c.speedup},
                {QStringLiteral("gflops_pattern"), c.gflopsPattern},
                {QStringLiteral("gflops_full"), c.gflopsFull},
                {QStringLiteral("mass_kept"), c.massKept},
                {QStringLiteral("rel_error"), c.relError},
                {QStringLiteral("empty_rows"), static_cast<qint64>(c.emptyRows)}};
  if (!in.tokens.empty()) {
    QJsonArray tokens;
    for (const auto& t : in.tokens) tokens.append(toQ(t));
    o.insert(QStringLiteral("tokens"), tokens);
  }
  printJson(o);
}

void printRunText(const RunDone& done) {
  const PatternRequest& request = done.request;
  const AttentionInputs& in = *request.inputs;
  const Comparison& c = done.comparison;
  const char* kernel = done.kernel;
  const int threadCount = done.threads;
  std::cout << "pattern     " << request.spec().name() << ", n = " << withSeparators(in.n()) << ", " << in.heads()
            << (in.heads() == 1 ? " head" : " heads") << ", dim " << in.dim() << ", " << toStd(request.inputsKind)
            << " inputs" << (request.inputsKind == QStringLiteral("npy") ? "" : " (synthetic embeddings)") << ", "
            << threadCount << (threadCount == 1 ? " thread\n" : " threads\n") << "pattern     "
            << fixedDigits(c.msPattern, 2) << " ms, " << fixedDigits(c.gflopsPattern, 1) << " useful GFLOP/s ("
            << kernel << " kernel, " << withSeparators(static_cast<Index>(c.usefulCells)) << " cells)\n"
            << "full        " << fixedDigits(c.msFull, 2) << " ms, " << fixedDigits(c.gflopsFull, 1) << " GFLOP/s\n"
            << "timing      the kernel call alone, best of " << done.repeat << (done.repeat == 1 ? " pass" : " passes")
            << " each (as bench times it; inputs and mask made before)\n"
            << "speed-up    " << fixedDigits(c.speedup, 2) << "×\n"
            << "mass kept   " << fixedDigits(100.0 * c.massKept, 2) << "% of full attention's weight\n"
            << "rel. error  " << fixedDigits(c.relError, 4) << " (‖O_pattern − O_full‖ / ‖O_full‖)\n";
  if (c.emptyRows > 0)
    std::cout << "warning     " << withSeparators(c.emptyRows)
              << " (head, query) rows attend no key: their output is zero\n";
}

}  // namespace

int runRun(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "Compute softmax attention for a pattern and for full attention on the same inputs: times, useful GFLOP/s, "
      "the attention mass the pattern keeps, and its output's error. Inputs are synthetic (Gaussian from --seed, "
      "or a sentence with synthetic embeddings) unless --q/--k/--v give .npy files."));
  const QCommandLineOption help = parser.addHelpOption();
  PatternOptions options;
  options.addTo(parser);
  InputOptions inputOptions;
  inputOptions.addTo(parser);
  const QCommandLineOption out(QStringLiteral("out"),
                               QStringLiteral("Write the pattern's output [heads, n, dim] .npy."),
                               QStringLiteral("O.npy"));
  const QCommandLineOption weights(QStringLiteral("weights"),
                                   QStringLiteral("Write the pattern's softmax weights [heads, n, n] .npy."),
                                   QStringLiteral("W.npy"));
  const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("Threads (default: all cores)."),
                                   QStringLiteral("T"));
  const QCommandLineOption repeat(QStringLiteral("repeat"),
                                  QStringLiteral("Timed passes of each kernel, the best kept (default 3, as bench)."),
                                  QStringLiteral("R"), QStringLiteral("3"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const QCommandLineOption* o : {&out, &weights, &threads, &repeat, &json}) parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  const RunArgs args{toStd(parser.value(out)), toStd(parser.value(weights)), parser.isSet(json),
                     static_cast<int>(readInteger(QStringLiteral("repeat"), parser.value(repeat), 1, 100))};
  if (const std::string problem = args.Check(); !problem.empty()) throw UsageError(problem);
  setThreads(parser, threads);
  if (parser.isSet(options.n))  // refused before any inputs are made for it
    readInteger(QStringLiteral("n"), parser.value(options.n), 1, kMaxFullAttentionTokens);
  inputOptions.checkShape = [](const InputShape& shape) { checkComparedN(shape.n); };  // before reading or making
  const RunDone done = runAndWrite(readPatternRequest(parser, options, &inputOptions, /*alwaysInputs=*/true), args);
  if (args.json)
    printRunJson(done);
  else
    printRunText(done);
  return 0;
}

}  // namespace attnscope::cli

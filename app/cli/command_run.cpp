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

}  // namespace

void setThreads(const QCommandLineParser& parser, const QCommandLineOption& threads) {
  if (!parser.isSet(threads)) return;
  const int t = static_cast<int>(readInteger(QStringLiteral("threads"), parser.value(threads), 1, 256));
#ifdef _OPENMP
  omp_set_num_threads(t);
#endif
  Eigen::setNbThreads(t);
}

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
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const QCommandLineOption* o : {&out, &weights, &threads, &json}) parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) {
    std::cout << toStd(parser.helpText());
    return 0;
  }
  for (const QCommandLineOption* o : {&out, &weights})
    if (parser.isSet(*o) && !parser.value(*o).endsWith(QStringLiteral(".npy")))
      throw UsageError("--" + toStd(o->names().first()) + " '" + toStd(parser.value(*o)) +
                       "' is not allowed: expected a file ending in .npy");
  setThreads(parser, threads);
  if (parser.isSet(options.n))  // refused before any inputs are made for it
    readInteger(QStringLiteral("n"), parser.value(options.n), 1, kMaxFullAttentionTokens);
  inputOptions.checkShape = [](const InputShape& shape) {  // files and sentences, before they are read or made
    checkComparedN(shape.n);
  };
  const PatternRequest request = readPatternRequest(parser, options, &inputOptions, /*alwaysInputs=*/true);
  const AttentionInputs& in = *request.inputs;
  const auto pattern = request.makePattern();
  if (pattern->heads() != 1 && pattern->heads() != in.heads())
    throw UsageError("heads = " + std::to_string(in.heads()) + " is not allowed: pattern '" + request.spec.name() +
                     "' has " + std::to_string(pattern->heads()) + " heads (use --heads " +
                     std::to_string(pattern->heads()) + ")");
  if (parser.isSet(weights)) checkDenseSize(4.0 * double(in.heads()) * double(in.n()) * double(in.n()), ".npy weights");
  const SparseMask mask = buildMask(*pattern);

  AttentionOutput patternOut;
  const Comparison c = compareWithFull(in, mask, {}, &patternOut);
  if (parser.isSet(out)) {
    BigVector<float> flat(static_cast<std::size_t>(in.heads() * in.n() * in.valueDim()));
    for (int h = 0; h < in.heads(); ++h)
      std::copy(patternOut.out[h].data(), patternOut.out[h].data() + patternOut.out[h].size(),
                flat.data() + h * in.n() * in.valueDim());
    writeNpyFloat(toStd(parser.value(out)), {in.heads(), in.n(), in.valueDim()}, flat.data());
  }
  if (parser.isSet(weights)) {
    AttentionOptions withWeights;
    withWeights.wantWeights = true;
    writeWeights(*maskedAttention(in, mask, withWeights).weights, in, toStd(parser.value(weights)));
  }
  const char* kernel = mask.hasBlockLayout() ? "block-sparse" : "sparse";
#ifdef _OPENMP
  const int threadCount = omp_get_max_threads();
#else
  const int threadCount = 1;
#endif

  if (parser.isSet(json)) {
    QJsonObject o{{QStringLiteral("pattern"), toQ(request.spec.name())},
                  {QStringLiteral("n"), static_cast<qint64>(in.n())},
                  {QStringLiteral("heads"), in.heads()},
                  {QStringLiteral("dim"), static_cast<qint64>(in.dim())},
                  {QStringLiteral("inputs"), request.inputsKind},
                  {QStringLiteral("threads"), threadCount},
                  {QStringLiteral("kernel"), QString::fromUtf8(kernel)},
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
    return 0;
  }
  std::cout << "pattern     " << request.spec.name() << ", n = " << withSeparators(in.n()) << ", " << in.heads()
            << (in.heads() == 1 ? " head" : " heads") << ", dim " << in.dim() << ", " << toStd(request.inputsKind)
            << " inputs" << (request.inputsKind == QStringLiteral("npy") ? "" : " (synthetic embeddings)") << ", "
            << threadCount << (threadCount == 1 ? " thread\n" : " threads\n") << "pattern     "
            << fixedDigits(c.msPattern, 2) << " ms, " << fixedDigits(c.gflopsPattern, 1) << " useful GFLOP/s ("
            << kernel << " kernel, " << withSeparators(static_cast<Index>(c.usefulCells)) << " cells)\n"
            << "full        " << fixedDigits(c.msFull, 2) << " ms, " << fixedDigits(c.gflopsFull, 1) << " GFLOP/s\n"
            << "speed-up    " << fixedDigits(c.speedup, 2) << "×\n"
            << "mass kept   " << fixedDigits(100.0 * c.massKept, 2) << "% of full attention's weight\n"
            << "rel. error  " << fixedDigits(c.relError, 4) << " (‖O_pattern − O_full‖ / ‖O_full‖)\n";
  if (c.emptyRows > 0)
    std::cout << "warning     " << withSeparators(c.emptyRows)
              << " (head, query) rows attend no key: their output is zero\n";
  return 0;
}

}  // namespace attnscope::cli

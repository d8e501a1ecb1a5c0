// attnscope-cli approx: a low-rank or kernel approximation of softmax attention against the exact one.
#include <QJsonArray>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/approx/approx_measure.h"
#include "engine/io/npy.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

QJsonObject reportJson(const ApproxMethod& method, const ParamSet& params, const ApproxReport& r, Index n, Index dim,
                       int heads, int repeat) {
  QJsonObject p;
  for (const auto& [name, value] : params.values()) p.insert(toQ(name), toQ(formatParam(value)));
  return QJsonObject{{QStringLiteral("method"), toQ(method.name())},
                     {QStringLiteral("params"), p},
                     {QStringLiteral("n"), static_cast<qint64>(n)},
                     {QStringLiteral("dim"), static_cast<qint64>(dim)},
                     {QStringLiteral("heads"), heads},
                     {QStringLiteral("ms_method"), r.msMethod},
                     {QStringLiteral("ms_full"), r.msFull},
                     {QStringLiteral("repeat"), repeat},
                     {QStringLiteral("output_rel_error"), r.outputRelError},
                     {QStringLiteral("weights_l1"), r.weightsL1},
                     {QStringLiteral("uniform_l1"), r.uniformL1},
                     {QStringLiteral("negative_share"), r.negativeShare},
                     {QStringLiteral("row_sum_max_dev"), r.rowSumMaxDev},
                     {QStringLiteral("rows_measured"), static_cast<qint64>(r.rowsMeasured)},
                     {QStringLiteral("all_rows"), r.allRows}};
}

// What `approx` was asked beyond its inputs; Check() says the first thing wrong with it.
struct ApproxArgs {
  const ApproxMethod* method = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  double scale = 1;
  bool scaleGiven = false, nGiven = false, inputsDecideN = false, filesGiven = false;
  Index n = 0;  ///< when no inputs decide it
  std::string weightsOut, sweep;
  int repeat = 3;  ///< timed passes of the method and of full attention; the best of each is reported
  bool json = false;

  std::string Check() const {
    const std::string inputs = filesGiven ? "--q/--k/--v" : "--text";
    if (!inputsDecideN && !nGiven) return "--n is required: the sequence length";
    if (inputsDecideN && nGiven) return "--n is not allowed with " + inputs + ": the inputs give n";
    if (scaleGiven && inputsDecideN)
      return "--scale is not allowed with " + inputs + ": it scales the Gaussian inputs only";
    if (!weightsOut.empty() && !sweep.empty()) return "--sweep and --weights-out are not allowed together: choose one";
    return {};
  }
};

void printSweep(const ApproxArgs& args, const ParamSet& params, const AttentionInputs& in) {
  const ApproxMethod& m = *args.method;
  const std::string& key = args.sweep;
  QJsonArray steps;
  bool header = false;
  approxBudgetSweep(m, params, key, in, [&](const ApproxBudgetStep& step) {
    steps.append(QJsonObject{{QStringLiteral("value"), static_cast<qint64>(step.value)},
                             {QStringLiteral("ms_method"), step.msMethod},
                             {QStringLiteral("output_rel_error"), step.outputRelError},
                             {QStringLiteral("weights_l1"), step.weightsL1},
                             {QStringLiteral("uniform_l1"), step.uniformL1}});
    if (args.json) return;
    if (!header) std::cout << m.name() << ": " << key << " doubling, n = " << withSeparators(in.n()) << "\n";
    header = true;
    std::cout << "  " << key << " = " << step.value << ": output error " << fixedDigits(step.outputRelError, 4)
              << ", weights L1 " << fixedDigits(step.weightsL1, 4) << " (uniform " << fixedDigits(step.uniformL1, 4)
              << "), " << fixedDigits(step.msMethod, 2) << " ms\n";
  });
  if (args.json)
    printJson(QJsonObject{{QStringLiteral("method"), toQ(m.name())},
                          {QStringLiteral("sweep"), toQ(key)},
                          {QStringLiteral("n"), static_cast<qint64>(in.n())},
                          {QStringLiteral("steps"), steps}});
}

void printApproxText(const ApproxArgs& args, const ParamSet& params, const ApproxReport& r, const AttentionInputs& in,
                     const QString& kind) {
  const ApproxMethod& m = *args.method;
  std::cout << "method            " << m.name();
  for (const auto& [name, value] : params.values()) std::cout << "  " << name << "=" << formatParam(value);
  std::cout << "\ninputs            " << toStd(kind) << ", n = " << withSeparators(in.n()) << ", dim " << in.dim()
            << ", " << in.heads() << (in.heads() == 1 ? " head" : " heads") << "\n"
            << "time              " << fixedDigits(r.msMethod, 2) << " ms (full attention " << fixedDigits(r.msFull, 2)
            << " ms, " << fixedDigits(r.msFull / std::max(r.msMethod, 1e-9), 1) << "×; best of " << args.repeat
            << (args.repeat == 1 ? " pass" : " passes") << " each)\n"
            << "output error      " << fixedDigits(r.outputRelError, 4) << " (‖O − O_exact‖ / ‖O_exact‖)\n"
            << "weights L1        " << fixedDigits(r.weightsL1, 4)
            << " per row (uniform attention: " << fixedDigits(r.uniformL1, 4) << ")"
            << (r.allRows ? "" : " over " + withSeparators(r.rowsMeasured) + " rows a head") << "\n"
            << "negative entries  " << fixedDigits(100.0 * r.negativeShare, 2) << "%\n"
            << "row sums          within " << fixedDigits(r.rowSumMaxDev, 6) << " of 1\n";
}

ApproxArgs readApproxArgs(QCommandLineParser& parser, const InputOptions& inputOptions, const QStringList& arguments) {
  parser.setApplicationDescription(QStringLiteral(
      "An approximation of softmax attention (linear, performer, linformer, nystrom) against the exact one on the "
      "same inputs: times, output error, the L1 distance of its effective weights from the exact ones (with uniform "
      "attention's beside it), negative entries and row sums."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption method(QStringLiteral("method"), QStringLiteral("linear, performer, linformer or nystrom."),
                                  QStringLiteral("NAME"));
  const QCommandLineOption param(QStringList{QStringLiteral("p"), QStringLiteral("param")},
                                 QStringLiteral("A parameter, KEY=VALUE. Repeatable."), QStringLiteral("KEY=VALUE"));
  const QCommandLineOption n(QStringList{QStringLiteral("n")}, QStringLiteral("Sequence length."), QStringLiteral("N"));
  const QCommandLineOption scale(QStringLiteral("scale"),
                                 QStringLiteral("Gaussian inputs: queries times S, so logits have standard deviation S "
                                                "(default 1)."),
                                 QStringLiteral("S"), QStringLiteral("1"));
  const QCommandLineOption weightsOut(QStringLiteral("weights-out"),
                                      QStringLiteral("Write Â of head 0 as float32 .npy [n, n] (n ≤ 4,096)."),
                                      QStringLiteral("W.npy"));
  const QCommandLineOption sweep(QStringLiteral("sweep"),
                                 QStringLiteral("Double this budget (k, nb_features or num_landmarks) from 8 up to n "
                                                "(at most 4,096) and print the error at each step."),
                                 QStringLiteral("PARAM"));
  const QCommandLineOption repeat(QStringLiteral("repeat"),
                                  QStringLiteral("Timed passes of the method and of full attention, the best of each "
                                                 "reported, as bench reports it (default 3; 1 to 100)."),
                                  QStringLiteral("R"), QStringLiteral("3"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const auto* o : {&method, &param, &n, &scale, &weightsOut, &sweep, &repeat, &json}) parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  if (!parser.isSet(method)) throw UsageError("--method is required: linear, performer, linformer or nystrom");
  ApproxArgs args;
  args.method = &findApproxMethod(toStd(parser.value(method)));
  args.params = readParamTexts(parser.values(param), "--param");
  bool ok = false;
  args.scale = parser.value(scale).toDouble(&ok);
  if (!ok || !(args.scale > 0) || args.scale > 1e4)
    throw UsageError("--scale " + toStd(parser.value(scale)) + " is not allowed: expected a number > 0 and ≤ 10000");
  args.scaleGiven = parser.isSet(scale);
  args.nGiven = parser.isSet(n);
  args.inputsDecideN = inputOptions.decideN(parser);
  args.filesGiven = inputOptions.files(parser);
  args.weightsOut = toStd(parser.value(weightsOut));
  args.sweep = toStd(parser.value(sweep));
  args.json = parser.isSet(json);
  args.repeat = static_cast<int>(readInteger(QStringLiteral("repeat"), parser.value(repeat), 1, 100));
  if (const std::string problem = args.Check(); !problem.empty()) throw UsageError(problem);
  if (!args.inputsDecideN) args.n = readInteger(QStringLiteral("n"), parser.value(n), 1, kMaxFullAttentionTokens);
  return args;
}

}  // namespace

int runApprox(const QStringList& arguments) {
  QCommandLineParser parser;
  InputOptions inputOptions;
  inputOptions.addTo(parser);
  const ApproxArgs args = readApproxArgs(parser, inputOptions, arguments);  // checked as it is read
  ApproxOptions options;
  options.wantWeights = !args.weightsOut.empty();
  options.repeat = args.repeat;
  // Every source of inputs is checked by its shape before it is made or read (files: from their headers).
  inputOptions.checkShape = [&](const InputShape& shape) {
    checkApprox(*args.method, resolveApproxParams(*args.method, shape.dim, args.params), shape.heads, shape.n,
                shape.dim, shape.valueDim, options);
  };
  QString kind;
  AttentionInputs in = readInputs(parser, inputOptions, args.n, kind);
  if (kind == QStringLiteral("synthetic") && args.scale != 1.0)
    for (Matrix& q : in.q) q *= static_cast<float>(args.scale);
  const ParamSet params = resolveApproxParams(*args.method, in.dim(), args.params);
  if (!args.sweep.empty()) {
    printSweep(args, params, in);
    return 0;
  }
  const ApproxReport r = measureApprox(*args.method, params, in, options);
  if (options.wantWeights) writeNpyFloat(args.weightsOut, {in.n(), in.n()}, r.weights->data());
  if (args.json)
    printJson(reportJson(*args.method, params, r, in.n(), in.dim(), in.heads(), args.repeat));
  else
    printApproxText(args, params, r, in, kind);
  return 0;
}

}  // namespace attnscope::cli

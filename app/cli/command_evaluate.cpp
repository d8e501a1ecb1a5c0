// attnscope-cli evaluate: what a pattern costs a model. The text runs through the model with its own full attention
// once, and with a substitute in its place — a pattern in every layer, or a stack layer by layer — and the command
// prints what changed: the share of attention cells the substitute computes, the agreement of the likeliest
// predictions, the KL divergence of the output distributions, a decoder's perplexity on the text, and each layer's
// drift of the residual stream. --sweep runs one parameter over a list of budgets, a row each; --per-layer
// substitutes one layer at a time.
#include <QJsonArray>

#include <iostream>
#include <functional>
#include <optional>

#include "app/cli/cli_common.h"
#include "engine/approx/approx_method.h"
#include "engine/io/atomic_file.h"
#include "engine/models/stack_source.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/runtime/inference.h"
#include "engine/runtime/substitute.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

// What `evaluate` was asked; Check() says the first thing wrong with it.
struct EvaluateArgs {
  ModelTextOptions::Values input;
  std::string pattern, approx, sweepKey;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> sweepValues;
  StackSource stack;
  Index stride = 0;  ///< 0: half the model's positions
  bool json = false, perLayer = false;

  std::string Check() const {
    if (const std::string problem = input.check(); !problem.empty()) return problem;
    if (int(!pattern.empty()) + int(stack.given()) + int(!approx.empty()) != 1)
      return "give one of --pattern P (in every layer), --config, --stack or --layers (layer by layer), or --approx "
             "METHOD: what attends instead of full attention";
    if (const std::string problem = stack.check(false); !problem.empty()) return problem;
    if (stack.given() && !params.empty())
      return "-p goes with --pattern or --approx: a stack's layers carry their own parameters";
    if (stack.given() && !sweepKey.empty())
      return "--sweep goes with --pattern or --approx: it varies one of their parameters";
    if (!sweepKey.empty() && sweepValues.empty()) return "--sweep " + sweepKey + "= has no values: give V1,V2,…";
    if (sweepValues.size() > 64) return "--sweep has " + std::to_string(sweepValues.size()) + " values: at most 64";
    for (const auto& [key, value] : params)
      if (key == sweepKey) return "-p " + key + " and --sweep " + key + " both set it: give one";
    return {};
  }
};

EvaluateArgs readEvaluateArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "What a pattern costs a model: the text run with full attention and with a substitute in its place (--pattern "
      "in every layer, or a stack layer by layer from --config, --stack or --layers), and what the model says "
      "differently (top-1 agreement, KL divergence, perplexity, each layer's drift) against the share "
      "of attention cells the pattern computes."));
  const QCommandLineOption help = parser.addHelpOption();
  const ModelTextOptions input;
  input.addTo(parser);
  const PatternOptions patternOptions;
  const QCommandLineOption sweep(
      QStringList{QStringLiteral("sweep")},
      QStringLiteral("One of the pattern's parameters over budgets, KEY=V1,V2,…: a row each (radius=0,1,2,4,8)."),
      QStringLiteral("KEY=LIST"));
  const QCommandLineOption perLayer(
      QStringLiteral("per-layer"),
      QStringLiteral(
          "Also substitute one layer at a time (its own attention in the others): what each layer tolerates."));
  const QCommandLineOption stride(
      QStringLiteral("stride"),
      QStringLiteral("A text longer than the model's positions is measured in windows of that many tokens, each this "
                     "many after the last (default: half the positions)."),
      QStringLiteral("S"));
  const QCommandLineOption approx(
      QStringLiteral("approx"),
      QStringLiteral("An approximation in place of softmax attention in every layer: linear or performer (run "
                     "causally for a decoder), linformer or nystrom (encoders only); -p sets its parameters."),
      QStringLiteral("METHOD"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const QCommandLineOption* o : {&approx, &sweep, &perLayer, &stride, &json}) parser.addOption(*o);
  parser.addOption(patternOptions.pattern);
  parser.addOption(patternOptions.param);
  StackOptions stack;
  stack.addTo(parser);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  EvaluateArgs a;
  a.input = input.read(parser);
  a.pattern = toStd(parser.value(patternOptions.pattern));
  a.approx = toStd(parser.value(approx));
  a.params = readParamTexts(parser, patternOptions);
  if (parser.isSet(sweep)) {
    const std::string s = toStd(parser.value(sweep));
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == s.size())
      throw UsageError("--sweep '" + quoted(s) + "' is not allowed: expected KEY=V1,V2,… (radius=0,1,2,4,8)");
    a.sweepKey = s.substr(0, eq);
    for (const QString& v : QString::fromStdString(s.substr(eq + 1)).split(QLatin1Char(','), Qt::SkipEmptyParts))
      a.sweepValues.push_back(toStd(v.trimmed()));
  }
  a.stack = stack.read(parser);
  a.perLayer = parser.isSet(perLayer);
  if (parser.isSet(stride)) a.stride = readInteger(QStringLiteral("--stride"), parser.value(stride), 1, 1 << 20);
  a.json = parser.isSet(json);
  return a;
}

QJsonObject measuresJson(const SubstituteMeasures& m) {
  QJsonObject o;
  for (const auto& [key, value] : measureFields(m))
    o.insert(QString::fromStdString(key), value ? QJsonValue(*value) : QJsonValue());
  QJsonArray drift;
  for (double d : m.driftByLayer) drift.append(d);
  o.insert(QStringLiteral("drift_by_layer"), drift);
  return o;
}

void printMeasures(const std::string& label, const SubstituteMeasures& m) {
  std::cout << label << ": " << fixedDigits(100 * m.shareOfCells, 1) << "% of the cells, ";
  if (m.positions > 0)
    std::cout << "top-1 agreement " << fixedDigits(100 * m.top1Agreement, 1) << "% of " << m.positions << ", KL mean "
              << fixedDigits(m.klMean, 4) << " max " << fixedDigits(m.klMax, 4) << " nats";
  else
    std::cout << "no predictions to compare (the model has no head that gives them)";
  if (m.perplexity)
    std::cout << ", perplexity " << fixedDigits(*m.perplexity, 2) << " (full " << fixedDigits(*m.perplexityFull, 2)
              << ")";
  std::cout << ", drift by layer";
  for (double d : m.driftByLayer) std::cout << ' ' << fixedDigits(d, 3);
  if (m.emptyRows > 0) std::cout << ", " << m.emptyRows << " query rows with no key";
  std::cout << '\n';
}

QJsonArray perLayerJson(const std::vector<SubstituteMeasures>& layers) {
  QJsonArray out;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    QJsonObject o = measuresJson(layers[l]);
    o.insert(QStringLiteral("layer"), static_cast<int>(l));
    out.append(o);
  }
  return out;
}

void printPerLayer(const std::vector<SubstituteMeasures>& layers) {
  std::cout << "  one layer at a time (drift of the last layer's output, KL mean, top-1 agreement):\n";
  for (std::size_t l = 0; l < layers.size(); ++l)
    std::cout << "    layer " << l << ": drift " << fixedDigits(layers[l].driftByLayer.back(), 3) << ", KL "
              << fixedDigits(layers[l].klMean, 4) << ", agreement " << fixedDigits(100 * layers[l].top1Agreement, 1)
              << "%\n";
}

}  // namespace

int runEvaluate(const QStringList& arguments) {
  const EvaluateArgs args = readEvaluateArgs(arguments);
  refuse(args.Check());
  // The pattern and every budget (or the stack's text and file) are checked before the model is read.
  struct Budget {
    std::string label;
    ParamSet values;
  };
  std::vector<Budget> budgets;
  std::optional<PatternSpec> spec;
  if (!args.pattern.empty()) {
    spec = PatternSpec::parse(args.pattern);
    checkSubstitutable(*spec);
    if (args.sweepKey.empty()) {
      budgets.push_back({"", spec->resolve(args.params)});
    } else {
      if (!spec->param(args.sweepKey))
        throw UsageError("--sweep " + args.sweepKey + " is not a parameter of " + args.pattern);
      for (const std::string& v : args.sweepValues) {
        auto texts = args.params;
        texts.emplace_back(args.sweepKey, v);
        budgets.push_back({v, spec->resolve(texts)});
      }
    }
  } else if (!args.approx.empty()) {
    findApproxMethod(args.approx);  // its parameters need the model's head size: resolved once it is read
  } else if (!args.stack.layers.empty()) {
    parseShortForm(args.stack.layers);
  } else if (!args.stack.stackFile.empty()) {
    readStackFile(args.stack.stackFile);
  }
  const RuntimeModel m = openModel(args.input.model, args.input.tokenizer);
  const std::vector<int> ids = encodeText(m, args.input.load());
  const Index n = static_cast<Index>(ids.size());
  if (ids.empty()) throw UsageError("the text gives no tokens: give a text");
  // A text longer than the model's positions is measured window by window (the stride said), each window's
  // substitute made at the window's length.
  const Index window = std::min<Index>(n, m.model->maxPositions());
  const bool sliding = n > window;
  const Index stride = args.stride > 0 ? args.stride : std::max<Index>(1, window / 2);
  if (sliding) slidingWindows(n, window, stride);  // checks the stride
  // Every substitute is made and checked against the model at the length it runs at before the first pass.
  std::vector<std::function<Substitute(Index)>> substitutes;
  std::string what;
  if (spec) {
    for (const Budget& b : budgets)
      substitutes.push_back(
          [&spec, values = b.values](Index length) { return patternSubstitute(*spec, values, length); });
    what = args.pattern + " in every layer";
  } else if (!args.approx.empty()) {
    const ApproxMethod& method = findApproxMethod(args.approx);
    const Index dim = m.model->headDim();
    const std::vector<ParamSpec> params = method.params(dim);
    if (!args.sweepKey.empty() &&
        std::none_of(params.begin(), params.end(), [&](const ParamSpec& p) { return p.name == args.sweepKey; }))
      throw UsageError("--sweep " + args.sweepKey + " is not a parameter of " + args.approx);
    const std::vector<std::string> values = args.sweepKey.empty() ? std::vector<std::string>{""} : args.sweepValues;
    for (const std::string& v : values) {
      auto texts = args.params;
      if (!args.sweepKey.empty()) texts.emplace_back(args.sweepKey, v);
      const AttentionApprox approx{&method, resolveApproxParams(method, dim, texts)};
      budgets.push_back({v, approx.params});
      substitutes.push_back([approx](Index) { return Substitute(approx); });
    }
    what = args.approx + " in place of softmax attention in every layer";
  } else {
    const LayerStack stack = args.stack.load(window);
    const int layers = m.model->layers();
    substitutes.push_back([stack, layers](Index length) { return stackMasks(stack, layers, length); });
    what = "the stack " + shortForm(stack.layers) + ", layer by layer";
  }
  const std::vector<int> first(ids.begin(), ids.begin() + window);
  for (const auto& substituteAt : substitutes) {
    const Substitute s = substituteAt(window);
    m.model->checkTokens(first, &s.masks);
    if (s.approx) m.model->checkApprox(*s.approx, window);
  }
  // The tile kernels are generated on first use: a pass before the timed ones keeps that off the clock.
  m.model->forward(first, {}, LogitRows::at({}));
  std::optional<SubstituteReference> reference;
  if (!sliding) reference = referencePass(*m.model, ids, m.tokenizer->maskToken());
  const auto measure = [&](const std::function<Substitute(Index)>& masksAt) {
    return sliding ? measureSliding(*m.model, ids, masksAt, m.tokenizer->maskToken(), stride)
                   : measureAgainst(*m.model, *reference, masksAt(n));
  };
  QJsonArray rows;
  if (!args.json) {
    std::cout << "model: " << m.describe() << "\n" << n << " tokens; " << what << "\n";
    if (!args.approx.empty()) std::cout << approximationNote(findApproxMethod(args.approx)) << "\n";
    if (sliding)
      std::cout << "sliding evaluation: windows of " << window << " tokens, stride " << stride << " ("
                << slidingWindows(n, window, stride).size() << " windows; each prediction counted once, with at least "
                << window - stride - 1 << " tokens before it)\n";
  }
  for (std::size_t b = 0; b < substitutes.size(); ++b) {
    const SubstituteMeasures measures = measure(substitutes[b]);
    QJsonObject row = measuresJson(measures);
    const std::string label = budgets.empty() || budgets[b].label.empty() ? std::string() : budgets[b].label;
    if (!label.empty()) row.insert(QString::fromStdString(args.sweepKey), QString::fromStdString(label));
    if (!args.json)
      printMeasures(label.empty() ? (spec                   ? args.pattern
                                     : !args.approx.empty() ? args.approx
                                                            : "stack")
                                  : args.sweepKey + "=" + label,
                    measures);
    if (args.perLayer) {
      std::vector<SubstituteMeasures> layers;
      for (int l = 0; l < m.model->layers(); ++l) {
        const int count = m.model->layers();
        layers.push_back(measure([&, l, count](Index length) { return onlyLayer(substitutes[b](length), l, count); }));
      }
      row.insert(QStringLiteral("per_layer"), perLayerJson(layers));
      if (!args.json) printPerLayer(layers);
    }
    rows.append(row);
  }
  if (args.json) {
    QJsonObject o{{QStringLiteral("model"), QString::fromStdString(m.describe())},
                  {QStringLiteral("tokens"), static_cast<double>(n)},
                  {QStringLiteral("substitute"), QString::fromStdString(what)}};
    if (spec) o.insert(QStringLiteral("pattern"), QString::fromStdString(args.pattern));
    if (!args.approx.empty()) {
      o.insert(QStringLiteral("approx"), QString::fromStdString(args.approx));
      o.insert(QStringLiteral("note"), QString::fromStdString(approximationNote(findApproxMethod(args.approx))));
    }
    if (sliding) {
      o.insert(QStringLiteral("window"), static_cast<double>(window));
      o.insert(QStringLiteral("stride"), static_cast<double>(stride));
    }
    if (args.sweepKey.empty()) {
      const QJsonObject only = rows.at(0).toObject();
      for (auto it = only.begin(); it != only.end(); ++it) o.insert(it.key(), it.value());
    } else {
      o.insert(QStringLiteral("sweep"), QString::fromStdString(args.sweepKey));
      o.insert(QStringLiteral("rows"), rows);
    }
    printJson(o);
  }
  return 0;
}

}  // namespace attnscope::cli

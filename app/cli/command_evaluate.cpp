// attnscope-cli evaluate: what a pattern costs a model. The text runs through the model twice — with its own full
// attention, and with the pattern in its place in every layer — and the command prints what changed: the share of
// attention cells the pattern computes, the agreement of the likeliest predictions, the KL divergence of the output
// distributions, a decoder's perplexity on the text, and each layer's drift of the residual stream. --sweep runs one
// parameter over a list of budgets, a row each.
#include <QJsonArray>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/io/atomic_file.h"
#include "engine/patterns/pattern_registry.h"
#include "engine/runtime/inference.h"
#include "engine/runtime/substitute.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

// What `evaluate` was asked; Check() says the first thing wrong with it.
struct EvaluateArgs {
  std::string model, tokenizer, text, textFile, pattern, sweepKey;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<std::string> sweepValues;
  bool textGiven = false, json = false;

  std::string Check() const {
    if (model.empty()) return "--model is required: a model `infer` opens";
    if (textGiven == !textFile.empty()) return "give either --text TEXT or --text-file FILE: what the model reads";
    if (pattern.empty()) return "--pattern is required: the pattern that attends instead of full attention";
    for (const auto& [key, value] : params)
      if (key == sweepKey) return "-p " + key + " and --sweep " + key + " both set it: give one";
    return {};
  }
};

EvaluateArgs readEvaluateArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "What a pattern costs a model: the text run with full attention and with the pattern in every layer, and what "
      "the model says differently (top-1 agreement, KL divergence, perplexity, each layer's drift) against the share "
      "of attention cells the pattern computes."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("A model `infer` opens."),
                                 QStringLiteral("PATH"));
  const QCommandLineOption tokenizer(QStringLiteral("tokenizer"), QStringLiteral("Its tokenizer, as for `infer`."),
                                     QStringLiteral("FILE"));
  const QCommandLineOption text(QStringLiteral("text"), QStringLiteral("The text."), QStringLiteral("TEXT"));
  const QCommandLineOption textFile(QStringLiteral("text-file"), QStringLiteral("The text, from a UTF-8 file."),
                                    QStringLiteral("FILE"));
  const PatternOptions patternOptions;
  const QCommandLineOption sweep(
      QStringList{QStringLiteral("sweep")},
      QStringLiteral("One of the pattern's parameters over budgets, KEY=V1,V2,…: a row each (radius=0,1,2,4,8)."),
      QStringLiteral("KEY=LIST"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const QCommandLineOption* o : {&model, &tokenizer, &text, &textFile, &sweep, &json}) parser.addOption(*o);
  parser.addOption(patternOptions.pattern);
  parser.addOption(patternOptions.param);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  EvaluateArgs a;
  a.model = toStd(parser.value(model));
  a.tokenizer = toStd(parser.value(tokenizer));
  a.textGiven = parser.isSet(text);
  a.text = toStd(parser.value(text));
  a.textFile = toStd(parser.value(textFile));
  a.pattern = toStd(parser.value(patternOptions.pattern));
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
  a.json = parser.isSet(json);
  return a;
}

QJsonObject measuresJson(const SubstituteMeasures& m) {
  QJsonArray drift;
  for (double d : m.driftByLayer) drift.append(d);
  QJsonObject o{{QStringLiteral("share_of_cells"), m.shareOfCells},
                {QStringLiteral("positions"), static_cast<double>(m.positions)},
                {QStringLiteral("top1_agreement"), m.top1Agreement},
                {QStringLiteral("kl_mean"), m.klMean},
                {QStringLiteral("kl_max"), m.klMax},
                {QStringLiteral("kl_max_position"), static_cast<double>(m.klMaxPosition)},
                {QStringLiteral("drift_by_layer"), drift},
                {QStringLiteral("empty_rows"), static_cast<double>(m.emptyRows)},
                {QStringLiteral("ms_full"), m.msFull},
                {QStringLiteral("ms"), m.ms}};
  o.insert(QStringLiteral("perplexity_full"), m.perplexityFull ? QJsonValue(*m.perplexityFull) : QJsonValue());
  o.insert(QStringLiteral("perplexity"), m.perplexity ? QJsonValue(*m.perplexity) : QJsonValue());
  return o;
}

void printMeasures(const std::string& label, const SubstituteMeasures& m) {
  std::cout << label << ": " << fixedDigits(100 * m.shareOfCells, 1) << "% of the cells, top-1 agreement "
            << fixedDigits(100 * m.top1Agreement, 1) << "% of " << m.positions << ", KL mean "
            << fixedDigits(m.klMean, 4) << " max " << fixedDigits(m.klMax, 4) << " nats";
  if (m.perplexity)
    std::cout << ", perplexity " << fixedDigits(*m.perplexity, 2) << " (full " << fixedDigits(*m.perplexityFull, 2)
              << ")";
  std::cout << ", drift by layer";
  for (double d : m.driftByLayer) std::cout << ' ' << fixedDigits(d, 3);
  if (m.emptyRows > 0) std::cout << ", " << m.emptyRows << " query rows with no key";
  std::cout << '\n';
}

}  // namespace

int runEvaluate(const QStringList& arguments) {
  const EvaluateArgs args = readEvaluateArgs(arguments);
  refuse(args.Check());
  // The pattern and every budget are checked before the model is read.
  const PatternSpec spec = PatternSpec::parse(args.pattern);
  for (const PatternFamily* f : spec.members())
    if (f->needsInputs())
      throw UsageError("--pattern " + args.pattern + " is not substituted yet: a pattern made from the inputs (" +
                       f->name() + ") would need the model's own queries and keys");
  std::vector<std::pair<std::string, ParamSet>> budgets;
  if (args.sweepKey.empty()) {
    budgets.emplace_back("", spec.resolve(args.params));
  } else {
    if (!spec.param(args.sweepKey))
      throw UsageError("--sweep " + args.sweepKey + " is not a parameter of " + args.pattern);
    for (const std::string& v : args.sweepValues) {
      auto texts = args.params;
      texts.emplace_back(args.sweepKey, v);
      budgets.emplace_back(args.sweepKey + "=" + v, spec.resolve(texts));
    }
  }
  const RuntimeModel m = openModel(args.model, args.tokenizer);
  const std::string text =
      args.textFile.empty() ? args.text : readSmallFile(args.textFile, std::size_t(1) << 20, "a text of at most 1 MB");
  const std::vector<int> ids = encodeText(m, text);
  const Index n = static_cast<Index>(ids.size());
  m.model->checkTokens(ids);
  QJsonArray rows;
  if (!args.json)
    std::cout << "model: " << m.describe() << "\n" << n << " tokens; " << args.pattern << " in every layer\n";
  for (const auto& [label, values] : budgets) {
    AttentionMasks masks;
    masks.layers.push_back(std::make_shared<const SparseMask>(CheckedPattern::check(spec, values, n).build()));
    const SubstituteMeasures measures = measureSubstitute(*m.model, ids, masks, m.tokenizer->maskToken());
    QJsonObject row = measuresJson(measures);
    if (!label.empty())
      row.insert(QString::fromStdString(args.sweepKey), QString::fromStdString(label.substr(args.sweepKey.size() + 1)));
    rows.append(row);
    if (!args.json) printMeasures(label.empty() ? args.pattern : label, measures);
  }
  if (args.json) {
    QJsonObject o{{QStringLiteral("model"), QString::fromStdString(m.describe())},
                  {QStringLiteral("tokens"), static_cast<double>(n)},
                  {QStringLiteral("pattern"), QString::fromStdString(args.pattern)}};
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

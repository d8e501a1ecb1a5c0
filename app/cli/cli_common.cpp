#include "app/cli/cli_common.h"

#include "engine/io/atomic_file.h"

#include "engine/util/format.h"

#include <QJsonDocument>

#include <cstdio>
#include <iostream>

namespace attnscope::cli {

std::string toStd(const QString& s) { return s.toStdString(); }
QString toQ(const std::string& s) { return QString::fromStdString(s); }

void PatternOptions::addTo(QCommandLineParser& parser) const {
  parser.addOption(pattern);
  parser.addOption(param);
  parser.addOption(n);
}

void parseOrThrow(QCommandLineParser& parser, const QStringList& arguments) {
  if (!parser.parse(arguments)) throw UsageError(toStd(parser.errorText()));
  // An option given twice would silently take its last value: only the KEY=VALUE options repeat (compress's --prune
  // steps too, applied in order).
  QStringList seen;
  for (const QString& name : parser.optionNames()) {
    if (name == QStringLiteral("p") || name == QStringLiteral("param") || name == QStringLiteral("compare-param") ||
        name == QStringLiteral("prune"))
      continue;
    if (seen.contains(name)) throw UsageError("option --" + toStd(name) + " is given more than once: give it once");
    seen << name;
  }
  if (!parser.positionalArguments().isEmpty())
    throw UsageError("unexpected argument '" + toStd(parser.positionalArguments().first()) +
                     "': options start with -- (see --help)");
}

std::vector<Index> readTokenList(const QString& text, Index n) {
  try {
    return parseTokenList(toStd(text), n, "--global");
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

void StackOptions::addTo(QCommandLineParser& parser) const {
  for (const QCommandLineOption* o : {&config, &stackFile, &layers, &global, &mode}) parser.addOption(*o);
}

void ModelTextOptions::addTo(QCommandLineParser& parser) const {
  for (const QCommandLineOption* o : {&model, &tokenizer, &text, &textFile}) parser.addOption(*o);
}

ModelTextOptions::Values ModelTextOptions::read(const QCommandLineParser& parser) const {
  Values v;
  v.model = toStd(parser.value(model));
  v.tokenizer = toStd(parser.value(tokenizer));
  v.textGiven = parser.isSet(text);
  v.text = toStd(parser.value(text));
  v.textFile = toStd(parser.value(textFile));
  return v;
}

std::string ModelTextOptions::Values::check() const {
  if (model.empty()) return "--model is required: a model `infer` opens";
  if (textGiven == !textFile.empty()) return "give either --text TEXT or --text-file FILE: what the model reads";
  return {};
}

std::string ModelTextOptions::Values::load() const {
  return textFile.empty() ? text : readSmallFile(textFile, std::size_t(1) << 20, "a text of at most 1 MB");
}

StackSource StackOptions::read(const QCommandLineParser& parser) const {
  StackSource source;
  source.config = toStd(parser.value(config));
  source.stackFile = toStd(parser.value(stackFile));
  source.layers = toStd(parser.value(layers));
  if (parser.isSet(global)) source.globals = toStd(parser.value(global));
  if (parser.isSet(mode)) source.mode = toStd(parser.value(mode));
  return source;
}

Index readInteger(const QString& name, const QString& text, Index min, Index max) {
  bool ok = false;
  const qlonglong v = text.trimmed().toLongLong(&ok);
  if (!ok || v < min || v > max)
    throw UsageError(toStd(name) + " = " + (text.isEmpty() ? std::string("(empty)") : toStd(text)) +
                     " is not allowed: expected an integer " + std::to_string(min) + " … " + std::to_string(max));
  return v;
}

void InputOptions::addTo(QCommandLineParser& parser) const {
  for (const QCommandLineOption* o : {&dim, &heads, &seed, &text, &q, &k, &v}) parser.addOption(*o);
}

bool InputOptions::decideN(const QCommandLineParser& parser) const { return parser.isSet(text) || files(parser); }

bool InputOptions::files(const QCommandLineParser& parser) const {
  return parser.isSet(q) || parser.isSet(k) || parser.isSet(v);
}

AttentionInputs readInputs(const QCommandLineParser& parser, const InputOptions& o, Index n, QString& kind) {
  const bool files = o.files(parser);
  if (files && parser.isSet(o.text)) throw UsageError("--text and --q/--k/--v are not allowed together: choose one");
  if (files) {
    if (!parser.isSet(o.q) || !parser.isSet(o.k) || !parser.isSet(o.v))
      throw UsageError("--q, --k and --v go together: give all three .npy files");
    // The files decide everything their shape holds: a contradicting option is refused, never ignored.
    for (const QCommandLineOption* option : {&o.dim, &o.heads, &o.seed})
      if (parser.isSet(*option))
        throw UsageError("--" + toStd(option->names().first()) +
                         " is not allowed with --q/--k/--v: the files give the heads and the head dimension, "
                         "[heads, n, dim], and are not drawn from a seed");
    kind = QStringLiteral("npy");
    return npyInputs(toStd(parser.value(o.q)), toStd(parser.value(o.k)), toStd(parser.value(o.v)), o.checkShape);
  }
  const int heads = static_cast<int>(readInteger(QStringLiteral("heads"), parser.value(o.heads), 1, kMaxHeads));
  const Index dim = readInteger(QStringLiteral("dim"), parser.value(o.dim), 1, kMaxHeadDim);
  const auto seed =
      static_cast<std::uint64_t>(readInteger(QStringLiteral("seed"), parser.value(o.seed), 0, kMaxTokens));
  if (parser.isSet(o.text)) {
    kind = QStringLiteral("text");
    const std::string sentence = toStd(parser.value(o.text));
    if (o.checkShape) o.checkShape({heads, static_cast<Index>(tokenize(sentence).size()), dim, dim});
    return textInputs(sentence, heads, dim, seed);
  }
  kind = QStringLiteral("synthetic");
  if (o.checkShape) o.checkShape({heads, n, dim, dim});
  return syntheticInputs(heads, n, dim, seed);
}

std::vector<std::pair<std::string, std::string>> readParamTexts(const QCommandLineParser& parser,
                                                                const PatternOptions& options) {
  return readParamTexts(parser.values(options.param), "--param");
}

std::vector<std::pair<std::string, std::string>> readParamTexts(const QStringList& values, const std::string& option) {
  std::vector<std::pair<std::string, std::string>> texts;
  for (const QString& kv : values) {
    const qsizetype eq = kv.indexOf(QLatin1Char('='));
    if (eq <= 0)
      throw UsageError(option + " '" + quoted(toStd(kv)) + "' is not allowed: expected KEY=VALUE, e.g. " + option +
                       " radius=2");
    const std::string key = toStd(kv.left(eq).trimmed());
    for (const auto& [k, v] : texts)
      if (k == key)
        throw UsageError(option + " " + quoted(key) + " is given more than once (" + quoted(key + "=" + v) + " and " +
                         quoted(toStd(kv)) + "): give it once");
    texts.emplace_back(key, toStd(kv.mid(eq + 1)));
  }
  return texts;
}

PatternRequest readPatternRequest(const QCommandLineParser& parser, const PatternOptions& options,
                                  const InputOptions* inputOptions, bool alwaysInputs) {
  if (!parser.isSet(options.pattern)) throw UsageError("--pattern is required: see 'attnscope-cli patterns'");
  const bool inputsDecideN = inputOptions && inputOptions->decideN(parser);
  if (!parser.isSet(options.n) && !inputsDecideN)
    throw UsageError("--n is required: the sequence length, 1 … " + std::to_string(kMaxSequenceLength));
  PatternSpec spec = PatternSpec::parse(toStd(parser.value(options.pattern)));
  ParamSet values = spec.resolve(readParamTexts(parser, options));
  const bool usesInputs = alwaysInputs || spec.needsInputs();
  if (inputOptions && !usesInputs && inputsDecideN)
    throw UsageError(std::string(inputOptions->files(parser) ? "--q/--k/--v are" : "--text is") +
                     " not allowed here: pattern '" + quoted(spec.name()) +
                     "' is not built from attention inputs (lsh, topk and routing are): leave them out");
  if (!inputOptions || !usesInputs) {
    const Index n = readInteger(QStringLiteral("n"), parser.value(options.n), 1, kMaxSequenceLength);
    return {CheckedPattern::check(std::move(spec), std::move(values), n), std::nullopt, {}};
  }
  // What the mask will take is checked before any inputs are made for it; when the inputs decide n, with the n
  // their headers (or the text's tokens) give, before the files are read.
  std::optional<CheckedPattern> pattern;
  Index n = 0;
  if (parser.isSet(options.n)) {
    n = readInteger(QStringLiteral("n"), parser.value(options.n), 1, kMaxSequenceLength);
    pattern = CheckedPattern::check(spec, values, n);
  }
  InputOptions checking = *inputOptions;  // the command's own rule for the shape, then the pattern's at that n
  checking.checkShape = [&, own = inputOptions->checkShape](const InputShape& shape) {
    if (own) own(shape);
    if (n > 0 && shape.n != n)
      throw UsageError("n = " + std::to_string(n) + " is not allowed: the " +
                       (inputOptions->files(parser) ? "input files have " : "text has ") + std::to_string(shape.n) +
                       " tokens (leave --n out)");
    if (!pattern && shape.n > 0) pattern = CheckedPattern::check(spec, values, shape.n);  // 0: the inputs say why
  };
  QString kind;
  AttentionInputs inputs = readInputs(parser, checking, n, kind);
  if (!pattern) pattern = CheckedPattern::check(std::move(spec), std::move(values), inputs.n());
  return {std::move(*pattern), std::move(inputs), kind};
}

std::string fixedDigits(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

void printJson(const QJsonObject& object) {
  std::cout << QJsonDocument(object).toJson(QJsonDocument::Indented).toStdString();
}

}  // namespace attnscope::cli

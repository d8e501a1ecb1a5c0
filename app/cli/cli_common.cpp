#include "app/cli/cli_common.h"

#include <QJsonDocument>

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
  if (!parser.positionalArguments().isEmpty())
    throw UsageError("unexpected argument '" + toStd(parser.positionalArguments().first()) +
                     "': options start with -- (see --help)");
}

Index readInteger(const QString& name, const QString& text, Index min, Index max) {
  bool ok = false;
  const qlonglong v = text.trimmed().toLongLong(&ok);
  if (!ok || v < min || v > max)
    throw UsageError(toStd(name) + " = " + (text.isEmpty() ? std::string("(empty)") : toStd(text)) +
                     " is not allowed: expected an integer " + std::to_string(min) + " … " + std::to_string(max));
  return v;
}

PatternRequest readPatternRequest(const QCommandLineParser& parser, const PatternOptions& options) {
  if (!parser.isSet(options.pattern)) throw UsageError("--pattern is required: see 'attnscope-cli patterns'");
  if (!parser.isSet(options.n)) throw UsageError("--n is required: the sequence length, 1 … 2147483647");
  PatternRequest request{PatternSpec::parse(toStd(parser.value(options.pattern))), {}, 0};
  std::vector<std::pair<std::string, std::string>> texts;
  for (const QString& kv : parser.values(options.param)) {
    const qsizetype eq = kv.indexOf(QLatin1Char('='));
    if (eq <= 0)
      throw UsageError("--param '" + toStd(kv) + "' is not allowed: expected KEY=VALUE, e.g. -p radius=2");
    texts.emplace_back(toStd(kv.left(eq).trimmed()), toStd(kv.mid(eq + 1)));
  }
  request.values = request.spec.resolve(texts);
  request.n = readInteger(QStringLiteral("n"), parser.value(options.n), 1, kMaxTokens);
  return request;
}

void printJson(const QJsonObject& object) {
  std::cout << QJsonDocument(object).toJson(QJsonDocument::Indented).toStdString();
}

}  // namespace attnscope::cli

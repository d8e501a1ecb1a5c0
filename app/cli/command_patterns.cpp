// attnscope-cli patterns [--json]: every family with its parameters, defaults, ranges and help.
#include <QJsonArray>

#include <iomanip>
#include <iostream>

#include "app/cli/cli_common.h"

namespace attnscope::cli {

namespace {

QString typeName(ParamType t) {
  switch (t) {
    case ParamType::Int: return QStringLiteral("int");
    case ParamType::Bool: return QStringLiteral("bool");
    case ParamType::Choice: return QStringLiteral("choice");
    case ParamType::IntList: return QStringLiteral("int-list");
  }
  return {};
}

QJsonObject paramJson(const ParamSpec& p) {
  QJsonObject o{{QStringLiteral("name"), toQ(p.name)},
                {QStringLiteral("type"), typeName(p.type)},
                {QStringLiteral("default"), toQ(p.defaultText)},
                {QStringLiteral("allowed"), toQ(p.allowed())},
                {QStringLiteral("help"), toQ(p.help)}};
  if (p.type == ParamType::Int || p.type == ParamType::IntList) {
    o.insert(QStringLiteral("min"), static_cast<qint64>(p.min));
    o.insert(QStringLiteral("max"), static_cast<qint64>(p.max));
  }
  if (p.type == ParamType::Choice)
    o.insert(QStringLiteral("choices"), QJsonArray::fromStringList([&] {
               QStringList l;
               for (const auto& c : p.choices) l << toQ(c);
               return l;
             }()));
  return o;
}

void printPatternsJson() {
  QJsonArray families;
  for (const PatternFamily* f : patternFamilies()) {
    QJsonArray params;
    for (const ParamSpec& p : f->params()) params.append(paramJson(p));
    families.append(QJsonObject{{QStringLiteral("name"), toQ(f->name())},
                                {QStringLiteral("summary"), toQ(f->summary())},
                                {QStringLiteral("block_family"), f->isBlockFamily()},
                                {QStringLiteral("params"), params}});
  }
  printJson(QJsonObject{{QStringLiteral("patterns"), families}});
}

void printPatternsText() {
  for (const PatternFamily* f : patternFamilies()) {
    std::cout << f->name() << (f->isBlockFamily() ? "  [block family]" : "") << "\n  " << f->summary() << "\n";
    for (const ParamSpec& p : f->params())
      std::cout << "    " << std::left << std::setw(29) << (p.name + "=" + p.defaultText) << " " << p.help << " ("
                << p.allowed() << ")\n";
    std::cout << "\n";
  }
  std::cout << "Token-level families can be joined with '+', e.g. --pattern window+global -p radius=2 -p tokens=0\n";
}

// What `patterns` was asked: only the form. It takes no values, so there is nothing for a Check() to refuse beyond
// what the parser refuses (unknown options, stray arguments).
struct PatternsArgs {
  bool json = false;
};

PatternsArgs readPatternsArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral("List the pattern families with their parameters."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  parser.addOption(json);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  return {parser.isSet(json)};
}

}  // namespace

int runPatterns(const QStringList& arguments) {
  if (readPatternsArgs(arguments).json)
    printPatternsJson();
  else
    printPatternsText();
  return 0;
}

}  // namespace attnscope::cli

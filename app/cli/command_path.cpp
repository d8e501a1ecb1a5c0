// attnscope-cli path: the shortest multi-hop path from one token to another ("7 → 5 → 3 (2 hops)").
#include <QJsonArray>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/reach/reachability.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

// What `path` was asked beyond the pattern: the two tokens (checked against n once the request has it) and the form.
struct PathArgs {
  std::optional<Index> from, to;
  bool json = false;

  std::string Check() const {
    if (!from || !to) return "--from and --to are required: token indices";
    return {};
  }
  std::string CheckFor(Index n) const {
    for (const auto& [name, token] : {std::pair{"from", *from}, std::pair{"to", *to}})
      if (token >= n)
        return std::string(name) + " = " + std::to_string(token) + " is not allowed: expected an integer 0 … " +
               std::to_string(n - 1);
    return {};
  }
};

PathArgs readPathArgs(QCommandLineParser& parser, const QStringList& arguments) {
  parser.setApplicationDescription(QStringLiteral(
      "The shortest path from query --from to key --to over stacked layers of a pattern (edges i → j when i attends "
      "j in any head). Among several shortest paths, the one with the smallest token sequence."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption from(QStringLiteral("from"), QStringLiteral("Query token."), QStringLiteral("I"));
  const QCommandLineOption to(QStringLiteral("to"), QStringLiteral("Key token."), QStringLiteral("J"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const QCommandLineOption* o : {&from, &to, &json}) parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  PathArgs args;
  if (parser.isSet(from))
    args.from = readInteger(QStringLiteral("from"), parser.value(from), 0, kMaxSequenceLength - 1);
  if (parser.isSet(to)) args.to = readInteger(QStringLiteral("to"), parser.value(to), 0, kMaxSequenceLength - 1);
  args.json = parser.isSet(json);
  return args;
}

void printPathJson(const ShortestPath& p, Index i, Index j) {
  QJsonArray path;
  for (Index t : p.path) path.append(static_cast<qint64>(t));
  printJson(QJsonObject{{QStringLiteral("from"), static_cast<qint64>(i)},
                        {QStringLiteral("to"), static_cast<qint64>(j)},
                        {QStringLiteral("hops"), p.hops ? QJsonValue(*p.hops) : QJsonValue(QJsonValue::Null)},
                        {QStringLiteral("path"), path}});
}

void printPathText(const ShortestPath& p, Index i, Index j) {
  if (!p.hops) {
    std::cout << i << " never reaches " << j << ": no path of any length (" << i << " never hears from " << j << ")\n";
    return;
  }
  for (std::size_t k = 0; k < p.path.size(); ++k) std::cout << (k ? " → " : "") << p.path[k];
  std::cout << " (" << counted(*p.hops, "hop", "hops") << ")\n";
}

}  // namespace

int runPath(const QStringList& arguments) {
  PatternCommandLine line;
  const PathArgs args = readPathArgs(line.parser, arguments);
  refuse(args.Check());
  const PatternRequest request = line.request();
  refuse(args.CheckFor(request.n()));
  const ShortestPath p = shortestPath(ReachGraph(request.buildMask()), *args.from, *args.to);
  if (args.json)
    printPathJson(p, *args.from, *args.to);
  else
    printPathText(p, *args.from, *args.to);
  return 0;
}

}  // namespace attnscope::cli

// attnscope-cli path: the shortest multi-hop path from one token to another ("7 → 5 → 3 (2 hops)").
#include <QJsonArray>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/reach/reachability.h"

namespace attnscope::cli {

int runPath(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "The shortest path from query --from to key --to over stacked layers of a pattern (edges i → j when i attends "
      "j in any head). Among several shortest paths, the one with the smallest token sequence."));
  const QCommandLineOption help = parser.addHelpOption();
  PatternOptions options;
  options.addTo(parser);
  InputOptions inputOptions;  // for data-dependent patterns (lsh)
  inputOptions.addTo(parser);
  const QCommandLineOption from(QStringLiteral("from"), QStringLiteral("Query token."), QStringLiteral("I"));
  const QCommandLineOption to(QStringLiteral("to"), QStringLiteral("Key token."), QStringLiteral("J"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  parser.addOption(from);
  parser.addOption(to);
  parser.addOption(json);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) {
    std::cout << toStd(parser.helpText());
    return 0;
  }
  const PatternRequest request = readPatternRequest(parser, options, &inputOptions);
  if (!parser.isSet(from) || !parser.isSet(to)) throw UsageError("--from and --to are required: token indices");
  const Index i = readInteger(QStringLiteral("from"), parser.value(from), 0, request.n() - 1);
  const Index j = readInteger(QStringLiteral("to"), parser.value(to), 0, request.n() - 1);
  const ReachGraph graph(buildMask(*request.makePattern()));
  const ShortestPath p = shortestPath(graph, i, j);

  if (parser.isSet(json)) {
    QJsonArray path;
    for (Index t : p.path) path.append(static_cast<qint64>(t));
    printJson(QJsonObject{{QStringLiteral("from"), static_cast<qint64>(i)},
                          {QStringLiteral("to"), static_cast<qint64>(j)},
                          {QStringLiteral("hops"), p.hops ? QJsonValue(*p.hops) : QJsonValue(QJsonValue::Null)},
                          {QStringLiteral("path"), path}});
    return 0;
  }
  if (!p.hops) {
    std::cout << i << " never reaches " << j << ": no path of any length (" << i << " never hears from " << j << ")\n";
    return 0;
  }
  for (std::size_t k = 0; k < p.path.size(); ++k) std::cout << (k ? " → " : "") << p.path[k];
  std::cout << " (" << *p.hops << (*p.hops == 1 ? " hop" : " hops") << ")\n";
  return 0;
}

}  // namespace attnscope::cli

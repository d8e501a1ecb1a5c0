#pragma once
// Shared pieces of attnscope-cli's commands: options every pattern command takes, and output helpers.

#include <QCommandLineParser>
#include <QJsonObject>
#include <QStringList>

#include <string>
#include <utility>
#include <vector>

#include "engine/pattern_registry.h"

namespace attnscope::cli {

/// Bad input: printed as one line on stderr, exit code 2. (attnscope::Error is treated the same way.)
class UsageError : public Error {
 public:
  using Error::Error;
};

/// --pattern, --param/-p (repeatable), --n: what every command that builds a mask takes.
struct PatternOptions {
  QCommandLineOption pattern{QStringList{QStringLiteral("pattern")},
                             QStringLiteral("Pattern family, or token-level families joined by '+'."),
                             QStringLiteral("NAME")};
  QCommandLineOption param{QStringList{QStringLiteral("p"), QStringLiteral("param")},
                           QStringLiteral("A parameter, KEY=VALUE (lists comma-separated, booleans true/false). "
                                          "Repeatable."),
                           QStringLiteral("KEY=VALUE")};
  QCommandLineOption n{QStringList{QStringLiteral("n")}, QStringLiteral("Sequence length."), QStringLiteral("N")};

  void addTo(QCommandLineParser& parser) const;
};

/// The pattern, its parameter values and n, read and checked from a parsed command line.
struct PatternRequest {
  PatternSpec spec;
  ParamSet values;
  Index n = 0;
};
PatternRequest readPatternRequest(const QCommandLineParser& parser, const PatternOptions& options);

/// Parses the command's own arguments; throws UsageError on unknown options or stray positionals.
void parseOrThrow(QCommandLineParser& parser, const QStringList& arguments);

/// Parses an integer option value; throws UsageError naming the option and what is allowed.
Index readInteger(const QString& name, const QString& text, Index min, Index max);

void printJson(const QJsonObject& object);
std::string toStd(const QString& s);
QString toQ(const std::string& s);

// The commands: each returns the process exit code.
int runPatterns(const QStringList& arguments);
int runStats(const QStringList& arguments);
int runMask(const QStringList& arguments);
int runPath(const QStringList& arguments);

}  // namespace attnscope::cli

#pragma once
// Shared pieces of attnscope-cli's commands: options every pattern command takes, and output helpers.

#include <QCommandLineParser>
#include <QJsonObject>
#include <QStringList>

#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/models/stack_source.h"
#include "engine/patterns/pattern_registry.h"

namespace attnscope::cli {

/// Bad input: printed as one line on stderr, exit code 2. (attnscope::Error is treated the same way.)
/// Thrown by a command's option reader when --help was given: main() prints the text on stdout and exits 0.
struct HelpShown {
  std::string text;
};

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

/// Where attention inputs come from: Gaussian (--seed), a sentence (--text), or .npy files (--q --k --v).
/// `run` always uses them; the pattern commands use them for data-dependent patterns (lsh).
struct InputOptions {
  QCommandLineOption dim{QStringList{QStringLiteral("dim")}, QStringLiteral("Head dimension (default 64)."),
                         QStringLiteral("D"), QStringLiteral("64")};
  QCommandLineOption heads{QStringList{QStringLiteral("heads")}, QStringLiteral("Heads (default 1)."),
                           QStringLiteral("H"), QStringLiteral("1")};
  QCommandLineOption seed{QStringList{QStringLiteral("seed")},
                          QStringLiteral("Seed of the synthetic inputs (default 0)."), QStringLiteral("S"),
                          QStringLiteral("0")};
  QCommandLineOption text{QStringList{QStringLiteral("text")},
                          QStringLiteral("A sentence: its tokens get synthetic embeddings; n is the token count."),
                          QStringLiteral("TEXT")};
  QCommandLineOption q{QStringList{QStringLiteral("q")}, QStringLiteral("Queries .npy, [n, dim] or [heads, n, dim]."),
                       QStringLiteral("Q.npy")};
  QCommandLineOption k{QStringList{QStringLiteral("k")}, QStringLiteral("Keys .npy, shaped as --q."),
                       QStringLiteral("K.npy")};
  QCommandLineOption v{QStringList{QStringLiteral("v")}, QStringLiteral("Values .npy, with --q's heads and n."),
                       QStringLiteral("V.npy")};

  /// What the command allows of the inputs' shape, called before any input is made or read (for files, from their
  /// headers alone): run and approx refuse an n past what they compare with full attention, approx checks its
  /// method's memory. Throws Error.
  std::function<void(const InputShape&)> checkShape;

  void addTo(QCommandLineParser& parser) const;
  /// True when the inputs decide n (text or files).
  bool decideN(const QCommandLineParser& parser) const;
  /// True when --q, --k or --v is given.
  bool files(const QCommandLineParser& parser) const;
};

/// The inputs the options describe: .npy files, a sentence, or Gaussian (n tokens); `kind` says which
/// ("npy", "text", "synthetic").
AttentionInputs readInputs(const QCommandLineParser& parser, const InputOptions& options, Index n, QString& kind);

/// The pattern, its parameter values and n, read and checked from a parsed command line. When `inputOptions` is
/// given and the inputs decide n (--text, --q), --n may be left out; `inputs` is filled when the pattern needs
/// inputs or `alwaysInputs` is set.
struct PatternRequest {
  CheckedPattern pattern;  ///< checked once, before any inputs are made (with the files' n when they decide it)
  std::optional<AttentionInputs> inputs;
  QString inputsKind;  ///< "synthetic", "text" or "npy"

  const PatternSpec& spec() const { return pattern.spec(); }
  const ParamSet& values() const { return pattern.values(); }
  Index n() const { return pattern.n(); }
  const AttentionInputs* inputsOrNull() const { return inputs ? &*inputs : nullptr; }
  std::unique_ptr<Pattern> makePattern() const { return pattern.make(inputsOrNull()); }
  SparseMask buildMask() const { return pattern.build(inputsOrNull()); }
};
PatternRequest readPatternRequest(const QCommandLineParser& parser, const PatternOptions& options,
                                  const InputOptions* inputOptions = nullptr, bool alwaysInputs = false);

/// The command line of a command that makes a pattern (stats, mask, path): its parser with the pattern options and
/// the input options (for data-dependent patterns) already added; the command adds its own.
struct PatternCommandLine {
  QCommandLineParser parser;
  PatternOptions pattern;
  InputOptions inputs;

  PatternCommandLine() {
    pattern.addTo(parser);
    inputs.addTo(parser);
  }
  /// The request, checked once (readPatternRequest).
  PatternRequest request() const { return readPatternRequest(parser, pattern, &inputs); }
};

/// Throws UsageError(problem) when an options struct's Check() found one.
inline void refuse(const std::string& problem) {
  if (!problem.empty()) throw UsageError(problem);
}

/// The --param KEY=VALUE texts, split at the first '='; throws UsageError for one without a key.
std::vector<std::pair<std::string, std::string>> readParamTexts(const QCommandLineParser& parser,
                                                                const PatternOptions& options);
/// The same for any KEY=VALUE option (`option` names it in messages, e.g. "--compare-param").
std::vector<std::pair<std::string, std::string>> readParamTexts(const QStringList& values, const std::string& option);

/// Parses the command's own arguments; throws UsageError on unknown options or stray positionals.
void parseOrThrow(QCommandLineParser& parser, const QStringList& arguments);

/// Parses an integer option value; throws UsageError naming the option and what is allowed.
Index readInteger(const QString& name, const QString& text, Index min, Index max);
/// --global's comma-separated token indices, each in 0 … n − 1 ("none" or nothing: no tokens). Throws UsageError.
std::vector<Index> readTokenList(const QString& text, Index n);

/// A model's stack, the same options and rules for every command that takes one (model, attention): --config,
/// --stack or --layers, and --global and --mode with a config. They read into a StackSource, which checks itself.
struct StackOptions {
  QCommandLineOption config{QStringList{QStringLiteral("config")},
                            QStringLiteral("A Hugging Face config.json, read as the library reads it."),
                            QStringLiteral("FILE")};
  QCommandLineOption stackFile{QStringList{QStringLiteral("stack")}, QStringLiteral("A stack file (JSON)."),
                               QStringLiteral("FILE")};
  QCommandLineOption layers{QStringList{QStringLiteral("layers")},
                            QStringLiteral("Layers in short form: \"window radius=2 ×5, full\"."),
                            QStringLiteral("TEXT")};
  QCommandLineOption global{
      QStringList{QStringLiteral("global")},
      QStringLiteral("With --config: Longformer's global tokens (global_attention_mask), e.g. 0."),
      QStringLiteral("LIST")};
  QCommandLineOption mode{QStringList{QStringLiteral("mode")},
                          QStringLiteral("With --config: BigBird's train (random blocks, the default) or eval (none)."),
                          QStringLiteral("MODE")};

  void addTo(QCommandLineParser& parser) const;
  StackSource read(const QCommandLineParser& parser) const;
};

/// The model a command runs and the text it reads (evaluate, compress): --model, --tokenizer, and --text or
/// --text-file.
struct ModelTextOptions {
  QCommandLineOption model{QStringList{QStringLiteral("model")}, QStringLiteral("A model `infer` opens."),
                           QStringLiteral("PATH")};
  QCommandLineOption tokenizer{QStringList{QStringLiteral("tokenizer")},
                               QStringLiteral("Its tokenizer, as for `infer`."), QStringLiteral("FILE")};
  QCommandLineOption text{QStringList{QStringLiteral("text")}, QStringLiteral("The text."), QStringLiteral("TEXT")};
  QCommandLineOption textFile{QStringList{QStringLiteral("text-file")},
                              QStringLiteral("The text, from a UTF-8 file (at most 1 MB)."), QStringLiteral("FILE")};

  struct Values {
    std::string model, tokenizer, text, textFile;
    bool textGiven = false;
    /// The first problem as the user's line ("" when none): a model, and exactly one of the two texts.
    std::string check() const;
    /// The text: as given, or read from its file.
    std::string load() const;
  };
  void addTo(QCommandLineParser& parser) const;
  Values read(const QCommandLineParser& parser) const;
};

void printJson(const QJsonObject& object);
/// A number with a fixed count of decimals ("4.62").
std::string fixedDigits(double value, int digits);
/// Applies --threads T (1 … 256) to OpenMP and Eigen when given.
void setThreads(const QCommandLineParser& parser, const QCommandLineOption& threads);
std::string toStd(const QString& s);
QString toQ(const std::string& s);

// The commands: each returns the process exit code.
int runPatterns(const QStringList& arguments);
int runStats(const QStringList& arguments);
int runMask(const QStringList& arguments);
int runPath(const QStringList& arguments);
int runRun(const QStringList& arguments);
int runBench(const QStringList& arguments);
int runRender(const QStringList& arguments);
int runModel(const QStringList& arguments);
int runApprox(const QStringList& arguments);
int runAttention(const QStringList& arguments);
int runInfer(const QStringList& arguments);
int runBenchModel(const QStringList& arguments);
int runEvaluate(const QStringList& arguments);
int runExportCode(const QStringList& arguments);
int runCompress(const QStringList& arguments);
int runDistil(const QStringList& arguments);
int runTokens(const QStringList& arguments);

}  // namespace attnscope::cli

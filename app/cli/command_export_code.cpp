// attnscope-cli export-code: a pattern (or a stack) written in the forms training code reads: a FlexAttention
// mask_mod file, DeepSpeed's SparsityConfig (Python or JSON), Hugging Face config fields, or the mask and block
// layout as .npy.
#include <QFileInfo>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/codegen/deepspeed_config.h"
#include "engine/codegen/fitted_model.h"
#include "engine/codegen/flex_attention.h"
#include "engine/codegen/hf_config_fields.h"
#include "engine/io/atomic_file.h"
#include "engine/masks/mask_io.h"
#include "engine/weights/attention_dump.h"
#include "engine/weights/fit.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

const char* kFormats = "flex, deepspeed, deepspeed-json, hf-config, npy or layout-npy";

// What `export-code` was asked; Check() says the first thing wrong with the options alone, before anything is made.
struct ExportCodeArgs {
  std::string format, out;
  StackSource stack;
  std::string fit;  ///< a dump whose heads are fitted
  bool pattern = false, keepGiven = false;
  double keep = 0.9;

  bool forStack() const { return stack.given(); }
  bool forFit() const { return !fit.empty(); }
  std::string Check() const {
    if (format.empty()) return std::string("--format is required: ") + kFormats;
    if (format != "flex" && format != "deepspeed" && format != "deepspeed-json" && format != "hf-config" &&
        format != "npy" && format != "layout-npy")
      return "--format '" + attnscope::quoted(format) + "' is not allowed: expected " + kFormats;
    if (std::string problem = stack.check(/*required=*/false); !problem.empty()) return problem;
    if (int(forStack()) + int(pattern) + int(forFit()) > 1)
      return "give one of --pattern, a stack (--config, --stack or --layers) or --fit";
    if (!forStack() && !pattern && !forFit())
      return "--pattern, a stack (--config, --stack or --layers) or --fit is required";
    if ((forStack() || forFit()) && format != "flex" && format != "hf-config")
      return "--format " + format + " is not allowed for a " + (forFit() ? "fitted model" : "stack") +
             ": it is written as flex or hf-config";
    if (keepGiven && !forFit()) return "--keep needs --fit: it is the share each fitted head keeps";
    if (forFit() && !(keep > 0 && keep <= 1))
      return "--keep " + std::to_string(keep) + " is not allowed: expected a share 0 < keep ≤ 1";
    if ((format == "npy" || format == "layout-npy") && out.empty())
      return "--out is required with --format " + format + ": a .npy file";
    if ((format == "npy" || format == "layout-npy") && QFileInfo(toQ(out)).suffix().toLower() != QStringLiteral("npy"))
      return "--out '" + attnscope::quoted(out) + "' is not allowed with --format " + format + ": expected a .npy file";
    return {};
  }
};

void write(const std::string& text, const std::string& out) {
  if (out.empty()) {
    std::cout << text;
    return;
  }
  writeFileAtomically(out, text);
  std::cout << "wrote " << out << "\n";
}

// The fields as JSON; written to a file, what a config cannot say is also printed.
void writeFields(const codegen::HfConfigFields& fields, const std::string& out) {
  write(codegen::hfConfigJson(fields), out);
  if (!out.empty())
    for (const std::string& line : fields.cannotExpress) std::cout << "cannot express: " << line << "\n";
}

}  // namespace

int runExportCode(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "Write a pattern, or a model's stack, as code for training: --format flex (a Python file with FlexAttention's "
      "mask_mod, equal to the mask cell for cell; with --fit DUMP, each head of a model through its fitted pattern), "
      "deepspeed / deepspeed-json (DeepSpeed's SparsityConfig, for the "
      "five DeepSpeed families), hf-config (the config.json fields that give the same layers, or what a config "
      "cannot say), npy (the mask [heads, n, n]) or layout-npy (a block family's layout)."));
  const QCommandLineOption help = parser.addHelpOption();
  PatternOptions pattern;
  pattern.addTo(parser);
  InputOptions inputs;
  inputs.addTo(parser);
  StackOptions stack;
  stack.addTo(parser);
  const QCommandLineOption format(QStringLiteral("format"), QString::fromUtf8(kFormats), QStringLiteral("FORMAT"));
  const QCommandLineOption fit(
      QStringLiteral("fit"),
      QStringLiteral("A dump of attention weights (.npy/.npz): each head fitted (as `attention --fit`) and written."),
      QStringLiteral("DUMP"));
  const QCommandLineOption keep(QStringLiteral("keep"),
                                QStringLiteral("The share of each head's attention --fit keeps (default 0.9)."),
                                QStringLiteral("S"));
  const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("Output file (default: standard output)."),
                               QStringLiteral("FILE"));
  for (const QCommandLineOption* o : {&format, &fit, &keep, &out}) parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  ExportCodeArgs args;
  args.format = toStd(parser.value(format));
  args.out = toStd(parser.value(out));
  args.stack = stack.read(parser);
  args.pattern = parser.isSet(pattern.pattern);
  args.fit = toStd(parser.value(fit));
  args.keepGiven = parser.isSet(keep);
  if (args.keepGiven) {
    bool ok = false;
    args.keep = parser.value(keep).toDouble(&ok);
    if (!ok) throw UsageError("--keep '" + attnscope::quoted(toStd(parser.value(keep))) + "' is not a number");
  }
  refuse(args.Check());

  if (args.forFit()) {
    const AttentionDump dump = AttentionDump::open(args.fit);
    FitOptions options;
    options.keep = args.keep;
    const codegen::FittedModel model =
        codegen::fittedModel(fitPatterns(dump, options), dump.n(), 0, args.keep, args.fit);
    if (args.format == "flex") {
      write(codegen::flexAttentionFitCode(model), args.out);
    } else {
      writeFields(codegen::hfConfigFieldsForFits(model), args.out);
    }
    return 0;
  }

  if (args.forStack()) {
    Index n = 0;
    if (parser.isSet(pattern.n)) n = readInteger(QStringLiteral("n"), parser.value(pattern.n), 1, kMaxSequenceLength);
    if (n == 0 && args.stack.stackFile.empty()) throw UsageError("--n is required: the sequence length");
    const LayerStack s = args.stack.load(n);
    if (args.format == "flex") {
      write(codegen::flexAttentionStackCode(s), args.out);
    } else {
      writeFields(codegen::hfConfigFields(s), args.out);
    }
    return 0;
  }

  const PatternRequest request = readPatternRequest(parser, pattern, &inputs);
  const CheckedPattern& checked = request.pattern;
  if (args.format == "flex") {
    write(codegen::flexAttentionCode(checked, request.inputsOrNull()), args.out);
  } else if (args.format == "deepspeed") {
    codegen::checkDeepSpeedPattern(checked.spec());
    write(codegen::deepspeedPython(checked), args.out);
  } else if (args.format == "deepspeed-json") {
    codegen::checkDeepSpeedPattern(checked.spec());
    write(codegen::deepspeedJson(checked), args.out);
  } else if (args.format == "hf-config") {
    writeFields(codegen::hfConfigFieldsForPattern(checked), args.out);
  } else {
    const auto made = request.makePattern();
    if (args.format == "layout-npy" && !made->blockLayout())
      throw UsageError("--format layout-npy is not allowed for pattern '" + attnscope::quoted(checked.spec().name()) +
                       "': it has no block layout (block families and 'blocks' do); --format npy writes its mask");
    if (args.format == "npy") checkDenseSize(double(made->heads()) * double(checked.n()) * double(checked.n()), ".npy");
    const SparseMask mask = buildMask(*made);
    if (args.format == "npy")
      writeMaskNpy(mask, args.out);
    else
      writeLayoutNpy(mask, args.out);
    std::cout << "wrote " << args.out << "\n";
  }
  return 0;
}

}  // namespace attnscope::cli

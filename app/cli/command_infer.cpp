// attnscope-cli infer: run a real model on a text or token ids — its tokens, the next token's likeliest choices, a
// greedy continuation — and write every layer's attention as a dump for `attention` and the Real attention tab.
#include <QJsonArray>

#include <iomanip>
#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/runtime/inference.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

// What `infer` was asked; Check() says the first thing wrong with it.
struct InferArgs {
  std::string model, tokenizer, text, attentionOut;
  std::optional<std::vector<int>> ids;
  bool textGiven = false, json = false, words = false;
  Index generate = 0, top = 5;

  std::string Check() const {
    if (model.empty()) return "--model is required: a llama2.c checkpoint (.bin) or a Hugging Face model folder";
    if (textGiven == ids.has_value()) return "give either --text TEXT or --ids 1,2,3: what the model reads";
    if (words && attentionOut.empty()) return "--words needs --attention-out: it merges the attention written there";
    if (!attentionOut.empty() && !attentionOut.ends_with(".npz") && !attentionOut.ends_with(".npy"))
      return "--attention-out '" + attentionOut + "' is not allowed: expected a file ending in .npz or .npy";
    return {};
  }
};

std::vector<int> readIds(const QString& text) {
  std::vector<int> ids;
  for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
    ids.push_back(static_cast<int>(readInteger(QStringLiteral("ids"), part.trimmed(), 0, (1 << 20) - 1)));
  if (ids.empty()) throw UsageError("--ids '" + toStd(text) + "' is not allowed: expected token ids, e.g. 1,403,42");
  return ids;
}

InferArgs readInferArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "Run a real model (a llama2.c checkpoint with its tokenizer beside it, or a Hugging Face folder of BERT, "
      "DistilBERT, RoBERTa, GPT-2, Llama, Mistral or Qwen2) on a text or token ids: the tokens, a decoder's likeliest "
      "next tokens and greedy continuation or an encoder's words at its masks, and every layer's attention as a "
      "dump."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption model(
      QStringLiteral("model"),
      QStringLiteral(
          "The model: a llama2.c .bin, or a Hugging Face folder (config.json, model.safetensors or its shards, and "
          "tokenizer.json or the older vocab.txt / vocab.json and merges.txt)."),
      QStringLiteral("PATH"));
  const QCommandLineOption tokenizer(
      QStringLiteral("tokenizer"),
      QStringLiteral("The tokenizer: for a llama2.c model its .bin (default: tokenizer.bin or tok<vocab>.bin beside "
                     "it); for a folder a tokenizer.json, or a folder holding the tokenizer's files (default: the "
                     "model's folder)."),
      QStringLiteral("FILE"));
  const QCommandLineOption text(
      QStringLiteral("text"), QStringLiteral("The text (tokenized as the model's library does; llama2.c: BOS first)."),
      QStringLiteral("TEXT"));
  const QCommandLineOption ids(QStringLiteral("ids"), QStringLiteral("Token ids instead of a text: 1,403,42."),
                               QStringLiteral("LIST"));
  const QCommandLineOption generate(QStringLiteral("generate"),
                                    QStringLiteral("Greedy tokens to add after the text (default 0)."),
                                    QStringLiteral("N"), QStringLiteral("0"));
  const QCommandLineOption top(QStringLiteral("top"), QStringLiteral("Next-token choices to print (default 5)."),
                               QStringLiteral("K"), QStringLiteral("5"));
  const QCommandLineOption out(QStringLiteral("attention-out"),
                               QStringLiteral("Write every layer's attention: .npz (layer_0 …) or .npy."),
                               QStringLiteral("FILE"));
  const QCommandLineOption words(
      QStringLiteral("words"),
      QStringLiteral("Write the attention between words, not pieces: summed over a word's key pieces, averaged over "
                     "its query pieces."));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const QCommandLineOption* o : {&model, &tokenizer, &text, &ids, &generate, &top, &out, &words, &json})
    parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  InferArgs a;
  a.model = toStd(parser.value(model));
  a.tokenizer = toStd(parser.value(tokenizer));
  a.textGiven = parser.isSet(text);
  a.text = toStd(parser.value(text));
  if (parser.isSet(ids)) a.ids = readIds(parser.value(ids));
  a.generate = readInteger(QStringLiteral("generate"), parser.value(generate), 0, 4096);
  a.top = readInteger(QStringLiteral("top"), parser.value(top), 1, 100);
  a.attentionOut = toStd(parser.value(out));
  a.json = parser.isSet(json);
  a.words = parser.isSet(words);
  return a;
}

QJsonArray choicesJson(const std::vector<TokenChoice>& choices) {
  QJsonArray out;
  for (const TokenChoice& c : choices)
    out.append(
        QJsonObject{{QStringLiteral("token"), toQ(c.label)}, {QStringLiteral("id"), c.id}, {QStringLiteral("p"), c.p}});
  return out;
}

void printInferJson(const RuntimeModel& m, const Inference& r, const WordGroups& g) {
  QJsonArray tokens, ids, generated, words, wordOf;
  for (const std::string& w : g.labels) words.append(toQ(w));
  for (int w : g.wordOf) wordOf.append(w);
  for (const std::string& label : r.labels) tokens.append(toQ(label));
  for (int id : r.ids) ids.append(id);
  // A decoder's: the next token's choices. An encoder's: at each mask, its position and choices.
  QJsonArray predictions = choicesJson(r.next);
  for (const auto& [position, choices] : r.masked)
    predictions.append(
        QJsonObject{{QStringLiteral("position"), position}, {QStringLiteral("choices"), choicesJson(choices)}});
  for (int id : r.generated) generated.append(id);
  printJson(QJsonObject{{QStringLiteral("model"), toQ(m.describe())},
                        {QStringLiteral("tokens"), tokens},
                        {QStringLiteral("ids"), ids},
                        {QStringLiteral("words"), words},
                        {QStringLiteral("word_of"), wordOf},
                        {QStringLiteral("layers"), static_cast<int>(r.pass.attention.size())},
                        {QStringLiteral("heads"), m.model->heads()},
                        {QStringLiteral("predictions"), predictions},
                        {QStringLiteral("generated"), toQ(r.generatedText)},
                        {QStringLiteral("generated_ids"), generated}});
}

void printInferText(const RuntimeModel& m, const Inference& r) {
  std::cout << "model: " << m.path << " (" << m.describe() << ")\n";
  std::cout << "tokens (" << r.ids.size() << "):";
  for (const std::string& label : r.labels) std::cout << ' ' << label;
  std::cout << "\nids:";
  for (int id : r.ids) std::cout << ' ' << id;
  std::cout << '\n';
  if (!r.next.empty()) {
    std::cout << "next token:";
    for (const TokenChoice& c : r.next) std::cout << "  " << c.label << ' ' << fixedDigits(c.p, 3);
    std::cout << '\n';
  }
  for (const auto& [position, choices] : r.masked) {
    std::cout << "mask at " << position << ':';
    for (const TokenChoice& c : choices) std::cout << "  " << c.label << ' ' << fixedDigits(c.p, 3);
    std::cout << '\n';
  }
  if (!r.generated.empty())
    std::cout << "continuation (" << r.generated.size() << " tokens): " << r.generatedText << '\n';
}

}  // namespace

int runInfer(const QStringList& arguments) {
  const InferArgs args = readInferArgs(arguments);
  refuse(args.Check());
  const RuntimeModel m = openModel(args.model, args.tokenizer);
  const std::vector<int> ids = args.ids ? *args.ids : encodeText(m, args.text);
  const Inference r = infer(m, ids, static_cast<int>(args.top), static_cast<int>(args.generate));
  const WordGroups words = wordsOf(m, ids);
  if (!args.attentionOut.empty())
    writeAttention(args.attentionOut, args.words ? mergeIntoWords(r.pass, words) : r.pass);
  if (args.json)
    printInferJson(m, r, words);
  else
    printInferText(m, r);
  if (!args.attentionOut.empty() && !args.json)
    std::cout << "attention: " << r.pass.attention.size() << " layers × " << m.model->heads() << " heads × "
              << (args.words ? words.labels.size() : ids.size()) << " × "
              << (args.words ? words.labels.size() : ids.size()) << (args.words ? " (words)" : "") << " written to "
              << args.attentionOut << '\n';
  return 0;
}

}  // namespace attnscope::cli

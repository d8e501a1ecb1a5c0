// attnscope-cli tokens: a text, or a set of the same sentence in several languages, through a model's tokenizer —
// the pieces and ids, n, the tokens per word and per character (fertility), the unknown and byte pieces, and what n
// costs attention (n² cells a head; the model's FLOPs at n) against the first sample (issue 25).
#include <QJsonArray>

#include <iostream>
#include <optional>

#include "app/cli/cli_common.h"
#include "engine/runtime/fertility.h"
#include "engine/runtime/inference.h"
#include "engine/tokenizers/unicode_text.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

// What `tokens` was asked; Check() says the first thing wrong with it.
struct TokensArgs {
  ModelTextOptions::Values input;
  std::string samples, compare;
  bool json = false;

  std::string Check() const {
    if (input.model.empty()) return "--model is required: a model `infer` opens (its tokenizer is used)";
    if (int(input.textGiven) + int(!input.textFile.empty()) + int(!samples.empty()) != 1)
      return "give one of --text TEXT, --text-file FILE or --samples FILE (a sample set such as "
             "resources/texts/one-sentence-ten-languages.json)";
    return {};
  }
};

TokensArgs readTokensArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "A text through a model's tokenizer: its pieces, ids, n, tokens per word and per character; or a sample set of "
      "one sentence in several languages, each language's fertility and what its n costs attention against the "
      "first."));
  const QCommandLineOption help = parser.addHelpOption();
  const ModelTextOptions input;
  input.addTo(parser);
  const QCommandLineOption samples(
      QStringLiteral("samples"),
      QStringLiteral("A sample set (JSON: samples of language, code, script, text and words cut by hand)."),
      QStringLiteral("FILE"));
  const QCommandLineOption compare(
      QStringLiteral("compare"),
      QStringLiteral("A second tokenizer counted beside the model's: a tokenizer.json, or a folder with one (or with "
                     "vocab.txt, or vocab.json and merges.txt)."),
      QStringLiteral("PATH"));
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const QCommandLineOption* o : {&samples, &compare, &json}) parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  TokensArgs a;
  a.input = input.read(parser);
  a.samples = toStd(parser.value(samples));
  a.compare = toStd(parser.value(compare));
  a.json = parser.isSet(json);
  return a;
}

// A text given by itself is cut into words at its spaces; a chunk without a letter or a digit is not a word.
std::vector<std::string> wordsAtSpaces(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool counts = false;
  const auto flush = [&] {
    if (counts) words.push_back(word);
    word.clear();
    counts = false;
  };
  for (char32_t cp : unicode::decode(text)) {
    if (unicode::isWhitespace(cp)) {
      flush();
      continue;
    }
    unicode::append(word, cp);
    counts |= unicode::isLetter(cp) || unicode::isNumber(cp);
  }
  flush();
  return words;
}

}  // namespace

int runTokens(const QStringList& arguments) {
  const TokensArgs args = readTokensArgs(arguments);
  refuse(args.Check());
  std::vector<LanguageSample> samples;
  if (!args.samples.empty()) {
    samples = readLanguageSamples(args.samples);
  } else {
    const std::string text = args.input.load();
    samples.push_back({"text", "", "", text, wordsAtSpaces(text)});
    if (samples.back().words.empty()) refuse("the text has no words: give a text with letters or digits");
  }
  const RuntimeModel m = openModel(args.input.model, args.input.tokenizer);
  const std::vector<TokenCount> counts = countTokens(*m.tokenizer, m.model.get(), samples);
  std::optional<OpenedTokenizer> other;
  std::vector<TokenCount> otherCounts;
  if (!args.compare.empty()) {
    other = openTokenizer(args.compare);
    otherCounts = countTokens(*other->tokenizer, nullptr, samples);
  }
  if (args.json) {
    const auto rowsOf = [](const std::vector<TokenCount>& counts) {
      QJsonArray rows;
      for (const TokenCount& c : counts) {
        QJsonArray pieces, ids;
        for (const std::string& p : c.pieces) pieces.append(QString::fromStdString(p));
        for (int id : c.ids) ids.append(id);
        rows.append(QJsonObject{{QStringLiteral("language"), QString::fromStdString(c.language)},
                                {QStringLiteral("script"), QString::fromStdString(c.script)},
                                {QStringLiteral("words"), static_cast<double>(c.words)},
                                {QStringLiteral("characters"), static_cast<double>(c.characters)},
                                {QStringLiteral("tokens"), static_cast<double>(c.tokens)},
                                {QStringLiteral("n"), static_cast<double>(c.n)},
                                {QStringLiteral("tokens_per_word"), c.perWord},
                                {QStringLiteral("tokens_per_character"), c.perCharacter},
                                {QStringLiteral("unknown"), static_cast<double>(c.unknown)},
                                {QStringLiteral("byte_pieces"), static_cast<double>(c.bytePieces)},
                                {QStringLiteral("cells_per_head"), c.cellsPerHead},
                                {QStringLiteral("cells_vs_first"), c.cellsRatio},
                                {QStringLiteral("pass_flops"), c.passFlops ? QJsonValue(*c.passFlops) : QJsonValue()},
                                {QStringLiteral("pieces"), pieces},
                                {QStringLiteral("ids"), ids}});
      }
      return rows;
    };
    QJsonObject o{{QStringLiteral("model"), QString::fromStdString(m.describe())},
                  {QStringLiteral("tokenizer"), QString::fromStdString(m.tokenizerPath)},
                  {QStringLiteral("rows"), rowsOf(counts)}};
    if (other) {
      o.insert(QStringLiteral("compare_tokenizer"), QString::fromStdString(other->described));
      o.insert(QStringLiteral("compare_rows"), rowsOf(otherCounts));
    }
    printJson(o);
    return 0;
  }
  std::cout << "model: " << m.describe() << "\n";
  if (args.samples.empty()) {
    const TokenCount& c = counts.front();
    std::cout << "n = " << c.n << " (" << c.tokens << " tokens of the text and " << c.n - c.tokens
              << " the tokenizer adds)\n";
    for (std::size_t i = 0; i < c.ids.size(); ++i) std::cout << "  " << c.ids[i] << "\t" << c.pieces[i] << "\n";
    std::cout << fixedDigits(c.perWord, 2) << " tokens a word (" << c.words << " words at spaces), "
              << fixedDigits(c.perCharacter, 2) << " a character; " << c.unknown << " unknown, " << c.bytePieces
              << " byte pieces\n";
    return 0;
  }
  const auto table = [](const std::vector<TokenCount>& counts) {
    std::cout << "language      script          words  chars  tokens  n     per word  per char  unknown  bytes  "
                 "cells vs "
              << counts.front().language << "\n";
    for (const TokenCount& c : counts) {
      const auto pad = [](std::string s, std::size_t width) {
        std::size_t shown = unicode::decode(s).size();
        while (shown++ < width) s += ' ';
        return s;
      };
      std::cout << pad(c.language, 14) << pad(c.script, 16) << pad(std::to_string(c.words), 7)
                << pad(std::to_string(c.characters), 7) << pad(std::to_string(c.tokens), 8)
                << pad(std::to_string(c.n), 6) << pad(fixedDigits(c.perWord, 2), 10)
                << pad(fixedDigits(c.perCharacter, 2), 10) << pad(std::to_string(c.unknown), 9)
                << pad(std::to_string(c.bytePieces), 7) << fixedDigits(c.cellsRatio, 2) << "×\n";
    }
  };
  table(counts);
  if (other) {
    std::cout << "\nbeside it, " << other->described << ":\n";
    table(otherCounts);
  }
  return 0;
}

}  // namespace attnscope::cli

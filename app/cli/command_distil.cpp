// attnscope-cli distil: a teacher and a student that share a tokenizer, run on the same text and their heads compared
// (issue 25): the teacher × student similarity matrix (Jensen–Shannon divergence of attention rows, as Clark et al.
// 2019 compare heads), the best one-to-one matching of heads (Hungarian), the rising layer mapping that fits best
// beside DistilBERT's own (first, last and evenly between), and MiniLM's KL between the last layers' heads.
#include <QJsonArray>

#include <iostream>

#include "app/cli/cli_common.h"
#include "engine/compression/distil.h"
#include "engine/runtime/inference.h"
#include "engine/util/format.h"

namespace attnscope::cli {

namespace {

// What `distil` was asked; Check() says the first thing wrong with it.
struct DistilArgs {
  std::string teacher, student, teacherTokenizer, studentTokenizer;
  ModelTextOptions::Values text;  ///< its model fields unused
  bool json = false;

  std::string Check() const {
    if (teacher.empty()) return "--teacher is required: a model `infer` opens";
    if (student.empty()) return "--student is required: a model `infer` opens";
    if (text.textGiven == !text.textFile.empty()) return "give either --text TEXT or --text-file FILE: what both read";
    return {};
  }
};

DistilArgs readDistilArgs(const QStringList& arguments) {
  QCommandLineParser parser;
  parser.setApplicationDescription(QStringLiteral(
      "Compare a teacher's and a student's heads on the same text (they must share a tokenizer): the head similarity "
      "matrix (Jensen–Shannon divergence of attention rows), the Hungarian matching of heads, the best rising layer "
      "mapping beside DistilBERT's, and MiniLM's KL between the last layers."));
  const QCommandLineOption help = parser.addHelpOption();
  const QCommandLineOption teacher(QStringLiteral("teacher"), QStringLiteral("The teacher: a model `infer` opens."),
                                   QStringLiteral("PATH"));
  const QCommandLineOption student(QStringLiteral("student"), QStringLiteral("The student: a model `infer` opens."),
                                   QStringLiteral("PATH"));
  const QCommandLineOption teacherTokenizer(QStringLiteral("teacher-tokenizer"),
                                            QStringLiteral("The teacher's tokenizer, as for `infer`."),
                                            QStringLiteral("FILE"));
  const QCommandLineOption studentTokenizer(QStringLiteral("student-tokenizer"),
                                            QStringLiteral("The student's tokenizer, as for `infer`."),
                                            QStringLiteral("FILE"));
  const ModelTextOptions textOptions;
  const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON."));
  for (const QCommandLineOption* o :
       {&teacher, &student, &teacherTokenizer, &studentTokenizer, &textOptions.text, &textOptions.textFile, &json})
    parser.addOption(*o);
  parseOrThrow(parser, arguments);
  if (parser.isSet(help)) throw HelpShown(toStd(parser.helpText()));
  DistilArgs a;
  a.teacher = toStd(parser.value(teacher));
  a.student = toStd(parser.value(student));
  a.teacherTokenizer = toStd(parser.value(teacherTokenizer));
  a.studentTokenizer = toStd(parser.value(studentTokenizer));
  a.text.textGiven = parser.isSet(textOptions.text);
  a.text.text = toStd(parser.value(textOptions.text));
  a.text.textFile = toStd(parser.value(textOptions.textFile));
  a.json = parser.isSet(json);
  return a;
}

std::string headName(int layer, int head) { return std::to_string(layer) + "." + std::to_string(head); }

}  // namespace

int runDistil(const QStringList& arguments) {
  const DistilArgs args = readDistilArgs(arguments);
  refuse(args.Check());
  const std::string text = args.text.load();
  const RuntimeModel teacher = openModel(args.teacher, args.teacherTokenizer);
  const RuntimeModel student = openModel(args.student, args.studentTokenizer);
  const std::vector<int> ids = encodeText(teacher, text), studentIds = encodeText(student, text);
  if (ids != studentIds) {
    std::size_t k = 0;
    while (k < ids.size() && k < studentIds.size() && ids[k] == studentIds[k]) ++k;
    const std::string t = k < ids.size() ? "'" + quoted(teacher.tokenizer->label(ids[k])) + "'" : "the end",
                      s = k < studentIds.size() ? "'" + quoted(student.tokenizer->label(studentIds[k])) + "'"
                                                : "the end";
    refuse("the teacher and the student split the text differently (token " + std::to_string(k + 1) + ": " + t +
           " against " + s + "): distil compares models that share a tokenizer");
  }
  teacher.model->checkTokens(ids);
  student.model->checkTokens(ids);
  const LogitRows none = LogitRows::at({});
  const DistilComparison d = compareHeads(teacher.model->forward(ids, {}, none), student.model->forward(ids, {}, none));
  if (args.json) {
    QJsonArray similarity, matching, layerCost, mapping, even, miniLm;
    for (const auto& row : d.similarity) {
      QJsonArray r;
      for (double v : row) r.append(v);
      similarity.append(r);
    }
    for (const HeadMatch& h : d.matching)
      matching.append(QJsonObject{{QStringLiteral("student"), QJsonArray{h.studentLayer, h.studentHead}},
                                  {QStringLiteral("teacher"), QJsonArray{h.teacherLayer, h.teacherHead}},
                                  {QStringLiteral("js"), h.divergence}});
    for (const auto& row : d.layerCost) {
      QJsonArray r;
      for (double v : row) r.append(v);
      layerCost.append(r);
    }
    for (int t : d.layerMapping) mapping.append(t);
    for (int t : d.evenMapping) even.append(t);
    for (double v : d.miniLmKl) miniLm.append(v);
    printJson(QJsonObject{{QStringLiteral("teacher"), QString::fromStdString(teacher.describe())},
                          {QStringLiteral("student"), QString::fromStdString(student.describe())},
                          {QStringLiteral("tokens"), static_cast<double>(ids.size())},
                          {QStringLiteral("similarity"), similarity},
                          {QStringLiteral("similarity_rows"), QStringLiteral("teacher heads, layer by layer")},
                          {QStringLiteral("matching"), matching},
                          {QStringLiteral("matching_mean_js"), d.matchingMean},
                          {QStringLiteral("layer_cost"), layerCost},
                          {QStringLiteral("layer_mapping"), mapping},
                          {QStringLiteral("layer_mapping_mean_js"), d.layerMappingMean},
                          {QStringLiteral("distilbert_mapping"), even},
                          {QStringLiteral("distilbert_mapping_mean_js"), d.evenMappingMean},
                          {QStringLiteral("minilm_kl"), d.miniLmKl.empty() ? QJsonValue() : QJsonValue(miniLm)}});
    return 0;
  }
  std::cout << "teacher: " << teacher.describe() << "\nstudent: " << student.describe() << "\n"
            << ids.size() << " tokens; heads compared by the Jensen–Shannon divergence of their attention rows (nats, "
            << "0 … 0.693)\n\nbest one-to-one matching of heads (Hungarian), mean " << fixedDigits(d.matchingMean, 4)
            << ":\n";
  for (const HeadMatch& h : d.matching)
    std::cout << "  student " << headName(h.studentLayer, h.studentHead) << " ← teacher "
              << headName(h.teacherLayer, h.teacherHead) << "  " << fixedDigits(h.divergence, 4) << "\n";
  std::cout << "\nlayer mapping (student ← teacher), rising, best fit: ";
  for (std::size_t s = 0; s < d.layerMapping.size(); ++s)
    std::cout << (s ? ", " : "") << s << " ← " << d.layerMapping[s];
  std::cout << "  (mean " << fixedDigits(d.layerMappingMean, 4)
            << ")\nDistilBERT's initialisation (first, last, evenly "
            << "between): ";
  for (std::size_t s = 0; s < d.evenMapping.size(); ++s) std::cout << (s ? ", " : "") << s << " ← " << d.evenMapping[s];
  std::cout << "  (mean " << fixedDigits(d.evenMappingMean, 4) << ")\n";
  if (d.miniLmKl.empty()) {
    std::cout << "MiniLM's last-layer KL: the two have different head counts (" << d.teacherHeads << " and "
              << d.studentHeads << ")\n";
  } else {
    double mean = 0;
    std::cout << "MiniLM's last-layer KL(teacher ‖ student), head by head:";
    for (double v : d.miniLmKl) std::cout << " " << fixedDigits(v, 4), mean += v / double(d.miniLmKl.size());
    std::cout << "  (mean " << fixedDigits(mean, 4) << ")\n";
  }
  return 0;
}

}  // namespace attnscope::cli

#include "engine/runtime/inference.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "engine/io/json.h"
#include "engine/io/npy.h"
#include "engine/runtime/bert_model.h"
#include "engine/runtime/gpt2_model.h"
#include "engine/runtime/llama2c_model.h"
#include "engine/runtime/llama_model.h"
#include "engine/tokenizers/byte_level_bpe.h"
#include "engine/tokenizers/llama2c_tokenizer.h"
#include "engine/tokenizers/tokenizer_json.h"
#include "engine/tokenizers/unicode_text.h"
#include "engine/tokenizers/word_piece.h"
#include "engine/util/format.h"
#include "engine/util/error.h"

namespace attnscope {

namespace fs = std::filesystem;

namespace {

// A byte-level BPE piece continues the pre-token before it when no space starts it and its first character is of
// the kind (letter, number, other) the previous piece ended with: GPT-2's pattern cuts only between kinds.
bool continuesPreToken(const ByteLevelBpe& t, int previous, int id, const std::vector<std::string>& specials) {
  const std::string prev = t.decode({previous}), text = t.decode({id});
  for (const std::string& s : specials)
    if (t.token(previous) == s || t.token(id) == s) return false;
  if (prev.empty() || text.empty()) return false;
  const std::vector<char32_t> a = unicode::decode(prev), b = unicode::decode(text);
  auto kind = [](char32_t c) {
    return unicode::isWhitespace(c) ? 0 : unicode::isLetter(c) ? 1 : unicode::isNumber(c) ? 2 : 3;
  };
  if (kind(b.front()) == 0) return false;
  if (b.front() == U'\'') return false;  // a contraction ('s, 'll …) is a pre-token of its own
  return kind(a.back()) == kind(b.front());
}

class Llama2cText : public TextTokenizer {
 public:
  explicit Llama2cText(Llama2cTokenizer t) : t_(std::move(t)) {}
  std::vector<int> encode(const std::string& text) const override { return t_.encode(text, true, false); }
  std::string label(int id) const override { return t_.label(id); }
  std::string decode(int previous, int id) const override { return t_.decode(previous, id); }
  int stopToken() const override { return Llama2cTokenizer::kBos; }
  bool startsWord(int previous, int id) const override {
    const std::string& piece = t_.piece(id);
    return previous < 0 || special(previous) || special(id) || (!piece.empty() && piece.front() == ' ');
  }

 private:
  static bool special(int id) { return id == Llama2cTokenizer::kBos || id == Llama2cTokenizer::kEos; }
  Llama2cTokenizer t_;
};

// The special tokens a post-processor puts around the text (BERT's [CLS] … [SEP], RoBERTa's <s> … </s>, Llama's
// <s> …).
struct Around {
  std::vector<int> prefix, suffix;
  std::vector<int> wrap(std::vector<int> body) const {
    body.insert(body.begin(), prefix.begin(), prefix.end());
    body.insert(body.end(), suffix.begin(), suffix.end());
    return body;
  }
};

class ByteLevelText : public TextTokenizer {
 public:
  ByteLevelText(ByteLevelBpe t, Around around, std::vector<std::string> specials, int mask, int stop)
      : t_(std::move(t)), around_(std::move(around)), specials_(std::move(specials)), mask_(mask), stop_(stop) {}
  std::vector<int> encode(const std::string& text) const override { return around_.wrap(t_.encode(text)); }
  std::string label(int id) const override { return t_.label(id); }
  std::string decode(int, int id) const override { return t_.decode({id}); }
  int maskToken() const override { return mask_; }
  int stopToken() const override { return stop_; }
  bool startsWord(int previous, int id) const override {
    return previous < 0 || !continuesPreToken(t_, previous, id, specials_);
  }

 private:
  ByteLevelBpe t_;
  Around around_;
  std::vector<std::string> specials_;
  int mask_, stop_;
};

class WordPieceText : public TextTokenizer {
 public:
  WordPieceText(WordPiece t, Around around) : t_(std::move(t)), around_(std::move(around)) {}
  std::vector<int> encode(const std::string& text) const override { return around_.wrap(t_.encode(text)); }
  std::string label(int id) const override { return t_.label(id); }
  std::string decode(int, int id) const override { return t_.token(id); }
  int maskToken() const override { return t_.id("[MASK]"); }
  bool startsWord(int previous, int id) const override {
    auto around = [&](int i) {
      return std::find(around_.prefix.begin(), around_.prefix.end(), i) != around_.prefix.end() ||
             std::find(around_.suffix.begin(), around_.suffix.end(), i) != around_.suffix.end();
    };
    return previous < 0 || around(previous) || t_.token(id).rfind("##", 0) != 0;
  }

 private:
  WordPiece t_;
  Around around_;
};

class SentencePieceText : public TextTokenizer {
 public:
  SentencePieceText(SentencePieceBpe t, Around around, int stop)
      : t_(std::move(t)), around_(std::move(around)), stop_(stop) {}
  std::vector<int> encode(const std::string& text) const override { return around_.wrap(t_.encode(text)); }
  std::string label(int id) const override { return t_.label(id); }
  std::string decode(int previous, int id) const override { return t_.decode(previous, id); }
  int stopToken() const override { return stop_; }
  int maskToken() const override { return t_.id("<mask>"); }
  bool startsWord(int previous, int id) const override {
    return previous < 0 || t_.isSpecial(previous) || t_.isSpecial(id) || t_.token(id).rfind("\u2581", 0) == 0;
  }

 private:
  SentencePieceBpe t_;
  Around around_;
  int stop_;
};

// A tokenizer.json as the runtime's tokenizer; `stop` ends a continuation (the config's eos_token_id), or −1.
std::shared_ptr<const TextTokenizer> jsonTokenizer(const std::string& path, int stop) {
  TokenizerJson t = readTokenizerJson(path);
  const Around around{t.prefix, t.suffix};
  switch (t.kind) {
    case TokenizerJson::Kind::WordPiece: return std::make_shared<const WordPieceText>(std::move(*t.wordPiece), around);
    case TokenizerJson::Kind::SentencePiece:
      return std::make_shared<const SentencePieceText>(std::move(*t.sentencePiece), around, stop);
    case TokenizerJson::Kind::ByteLevel: break;
  }
  int mask = t.byteLevel->id("<mask>");
  if (std::find(t.addedTokens.begin(), t.addedTokens.end(), "<mask>") == t.addedTokens.end()) mask = -1;
  return std::make_shared<const ByteLevelText>(std::move(*t.byteLevel), around, t.addedTokens, mask, stop);
}

// A tokenizer_config.json's boolean `key`, or `otherwise` when the file or the key is not there.
bool tokenizerFlag(const fs::path& folder, const char* key, bool otherwise) {
  const fs::path config = folder / "tokenizer_config.json";
  std::error_code ec;
  if (!fs::exists(config, ec)) return otherwise;
  const JsonValue json = readJsonFile(config.string(), 1u << 20);
  const JsonValue* flag = json.isObject() ? json.find(key) : nullptr;
  return flag && flag->isBool() ? flag->asBool() : otherwise;
}

// The families a folder's model_type names.
enum class Family { Bert, DistilBert, Roberta, Gpt2, Llama, Mistral, Qwen2 };

// The tokenizer of a folder without tokenizer.json, from the older files its family uses: WordPiece's vocab.txt
// (lower-cased unless tokenizer_config.json says do_lower_case false), byte-level BPE's vocab.json and merges.txt.
std::shared_ptr<const TextTokenizer> olderTokenizer(const fs::path& folder, Family family, int stop,
                                                    std::string& used) {
  std::error_code ec;
  const auto missing = [&](const std::string& files) {
    return Error("model '" + folder.string() + "' has no tokenizer.json and no " + files +
                 ": give the folder its tokenizer (or --tokenizer FILE)");
  };
  if (family == Family::Bert || family == Family::DistilBert) {
    const fs::path vocab = folder / "vocab.txt";
    if (!fs::exists(vocab, ec)) throw missing("vocab.txt");
    WordPiece t = WordPiece::read(vocab.string());
    t.setLowercase(tokenizerFlag(folder, "do_lower_case", true));
    used = vocab.string();
    Around around;  // BertProcessing: [CLS] text [SEP]
    if (t.id("[CLS]") >= 0) around.prefix.push_back(t.id("[CLS]"));
    if (t.id("[SEP]") >= 0) around.suffix.push_back(t.id("[SEP]"));
    return std::make_shared<const WordPieceText>(std::move(t), around);
  }
  if (family != Family::Roberta && family != Family::Gpt2)
    throw Error("model '" + folder.string() +
                "' has no tokenizer.json, which its family's tokenizer is read from (tokenizer.model, SentencePiece's "
                "own file, is not read)");
  const fs::path vocab = folder / "vocab.json", merges = folder / "merges.txt";
  if (!fs::exists(vocab, ec) || !fs::exists(merges, ec)) throw missing("vocab.json and merges.txt");
  ByteLevelBpe bpe = ByteLevelBpe::read(vocab.string(), merges.string());
  bpe.setAddPrefixSpace(tokenizerFlag(folder, "add_prefix_space", false));
  used = vocab.string();
  if (family == Family::Gpt2) {
    std::vector<std::string> specials;
    if (bpe.id("<|endoftext|>") >= 0) specials.emplace_back("<|endoftext|>");
    bpe.setSpecialTokens(specials);
    return std::make_shared<const ByteLevelText>(std::move(bpe), Around{}, specials, -1, stop);
  }
  std::vector<std::string> specials;
  for (const char* s : {"<s>", "</s>", "<pad>", "<unk>", "<mask>"})
    if (bpe.id(s) >= 0) specials.emplace_back(s);
  bpe.setSpecialTokens(specials, {"<mask>"});
  Around around;  // RobertaProcessing: <s> text </s>
  if (bpe.id("<s>") >= 0) around.prefix.push_back(bpe.id("<s>"));
  if (bpe.id("</s>") >= 0) around.suffix.push_back(bpe.id("</s>"));
  const int mask = bpe.id("<mask>");
  return std::make_shared<const ByteLevelText>(std::move(bpe), around, specials, mask, -1);
}

// The config's eos_token_id (the first of a list), or `otherwise`.
int eosToken(const JsonValue& config, int otherwise) {
  const JsonValue* eos = config.find("eos_token_id");
  if (eos && eos->isArray() && !eos->items().empty()) eos = &eos->items().front();
  if (!eos || !eos->isNumber()) return eos && eos->isNull() ? -1 : otherwise;
  const std::optional<std::int64_t> id = eos->asInteger();
  return id && *id >= 0 && *id < (1 << 24) ? static_cast<int>(*id) : otherwise;
}

RuntimeModel openFolder(const std::string& folder, const std::string& tokenizerPath) {
  const fs::path config = fs::path(folder) / "config.json";
  std::error_code ec;
  if (!fs::exists(config, ec))
    throw Error("model '" + folder +
                "' is a folder without config.json: give a llama2.c checkpoint (.bin) or a Hugging Face model folder");
  const JsonValue json = readJsonFile(config.string(), 1u << 20);
  const JsonValue* type = json.isObject() ? json.find("model_type") : nullptr;
  const std::string modelType = type && type->isString() ? type->asString() : "";
  static const std::vector<std::pair<std::string, Family>> families = {
      {"bert", Family::Bert},  {"distilbert", Family::DistilBert}, {"roberta", Family::Roberta},
      {"gpt2", Family::Gpt2},  {"llama", Family::Llama},           {"mistral", Family::Mistral},
      {"qwen2", Family::Qwen2}};
  const auto known =
      std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.first == modelType; });
  if (known == families.end())
    throw Error("model '" + folder + "' has model_type '" + attnscope::quoted(modelType) +
                "', which this version does not run: it runs bert, distilbert, roberta, gpt2, llama, mistral and "
                "qwen2 folders and llama2.c checkpoints");
  const Family family = known->second;
  const int stop = eosToken(json, family == Family::Gpt2                                 ? 50256
                                  : family == Family::Llama || family == Family::Mistral ? 2
                                                                                         : -1);
  RuntimeModel m;
  m.path = folder;
  // The tokenizer first: it is small, and a folder without one is refused before the weights are read. Its place:
  // --tokenizer (a tokenizer.json or a folder holding the files), else the model's folder; tokenizer.json first, as
  // transformers' AutoTokenizer prefers it.
  fs::path where = folder;
  if (!tokenizerPath.empty()) {
    if (fs::is_directory(tokenizerPath, ec))
      where = tokenizerPath;
    else if (fs::is_regular_file(tokenizerPath, ec))
      m.tokenizerPath = tokenizerPath;
    else
      throw Error("tokenizer '" + tokenizerPath + "' is not there: expected a tokenizer.json or a folder holding one");
  }
  if (m.tokenizerPath.empty() && fs::is_regular_file(where / "tokenizer.json", ec))
    m.tokenizerPath = (where / "tokenizer.json").string();
  m.tokenizer = m.tokenizerPath.empty() ? olderTokenizer(where, family, stop, m.tokenizerPath)
                                        : jsonTokenizer(m.tokenizerPath, stop);
  switch (family) {
    case Family::Bert:
    case Family::DistilBert:
    case Family::Roberta: {
      const BertFlavour flavour = family == Family::Bert         ? BertFlavour::Bert
                                  : family == Family::DistilBert ? BertFlavour::DistilBert
                                                                 : BertFlavour::Roberta;
      m.model = std::make_shared<const BertModel>(BertModel::read(folder, flavour));
      break;
    }
    case Family::Gpt2: m.model = std::make_shared<const Gpt2Model>(Gpt2Model::read(folder)); break;
    case Family::Llama:
    case Family::Mistral:
    case Family::Qwen2: {
      const LlamaFamily llama = family == Family::Llama     ? LlamaFamily::Llama
                                : family == Family::Mistral ? LlamaFamily::Mistral
                                                            : LlamaFamily::Qwen2;
      m.model = std::make_shared<const LlamaModel>(LlamaModel::read(folder, llama));
      break;
    }
  }
  return m;
}

}  // namespace

OpenedTokenizer openTokenizer(const std::string& path) {
  std::error_code ec;
  OpenedTokenizer t;
  if (fs::is_regular_file(path, ec)) {
    if (fs::path(path).extension() != ".json")
      throw Error("tokenizer '" + path +
                  "': expected a tokenizer.json or a folder of tokenizer files (a llama2.c tokenizer.bin is read "
                  "with its model: open the model)");
    t.tokenizer = jsonTokenizer(path, -1);
    t.path = path;
    t.described = fs::path(path).filename().string();
    return t;
  }
  if (!fs::is_directory(path, ec))
    throw Error("tokenizer '" + path + "' is not there: expected a tokenizer.json or a folder of tokenizer files");
  const fs::path folder = path;
  if (fs::is_regular_file(folder / "tokenizer.json", ec)) return openTokenizer((folder / "tokenizer.json").string());
  Family family = Family::Gpt2;
  if (fs::is_regular_file(folder / "vocab.txt", ec)) {
    family = Family::Bert;
  } else if (fs::is_regular_file(folder / "config.json", ec)) {
    const JsonValue json = readJsonFile((folder / "config.json").string(), 1u << 20);
    const JsonValue* type = json.isObject() ? json.find("model_type") : nullptr;
    if (type && type->isString() && type->asString() == "roberta") family = Family::Roberta;
  }
  t.tokenizer = olderTokenizer(folder, family, -1, t.path);
  t.described = folder.filename().string() + (family == Family::Bert      ? " (WordPiece)"
                                              : family == Family::Roberta ? " (RoBERTa's byte-level BPE)"
                                                                          : " (byte-level BPE)");
  return t;
}

RuntimeModel openModel(const std::string& path, const std::string& tokenizerPath) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return openFolder(path, tokenizerPath);
  RuntimeModel m;
  m.path = path;
  m.tokenizerPath = tokenizerPath;
  auto model = std::make_shared<const Llama2cModel>(Llama2cModel::read(path));
  const int vocab = model->vocabSize();
  if (m.tokenizerPath.empty()) {
    const fs::path folder = fs::path(path).parent_path();
    for (const std::string& name : {std::string("tokenizer.bin"), "tok" + std::to_string(vocab) + ".bin"})
      if (fs::is_regular_file(folder / name, ec)) {
        m.tokenizerPath = (folder / name).string();
        break;
      }
    if (m.tokenizerPath.empty())
      throw Error("model '" + path + "' has no tokenizer beside it: expected tokenizer.bin or tok" +
                  std::to_string(vocab) + ".bin in its folder, or give one (--tokenizer FILE)");
  }
  m.tokenizer = std::make_shared<const Llama2cText>(Llama2cTokenizer::read(m.tokenizerPath, vocab));
  m.model = model;
  return m;
}

std::vector<int> encodeText(const RuntimeModel& m, const std::string& text) { return m.tokenizer->encode(text); }

namespace {

// The `top` likeliest tokens of a row of logits (a softmax in doubles), most likely first, the lower id on a tie.
std::vector<TokenChoice> choices(const RuntimeModel& m, const Eigen::Ref<const Eigen::RowVectorXf>& logits, int top) {
  const double most = logits.maxCoeff();
  std::vector<double> p(static_cast<std::size_t>(logits.size()));
  double sum = 0;
  for (Index v = 0; v < logits.size(); ++v) sum += (p[std::size_t(v)] = std::exp(double(logits(v)) - most));
  std::vector<int> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  const int k = std::clamp(top, 0, static_cast<int>(order.size()));
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
    return p[std::size_t(a)] > p[std::size_t(b)] || (p[std::size_t(a)] == p[std::size_t(b)] && a < b);
  });
  std::vector<TokenChoice> out;
  for (int i = 0; i < k; ++i) {
    const int id = order[std::size_t(i)];
    out.push_back({id, m.tokenizer->label(id), p[std::size_t(id)] / sum});
  }
  return out;
}

}  // namespace

Inference infer(const RuntimeModel& m, const std::vector<int>& ids, int top, int generate, const Progress& progress) {
  Inference r;
  if (ids.empty()) throw Error("there is nothing to run: the text gives no tokens");
  if (generate > 0 && m.model->encoder())
    throw Error("an encoder writes no continuation: it predicts the words at its masks ([MASK] in the text)");
  r.ids = ids;
  // Logits only where something is read from them: an encoder's masks, a decoder's last token.
  LogitRows rows = LogitRows::at({static_cast<Index>(ids.size()) - 1});
  const int mask = m.tokenizer->maskToken();
  if (m.model->encoder()) {
    rows.only.clear();
    for (std::size_t t = 0; t < ids.size(); ++t)
      if (mask >= 0 && ids[t] == mask) rows.only.push_back(static_cast<Index>(t));
  }
  r.pass = m.model->forward(ids, progress, rows);
  for (int id : ids) r.labels.push_back(m.tokenizer->label(id));
  if (!m.model->hasLogits()) return r;  // an encoder without its head: attention only
  if (m.model->encoder()) {
    for (std::size_t i = 0; i < r.pass.logitPositions.size(); ++i)
      r.masked.push_back({static_cast<int>(r.pass.logitPositions[i]), choices(m, r.pass.logits.row(Index(i)), top)});
    return r;
  }
  r.next = choices(m, r.pass.logits.row(0), top);
  if (generate > 0) {
    r.generated = m.model->generateGreedy(ids, generate, m.tokenizer->stopToken(), progress);
    int previous = ids.back();
    for (int id : r.generated) {
      r.generatedText += m.tokenizer->decode(previous, id);
      previous = id;
    }
  }
  return r;
}

WordGroups wordsOf(const RuntimeModel& m, const std::vector<int>& ids) {
  WordGroups g;
  for (std::size_t t = 0; t < ids.size(); ++t) {
    const std::string label = m.tokenizer->label(ids[t]);
    if (t == 0 || m.tokenizer->startsWord(ids[t - 1], ids[t])) {
      g.labels.push_back(label);
    } else {
      // A continuing piece joins its word without its own marks ("##", a leading "▁").
      std::string piece = label;
      if (piece.rfind("##", 0) == 0) piece.erase(0, 2);
      g.labels.back() += piece;
    }
    g.wordOf.push_back(static_cast<int>(g.labels.size()) - 1);
  }
  return g;
}

ModelPass mergeIntoWords(const ModelPass& pass, const WordGroups& words) {
  const Index w = static_cast<Index>(words.labels.size());
  std::vector<double> pieces(static_cast<std::size_t>(w), 0.0);
  for (int word : words.wordOf) pieces[std::size_t(word)] += 1;
  ModelPass merged;
  for (const auto& layer : pass.attention) {
    merged.attention.emplace_back();
    for (const Matrix& a : layer) {
      Matrix out = Matrix::Zero(w, w);
      for (Index q = 0; q < a.rows(); ++q)
        for (Index k = 0; k < a.cols(); ++k)
          out(words.wordOf[std::size_t(q)], words.wordOf[std::size_t(k)]) += a(q, k);          // summed over key pieces
      for (Index r = 0; r < w; ++r) out.row(r) /= static_cast<float>(pieces[std::size_t(r)]);  // averaged over queries
      merged.attention.back().push_back(std::move(out));
    }
  }
  return merged;
}

void writeAttention(const std::string& path, const ModelPass& pass) {
  const auto ends = [&](const char* suffix) {
    const std::string s = suffix;
    return path.size() >= s.size() && path.compare(path.size() - s.size(), s.size(), s) == 0;
  };
  const Index layers = static_cast<Index>(pass.attention.size());
  const Index heads = layers ? static_cast<Index>(pass.attention[0].size()) : 0;
  const Index n = heads ? pass.attention[0][0].rows() : 0;
  // Each layer's heads side by side in memory, as [heads, n, n].
  std::vector<std::vector<float>> flat(static_cast<std::size_t>(layers));
  for (Index l = 0; l < layers; ++l) {
    auto& out = flat[std::size_t(l)];
    out.resize(std::size_t(heads * n * n));
    for (Index h = 0; h < heads; ++h)
      std::copy_n(pass.attention[std::size_t(l)][std::size_t(h)].data(), n * n, out.data() + h * n * n);
  }
  if (ends(".npz")) {
    std::vector<NpzMember> members;
    for (Index l = 0; l < layers; ++l)
      members.push_back({"layer_" + std::to_string(l), {heads, n, n}, flat[std::size_t(l)].data()});
    writeNpzFloat(path, members);
  } else if (ends(".npy")) {
    std::vector<float> all;
    all.reserve(std::size_t(layers * heads * n * n));
    for (const auto& layer : flat) all.insert(all.end(), layer.begin(), layer.end());
    writeNpyFloat(path, {layers, heads, n, n}, all.data());
  } else {
    throw Error("'" + path + "' is not allowed for the attention: expected a file ending in .npz or .npy");
  }
}

}  // namespace attnscope

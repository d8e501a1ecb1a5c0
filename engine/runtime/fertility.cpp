#include "engine/runtime/fertility.h"

#include "engine/io/atomic_file.h"
#include "engine/io/json.h"
#include "engine/tokenizers/unicode_text.h"
#include "engine/util/error.h"

namespace attnscope {

namespace {

const std::string& field(const JsonValue& o, const char* key, const std::string& where) {
  const JsonValue* v = o.find(key);
  if (!v || !v->isString() || v->asString().empty()) throw Error(where + " has no \"" + std::string(key) + "\" text");
  return v->asString();
}

}  // namespace

std::vector<LanguageSample> parseLanguageSamples(std::string_view json, const std::string& what) {
  const JsonValue root = parseJson(json, what);
  const JsonValue* samples = root.isObject() ? root.find("samples") : nullptr;
  if (!samples || !samples->isArray() || samples->items().empty())
    throw Error(what + ": expected an object with a \"samples\" array of {language, code, script, text, words}");
  if (samples->items().size() > 100)
    throw Error(what + " has " + std::to_string(samples->items().size()) + " samples: at most 100 are read");
  std::vector<LanguageSample> out;
  for (std::size_t i = 0; i < samples->items().size(); ++i) {
    const JsonValue& s = samples->items()[i];
    const std::string where = what + ": sample " + std::to_string(i + 1);
    if (!s.isObject()) throw Error(where + " is not an object");
    LanguageSample l{
        field(s, "language", where), field(s, "code", where), field(s, "script", where), field(s, "text", where), {}};
    if (l.text.size() > 4096) throw Error(where + "'s text is longer than 4,096 bytes");
    const JsonValue* words = s.find("words");
    if (!words || !words->isArray() || words->items().empty())
      throw Error(where + " has no \"words\": the text cut into words by hand");
    for (const JsonValue& w : words->items()) {
      if (!w.isString() || w.asString().empty()) throw Error(where + ": every word must be a non-empty text");
      l.words.push_back(w.asString());
    }
    out.push_back(std::move(l));
  }
  return out;
}

std::vector<LanguageSample> readLanguageSamples(const std::string& path) {
  return parseLanguageSamples(readSmallFile(path, std::size_t(1) << 20, "a sample set of at most 1 MB"),
                              "'" + path + "'");
}

std::vector<TokenCount> countTokens(const TextTokenizer& tokenizer, const LanguageModel* model,
                                    const std::vector<LanguageSample>& samples) {
  const Index specials = Index(tokenizer.encode("").size());
  std::vector<TokenCount> out;
  for (const LanguageSample& s : samples) {
    TokenCount c;
    c.language = s.language;
    c.script = s.script;
    c.words = Index(s.words.size());
    for (char32_t cp : unicode::decode(s.text)) c.characters += !unicode::isWhitespace(cp);
    c.ids = tokenizer.encode(s.text);
    c.n = Index(c.ids.size());
    c.tokens = c.n - specials;
    for (int id : c.ids) {
      c.pieces.push_back(tokenizer.label(id));
      const std::string& p = c.pieces.back();
      c.unknown += p == "[UNK]" || p == "<unk>" || p == "<|unk|>";
      c.bytePieces += p.size() == 6 && p.rfind("<0x", 0) == 0 && p.back() == '>';
    }
    c.perWord = double(c.tokens) / double(c.words);
    c.perCharacter = c.characters ? double(c.tokens) / double(c.characters) : 0.0;
    c.cellsPerHead = double(c.n) * double(c.n);
    if (model && c.n <= model->maxPositions()) c.passFlops = model->passFlops(c.n);
    out.push_back(std::move(c));
  }
  for (TokenCount& c : out) c.cellsRatio = c.cellsPerHead / out.front().cellsPerHead;
  return out;
}

}  // namespace attnscope

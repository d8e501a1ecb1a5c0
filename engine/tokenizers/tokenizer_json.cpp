#include "engine/tokenizers/tokenizer_json.h"

#include <algorithm>

#include "engine/io/atomic_file.h"
#include "engine/io/json.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope {

namespace {

constexpr std::size_t kMostBytes = std::size_t(64) << 20;
constexpr std::int64_t kMostVocab = 1 << 22;
const std::string kSpace = "\u2581";

// Reads the file's parts, failing in one line that names the file.
class Reader {
 public:
  explicit Reader(std::string what) : what_(std::move(what)) {}
  [[noreturn]] void fail(const std::string& message) const { throw Error("tokenizer " + what_ + ": " + message); }
  const std::string& what() const { return what_; }

  const JsonValue* member(const JsonValue& object, const char* key) const {
    const JsonValue* v = object.find(key);
    return v && !v->isNull() ? v : nullptr;
  }
  std::string type(const JsonValue& part, const std::string& where) const {
    if (!part.isObject()) fail(where + " is not an object");
    const JsonValue* t = part.find("type");
    if (!t || !t->isString()) fail(where + " has no \"type\"");
    return t->asString();
  }
  bool flag(const JsonValue& object, const char* key, bool otherwise, const std::string& where) const {
    const JsonValue* v = member(object, key);
    if (!v) return otherwise;
    if (!v->isBool()) fail(where + " " + key + " is not true or false");
    return v->asBool();
  }
  std::string text(const JsonValue& object, const char* key, const std::string& otherwise,
                   const std::string& where) const {
    const JsonValue* v = member(object, key);
    if (!v) return otherwise;
    if (!v->isString()) fail(where + " " + key + " is not a string");
    return v->asString();
  }
  int integer(const JsonValue& v, const std::string& where) const {
    const std::optional<std::int64_t> i = v.isNumber() ? v.asInteger() : std::nullopt;
    if (!i || *i < 0 || *i >= kMostVocab)
      fail(where + " is not allowed: expected an id 0 … " + std::to_string(kMostVocab - 1));
    return static_cast<int>(*i);
  }

 private:
  std::string what_;
};

// A Sequence's items, or the part itself.
std::vector<const JsonValue*> flatten(const Reader& r, const JsonValue& part, const std::string& where,
                                      const char* itemsKey) {
  if (r.type(part, where) != "Sequence") return {&part};
  const JsonValue* items = part.find(itemsKey);
  if (!items || !items->isArray()) r.fail(where + " Sequence has no \"" + itemsKey + "\" list");
  std::vector<const JsonValue*> out;
  for (const JsonValue& item : items->items()) {
    if (r.type(item, where) == "Sequence") r.fail(where + " nests a Sequence in a Sequence, which is not read");
    out.push_back(&item);
  }
  return out;
}

// What the normalizer and the pre-tokenizer ask of the text, as the three tokenizers read here can do it.
struct TextSteps {
  bool byteLevel = false, addPrefixSpace = false;  // ByteLevel
  bool bert = false, lowercase = true;             // BertNormalizer + BertPreTokenizer
  bool spaces = false, split = false;              // '▁' for spaces (Replace or Metaspace)
  SentencePieceBpe::Prepend prepend = SentencePieceBpe::Prepend::Never;
  bool bertNormalizer = false, bertPreTokenizer = false;
};

void readNormalizer(const Reader& r, const JsonValue& root, TextSteps& s) {
  const JsonValue* n = r.member(root, "normalizer");
  if (!n) return;
  for (const JsonValue* part : flatten(r, *n, "normalizer", "normalizers")) {
    const std::string type = r.type(*part, "normalizer");
    if (type == "BertNormalizer") {
      if (!r.flag(*part, "clean_text", true, "normalizer BertNormalizer") ||
          !r.flag(*part, "handle_chinese_chars", true, "normalizer BertNormalizer"))
        r.fail(
            "normalizer BertNormalizer with clean_text or handle_chinese_chars false is not read: expected both true");
      s.lowercase = r.flag(*part, "lowercase", true, "normalizer BertNormalizer");
      if (const JsonValue* strip = r.member(*part, "strip_accents");
          strip && (!strip->isBool() || strip->asBool() != s.lowercase))
        r.fail(
            "normalizer BertNormalizer strip_accents unlike lowercase is not read: expected null or the same as "
            "lowercase");
      s.bertNormalizer = true;
    } else if (type == "Prepend") {
      if (r.text(*part, "prepend", "", "normalizer Prepend") != kSpace)
        r.fail("normalizer Prepend of anything but '\u2581' is not read");
      s.prepend = SentencePieceBpe::Prepend::Always;
    } else if (type == "Replace") {
      const JsonValue* pattern = r.member(*part, "pattern");
      const JsonValue* string = pattern && pattern->isObject() ? pattern->find("String") : nullptr;
      if (!string || !string->isString() || string->asString() != " " ||
          r.text(*part, "content", "", "normalizer Replace") != kSpace)
        r.fail("normalizer Replace is read only as ' ' → '\u2581' (a String pattern)");
      s.spaces = true;
    } else {
      r.fail("normalizer '" + quoted(type) + "'" +
             " is not read: expected null, BertNormalizer, Prepend, Replace or a Sequence of them");
    }
  }
}

void readPreTokenizer(const Reader& r, const JsonValue& root, TextSteps& s) {
  const JsonValue* p = r.member(root, "pre_tokenizer");
  if (!p) return;
  const std::vector<const JsonValue*> parts = flatten(r, *p, "pre_tokenizer", "pretokenizers");
  if (parts.size() != 1)
    r.fail("pre_tokenizer Sequence of " + std::to_string(parts.size()) + " is not read: expected one");
  const JsonValue& part = *parts.front();
  const std::string type = r.type(part, "pre_tokenizer");
  if (type == "ByteLevel") {
    if (!r.flag(part, "use_regex", true, "pre_tokenizer ByteLevel"))
      r.fail("pre_tokenizer ByteLevel with use_regex false is not read: expected GPT-2's pattern");
    s.byteLevel = true;
    s.addPrefixSpace = r.flag(part, "add_prefix_space", true, "pre_tokenizer ByteLevel");
  } else if (type == "BertPreTokenizer") {
    s.bertPreTokenizer = true;
  } else if (type == "Metaspace") {
    if (r.text(part, "replacement", kSpace, "pre_tokenizer Metaspace") != kSpace)
      r.fail("pre_tokenizer Metaspace with another replacement than '\u2581' is not read");
    const std::string scheme = r.text(part, "prepend_scheme", "", "pre_tokenizer Metaspace");
    if (scheme.empty())  // older files: add_prefix_space
      s.prepend = r.flag(part, "add_prefix_space", true, "pre_tokenizer Metaspace") ? SentencePieceBpe::Prepend::Always
                                                                                    : SentencePieceBpe::Prepend::Never;
    else if (scheme == "always" || scheme == "first" || scheme == "never")
      s.prepend = scheme == "always"  ? SentencePieceBpe::Prepend::Always
                  : scheme == "first" ? SentencePieceBpe::Prepend::First
                                      : SentencePieceBpe::Prepend::Never;
    else
      r.fail("pre_tokenizer Metaspace prepend_scheme '" + quoted(scheme) +
             "' is not read: expected always, first or never");
    s.split = r.flag(part, "split", true, "pre_tokenizer Metaspace");
    s.spaces = true;
  } else {
    r.fail("pre_tokenizer '" + quoted(type) + "'" +
           " is not read: expected null, ByteLevel, BertPreTokenizer or Metaspace (a Split by a regular expression is "
           "not run here)");
  }
}

// The model's vocabulary by id, with the added tokens written in where the vocabulary has none.
std::vector<std::string> vocabulary(const Reader& r, const JsonValue& model, const JsonValue* added) {
  const JsonValue* vocab = r.member(model, "vocab");
  if (!vocab || !vocab->isObject()) r.fail("model has no \"vocab\" object of token → id");
  std::vector<std::string> tokens;
  auto place = [&](const std::string& token, int id, bool replaceable) {
    if (token.empty()) r.fail("the vocabulary has an empty token");
    if (std::size_t(id) >= tokens.size()) tokens.resize(std::size_t(id) + 1);
    std::string& slot = tokens[std::size_t(id)];
    if (!slot.empty() && !(replaceable && slot == token))
      r.fail("id " + std::to_string(id) + " is both '" + quoted(slot) + "' and '" + quoted(token) + "'");
    slot = token;
  };
  for (const auto& [token, value] : vocab->members())
    place(token, r.integer(value, "the id of '" + quoted(token) + "'"), false);
  if (added)
    for (const JsonValue& a : added->items()) {
      const JsonValue* content = a.isObject() ? a.find("content") : nullptr;
      const JsonValue* id = a.isObject() ? a.find("id") : nullptr;
      if (!content || !content->isString() || !id) r.fail("added_tokens has an entry without content and id");
      place(content->asString(), r.integer(*id, "added token '" + quoted(content->asString()) + "' id"), true);
    }
  return tokens;
}

std::vector<std::pair<std::string, std::string>> merges(const Reader& r, const JsonValue& model) {
  std::vector<std::pair<std::string, std::string>> out;
  const JsonValue* list = r.member(model, "merges");
  if (!list) return out;
  if (!list->isArray()) r.fail("model merges is not a list");
  for (const JsonValue& m : list->items()) {
    if (m.isString()) {
      const std::string& text = m.asString();
      const std::size_t space = text.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 == text.size() ||
          text.find(' ', space + 1) != std::string::npos)
        r.fail("merge '" + quoted(text) + "' is not two symbols separated by one space");
      out.emplace_back(text.substr(0, space), text.substr(space + 1));
    } else if (m.isArray() && m.items().size() == 2 && m.items()[0].isString() && m.items()[1].isString()) {
      out.emplace_back(m.items()[0].asString(), m.items()[1].asString());
    } else {
      r.fail("a merge is neither \"a b\" nor [\"a\", \"b\"]");
    }
  }
  return out;
}

// The post-processor's tokens before and after one sequence.
void readPostProcessor(const Reader& r, const JsonValue& root, const TokenizerJson& t, std::vector<int>& prefix,
                       std::vector<int>& suffix) {
  const JsonValue* p = r.member(root, "post_processor");
  if (!p) return;
  auto pairId = [&](const JsonValue& part, const char* key, const std::string& where) {
    const JsonValue* v = part.find(key);
    if (!v || !v->isArray() || v->items().size() != 2) r.fail(where + " " + key + " is not [token, id]");
    return r.integer(v->items()[1], where + " " + key);
  };
  for (const JsonValue* part : flatten(r, *p, "post_processor", "processors")) {
    const std::string type = r.type(*part, "post_processor");
    if (type == "ByteLevel") continue;  // offsets only
    if (type == "BertProcessing" || type == "RobertaProcessing") {
      prefix.push_back(pairId(*part, "cls", "post_processor " + type));
      suffix.insert(suffix.begin(), pairId(*part, "sep", "post_processor " + type));
      continue;
    }
    if (type != "TemplateProcessing")
      r.fail("post_processor '" + quoted(type) + "'" +
             " is not read: expected null, TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel or a "
             "Sequence of them");
    const JsonValue* single = part->find("single");
    const JsonValue* specials = part->find("special_tokens");
    if (!single || !single->isArray()) r.fail("post_processor TemplateProcessing has no \"single\" template");
    bool after = false, sequence = false;
    std::vector<int> before, behind;
    for (const JsonValue& piece : single->items()) {
      if (const JsonValue* s = piece.isObject() ? piece.find("Sequence") : nullptr) {
        if (sequence) r.fail("post_processor TemplateProcessing's single template has two sequences");
        sequence = after = true;
        (void)s;
        continue;
      }
      const JsonValue* special = piece.isObject() ? piece.find("SpecialToken") : nullptr;
      const JsonValue* name = special && special->isObject() ? special->find("id") : nullptr;
      if (!name || !name->isString())
        r.fail(
            "post_processor TemplateProcessing's single template has a piece that is neither Sequence nor "
            "SpecialToken");
      const JsonValue* entry = specials && specials->isObject() ? specials->find(name->asString()) : nullptr;
      const JsonValue* ids = entry && entry->isObject() ? entry->find("ids") : nullptr;
      std::vector<int> found;
      if (ids && ids->isArray())
        for (const JsonValue& id : ids->items())
          found.push_back(r.integer(id, "special token '" + quoted(name->asString()) + "'"));
      else if (t.id(name->asString()) >= 0)
        found.push_back(t.id(name->asString()));
      else
        r.fail("post_processor TemplateProcessing names the special token '" + quoted(name->asString()) +
               "', which it does not define");
      (after ? behind : before).insert((after ? behind : before).end(), found.begin(), found.end());
    }
    if (!sequence) r.fail("post_processor TemplateProcessing's single template has no sequence ($A)");
    prefix.insert(prefix.end(), before.begin(), before.end());
    suffix.insert(suffix.begin(), behind.begin(), behind.end());
  }
  for (int id : prefix)
    if (id >= t.size()) r.fail("post_processor adds the id " + std::to_string(id) + ", beyond the vocabulary");
  for (int id : suffix)
    if (id >= t.size()) r.fail("post_processor adds the id " + std::to_string(id) + ", beyond the vocabulary");
}

}  // namespace

int TokenizerJson::size() const {
  return byteLevel ? byteLevel->size() : wordPiece ? wordPiece->size() : sentencePiece ? sentencePiece->size() : 0;
}

int TokenizerJson::id(std::string_view token) const {
  return byteLevel       ? byteLevel->id(token)
         : wordPiece     ? wordPiece->id(token)
         : sentencePiece ? sentencePiece->id(token)
                         : -1;
}

TokenizerJson parseTokenizerJson(std::string_view text, const std::string& what) {
  const Reader r("'" + what + "'");
  const JsonValue root = parseJson(text, what);
  if (!root.isObject()) r.fail("it is not a JSON object");
  const JsonValue* model = r.member(root, "model");
  if (!model) r.fail("it has no \"model\"");
  // Older files leave the model's type out: a BPE has merges, a WordPiece a continuing_subword_prefix.
  std::string type = model->isObject() && model->find("type")                        ? r.type(*model, "model")
                     : model->isObject() && model->find("merges")                    ? "BPE"
                     : model->isObject() && model->find("continuing_subword_prefix") ? "WordPiece"
                                                                                     : r.type(*model, "model");
  if (type != "BPE" && type != "WordPiece")
    r.fail("model '" + quoted(type) + "' is not read: expected BPE or WordPiece");
  const JsonValue* added = r.member(root, "added_tokens");
  if (added && !added->isArray()) r.fail("added_tokens is not a list");
  std::vector<std::string> specials, lstrip;
  if (added)
    for (const JsonValue& a : added->items()) {
      if (!a.isObject()) r.fail("added_tokens has an entry that is not an object");
      const std::string content = r.text(a, "content", "", "added token");
      if (r.flag(a, "rstrip", false, "added token") || r.flag(a, "single_word", false, "added token"))
        r.fail("added token '" + quoted(content) + "' with rstrip or single_word is not read: expected lstrip at most");
      specials.push_back(content);
      if (r.flag(a, "lstrip", false, "added token")) lstrip.push_back(content);
    }
  TextSteps steps;
  readNormalizer(r, root, steps);
  readPreTokenizer(r, root, steps);
  TokenizerJson t;
  t.addedTokens = specials;
  std::vector<std::string> tokens = vocabulary(r, *model, added);
  const std::string unknown = r.text(*model, "unk_token", "", "model");
  if (type == "WordPiece") {
    if (!steps.bertNormalizer || !steps.bertPreTokenizer || steps.spaces || steps.byteLevel)
      r.fail("a WordPiece model is read with BertNormalizer and BertPreTokenizer only");
    if (r.text(*model, "continuing_subword_prefix", "##", "model") != "##")
      r.fail("model WordPiece continuing_subword_prefix other than '##' is not read");
    if (const JsonValue* most = r.member(*model, "max_input_chars_per_word"); most && !(most->asInteger() == 100))
      r.fail("model WordPiece max_input_chars_per_word other than 100 is not read");
    for (const std::string& token : tokens)
      if (token.empty()) r.fail("a WordPiece vocabulary must use every id from 0; one is missing");
    t.kind = TokenizerJson::Kind::WordPiece;
    t.wordPiece = WordPiece::build(std::move(tokens), unknown.empty() ? "[UNK]" : unknown, "tokenizer " + r.what());
    t.wordPiece->setLowercase(steps.lowercase);
    t.wordPiece->setSpecialTokens(specials);
  } else {
    if (const JsonValue* d = r.member(*model, "dropout"); d && !(d->isNumber() && d->asDouble() == 0))
      r.fail("model BPE dropout is not read: expected null (the same tokens every time)");
    if (!r.text(*model, "continuing_subword_prefix", "", "model").empty() ||
        !r.text(*model, "end_of_word_suffix", "", "model").empty())
      r.fail("model BPE with a continuing_subword_prefix or end_of_word_suffix is not read");
    if (r.flag(*model, "ignore_merges", false, "model"))
      r.fail("model BPE ignore_merges true is not read: expected false");
    if (steps.bertNormalizer || steps.bertPreTokenizer) r.fail("a BPE model is not read with Bert's normalizer");
    if (steps.byteLevel) {
      if (steps.spaces) r.fail("a ByteLevel pre-tokenizer is not read with '\u2581' for spaces");
      t.kind = TokenizerJson::Kind::ByteLevel;
      t.byteLevel = ByteLevelBpe::build(std::move(tokens), merges(r, *model), "tokenizer " + r.what());
      t.byteLevel->setAddPrefixSpace(steps.addPrefixSpace);
      t.byteLevel->setSpecialTokens(specials, lstrip);
    } else if (steps.spaces) {
      SentencePieceBpe::Options o;
      o.byteFallback = r.flag(*model, "byte_fallback", false, "model");
      o.fuseUnknown = r.flag(*model, "fuse_unk", false, "model");
      o.unknown = unknown;
      o.prepend = steps.prepend;
      o.split = steps.split;
      t.kind = TokenizerJson::Kind::SentencePiece;
      t.sentencePiece = SentencePieceBpe::build(std::move(tokens), merges(r, *model), o, "tokenizer " + r.what());
      t.sentencePiece->setSpecialTokens(specials, lstrip);
    } else {
      r.fail("a BPE model is read with a ByteLevel pre-tokenizer or with '\u2581' for spaces (Replace or Metaspace)");
    }
  }
  readPostProcessor(r, root, t, t.prefix, t.suffix);
  return t;
}

TokenizerJson readTokenizerJson(const std::string& path) {
  return parseTokenizerJson(readSmallFile(path, kMostBytes, "a tokenizer.json"), path);
}

}  // namespace attnscope

#include "engine/codegen/deepspeed_config.h"

#include <map>

#include "engine/codegen/code_text.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope::codegen {

namespace {

const std::map<std::string, std::string>& classes() {
  static const std::map<std::string, std::string> table = {
      {"deepspeed-fixed", "FixedSparsityConfig"},
      {"deepspeed-variable", "VariableSparsityConfig"},
      {"deepspeed-bigbird", "BigBirdSparsityConfig"},
      {"deepspeed-bslongformer", "BSLongformerSparsityConfig"},
      {"deepspeed-local", "LocalSlidingWindowSparsityConfig"},
  };
  return table;
}

// The constructor's arguments in its order (num_heads first: it is the one without a default), AttnScope's seed
// left out. A list that may be None (global_block_end_indices) is None when empty.
struct Argument {
  std::string name;
  ParamValue value;
  bool none = false;
};

std::vector<Argument> arguments(const PatternSpec& spec, const ParamSet& values) {
  std::vector<Argument> args{{"num_heads", values.values().at("num_heads")}};
  for (const ParamSpec& p : spec.params()) {
    if (p.name == "num_heads" || p.name == "seed") continue;
    Argument a{p.name, values.values().at(p.name)};
    if (p.name == "global_block_end_indices") a.none = std::get<std::vector<Index>>(a.value).empty();
    args.push_back(std::move(a));
  }
  return args;
}

bool hasRandomBlocks(const ParamSet& values) {
  return values.has("num_random_blocks") && values.getInt("num_random_blocks") > 0;
}

}  // namespace

bool isDeepSpeedPattern(const PatternSpec& spec) {
  return spec.members().size() == 1 && classes().count(spec.members()[0]->name()) != 0;
}

std::string deepSpeedClass(const std::string& family) {
  const auto it = classes().find(family);
  return it == classes().end() ? std::string() : it->second;
}

void checkDeepSpeedPattern(const PatternSpec& spec) {
  if (!isDeepSpeedPattern(spec))
    throw Error("pattern '" + quoted(spec.name()) +
                "' has no DeepSpeed SparsityConfig: the DeepSpeed format takes deepspeed-fixed, deepspeed-variable, "
                "deepspeed-bigbird, deepspeed-bslongformer or deepspeed-local (any pattern can be written for "
                "FlexAttention)");
}

std::string deepspeedPython(const CheckedPattern& pattern, const Progress& progress) {
  checkDeepSpeedPattern(pattern.spec());
  const std::string family = pattern.spec().name(), cls = deepSpeedClass(family);
  const auto args = arguments(pattern.spec(), pattern.values());
  const Index n = pattern.n();
  const bool random = hasRandomBlocks(pattern.values());
  std::string call;
  for (const Argument& a : args)
    call += "    " + a.name + "=" + (a.none ? std::string("None") : pythonValue(a.value)) + ",\n";
  std::string header =
      "AttnScope pattern as a DeepSpeed sparsity config (deepspeed.ops.sparse_attention).\n\n"
      "pattern:  " +
      family + "\nseq_len:  " + withSeparators(n) + "\nlayout:   [" +
      std::to_string(pattern.values().getInt("num_heads")) + ", " +
      std::to_string(n / pattern.values().getInt("block")) + ", " +
      std::to_string(n / pattern.values().getInt("block")) + "] blocks of " +
      std::to_string(pattern.values().getInt("block")) + " tokens\n\n";
  if (random)
    header +=
        "DeepSpeed draws the num_random_blocks random blocks itself, with Python's random.sample, when\n"
        "make_layout runs: its draws differ from AttnScope's (seed " +
        std::to_string(pattern.values().getInt("seed")) +
        "). sparsity_config gives DeepSpeed's own draws;\nexact_config returns the layout AttnScope shows, "
        "cell for cell.\n";
  else
    header += "Nothing here is random: sparsity_config.make_layout(" + std::to_string(n) +
              ") gives the layout AttnScope shows, cell for cell.\n";
  std::string out = commentLines(header) + "\nfrom deepspeed.ops.sparse_attention import " + cls + "\n\n";
  out += "SEQ_LEN = " + std::to_string(n) + "\n\nsparsity_config = " + cls + "(\n" + call + ")\n";
  if (random) {
    const auto made = pattern.make(nullptr, progress);
    const SparseMask& layout = *made->blockLayout();
    const int heads = made->heads();
    const Index nb = layout.n();
    BitTable bits(std::uint64_t(heads) * std::uint64_t(nb) * std::uint64_t(nb));
    for (int h = 0; h < heads; ++h)
      for (Index r = 0; r < nb; ++r)
        for (KeyIndex c : layout.row(h, r)) bits.set((std::uint64_t(h) * nb + std::uint64_t(r)) * nb + c);
    out += "\n\nclass AttnScopeLayout(" + cls +
           "):\n"
           "    \"\"\"The same config, whose make_layout returns the layout AttnScope drew (random blocks "
           "included).\"\"\"\n\n"
           "    LAYOUT_BITS = " +
           pythonBase64Literal(bits.bytes(), "    ") +
           "\n\n"
           "    def make_layout(self, seq_len):\n"
           "        import base64\n"
           "        import torch\n"
           "        if seq_len != SEQ_LEN:\n"
           "            raise ValueError(f'this layout was built for seq_len = {SEQ_LEN}, not {seq_len}')\n"
           "        data = torch.frombuffer(bytearray(base64.b64decode(''.join(self.LAYOUT_BITS.split()))), "
           "dtype=torch.uint8)\n"
           "        bits = ((data.to(torch.int64).unsqueeze(1) >> torch.arange(8)) & 1).flatten()\n"
           "        blocks = SEQ_LEN // self.block\n"
           "        return bits[: self.num_heads * blocks * blocks].view(self.num_heads, blocks, blocks).clone()\n\n\n"
           "exact_config = AttnScopeLayout(\n" +
           call + ")\n";
  }
  out += "\n# Usage:\n# layout = " + std::string(random ? "exact_config" : "sparsity_config") +
         ".make_layout(SEQ_LEN)  # [num_heads, SEQ_LEN // block, SEQ_LEN // block]\n"
         "# from deepspeed.ops.sparse_attention import SparseSelfAttention\n"
         "# attention = SparseSelfAttention(sparsity_config=" +
         std::string(random ? "exact_config" : "sparsity_config") + ", max_seq_length=SEQ_LEN)\n";
  return out;
}

std::string deepspeedJson(const CheckedPattern& pattern) {
  checkDeepSpeedPattern(pattern.spec());
  const std::string family = pattern.spec().name();
  std::string out =
      "{\n  \"module\": \"deepspeed.ops.sparse_attention\",\n  \"class\": " + jsonString(deepSpeedClass(family)) +
      ",\n  \"args\": {\n";
  const auto args = arguments(pattern.spec(), pattern.values());
  for (std::size_t i = 0; i < args.size(); ++i)
    out += "    " + jsonString(args[i].name) + ": " + (args[i].none ? std::string("null") : jsonValue(args[i].value)) +
           (i + 1 < args.size() ? ",\n" : "\n");
  out += "  },\n  \"seq_len\": " + std::to_string(pattern.n()) +
         ",\n  \"attnscope\": {\n    \"pattern\": " + jsonString(family);
  if (pattern.values().has("seed")) {
    out += ",\n    \"seed\": " + std::to_string(pattern.values().getInt("seed"));
    out += ",\n    \"random_blocks\": " +
           jsonString(hasRandomBlocks(pattern.values())
                          ? "DeepSpeed draws them with Python's random.sample in make_layout, so they differ from "
                            "AttnScope's; the Python export carries AttnScope's exact layout"
                          : "none");
  }
  return out + "\n  }\n}\n";
}

std::pair<std::string, ParamTexts> deepspeedFromJson(const JsonValue& json, Index* seqLen) {
  if (!json.isObject())
    throw Error("a DeepSpeed export is a JSON object, not " + std::string(JsonValue::kindName(json.kind())));
  const JsonValue* cls = json.find("class");
  if (!cls || !cls->isString())
    throw Error(
        "a DeepSpeed export needs \"class\": one of FixedSparsityConfig, VariableSparsityConfig, "
        "BigBirdSparsityConfig, BSLongformerSparsityConfig, LocalSlidingWindowSparsityConfig");
  std::string family;
  for (const auto& [f, c] : classes())
    if (c == cls->asString()) family = f;
  if (family.empty())
    throw Error("\"class\": '" + quoted(cls->asString()) +
                "' is not allowed: expected FixedSparsityConfig, VariableSparsityConfig, BigBirdSparsityConfig, "
                "BSLongformerSparsityConfig or LocalSlidingWindowSparsityConfig");
  const PatternSpec spec = PatternSpec::parse(family);
  ParamTexts texts;
  const JsonValue* args = json.find("args");
  if (!args || !args->isObject()) throw Error("a DeepSpeed export needs \"args\": an object of constructor arguments");
  for (const auto& [key, value] : args->members()) {
    const ParamSpec* p = key == "seed" ? nullptr : spec.param(key);
    if (!p)
      throw Error("argument '" + quoted(key) + "' is not one of " + deepSpeedClass(family) + "'s (" + family + ")");
    std::string text;
    if (value.isNull()) {
      if (p->type != ParamType::IntList) throw Error("argument '" + key + "' may not be null");
      text = "none";
    } else if (value.isBool()) {
      text = value.asBool() ? "true" : "false";
    } else if (value.isNumber()) {
      const auto i = value.asInteger();
      if (!i) throw Error("argument '" + key + "' must be an integer");
      text = std::to_string(*i);
    } else if (value.isString()) {
      text = value.asString();
    } else if (value.isArray()) {
      for (const JsonValue& item : value.items()) {
        const auto i = item.isNumber() ? item.asInteger() : std::nullopt;
        if (!i) throw Error("argument '" + key + "' must be a list of integers");
        if (!text.empty()) text += ",";
        text += std::to_string(*i);
      }
      if (text.empty()) text = "none";
    } else {
      throw Error("argument '" + key + "' may not be " + JsonValue::kindName(value.kind()));
    }
    texts.emplace_back(key, text);
  }
  if (const JsonValue* extra = json.find("attnscope"); extra && extra->isObject())
    if (const JsonValue* seed = extra->find("seed"); seed && seed->isNumber() && seed->asInteger())
      texts.emplace_back("seed", std::to_string(*seed->asInteger()));
  if (seqLen)
    if (const JsonValue* s = json.find("seq_len"); s && s->isNumber() && s->asInteger()) *seqLen = *s->asInteger();
  return {family, texts};
}

}  // namespace attnscope::codegen

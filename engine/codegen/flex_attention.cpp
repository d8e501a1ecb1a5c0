#include "engine/codegen/flex_attention.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "engine/codegen/code_text.h"
#include "engine/patterns/union_pattern.h"
#include "engine/util/error.h"
#include "engine/util/format.h"

namespace attnscope::codegen {

namespace {

// Global tokens up to this many are written as comparisons; more become a table of n bits.
constexpr std::size_t kMaxComparedTokens = 8;
// Global block ranges up to this many are written as comparisons; more make the family a lookup.
constexpr std::size_t kMaxComparedRanges = 16;

std::string num(Index v) { return std::to_string(v); }
// Comparisons are always parenthesized: in Python & and | bind tighter than <=.
std::string cmp(const std::string& a, const char* op, const std::string& b) {
  return "(" + a + " " + op + " " + b + ")";
}
std::string all(const std::vector<std::string>& terms) {
  if (terms.size() == 1) return terms[0];
  std::string out;
  for (const std::string& t : terms) out += (out.empty() ? "(" : " & ") + t;
  return out + ")";
}
std::string any(const std::vector<std::string>& terms) {
  if (terms.empty()) return "(q_idx < 0)";  // False, as a tensor when the indices are tensors
  if (terms.size() == 1) return terms[0];
  std::string out;
  for (const std::string& t : terms) out += (out.empty() ? "(" : " | ") + t;
  return out + ")";
}

const std::string Q = "q_idx", K = "kv_idx";

// Whether a family is written as arithmetic for these values (else it is a lookup).
bool isArithmetic(const std::string& family, const ParamSet& p) {
  static const std::set<std::string> always = {
      "full",    "causal", "window",        "global",          "blocks",
      "strided", "fixed",  "hf-longformer", "deepspeed-fixed", "deepspeed-local"};
  if (always.count(family)) return true;
  if (family == "deepspeed-bslongformer") return p.getList("global_block_indices").size() <= kMaxComparedRanges;
  return false;
}

// The heads a member's lookup table holds, before it is made: its num_heads, or the inputs' heads for a family
// that reads inputs, else 1.
int lookupHeads(const PatternFamily& f, const ParamSet& p, int inputHeads) {
  if (f.needsInputs()) return inputHeads;
  for (const ParamSpec& s : f.params())
    if (s.name == "num_heads") return static_cast<int>(p.getInt("num_heads"));
  return 1;
}

Index blockOf(const PatternFamily& f, const ParamSet& p) {
  for (const char* name : {"block", "block_size"})
    for (const ParamSpec& s : f.params())
      if (s.name == name) return p.getInt(name);
  return 0;
}

double memberLookupBits(const PatternFamily& f, const ParamSet& p, Index n, int inputHeads) {
  if (isArithmetic(f.name(), p)) {
    if (f.name() == "global" || f.name() == "hf-longformer") {
      const auto& tokens = p.getList(f.name() == "global" ? "tokens" : "global_tokens");
      return tokens.size() > kMaxComparedTokens ? double(n) : 0.0;
    }
    return 0.0;
  }
  const double side = f.isBlockFamily() ? double(n / std::max<Index>(blockOf(f, p), 1)) : double(n);
  return double(lookupHeads(f, p, inputHeads)) * side * side;
}

// Writes one file: tables, member functions, the mask_mod functions.
class Writer {
 public:
  explicit Writer(std::string prefix) : prefix_(std::move(prefix)) {}

  // Writes the function for one member of a pattern; returns its name.
  std::string member(const PatternFamily& f, const ParamSet& p, const Pattern& made, Index n,
                     const Progress& progress) {
    const std::string name = prefix_ + "_" + identifier(f.name());
    std::string doc = f.name();
    std::string body;
    if (isArithmetic(f.name(), p)) {
      body = arithmetic(f, p, n);
      doc += ": arithmetic on the indices";
    } else {
      body = lookup(f, made, n, name, progress);
      doc += ": a lookup into the layout AttnScope built (" + reason(f) + ")";
      lookups_.push_back(f.name());
    }
    functions_ += "def " + name + "(b, h, q_idx, kv_idx):\n    \"\"\"" + doc + ".\"\"\"\n    return " + body + "\n\n\n";
    return name;
  }
  void raw(const std::string& text) { functions_ += text; }
  const std::string& functions() const { return functions_; }
  const std::string& tables() const { return tables_; }
  const std::vector<std::string>& lookups() const { return lookups_; }
  const std::vector<std::string>& tableNames() const { return tableNames_; }

 private:
  static std::string identifier(const std::string& family) {
    std::string out;
    for (char c : family) out += (c == '-' || c == '+') ? '_' : c;
    return out;
  }
  static std::string reason(const PatternFamily& f) {
    if (f.needsInputs()) return "it is chosen from the attention inputs, not by a rule on the indices";
    if (f.name() == "deepspeed-bslongformer") return "more global ranges than are worth writing out";
    return "its blocks are random draws";
  }

  std::string table(const std::string& name, const BitTable& bits, const std::string& shape) {
    tables_ += "# " + shape + ", bit i of byte i // 8 at i % 8\n" + name + " = _table(" +
               pythonBase64Literal(bits.bytes(), "") + ")\n";
    tableNames_.push_back(name);
    return name;
  }

  // Membership of index `x` in a sorted token list: comparisons, or a table of n bits.
  std::string tokens(const std::vector<Index>& list, const std::string& x, Index n, const std::string& tableName) {
    if (list.size() <= kMaxComparedTokens) {
      std::vector<std::string> terms;
      for (Index t : list) terms.push_back(cmp(x, "==", num(t)));
      return any(terms);
    }
    if (!tokenTables_.count(tableName)) {
      BitTable bits(static_cast<std::uint64_t>(n));
      for (Index t : list) bits.set(static_cast<std::uint64_t>(t));
      table(tableName, bits, "[" + num(n) + "] global tokens");
      tokenTables_.insert(tableName);
    }
    return "(_bit(" + tableName + ", " + x + " % " + num(n) + ") & " + cmp(x, "<", num(n)) + ")";
  }

  std::string window(Index radius, Index dilation, bool causal) {
    std::vector<std::string> terms;
    const std::string reach = num(radius * dilation);
    if (causal) {
      terms.push_back(cmp(K, "<=", Q));
      terms.push_back(cmp(Q + " - " + K, "<=", reach));
    } else {
      terms.push_back(cmp("abs(" + Q + " - " + K + ")", "<=", reach));
    }
    if (dilation > 1) terms.push_back(cmp("(" + Q + " - " + K + ") % " + num(dilation), "==", "0"));
    return all(terms);
  }

  std::string arithmetic(const PatternFamily& f, const ParamSet& p, Index n) {
    const std::string& family = f.name();
    std::string tokenTable;  // one table a member: a union may hold global and hf-longformer, each with its tokens
    for (char c : prefix_ + "_" + identifier(family) + "_TOKENS")
      tokenTable += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (family == "full") return cmp(Q, ">=", "0");
    if (family == "causal") return cmp(K, "<=", Q);
    if (family == "window") return window(p.getInt("radius"), p.getInt("dilation"), p.getBool("causal"));
    if (family == "global" || family == "hf-longformer") {
      const bool lf = family == "hf-longformer";
      std::vector<Index> list = p.getList(lf ? "global_tokens" : "tokens");
      std::sort(list.begin(), list.end());
      list.erase(std::unique(list.begin(), list.end()), list.end());
      std::vector<std::string> terms;
      if (lf) terms.push_back(window(p.getInt("attention_window") / 2, p.getInt("dilation"), false));
      if (!list.empty()) {
        terms.push_back(tokens(list, Q, n, tokenTable));
        terms.push_back(tokens(list, K, n, tokenTable));
      }
      return any(terms);
    }
    if (family == "blocks") {
      const std::string b = num(p.getInt("block"));
      return cmp(Q + " // " + b, "==", K + " // " + b);
    }
    if (family == "strided") {
      const std::string l = num(p.getInt("stride"));
      const std::string every = cmp("(" + Q + " - " + K + ") % " + l, "==", "0");
      if (p.getBool("causal")) return all({cmp(K, "<=", Q), any({cmp(Q + " - " + K, "<=", l), every})});
      return any({cmp("abs(" + Q + " - " + K + ")", "<=", l), every});
    }
    if (family == "fixed") {
      const Index l = p.getInt("stride"), c = p.getInt("c");
      std::string rule =
          any({cmp(Q + " // " + num(l), "==", K + " // " + num(l)), cmp(K + " % " + num(l), ">=", num(l - c))});
      return p.getBool("causal") ? all({cmp(K, "<=", Q), rule}) : rule;
    }
    // DeepSpeed's deterministic block layouts, on block indices.
    const Index block = p.getInt("block"), nb = n / block;
    const std::string qb = "(" + Q + " // " + num(block) + ")", kb = "(" + K + " // " + num(block) + ")";
    const bool uni = p.getChoice("attention") == "unidirectional";
    if (family == "deepspeed-local") {
      const Index w = p.getInt("num_sliding_window_blocks") / 2;
      if (uni) return all({cmp(kb, "<=", qb), cmp(qb + " - " + kb, "<=", num(w))});
      return cmp("abs(" + qb + " - " + kb + ")", "<=", num(w));
    }
    if (family == "deepspeed-bslongformer") {
      const Index w = p.getInt("num_sliding_window_blocks") / 2;
      const auto& starts = p.getList("global_block_indices");
      const auto& ends = p.getList("global_block_end_indices");
      std::vector<std::string> terms{cmp("abs(" + qb + " - " + kb + ")", "<=", num(w))};
      for (const std::string& x : {qb, kb})
        for (std::size_t g = 0; g < starts.size(); ++g) {
          const Index s = starts[g];
          if (s >= nb) continue;
          const Index e = ends.empty() ? s + 1 : std::min(ends[g], nb);
          terms.push_back(e == s + 1 ? cmp(x, "==", num(s)) : all({cmp(x, ">=", num(s)), cmp(x, "<", num(e))}));
        }
      return uni ? all({cmp(kb, "<=", qb), any(terms)}) : any(terms);
    }
    // deepspeed-fixed
    const Index local = p.getInt("num_local_blocks"), global = p.getInt("num_global_blocks");
    const bool horizontal = p.getBool("horizontal_global_attention");
    const Index patterns = p.getBool("different_layout_per_head") ? p.getInt("num_different_global_patterns") : 1;
    const std::string L = num(local);
    std::vector<std::string> localTerms{cmp(qb + " // " + L, "==", kb + " // " + L)};
    if (uni) localTerms.push_back(cmp(kb, "<=", qb));
    std::vector<std::string> terms{all(localTerms)};
    const Index end = nb - nb % local;
    for (Index pi = 0; pi < patterns; ++pi) {
      const Index first = local - (1 + pi) * global;
      std::vector<std::string> globals;
      if (end > 0) {
        // The chosen blocks of every complete window: as columns (from the window's first global block's row down
        // when unidirectional), and as rows when horizontal.
        std::vector<std::string> col{cmp(kb, "<", num(end)), cmp(kb + " % " + L, ">=", num(first)),
                                     cmp(kb + " % " + L, "<", num(first + global))};
        if (uni) col.push_back(cmp(qb, ">=", kb + " - " + kb + " % " + L + " + " + num(first)));
        globals.push_back(all(col));
        if (horizontal)
          globals.push_back(all({cmp(qb, "<", num(end)), cmp(qb + " % " + L, ">=", num(first)),
                                 cmp(qb + " % " + L, "<", num(first + global))}));
      }
      if (end < nb) {  // a short last window
        const Index start = std::min(end + first, nb - global);
        std::vector<std::string> col{cmp(kb, ">=", num(start)), cmp(kb, "<", num(start + global))};
        if (uni) col.push_back(cmp(qb, ">=", num(start)));
        globals.push_back(all(col));
        if (horizontal) globals.push_back(all({cmp(qb, ">=", num(start)), cmp(qb, "<", num(start + global))}));
      }
      std::string rule = any(globals);
      if (patterns > 1) rule = all({cmp("h % " + num(patterns), "==", num(pi)), rule});
      terms.push_back(rule);
    }
    return any(terms);
  }

  std::string lookup(const PatternFamily& f, const Pattern& made, Index n, const std::string& fn,
                     const Progress& progress) {
    std::string upper;
    for (char c : fn) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string name = upper + "_TABLE";
    const int heads = made.heads();
    const std::string H = num(heads), N = num(n);
    const std::string head = heads == 1 ? std::string("0") : "(h % " + H + ")";
    const std::string inRange = cmp(Q, "<", N) + " & " + cmp(K, "<", N);
    if (const SparseMask* layout = made.blockLayout(); layout && f.isBlockFamily()) {
      const Index nb = layout->n(), block = made.blockSize();
      BitTable bits(static_cast<std::uint64_t>(heads) * std::uint64_t(nb) * std::uint64_t(nb));
      for (int h = 0; h < heads; ++h)
        for (Index r = 0; r < nb; ++r)
          for (KeyIndex c : layout->row(h, r)) bits.set((std::uint64_t(h) * nb + std::uint64_t(r)) * nb + c);
      table(name, bits, "[" + H + ", " + num(nb) + ", " + num(nb) + "] block layout, blocks of " + num(block));
      const std::string NB = num(nb), B = num(block);
      return "(_bit(" + name + ", (" + head + " * " + NB + " + (" + Q + " % " + N + ") // " + B + ") * " + NB + " + (" +
             K + " % " + N + ") // " + B + ") & " + inRange + ")";
    }
    BitTable bits(static_cast<std::uint64_t>(heads) * std::uint64_t(n) * std::uint64_t(n));
    std::vector<KeyIndex> keys;
    for (int h = 0; h < heads; ++h)
      for (Index i = 0; i < n; ++i) {
        if ((i & 4095) == 0) progress.throwIfCancelled();
        made.generate(h, i, keys);
        for (KeyIndex k : keys) bits.set((std::uint64_t(h) * n + std::uint64_t(i)) * n + k);
      }
    table(name, bits, "[" + H + ", " + N + ", " + N + "] mask");
    return "(_bit(" + name + ", (" + head + " * " + N + " + " + Q + " % " + N + ") * " + N + " + " + K + " % " + N +
           ") & " + inRange + ")";
  }

  std::string prefix_;
  std::string functions_, tables_;
  std::vector<std::string> lookups_, tableNames_;
  std::set<std::string> tokenTables_;
};

const char* kPrelude = R"(import base64

try:
    import torch
except ImportError:  # mask_mod still runs on plain Python integers
    torch = None


def _table(text):
    """A bit table from its base64 text: a uint8 tensor when torch is there (FlexAttention indexes it with
    tensors), else bytes."""
    data = base64.b64decode("".join(text.split()))
    if torch is None:
        return data
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def _bit(table, index):
    """Bit `index` of a table, for Python integers and tensors alike."""
    return ((table[index >> 3] >> (index & 7)) & 1) == 1


)";

std::string paramsText(const PatternSpec& spec, const ParamSet& values) {
  std::string out;
  for (const ParamSpec& s : spec.params()) {
    if (!out.empty()) out += ", ";
    out += s.name + "=" + formatParam(values.values().at(s.name));
  }
  return out.empty() ? "none" : out;
}

// FlexAttention's block size: the pattern's own blocks when they suit its kernels (a power of two, 16 … 128), so
// the block mask is exact without partial blocks; else its default, 128.
Index flexBlockSize(const Pattern& made) {
  const Index b = made.blockSize();
  return b >= 16 && b <= 128 && (b & (b - 1)) == 0 ? b : 128;
}

// The tables moved to a device, for FlexAttention on a GPU.
std::string moveFunction(const std::vector<std::string>& tables) {
  std::string out =
      "def move_tables(device):\n    \"\"\"Moves the lookup tables to `device` (FlexAttention indexes them "
      "there): call it once, e.g. move_tables('cuda').\"\"\"\n";
  if (tables.empty()) return out + "    return None  # this pattern has no tables\n\n\n";
  out += "    global ";
  for (std::size_t i = 0; i < tables.size(); ++i) out += (i ? ", " : "") + tables[i];
  out += "\n    if torch is None:\n        return None\n";
  for (const std::string& t : tables) out += "    " + t + " = " + t + ".to(device)\n";
  return out + "\n\n";
}

struct PatternCode {
  std::string functionName;
  std::string describe;  // "window (radius=2, …)"
  int heads = 1;
  Index block = 128;
  std::vector<std::string> lookups;
};

// Writes the member functions and the mask_mod for one pattern into `w`.
PatternCode writePattern(Writer& w, const std::string& functionName, const CheckedPattern& checked,
                         const AttentionInputs* inputs, const Progress& progress) {
  const auto made = checked.make(inputs, progress.part(0.0, 0.5));
  const PatternSpec& spec = checked.spec();
  std::vector<const Pattern*> parts;
  if (const auto* u = dynamic_cast<const UnionPattern*>(made.get()))
    for (const auto& p : u->parts()) parts.push_back(p.get());
  else
    parts.push_back(made.get());
  std::vector<std::string> calls;
  const std::size_t before = w.lookups().size();
  for (std::size_t m = 0; m < spec.members().size(); ++m)
    calls.push_back(w.member(*spec.members()[m], checked.values(), *parts[m], checked.n(), progress.part(0.5, 1.0)) +
                    "(b, h, q_idx, kv_idx)");
  PatternCode code;
  code.functionName = functionName;
  code.describe = spec.name() + " (" + paramsText(spec, checked.values()) + ")";
  code.heads = made->heads();
  code.block = flexBlockSize(*made);
  code.lookups.assign(w.lookups().begin() + static_cast<std::ptrdiff_t>(before), w.lookups().end());
  std::string body;
  for (std::size_t i = 0; i < calls.size(); ++i) body += (i ? "\n        | " : "") + calls[i];
  w.raw("def " + functionName + "(b, h, q_idx, kv_idx):\n    \"\"\"True where query q_idx attends key kv_idx in head " +
        "h: " + code.describe + " at n = " + num(checked.n()) + ".\"\"\"\n    return " +
        (calls.size() > 1 ? "(\n        " + body + "\n    )" : body) + "\n\n\n");
  return code;
}

std::string lookupLine(const std::vector<std::string>& lookups) {
  if (lookups.empty()) return "Every part is arithmetic on the indices.";
  std::string names;
  for (const std::string& l : lookups) names += (names.empty() ? "" : ", ") + l;
  return "Written as a lookup into the layout AttnScope built: " + names +
         " (random or data-dependent: no rule on the indices gives it). The rest is arithmetic on the indices.";
}

}  // namespace

double checkFlexLookup(const CheckedPattern& pattern, int inputHeads) {
  double bits = 0;
  for (const PatternFamily* f : pattern.spec().members())
    bits += memberLookupBits(*f, pattern.values(), pattern.n(), inputHeads);
  if (bits > kMaxLookupBits)
    throw Error("n = " + withSeparators(pattern.n()) + " is too large to write '" + quoted(pattern.spec().name()) +
                "' for FlexAttention: its lookup table would hold " + withSeparators(static_cast<Index>(bits)) +
                " bits, over the limit of " + withSeparators(static_cast<Index>(kMaxLookupBits)) +
                " (choose a smaller n or larger blocks; the mask itself can be written with `mask --out FILE.npy`)");
  return bits;
}

std::string flexAttentionCode(const CheckedPattern& pattern, const AttentionInputs* inputs, const Progress& progress) {
  checkFlexLookup(pattern, inputs ? inputs->heads() : 1);
  Writer w("_mask");
  const PatternCode code = writePattern(w, "mask_mod", pattern, inputs, progress);
  const Index n = pattern.n();
  std::string header =
      "AttnScope pattern for PyTorch FlexAttention (torch.nn.attention.flex_attention).\n\n"
      "pattern:    " +
      pattern.spec().name() + "\nparameters: " + paramsText(pattern.spec(), pattern.values()) +
      "\nn:          " + withSeparators(n) + " (queries and keys)\nheads:      " + std::to_string(code.heads) +
      (code.heads > 1 ? " (mask_mod reads h)" : " (mask_mod ignores h)") + "\n\n" + lookupLine(code.lookups) +
      "\nmask_mod(b, h, q_idx, kv_idx) is True exactly where AttnScope's mask has a cell, for q_idx "
      "and kv_idx in 0 … " +
      num(n - 1) +
      ";\nit runs on tensors (FlexAttention) and on plain Python "
      "integers (no GPU needed to check it).\n";
  std::string out = commentLines(header) + "\n" + kPrelude;
  out += "N = " + num(n) + "\nHEADS = " + std::to_string(code.heads) + "\n\n\n";
  if (!w.tables().empty()) out += w.tables() + "\n\n";
  out += w.functions();
  out += moveFunction(w.tableNames());
  out +=
      "# Usage:\n"
      "# from torch.nn.attention.flex_attention import create_block_mask, flex_attention\n";
  if (!w.tableNames().empty()) out += "# move_tables('cuda')\n";
  out += "# block_mask = create_block_mask(mask_mod, B=None, H=" +
         (code.heads > 1 ? std::string("HEADS") : std::string("None")) +
         ", Q_LEN=N, KV_LEN=N, BLOCK_SIZE=" + num(code.block) +
         ", device='cuda')\n"
         "# out = flex_attention(q, k, v, block_mask=block_mask)  # q, k, v: [batch, heads, N, head_dim]\n";
  return out;
}

namespace {

// A stack's file: `unit` names its parts in messages and the header ("layer", or "fit" for a fitted model's distinct
// fits), `prefix` their functions; a model's stack (`layers`) also gets HEADS, MASK_MODS and the usage lines.
std::string stackFile(const LayerStack& stack, const Progress& progress, const std::string& unit,
                      const std::string& prefix, bool layers) {
  checkStack(stack);
  // Equal layers share one function; every distinct layer is checked for its tables before anything is made.
  std::vector<CheckedPattern> checked;
  std::vector<int> first(stack.layers.size());
  double bits = 0;
  for (std::size_t l = 0; l < stack.layers.size(); ++l) {
    first[l] = static_cast<int>(l);
    for (std::size_t e = 0; e < l; ++e)
      if (stack.layers[e].pattern == stack.layers[l].pattern && stack.layers[e].params == stack.layers[l].params) {
        first[l] = first[e];
        break;
      }
    if (first[l] != static_cast<int>(l)) continue;
    try {
      const PatternSpec spec = PatternSpec::parse(stack.layers[l].pattern);
      CheckedPattern one = CheckedPattern::check(spec, spec.resolve(stack.layers[l].params), stack.n);
      for (const PatternFamily* f : spec.members()) bits += memberLookupBits(*f, one.values(), stack.n, 1);
      checked.push_back(std::move(one));
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      throw Error(unit + " " + std::to_string(l) + ": " + e.what());
    }
  }
  if (bits > kMaxLookupBits)
    throw Error("n = " + withSeparators(stack.n) +
                " is too large to write this stack for FlexAttention: its lookup "
                "tables would hold " +
                withSeparators(static_cast<Index>(bits)) + " bits, over the limit of " +
                withSeparators(static_cast<Index>(kMaxLookupBits)) + " (choose a smaller n)");
  std::string functions, tables, layerLines;
  std::vector<std::string> allTables, lookups;
  std::vector<std::string> names(stack.layers.size()), headsOf(stack.layers.size());
  std::size_t made = 0;
  std::string headsList;
  for (std::size_t l = 0; l < stack.layers.size(); ++l) {
    if (first[l] != static_cast<int>(l)) {
      names[l] = names[static_cast<std::size_t>(first[l])];
      headsList += std::string(headsList.empty() ? "" : ", ") + headsOf[static_cast<std::size_t>(first[l])];
      layerLines += unit + " " + std::to_string(l) + ": as " + unit + " " + std::to_string(first[l]) + "\n";
      continue;
    }
    Writer w("_l" + std::to_string(l));
    names[l] = prefix + std::to_string(l);
    const double share = 1.0 / double(checked.size());
    const PatternCode code = writePattern(w, names[l], checked[made], nullptr,
                                          progress.part(double(made) * share, double(made + 1) * share));
    ++made;
    headsOf[l] = std::to_string(code.heads);
    headsList += std::string(headsList.empty() ? "" : ", ") + headsOf[l];
    tables += w.tables();
    functions += w.functions();
    allTables.insert(allTables.end(), w.tableNames().begin(), w.tableNames().end());
    for (const std::string& x : code.lookups) lookups.push_back(unit + " " + std::to_string(l) + " " + x);
    layerLines += unit + " " + std::to_string(l) + ": " + code.describe + ", " + std::to_string(code.heads) +
                  (code.heads == 1 ? " head" : " heads") + "\n";
  }
  std::string header =
      "AttnScope stack for PyTorch FlexAttention (torch.nn.attention.flex_attention).\n\n"
      "stack: " +
      stack.name + "\nn:     " + withSeparators(stack.n) + " (queries and keys)\n" + layerLines + "\n" +
      lookupLine(lookups) +
      (layers ? "\nMASK_MODS[l] is layer l's mask_mod: True exactly where AttnScope's mask of that layer has a cell.\n"
              : "\n");
  std::string out = commentLines(header) + "\n" + kPrelude + "N = " + num(stack.n) + "\n";
  out += layers ? "HEADS = [" + headsList + "]  # by layer\n\n" : "\n";
  if (!tables.empty()) out += tables + "\n\n";
  out += functions;
  std::string aliases;  // a layer equal to an earlier one is that layer's function under its own name too
  for (std::size_t l = 0; l < stack.layers.size(); ++l)
    if (first[l] != static_cast<int>(l)) aliases += prefix + std::to_string(l) + " = " + names[l] + "\n";
  if (!aliases.empty()) out += aliases + "\n\n";
  if (!layers) return out + moveFunction(allTables);
  out += "MASK_MODS = [\n";
  for (const std::string& name : names) out += "    " + name + ",\n";
  out += "]\n\n\n" + moveFunction(allTables);
  out +=
      "# Usage, one block mask per distinct layer:\n"
      "# from torch.nn.attention.flex_attention import create_block_mask, flex_attention\n"
      "# block_masks = [create_block_mask(m, B=None, H=h if h > 1 else None, Q_LEN=N, KV_LEN=N, device='cuda')\n"
      "#                for m, h in zip(MASK_MODS, HEADS)]\n"
      "# out = flex_attention(q, k, v, block_mask=block_masks[layer])\n";
  return out;
}

}  // namespace

std::string flexAttentionStackCode(const LayerStack& stack, const Progress& progress) {
  return stackFile(stack, progress, "layer", "mask_mod_layer_", /*layers=*/true);
}

std::string flexAttentionParts(const LayerStack& parts, const std::string& unit, const Progress& progress) {
  return stackFile(parts, progress, unit, unit + "_", /*layers=*/false);
}

}  // namespace attnscope::codegen

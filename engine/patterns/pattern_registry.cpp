#include "engine/patterns/pattern_registry.h"

#include <algorithm>

#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/patterns/families.h"
#include "engine/patterns/union_pattern.h"

namespace attnscope {

const std::vector<const PatternFamily*>& patternFamilies() {
  static const std::vector<const PatternFamily*> families = {
      &fullFamily(),
      &causalFamily(),
      &windowFamily(),
      &globalFamily(),
      &randomFamily(),
      &blocksFamily(),
      &stridedFamily(),
      &fixedFamily(),
      &hfLongformerFamily(),
      &hfBigBirdFamily(),
      &deepspeedFixedFamily(),
      &deepspeedVariableFamily(),
      &deepspeedBigBirdFamily(),
      &deepspeedBSLongformerFamily(),
      &deepspeedLocalFamily(),
      &lshFamily(),
      &topkFamily(),
      &routingFamily(),
  };
  return families;
}

const PatternFamily* findFamily(std::string_view name) {
  for (const PatternFamily* f : patternFamilies())
    if (f->name() == name) return f;
  return nullptr;
}

namespace {
std::string knownFamilies() {
  std::string out;
  for (const PatternFamily* f : patternFamilies()) out += (out.empty() ? "" : ", ") + f->name();
  return out;
}
}  // namespace

PatternSpec PatternSpec::parse(std::string_view name) {
  PatternSpec spec;
  spec.name_ = std::string(name);
  std::size_t start = 0;
  while (true) {
    const std::size_t plus = name.find('+', start);
    const std::string_view part = name.substr(start, plus == std::string_view::npos ? name.npos : plus - start);
    const PatternFamily* family = findFamily(part);
    if (!family)
      throw Error("pattern '" + quoted(part) + "' is unknown: expected one of " + knownFamilies() +
                  " (token-level ones may be joined with '+')");
    if (std::find(spec.members_.begin(), spec.members_.end(), family) != spec.members_.end())
      throw Error("pattern '" + quoted(spec.name_) + "' names '" + quoted(part) + "' twice");
    spec.members_.push_back(family);
    if (plus == std::string_view::npos) break;
    start = plus + 1;
  }
  if (spec.members_.size() > 1)
    for (const PatternFamily* f : spec.members_)
      if (f->isBlockFamily())
        throw Error("pattern '" + spec.name_ + "' joins the block family '" + f->name() +
                    "': only token-level families can be joined with '+'");
  for (const PatternFamily* f : spec.members_)
    for (const ParamSpec& p : f->params())
      if (!spec.param(p.name)) spec.params_.push_back(p);
  return spec;
}

const ParamSpec* PatternSpec::param(std::string_view name) const {
  for (const ParamSpec& p : params_)
    if (p.name == name) return &p;
  return nullptr;
}

ParamSet PatternSpec::defaults() const {
  ParamSet set;
  for (const ParamSpec& p : params_) set.set(p.name, p.defaultValue());
  return set;
}

ParamSet PatternSpec::resolve(const std::vector<std::pair<std::string, std::string>>& texts) const {
  ParamSet set = defaults();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto& [key, text] = texts[i];
    for (std::size_t j = 0; j < i; ++j)  // wherever the texts come from (-p, a typed stack, a stack file): once each
      if (texts[j].first == key)
        throw Error("parameter '" + quoted(key) + "' is given twice (" + quoted(key + "=" + texts[j].second) + " and " +
                    quoted(key + "=" + text) + "): give it once");
    const ParamSpec* p = param(key);
    if (!p) {
      std::string known;
      for (const ParamSpec& q : params_) known += (known.empty() ? "" : ", ") + q.name;
      throw Error("parameter '" + quoted(key) + "' is unknown for pattern '" + quoted(name_) + "': expected one of " +
                  (known.empty() ? std::string("(none: this pattern takes no parameters)") : known));
    }
    set.set(key, p->parse(text));
  }
  return set;
}

int PatternFamily::storedHeads(const ParamSet& p) const {
  if (!p.has("num_heads")) return 1;
  if (p.has("different_layout_per_head") && !p.getBool("different_layout_per_head")) return 1;
  return static_cast<int>(p.getInt("num_heads"));
}

double PatternFamily::makeBytes(const ParamSet&, Index n) const { return double(n); }

int PatternSpec::storedHeads(const ParamSet& values) const {
  int heads = 1;
  for (const PatternFamily* f : members_) heads = std::max(heads, f->storedHeads(values));
  return heads;
}

double PatternSpec::buildBytes(const ParamSet& values, Index n) const {
  const double bytes = makeBytes(values, n);
  const int heads = storedHeads(values);
  const double cells = std::min(double(heads) * double(n) * double(n), double(maskCellLimit()));
  return bytes + double(heads) * double(n + 1) * 8.0 + cells * 8.0;
}

double PatternSpec::makeBytes(const ParamSet& values, Index n) const {
  double bytes = 0;
  for (const PatternFamily* f : members_) bytes += f->makeBytes(values, n);
  return bytes;
}

void PatternSpec::checkBuildMemory(const ParamSet& values, Index n) const {
  for (const PatternFamily* f : members_) f->checkWork(values, n);
  checkMemory(buildBytes(values, n), "pattern '" + name_ + "' at n = " + withSeparators(n),
              "choose a smaller n, fewer heads or a sparser pattern");
}

bool PatternSpec::needsInputs() const {
  for (const PatternFamily* f : members_)
    if (f->needsInputs()) return true;
  return false;
}

std::unique_ptr<Pattern> PatternSpec::make(const ParamSet& values, Index n, const AttentionInputs* inputs,
                                           const Progress& progress) const {
  return CheckedPattern::check(*this, values, n).make(inputs, progress);
}

std::unique_ptr<Pattern> PatternSpec::makeForRows(const ParamSet& values, Index n) const {
  return CheckedPattern::check(*this, values, n, CheckedPattern::Use::Rows).make();
}

CheckedPattern CheckedPattern::check(PatternSpec spec, ParamSet values, Index n, Use use) {
  checkSequenceLength(n);
  for (const ParamSpec& p : spec.params()) {  // values may come from resolve() or be set directly (a config's stack)
    const auto it = values.values().find(p.name);
    if (it == values.values().end())
      throw Error("parameter '" + p.name + "' of pattern '" + spec.name() + "' has no value");
    p.check(it->second);
  }
  if (use == Use::Mask) {
    spec.checkBuildMemory(values, n);
  } else {
    for (const PatternFamily* f : spec.members()) f->checkWork(values, n);
    checkMemory(spec.makeBytes(values, n), "pattern '" + spec.name() + "' at n = " + withSeparators(n),
                "choose a smaller n or a sparser pattern");
  }
  return CheckedPattern(std::move(spec), std::move(values), n);
}

std::unique_ptr<Pattern> CheckedPattern::make(const AttentionInputs* inputs, const Progress& progress) const {
  if (inputs && inputs->n() != n_)
    throw Error("n = " + std::to_string(n_) + " is not allowed: the inputs have " + std::to_string(inputs->n()) +
                " tokens");
  const auto& members = spec_.members();
  auto one = [&](const PatternFamily* f, const Progress& part) {
    return f->needsInputs() && inputs ? f->makeFromInputs(values_, *inputs, part) : f->make(values_, n_, part);
  };
  if (members.size() == 1) return one(members[0], progress);
  std::vector<std::unique_ptr<Pattern>> parts;
  const double share = 1.0 / double(members.size());
  for (std::size_t i = 0; i < members.size(); ++i)
    parts.push_back(one(members[i], progress.part(double(i) * share, double(i + 1) * share)));
  return std::make_unique<UnionPattern>(n_, std::move(parts));
}

SparseMask PatternSpec::build(const std::vector<std::pair<std::string, std::string>>& texts, Index n,
                              const BuildOptions& options, const Progress& progress,
                              const AttentionInputs* inputs) const {
  return CheckedPattern::check(*this, resolve(texts), n).build(inputs, options, progress);
}

double CheckedPattern::makeShare() const { return spec_.needsInputs() ? 0.5 : 0.0; }

SparseMask CheckedPattern::build(const AttentionInputs* inputs, const BuildOptions& options,
                                 const Progress& progress) const {
  const double share = makeShare();
  return buildMask(*make(inputs, progress.part(0.0, share)), options, progress.part(share, 1.0));
}

ParamSpec intParam(std::string name, Index def, Index min, Index max, std::string help) {
  ParamSpec p{std::move(name), ParamType::Int, std::to_string(def), min, max, {}, std::move(help)};
  return p;
}

ParamSpec boolParam(std::string name, bool def, std::string help) {
  ParamSpec p{std::move(name), ParamType::Bool, def ? "true" : "false", 0, 1, {}, std::move(help)};
  return p;
}

ParamSpec choiceParam(std::string name, std::string def, std::vector<std::string> choices, std::string help) {
  ParamSpec p{std::move(name), ParamType::Choice, std::move(def), 0, 0, std::move(choices), std::move(help)};
  return p;
}

ParamSpec listParam(std::string name, std::string def, Index min, Index max, bool mayBeEmpty, std::string help) {
  ParamSpec p{std::move(name), ParamType::IntList, std::move(def), min, max, {}, std::move(help), mayBeEmpty};
  return p;
}

void rejectN(const std::string& family, Index n, const std::string& reason) {
  throw Error("n = " + std::to_string(n) + " is not allowed for " + family + ": " + reason);
}

}  // namespace attnscope

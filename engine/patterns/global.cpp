// `global`: a few tokens (a CLS token, say) attend every key and are attended by every query.
#include "engine/patterns/families.h"
#include "engine/patterns/local_global.h"

namespace attnscope {
namespace {

class GlobalFamily : public PatternFamily {
 public:
  std::string name() const override { return "global"; }
  std::string summary() const override { return "global tokens attend every key and are attended by every query"; }
  std::vector<ParamSpec> params() const override {
    return {listParam("tokens", "0", 0, kMaxTokens, true, "indices of the global tokens, e.g. 0 for a CLS token")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    LocalGlobalShape s;
    s.window = false;
    s.globals = tokenList(name(), "tokens", p.getList("tokens"), n);
    return std::make_unique<LocalGlobalPattern>(n, s);
  }
};

}  // namespace

const PatternFamily& globalFamily() {
  static const GlobalFamily family;
  return family;
}

}  // namespace attnscope

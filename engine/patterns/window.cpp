// `window`: a sliding window, optionally dilated (Longformer) and causal.
#include "engine/patterns/families.h"
#include "engine/patterns/local_global.h"

namespace attnscope {
namespace {

class WindowFamily : public PatternFamily {
 public:
  std::string name() const override { return "window"; }
  std::string summary() const override {
    return "sliding window: query i attends keys i-radius·dilation … i+radius·dilation at steps of dilation";
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("radius", 2, 0, kMaxTokens, "keys on each side of the query (a window of 5 has radius 2)"),
            intParam("dilation", 1, 1, 65536, "gap between attended keys, as in Longformer's dilated window"),
            boolParam("causal", false, "keep only keys at or before the query")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    LocalGlobalShape s;
    s.radius = p.getInt("radius");
    s.dilation = p.getInt("dilation");
    s.causal = p.getBool("causal");
    return std::make_unique<LocalGlobalPattern>(n, s);
  }
};

}  // namespace

const PatternFamily& windowFamily() {
  static const WindowFamily family;
  return family;
}

}  // namespace attnscope

// `hf-longformer`: Hugging Face Longformer's attention: attention_window is the whole (even) window, so each
// token sees attention_window/2 keys on each side; global tokens (global_attention_mask = 1) attend and are
// attended by all. dilation follows the original allenai code's per-layer attention_dilation.
#include "engine/util/error.h"
#include "engine/masks/params.h"
#include "engine/patterns/families.h"
#include "engine/patterns/local_global.h"

namespace attnscope {
namespace {

class HfLongformerFamily : public PatternFamily {
 public:
  std::string name() const override { return "hf-longformer"; }
  std::string summary() const override {
    return "Hugging Face Longformer: sliding window of attention_window (attention_window/2 each side) plus global "
           "tokens";
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("attention_window", 512, 2, kMaxTokens,
                     "the whole window, even: each token sees attention_window/2 keys on each side"),
            listParam("global_tokens", "0", 0, kMaxTokens, true,
                      "tokens with global_attention_mask = 1 (0 is the <s>/CLS token)"),
            intParam("dilation", 1, 1, 65536, "attention_dilation of the original Longformer (1: none)")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    const Index w = p.getInt("attention_window");
    if (w % 2 != 0) throw Error(paramError("attention_window", std::to_string(w), "expected an even integer ≥ 2"));
    LocalGlobalShape s;
    s.radius = w / 2;
    s.dilation = p.getInt("dilation");
    s.globals = tokenList(name(), "global_tokens", p.getList("global_tokens"), n);
    return std::make_unique<LocalGlobalPattern>(n, s);
  }
};

}  // namespace

const PatternFamily& hfLongformerFamily() {
  static const HfLongformerFamily family;
  return family;
}

}  // namespace attnscope

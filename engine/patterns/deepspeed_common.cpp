#include "engine/patterns/deepspeed_common.h"

#include "engine/util/error.h"
#include "engine/masks/params.h"

namespace attnscope::deepspeed {

ParamSpec blockParam() { return intParam("block", 16, 1, 65536, "block size; n must be a multiple of it"); }
ParamSpec numHeadsParam() { return intParam("num_heads", 1, 1, 256, "attention heads of the layer"); }
ParamSpec differentLayoutParam() {
  return boolParam("different_layout_per_head", false, "give each head its own layout (else all copy head 0)");
}
ParamSpec attentionParam(const std::string& def) {
  return choiceParam("attention", def, {"bidirectional", "unidirectional"},
                     "unidirectional (autoregressive) keeps the lower block triangle");
}
ParamSpec seedParam() { return intParam("seed", 0, 0, kMaxTokens, "random seed for the random blocks"); }

bool unidirectional(const ParamSet& p) { return p.getChoice("attention") == "unidirectional"; }

std::unique_ptr<BlockPattern> assemble(Index n, Index block, int heads, bool perHead,
                                       const std::function<DenseLayout(int)>& makeHead,
                                       const std::function<int(int)>& sameAs) {
  std::vector<std::shared_ptr<const CsrRows>> layouts;
  const int layoutHeads = perHead ? heads : 1;
  for (int h = 0; h < heads; ++h) {
    if (h >= layoutHeads)
      layouts.push_back(layouts[0]);
    else if (sameAs && sameAs(h) != h)
      layouts.push_back(layouts[sameAs(h)]);
    else
      layouts.push_back(makeHead(h).toRows());
  }
  return std::make_unique<BlockPattern>(n, block, std::move(layouts));
}

void requireBlocks(const std::string& param, Index value, Index nb, const std::string& what) {
  if (value > nb)
    throw Error(paramError(param, std::to_string(value),
                           "it must not exceed the " + std::to_string(nb) + " blocks of " + what));
}

void checkGlobalRanges(const std::vector<Index>& starts, const std::vector<Index>& ends) {
  if (ends.empty()) return;
  if (starts.size() != ends.size())
    throw Error(paramError("global_block_end_indices", formatParam(ends),
                           "it needs as many entries as global_block_indices (" + std::to_string(starts.size()) + ")"));
  for (std::size_t i = 0; i < starts.size(); ++i)
    if (starts[i] >= ends[i])
      throw Error(paramError("global_block_end_indices", formatParam(ends),
                             "each end must be greater than its start (" + std::to_string(starts[i]) + " ≥ " +
                                 std::to_string(ends[i]) + ")"));
}

void noteIgnoredGlobals(BlockPattern& pattern, const std::vector<Index>& starts, Index nb) {
  for (Index s : starts)
    if (s >= nb)
      pattern.addNote("global block " + std::to_string(s) + " lies beyond the " + std::to_string(nb) +
                      " blocks and is ignored, as DeepSpeed does");
}

}  // namespace attnscope::deepspeed

// `blocks`: blockwise (block-diagonal) attention: query and key attend each other when they share a block.
// A token-level family (it joins unions) that also keeps its diagonal block layout.
#include <numeric>

#include "engine/masks/params.h"
#include "engine/patterns/families.h"

namespace attnscope {
namespace {

class BlocksPattern : public Pattern {
 public:
  BlocksPattern(Index n, Index block) : Pattern(n), block_(block) {
    const Index nb = n / block;
    auto rows = std::make_shared<CsrRows>();
    rows->offsets.resize(nb + 1);
    rows->keys.resize(nb);
    for (Index b = 0; b <= nb; ++b) rows->offsets[b] = b;
    for (Index b = 0; b < nb; ++b) rows->keys[b] = static_cast<KeyIndex>(b);
    layout_ = SparseMask(nb, {rows});
  }
  void generate(int h, Index i, std::vector<KeyIndex>& keys) const override {
    keys.resize(block_);
    fill(h, i, keys.data());
  }
  bool hasCheapDegree() const override { return true; }
  Index degree(int, Index) const override { return block_; }
  void fill(int, Index i, KeyIndex* out) const override {
    std::iota(out, out + block_, static_cast<KeyIndex>((i / block_) * block_));
  }
  Index blockSize() const override { return block_; }
  const SparseMask* blockLayout() const override { return &layout_; }

 private:
  Index block_;
  SparseMask layout_;
};

class BlocksFamily : public PatternFamily {
 public:
  std::string name() const override { return "blocks"; }
  std::string summary() const override {
    return "blockwise: the sequence is cut into blocks and each token attends only its own block";
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("block", 4, 1, kMaxTokens, "tokens per block; n must be a multiple of it")};
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress&) const override {
    const Index block = p.getInt("block");
    if (n % block != 0) rejectN(name(), n, "it must be a multiple of block = " + std::to_string(block));
    return std::make_unique<BlocksPattern>(n, block);
  }
};

}  // namespace

const PatternFamily& blocksFamily() {
  static const BlocksFamily family;
  return family;
}

}  // namespace attnscope

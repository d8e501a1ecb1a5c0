#pragma once
// Rows made of a (possibly dilated, possibly causal) sliding window and a set of global tokens.
// Shared by the `window`, `global` and `hf-longformer` families.

#include <vector>

#include "engine/masks/pattern.h"

namespace attnscope {

struct LocalGlobalShape {
  bool window = true;  ///< whether the window part is present
  Index radius = 0;    ///< keys i + k·dilation for −radius ≤ k ≤ radius
  Index dilation = 1;
  bool causal = false;         ///< only k ≤ 0 (the window part; global tokens are unaffected)
  std::vector<Index> globals;  ///< attend every key and are attended by every query
};

class LocalGlobalPattern : public Pattern {
 public:
  LocalGlobalPattern(Index n, LocalGlobalShape shape);
  void generate(int h, Index i, std::vector<KeyIndex>& keys) const override;
  bool hasCheapDegree() const override { return true; }
  Index degree(int h, Index i) const override;
  void fill(int h, Index i, KeyIndex* out) const override;
  void keyRuns(int h, Index i, std::vector<KeyRun>& runs) const override;
  bool hasCheapRuns() const override { return s_.dilation == 1 || !s_.window || s_.radius == 0; }

 private:
  // The window's k range for query i, clipped to the sequence.
  void windowRange(Index i, Index& kmin, Index& kmax) const;
  bool inWindow(Index i, Index key) const;

  LocalGlobalShape s_;
  std::vector<char> isGlobal_;
};

/// Sorts, de-duplicates and checks a list of token indices against n; throws Error naming `param`.
std::vector<Index> tokenList(const std::string& family, const std::string& param, std::vector<Index> tokens, Index n);

}  // namespace attnscope

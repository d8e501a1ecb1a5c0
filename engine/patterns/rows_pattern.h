#pragma once
// A pattern whose rows were computed whole when it was made (the data-dependent families: lsh, topk, routing).

#include <memory>
#include <vector>

#include "engine/masks/pattern.h"

namespace attnscope {

class RowsPattern : public Pattern {
 public:
  RowsPattern(Index n, std::vector<std::shared_ptr<const CsrRows>> heads) : Pattern(n), heads_(std::move(heads)) {}
  int heads() const override { return static_cast<int>(heads_.size()); }
  void generate(int h, Index i, std::vector<KeyIndex>& keys) const override {
    const auto r = heads_[h]->row(i);
    keys.assign(r.begin(), r.end());
  }
  bool hasCheapDegree() const override { return true; }
  Index degree(int h, Index i) const override { return static_cast<Index>(heads_[h]->row(i).size()); }
  void fill(int h, Index i, KeyIndex* out) const override {
    const auto r = heads_[h]->row(i);
    std::copy(r.begin(), r.end(), out);
  }

 private:
  std::vector<std::shared_ptr<const CsrRows>> heads_;
};

}  // namespace attnscope

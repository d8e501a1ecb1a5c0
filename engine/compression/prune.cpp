#include "engine/compression/prune.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "engine/util/error.h"

namespace attnscope {

namespace {

void checkAmount(double amount) {
  if (!(amount >= 0.0 && amount < 1.0))
    throw Error("a pruning amount of " + std::to_string(amount) +
                " is not allowed: expected a share of the weights, 0 ≤ amount < 1");
}

// One entry in the ranking: its |w|, its tensor and its flat index.
struct Candidate {
  float magnitude;
  std::size_t tensor;
  std::size_t index;
};

// Prunes the `count` smallest candidates (ties: earlier tensor, then lower index) from `masks`.
void pruneSmallest(std::vector<Candidate>& candidates, Index count, std::vector<PruneMask>& masks) {
  if (count <= 0) return;
  const auto smaller = [](const Candidate& a, const Candidate& b) {
    if (a.magnitude != b.magnitude) return a.magnitude < b.magnitude;
    if (a.tensor != b.tensor) return a.tensor < b.tensor;
    return a.index < b.index;
  };
  std::nth_element(candidates.begin(), candidates.begin() + (count - 1), candidates.end(), smaller);
  for (Index c = 0; c < count; ++c) {
    const Candidate& x = candidates[std::size_t(c)];
    masks[x.tensor][x.index] = 0;
  }
}

}  // namespace

Index pruneCount(double amount, Index n) {
  checkAmount(amount);
  // Python's round(): the exact double amount · n, half to even (the default rounding mode).
  return static_cast<Index>(std::nearbyint(amount * double(n)));
}

PruneMask l1Unstructured(std::span<const float> weights, double amount, const PruneMask& previous) {
  std::vector<PruneMask> masks = globalUnstructured(
      {weights}, amount, previous.empty() ? std::vector<PruneMask>{} : std::vector<PruneMask>{previous});
  return std::move(masks.front());
}

std::vector<PruneMask> globalUnstructured(const std::vector<std::span<const float>>& tensors, double amount,
                                          const std::vector<PruneMask>& previous) {
  checkAmount(amount);
  if (!previous.empty() && previous.size() != tensors.size())
    throw Error("pruning " + std::to_string(tensors.size()) + " tensors with " + std::to_string(previous.size()) +
                " previous masks: expected one a tensor");
  std::vector<PruneMask> masks;
  std::vector<Candidate> candidates;
  for (std::size_t t = 0; t < tensors.size(); ++t) {
    const PruneMask* before = previous.empty() || previous[t].empty() ? nullptr : &previous[t];
    if (before && before->size() != tensors[t].size())
      throw Error("a previous mask of " + std::to_string(before->size()) + " entries cannot prune a tensor of " +
                  std::to_string(tensors[t].size()));
    masks.push_back(before ? *before : PruneMask(tensors[t].size(), 1));
    // Only what is still kept is ranked: pruning again prunes a share of what remains.
    for (std::size_t i = 0; i < tensors[t].size(); ++i) {
      if (std::isnan(tensors[t][i]))
        throw Error("weight " + std::to_string(i) + " of tensor " + std::to_string(t) +
                    " is NaN: its magnitude cannot be ranked");
      if (masks.back()[i]) candidates.push_back({std::fabs(tensors[t][i]), t, i});
    }
  }
  pruneSmallest(candidates, pruneCount(amount, Index(candidates.size())), masks);
  return masks;
}

void applyMask(std::span<float> weights, const PruneMask& mask) {
  if (mask.size() != weights.size())
    throw Error("a mask of " + std::to_string(mask.size()) + " entries cannot prune a tensor of " +
                std::to_string(weights.size()));
  for (std::size_t i = 0; i < weights.size(); ++i)
    if (!mask[i]) weights[i] = 0.0f;
}

}  // namespace attnscope

#include "engine/patterns/local_global.h"

#include <algorithm>
#include <numeric>

#include "engine/util/error.h"
#include "engine/masks/params.h"

namespace attnscope {

std::vector<Index> tokenList(const std::string& family, const std::string& param, std::vector<Index> tokens, Index n) {
  for (Index t : tokens)
    if (t < 0 || t >= n)
      throw Error(paramError(
          param, std::to_string(t),
          "token indices for " + family + " at n = " + std::to_string(n) + " must be 0 … " + std::to_string(n - 1)));
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  return tokens;
}

LocalGlobalPattern::LocalGlobalPattern(Index n, LocalGlobalShape shape) : Pattern(n), s_(std::move(shape)) {
  isGlobal_.assign(n, 0);
  for (Index g : s_.globals) isGlobal_[g] = 1;
}

void LocalGlobalPattern::windowRange(Index i, Index& kmin, Index& kmax) const {
  if (!s_.window) {
    kmin = 1;
    kmax = 0;
    return;
  }
  kmin = -std::min(s_.radius, i / s_.dilation);
  kmax = s_.causal ? 0 : std::min(s_.radius, (n() - 1 - i) / s_.dilation);
}

bool LocalGlobalPattern::inWindow(Index i, Index key) const {
  if (!s_.window) return false;
  const Index d = key - i;
  if (d % s_.dilation != 0) return false;
  const Index k = d / s_.dilation;
  return k >= -s_.radius && k <= (s_.causal ? 0 : s_.radius);
}

Index LocalGlobalPattern::degree(int, Index i) const {
  if (isGlobal_[i]) return n();
  Index kmin, kmax;
  windowRange(i, kmin, kmax);
  Index count = std::max<Index>(0, kmax - kmin + 1);
  for (Index g : s_.globals) count += !inWindow(i, g);
  return count;
}

void LocalGlobalPattern::fill(int, Index i, KeyIndex* out) const {
  if (isGlobal_[i]) {
    std::iota(out, out + n(), KeyIndex(0));
    return;
  }
  Index kmin, kmax;
  windowRange(i, kmin, kmax);
  // The window is the progression key, key + d, ... (left of them); global tokens outside it are merged in as
  // they come, and the runs of window keys between them are written by a tight loop.
  const Index d = s_.dilation;
  Index key = i + kmin * d;
  Index left = std::max<Index>(0, kmax - kmin + 1);
  auto run = [&](Index count) {
    for (Index t = 0; t < count; ++t) out[t] = static_cast<KeyIndex>(key + t * d);
    out += count;
    key += count * d;
    left -= count;
  };
  for (Index g : s_.globals) {
    if (inWindow(i, g)) continue;
    if (g > key) run(std::min(left, (g - key + d - 1) / d));
    *out++ = static_cast<KeyIndex>(g);
  }
  run(left);
}

void LocalGlobalPattern::keyRuns(int h, Index i, std::vector<KeyRun>& runs) const {
  if (s_.dilation != 1 && s_.window && s_.radius > 0) return Pattern::keyRuns(h, i, runs);
  runs.clear();
  if (isGlobal_[i]) {
    runs.push_back({0, n() - 1});
    return;
  }
  Index kmin, kmax;
  windowRange(i, kmin, kmax);
  const Index lo = i + kmin, hi = i + kmax;  // an empty window has lo > hi
  auto add = [&](Index a, Index b) {
    if (!runs.empty() && runs.back().last + 1 >= a)
      runs.back().last = std::max(runs.back().last, b);
    else
      runs.push_back({a, b});
  };
  bool windowDone = lo > hi;
  for (Index g : s_.globals) {
    if (!windowDone && lo <= g) {
      add(lo, hi);
      windowDone = true;
    }
    add(g, g);
  }
  if (!windowDone) add(lo, hi);
}

void LocalGlobalPattern::generate(int h, Index i, std::vector<KeyIndex>& keys) const {
  keys.resize(degree(h, i));
  fill(h, i, keys.data());
}

}  // namespace attnscope

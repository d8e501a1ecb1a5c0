// `lsh`: Reformer's data-dependent pattern (Kitaev et al. 2020; Hugging Face's LSHSelfAttention).
// Per head and hash round: random rotations R of the shared query/key vectors give each token the bucket
// argmax([xR; −xR]); tokens are sorted by (bucket, position) and cut into chunks of `chunk`; each chunk attends
// itself and the chunk before it (the first chunk wraps to the last, as Hugging Face's look-adjacent does).
// The mask is the union over rounds. As in Reformer, a token attends itself only when it has no other key.
// Identical vectors always share a bucket; being sorted by position within it, identical neighbours are
// neighbours in the sorted order, so the later always attends the earlier. Chunking makes no such promise for
// identical tokens far apart in a crowded bucket (nor does Reformer's).
// Decisions: the shared vectors are the queries (Reformer shares one projection for queries and keys); without
// inputs the family hashes seeded synthetic vectors (1 head, dim 64, seed 0), and `attnscope-cli` passes the
// same inputs as `run`.
#include "engine/patterns/lsh.h"

#include <algorithm>
#include <numeric>

#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"
#include "engine/masks/params.h"
#include "engine/patterns/families.h"
#include "engine/patterns/rows_pattern.h"
#include "engine/util/random.h"

namespace attnscope {

namespace lsh {

Matrix rotation(Index dim, Index buckets, std::uint64_t seed, int head, int round) {
  SplitMix64 rng = rowStream(seed ^ 0x15Bull, static_cast<std::uint64_t>(head), static_cast<std::uint64_t>(round));
  Matrix R(dim, buckets / 2);
  for (Index i = 0; i < R.rows(); ++i)
    for (Index j = 0; j < R.cols(); ++j) R(i, j) = static_cast<float>(rng.normal());
  return R;
}

std::vector<int> buckets(const Matrix& x, const Matrix& R) {
  const Matrix proj = x * R;
  const Index half = R.cols();
  std::vector<int> out(static_cast<std::size_t>(x.rows()));
  for (Index i = 0; i < x.rows(); ++i) {
    int best = 0;
    float bestValue = proj(i, 0);
    for (Index j = 1; j < 2 * half; ++j) {
      const float v = j < half ? proj(i, j) : -proj(i, j - half);
      if (v > bestValue) bestValue = v, best = static_cast<int>(j);
    }
    out[static_cast<std::size_t>(i)] = best;
  }
  return out;
}

}  // namespace lsh

namespace {

// Keys a row gathers over all hash rounds before duplicates are removed: its chunk and the previous one, each round.
Index roundKeys(const ParamSet& p, Index n) { return std::min(n, 2 * p.getInt("chunk")) * p.getInt("hashes"); }

class LshFamily : public PatternFamily {
 public:
  std::string name() const override { return "lsh"; }
  std::string summary() const override {
    return "Reformer LSH: tokens hashed into buckets by random rotations, sorted, and attending within chunks";
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("buckets", 8, 2, 65536, "number of hash buckets (even)"),
            intParam("hashes", 1, 1, 16, "hash rounds; the mask is their union"),
            intParam("chunk", 4, 1, kMaxTokens, "chunk length in the bucket-sorted order"),
            intParam("seed", 0, 0, kMaxTokens, "seed of the random rotations")};
  }
  bool needsInputs() const override { return true; }
  double makeBytes(const ParamSet& p, Index n) const override {
    // Synthetic inputs (Q, K, V of width 64) when none are given, each row's keys before they are de-duplicated
    // (a vector that may hold twice what it needs), and the sort order and buckets of one hash round.
    return 3.0 * double(n) * 64 * 4 + double(n) * (24 + 8.0 * double(roundKeys(p, n))) + 16.0 * double(n);
  }

  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress& progress) const override {
    return makeFromInputs(p, syntheticInputs(1, n, 64, 0), progress);
  }

  std::unique_ptr<Pattern> makeFromInputs(const ParamSet& p, const AttentionInputs& in,
                                          const Progress& progress) const override {
    const Index nb = p.getInt("buckets"), chunk = p.getInt("chunk");
    if (nb % 2 != 0) throw Error(paramError("buckets", std::to_string(nb), "expected an even integer ≥ 2"));
    const int hashes = static_cast<int>(p.getInt("hashes"));
    const auto seed = static_cast<std::uint64_t>(p.getInt("seed"));
    const Index n = in.n();
    const double cells = double(in.heads()) * double(n) * double(roundKeys(p, n));
    if (cells > double(maskCellLimit()))
      throw Error(paramError("chunk", std::to_string(chunk),
                             "at n = " + withSeparators(n) + " the rows would gather up to " +
                                 withSeparators(static_cast<Index>(cells)) + " keys before duplicates go, over the " +
                                 withSeparators(maskCellLimit()) +
                                 "-cell limit; choose a smaller chunk or fewer hashes"));
    std::vector<std::shared_ptr<const CsrRows>> heads;
    for (int h = 0; h < in.heads(); ++h) {
      std::vector<std::vector<KeyIndex>> keys(static_cast<std::size_t>(n));
      for (int round = 0; round < hashes; ++round) {
        progress.throwIfCancelled();
        progress.report(double(h * (hashes + 1) + round) / (in.heads() * (hashes + 1)));
        const std::vector<int> bucket = lsh::buckets(in.q[h], lsh::rotation(in.dim(), nb, seed, h, round));
        std::vector<KeyIndex> order(static_cast<std::size_t>(n));
        std::iota(order.begin(), order.end(), KeyIndex(0));
        std::stable_sort(order.begin(), order.end(), [&](KeyIndex a, KeyIndex b) { return bucket[a] < bucket[b]; });
        const Index chunks = (n + chunk - 1) / chunk;
        for (Index c = 0; c < chunks; ++c) {
          const Index prev = (c + chunks - 1) % chunks;
          for (Index s = c * chunk; s < std::min(n, (c + 1) * chunk); ++s) {
            auto& row = keys[order[s]];
            for (Index t = c * chunk; t < std::min(n, (c + 1) * chunk); ++t) row.push_back(order[t]);
            if (prev != c)
              for (Index t = prev * chunk; t < std::min(n, (prev + 1) * chunk); ++t) row.push_back(order[t]);
          }
        }
      }
      auto rows = std::make_shared<CsrRows>();
      rows->offsets.push_back(0);
      progress.throwIfCancelled();
      progress.report(double(h * (hashes + 1) + hashes) / (in.heads() * (hashes + 1)));
      for (Index i = 0; i < n; ++i) {
        auto& row = keys[i];
        std::sort(row.begin(), row.end());
        row.erase(std::unique(row.begin(), row.end()), row.end());
        const auto self = std::find(row.begin(), row.end(), static_cast<KeyIndex>(i));
        if (row.size() > 1 && self != row.end()) row.erase(self);
        rows->keys.insert(rows->keys.end(), row.begin(), row.end());
        rows->offsets.push_back(static_cast<Index>(rows->keys.size()));
        std::vector<KeyIndex>().swap(row);
      }
      heads.push_back(std::move(rows));
    }
    progress.throwIfCancelled();
    progress.report(1.0);
    return std::make_unique<RowsPattern>(n, std::move(heads));
  }
};

}  // namespace

const PatternFamily& lshFamily() {
  static const LshFamily family;
  return family;
}

}  // namespace attnscope

// `hf-bigbird`: Hugging Face's block-sparse BigBird (ITC), reproduced from modeling_big_bird.py:
//   * the first and last query blocks attend every key block;
//   * query block 1 attends key blocks 0, 1, 2 and the last; query block nb−2 attends 0, nb−3, nb−2 and the last;
//     every other query block attends block 0, its 3-block window and the last block;
//   * each of query blocks 1 … nb−2 adds num_random_blocks random key blocks, drawn exactly as the library draws
//     them: np.random.seed(seed) once (the model passes the layer index), then
//       - for n in {1024, 3072, 4096}, the paper's plan: per head in turn, _bigbird_block_rand_mask over
//         max_position_embeddings with last_idx = 1024, keeping the first nb − 2 rows;
//       - otherwise _bigbird_block_rand_mask_with_head over the plan of _get_rand_attn_plan, row by row with the
//         heads innermost, each row a permutation of the plan segment's blocks keeping the first legal ones.
//   * mode=eval: since transformers PR #23056 the random indices stay zero when the module is not training, so every
//     random slot gathers block 0 again.
// The library concatenates the window, global and random key blocks before one softmax, so a random block that is
// also a window or global block (and block 0 in eval mode) is counted once more for every time it appears; the
// mask records those counts (BlockCopies) and the attention kernels weigh such keys accordingly.
#include <algorithm>
#include <map>

#include "engine/util/format.h"
#include "engine/util/numpy_random.h"
#include "engine/patterns/block_pattern.h"
#include "engine/patterns/families.h"

namespace attnscope {
namespace {

using Blocks = std::vector<std::int64_t>;
/// rand[h][row − 1]: the random key blocks of query block row (1 … nb−2) in head h.
using RandomBlocks = std::vector<std::vector<Blocks>>;

struct Draw {
  RandomBlocks rand;
  std::vector<std::string> notes;
};

Blocks range(std::int64_t lo, std::int64_t hi) {
  Blocks out;
  for (std::int64_t b = lo; b < hi; ++b) out.push_back(b);
  return out;
}

// numpy's `rand_attn[row, a:b] = values`: the values fill the slots, or one value is broadcast into all of them. Any
// other length makes numpy raise; we keep what was drawn and say so.
void assignSlots(Blocks& slots, std::size_t a, std::size_t b, const Blocks& values, Index queryBlock,
                 std::vector<std::string>& notes) {
  const std::size_t want = b - a;
  if (values.size() == want || values.size() == 1) {
    for (std::size_t t = 0; t < want; ++t) slots[a + t] = values[values.size() == 1 ? 0 : t];
    return;
  }
  for (std::size_t t = 0; t < want; ++t) slots[a + t] = t < values.size() ? values[t] : -1;
  if (notes.empty())
    notes.push_back("Hugging Face's generator finds only " + std::to_string(values.size()) +
                    " candidate random blocks for query block " + std::to_string(queryBlock) + " where it needs " +
                    std::to_string(want) + ", and fails at this length; the candidates it has are shown");
}

// _bigbird_block_rand_mask: the paper's plan, over max_seqlen, random blocks before last_idx = 1024.
void paperPlanHead(NumpyLegacyRandom& rng, Index maxBlocks, Index block, Index r, Index keepRows,
                   std::vector<Blocks>& rows, std::vector<std::string>& notes) {
  const Blocks middle = range(1, maxBlocks - 1);
  auto slice = [&](std::int64_t a, std::int64_t b) {
    a = std::clamp<std::int64_t>(a, 0, static_cast<std::int64_t>(middle.size()));
    b = std::clamp<std::int64_t>(b, a, static_cast<std::int64_t>(middle.size()));
    return Blocks(middle.begin() + a, middle.begin() + b);
  };
  std::int64_t last = maxBlocks - 1;
  if (1024 > 2 * block) last = 1024 / block - 1;
  for (Index i = 1; i < maxBlocks - 1; ++i) {
    const std::int64_t start = i - 2, end = i;
    Blocks pool;
    if (i == 1)
      pool = slice(2, last);
    else if (i == 2)
      pool = slice(3, last);
    else if (i == maxBlocks - 3 || i == maxBlocks - 2)
      pool = slice(0, last);
    else if (start > last)
      pool = slice(0, last);
    else if (end + 1 == last)
      pool = slice(0, start);
    else {
      pool = slice(0, start);
      const Blocks tail = slice(end + 1, last);
      pool.insert(pool.end(), tail.begin(), tail.end());
    }
    Blocks perm = rng.permutation(std::move(pool));
    if (perm.size() > static_cast<std::size_t>(r)) perm.resize(static_cast<std::size_t>(r));
    if (i <= keepRows) {
      Blocks slots(static_cast<std::size_t>(r), 0);
      assignSlots(slots, 0, slots.size(), perm, i, notes);
      rows.push_back(std::move(slots));
    } else if (perm.size() != static_cast<std::size_t>(r) && perm.size() != 1 && r > 0 && notes.empty()) {
      notes.push_back("Hugging Face's generator fails on a row past this length (too few candidate blocks)");
    }
  }
}

// _get_single_block_row_attention: a permutation of [start, end), keeping the first r legal blocks.
Blocks singleRow(NumpyLegacyRandom& rng, Index row, Index start, Index end, Index r) {
  const Blocks perm = rng.permutation(range(start, end));
  std::vector<std::int64_t> illegal = {row - 1, row, row + 1, 0, end - 1};
  if (row == 1) illegal.push_back(end - 2);
  if (row == end - 2) illegal.push_back(1);
  Blocks out;
  for (std::int64_t b : perm) {
    if (static_cast<Index>(out.size()) == r) break;
    if (std::find(illegal.begin(), illegal.end(), b) == illegal.end()) out.push_back(b);
  }
  return out;
}

// _get_rand_attn_plan followed by _bigbird_block_rand_mask_with_head (one global block each side, 1-block windows).
RandomBlocks planBased(NumpyLegacyRandom& rng, Index nb, Index r, int heads, std::vector<std::string>& notes,
                       const CancellationToken& token) {
  std::vector<Index> planBlocks, planNum;
  if (2 * r + 5 < nb) {
    planBlocks = {2 * r + 5, nb};
    planNum = {r, 0};
  } else if (r + 5 < nb) {
    planBlocks = {r + 5, nb};
    planNum = {r / 2, r - r / 2};
  } else {
    planBlocks = {nb};
    planNum = {r};
  }
  const std::size_t maxPlan =
      static_cast<std::size_t>(std::find(planBlocks.begin(), planBlocks.end(), nb) - planBlocks.begin());
  Index total = 0;
  for (std::size_t p = 0; p <= maxPlan; ++p) total += planNum[p];
  std::vector<std::vector<Blocks>> rand(
      static_cast<std::size_t>(heads),
      std::vector<Blocks>(static_cast<std::size_t>(nb), Blocks(static_cast<std::size_t>(total), 0)));
  auto sumTo = [&](std::size_t p) {
    Index s = 0;
    for (std::size_t q = 0; q < p; ++q) s += planNum[q];
    return s;
  };
  auto fill = [&](Index row, Index a, Index b, Index start, Index end, Index count) {
    token.throwIfCancelled();  // a row's draws for every head: up to the checkWork limit in all
    for (int h = 0; h < heads; ++h)
      assignSlots(rand[h][row], static_cast<std::size_t>(a), static_cast<std::size_t>(b),
                  singleRow(rng, row, start, end, count), row, notes);
  };
  for (std::size_t p = 0; p <= maxPlan; ++p) {
    Index rndCount = 0;
    if (p > 0) {
      if (planNum[p] > 0) {
        rndCount = sumTo(p);
        const Index curr = sumTo(p + 1);
        for (Index row = 1; row < planBlocks[p - 1]; ++row)
          fill(row, rndCount, curr, planBlocks[p - 1], planBlocks[p], planNum[p]);
      }
      for (std::size_t q = 0; q < p; ++q) {
        if (planNum[q] == 0) continue;
        for (Index row = planBlocks[p - 1]; row < planBlocks[p]; ++row) {
          const Index a = q > 0 ? sumTo(q) : 0, start = q > 0 ? planBlocks[q - 1] : 0;
          fill(row, a, sumTo(q + 1), start, planBlocks[q], planNum[q]);
        }
      }
    }
    if (planNum[p] == 0) continue;
    const Index curr = sumTo(p + 1);
    Index fromRow = 1, start = 0;
    if (p > 0) {
      rndCount = sumTo(p);
      fromRow = planBlocks[p - 1];
      start = planBlocks[p - 1];
    }
    for (Index row = fromRow; row < planBlocks[p]; ++row) fill(row, rndCount, curr, start, planBlocks[p], planNum[p]);
  }
  RandomBlocks out(static_cast<std::size_t>(heads));
  for (int h = 0; h < heads; ++h)
    for (Index row = 1; row + 1 < nb; ++row) out[h].push_back(rand[h][row]);
  return out;
}

Draw drawRandomBlocks(Index n, Index block, Index r, int heads, std::uint32_t seed, Index maxSeqLen, bool eval,
                      const CancellationToken& token) {
  const Index nb = n / block;
  Draw d;
  if (eval || nb < 2) {  // no randomness: every slot gathers block 0
    d.rand.assign(static_cast<std::size_t>(heads),
                  std::vector<Blocks>(static_cast<std::size_t>(std::max<Index>(nb - 2, 0)),
                                      Blocks(static_cast<std::size_t>(r), 0)));
    return d;
  }
  NumpyLegacyRandom rng(seed);
  if (n == 1024 || n == 3072 || n == 4096) {
    const Index maxBlocks = maxSeqLen / block;
    for (int h = 0; h < heads; ++h) {
      token.throwIfCancelled();
      std::vector<Blocks> rows;
      paperPlanHead(rng, maxBlocks, block, r, nb - 2, rows, d.notes);
      d.rand.push_back(std::move(rows));
    }
    d.notes.insert(d.notes.begin(), "n = " + withSeparators(n) +
                                        " uses the paper's plan: random blocks drawn over max_position_embeddings = " +
                                        withSeparators(maxSeqLen) + " among the first 1,024 tokens");
  } else {
    d.rand = planBased(rng, nb, r, heads, d.notes, token);
  }
  return d;
}

class HfBigBirdFamily : public PatternFamily {
 public:
  std::string name() const override { return "hf-bigbird"; }
  std::string summary() const override {
    return "Hugging Face BigBird (ITC): first/last blocks global, 3-block sliding window, random blocks drawn "
           "exactly as the library draws them (seed = layer index)";
  }
  bool isBlockFamily() const override { return true; }
  double makeBytes(const ParamSet& p, Index n) const override {
    const double draws =
        double(std::max(n, p.getInt("max_position_embeddings")) / std::max<Index>(p.getInt("block_size"), 1)) *
        double(p.getInt("num_random_blocks") + 4) * 16.0 * double(storedHeads(p));
    return layoutBytes(n, p.getInt("block_size"), storedHeads(p)) + draws;
  }
  std::vector<ParamSpec> params() const override {
    return {intParam("block_size", 64, 1, 65536, "tokens per block; n must be a multiple of it"),
            intParam("num_random_blocks", 3, 0, 64, "random key blocks per middle query block"),
            intParam("num_heads", 1, 1, 256, "heads; each draws its own random blocks"),
            intParam("seed", 0, 0, kMaxTokens, "np.random.seed before the draws: the model uses the layer index"),
            intParam("max_position_embeddings", 4096, 1, kMaxSequenceLength,
                     "the config's max_position_embeddings: the paper's plan (n = 1024, 3072, 4096) draws over it"),
            choiceParam("mode", "train", {"train", "eval"},
                        "eval: no random blocks; every random slot gathers block 0 again (transformers ≥ 4.29)")};
  }
  void checkWork(const ParamSet& p, Index n) const override {
    // Each middle query block of each head draws a permutation of up to every block (the paper's plan: of
    // max_position_embeddings / block_size blocks), as the library does with NumPy.
    if (p.getChoice("mode") == "eval" || p.getInt("num_random_blocks") == 0) return;
    const Index bs = std::max<Index>(p.getInt("block_size"), 1);
    const double blocks = double(std::max(n, p.getInt("max_position_embeddings")) / bs);
    const double draws = double(p.getInt("num_heads")) * blocks * blocks;
    if (draws > kMaxRandomDraws)
      throw Error(paramError("block_size", std::to_string(bs),
                             "at n = " + withSeparators(n) + " with " + std::to_string(p.getInt("num_heads")) +
                                 " heads, drawing the random blocks as the library does would take " +
                                 withSeparators(static_cast<Index>(draws)) + " random draws, over the limit of " +
                                 withSeparators(static_cast<Index>(kMaxRandomDraws)) +
                                 " (choose larger blocks, fewer heads or a smaller n)"));
  }
  std::unique_ptr<Pattern> make(const ParamSet& p, Index n, const Progress& progress) const override {
    const Index bs = p.getInt("block_size"), r = p.getInt("num_random_blocks");
    const Index nb = blockCount(name(), n, bs, "block_size");
    const int heads = static_cast<int>(p.getInt("num_heads"));
    const Index maxSeqLen = p.getInt("max_position_embeddings");
    const bool eval = p.getChoice("mode") == "eval";
    if (!eval && (n == 1024 || n == 3072 || n == 4096) && maxSeqLen / bs < nb)
      rejectN(name(), n,
              "the paper's plan draws over max_position_embeddings = " + withSeparators(maxSeqLen) +
                  ", which must be at least n");
    const Draw draw = drawRandomBlocks(n, bs, r, heads, static_cast<std::uint32_t>(p.getInt("seed")), maxSeqLen, eval,
                                       progress.token);

    std::vector<std::shared_ptr<const CsrRows>> layouts;
    BlockCopies copies;
    bool anyCopies = false;
    for (int h = 0; h < heads; ++h) {
      DenseLayout layout(nb);
      std::vector<BlockCopies::Entry> entries;
      layout.setRange(0, 1, 0, nb);
      layout.setRange(nb - 1, nb, 0, nb);
      for (Index row = 1; row + 1 < nb; ++row) {
        // The key blocks the library concatenates for this query block, each once, then the random ones.
        std::map<Index, int> count;
        if (row == 1)
          count = {{0, 1}, {1, 1}, {2, 1}, {nb - 1, 1}};
        else if (row == nb - 2)
          count = {{0, 1}, {nb - 3, 1}, {nb - 2, 1}, {nb - 1, 1}};
        else
          count = {{0, 1}, {row - 1, 1}, {row, 1}, {row + 1, 1}, {nb - 1, 1}};
        for (std::int64_t b : draw.rand[h][static_cast<std::size_t>(row - 1)])
          if (b >= 0) ++count[static_cast<Index>(b)];
        for (const auto& [b, times] : count) {
          if (b < 0 || b >= nb) continue;
          layout.set(row, b);
          if (times > 1) entries.push_back({row, b, times});
        }
      }
      anyCopies = anyCopies || !entries.empty();
      copies.heads.push_back(std::move(entries));
      auto rows = layout.toRows();
      // Heads whose layouts agree share storage (always in eval mode and without random blocks).
      for (const auto& earlier : layouts)
        if (earlier->offsets.size() == rows->offsets.size() &&
            std::equal(earlier->keys.begin(), earlier->keys.end(), rows->keys.begin(), rows->keys.end()) &&
            std::equal(earlier->offsets.begin(), earlier->offsets.end(), rows->offsets.begin())) {
          rows = earlier;
          break;
        }
      layouts.push_back(std::move(rows));
    }
    auto pattern = std::make_unique<BlockPattern>(n, bs, std::move(layouts));
    if (anyCopies) pattern->setBlockCopies(std::move(copies));
    for (const auto& note : draw.notes) pattern->addNote(note);
    if (eval && r > 0)
      pattern->addNote("eval mode: no random blocks; block 0 is gathered again in each of the " + std::to_string(r) +
                       " random slots, so it weighs " + std::to_string(r + 1) + " times in query blocks 1 … " +
                       std::to_string(nb - 2) + " (the attentions the library returns show one copy)");
    const Index limit = (5 + 2 * r) * bs;
    if (n <= limit)
      pattern->addNote(
          "Hugging Face would use full attention at this length: block-sparse attention needs n > (5 + "
          "2·num_random_blocks)·block_size = " +
          withSeparators(limit));
    return pattern;
  }
};

}  // namespace

const PatternFamily& hfBigBirdFamily() {
  static const HfBigBirdFamily family;
  return family;
}

}  // namespace attnscope

// Model stacks: reach through different layers against a plain boolean reference and hand-worked stacks, paths
// that name their layers, config.json fields as Hugging Face reads them, stack files, the short form, and costs.
#include <gtest/gtest.h>

#include <random>

#include "engine/io/json.h"
#include "engine/models/hf_config.h"
#include "engine/models/model_report.h"
#include "engine/models/stack_source.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::errorOf;

LayerStack typed(const std::string& form, Index n) {
  LayerStack s;
  s.n = n;
  s.layers = parseShortForm(form);
  return s;
}

StackGraph graphOf(const LayerStack& s) { return stackGraph(makeLayers(s)); }

// Plain reference: heard[i][j] after each layer, from the masks' cells (the union over heads).
std::vector<std::vector<std::vector<char>>> referenceReach(const LayerStack& s) {
  const Index n = s.n;
  std::vector<std::vector<char>> heard(n, std::vector<char>(n, 0));
  for (Index i = 0; i < n; ++i) heard[i][i] = 1;
  std::vector<std::vector<std::vector<char>>> after;
  for (const StackLayer& layer : s.layers) {
    const SparseMask m = PatternSpec::parse(layer.pattern).build(layer.params, n);
    auto next = heard;
    for (Index i = 0; i < n; ++i)
      for (int h = 0; h < m.heads(); ++h)
        for (KeyIndex k : m.row(h, i))
          for (Index j = 0; j < n; ++j)
            if (heard[k][j]) next[i][j] = 1;
    heard = next;
    after.push_back(heard);
  }
  return after;
}

void expectMatchesReference(const LayerStack& s, const StackReachOptions& options = {}) {
  const auto ref = referenceReach(s);
  const StackReach r = analyzeStack(graphOf(s), options);
  const double n = double(s.n);
  ASSERT_EQ(r.reachByLayer.size(), s.layers.size());
  for (std::size_t l = 0; l < ref.size(); ++l) {
    double pairs = 0, earlier = 0;
    for (Index i = 0; i < s.n; ++i)
      for (Index j = 0; j < s.n; ++j)
        if (i != j && ref[l][i][j]) {
          ++pairs;
          earlier += j < i;
        }
    EXPECT_NEAR(r.reachByLayer[l], pairs / (n * (n - 1)), 1e-12) << shortForm(s.layers) << " layer " << l + 1;
    EXPECT_NEAR(r.earlierReachByLayer[l], earlier / (n * (n - 1) / 2), 1e-12) << shortForm(s.layers);
  }
}

TEST(StackReach, WindowThenFullByHand) {
  // n = 8: a window of radius 1 connects the 14 neighbouring ordered pairs of 56; the full layer then connects all.
  const LayerStack s = typed("window radius=1, full", 8);
  const StackReach r = analyzeStack(graphOf(s));
  EXPECT_TRUE(r.exact);
  EXPECT_EQ(r.reachByLayer, (std::vector<double>{14.0 / 56.0, 1.0}));
  EXPECT_EQ(r.layersForFullReach, 2);
  EXPECT_EQ(r.unreachablePairs, 0);
}

TEST(StackReach, GemmaStylePatternOfThreeAtThirtyTwo) {
  // Layers s, s, f, s, s, f with causal windows of 4 keys (radius 3). Pairs j < i: 496 of 992 ordered pairs.
  // After layer 1, i has heard from i−3 … i−1: Σ min(i, 3) = 0 + 1 + 2 + 3·29 = 90 pairs; after layer 2 from
  // i−6 …: Σ min(i, 6) = 15 + 6·26 = 171; the full (causal) layer 3 connects all 496; later layers add nothing.
  const JsonValue cfg = parseJson(R"({"model_type": "gemma3_text", "num_hidden_layers": 6,
      "sliding_window_pattern": 3, "sliding_window": 4, "hidden_size": 64, "num_attention_heads": 2,
      "num_key_value_heads": 1})",
                                  "fixture");
  ConfigRequest request;
  request.n = 32;
  const LayerStack s = stackFromHfConfig(cfg, request, "fixture");
  ASSERT_EQ(s.layers.size(), 6u);
  EXPECT_EQ(s.layers[2].pattern, "causal");
  EXPECT_EQ(s.layers[0].pattern, "window");
  const StackReach r = analyzeStack(graphOf(s));
  const std::vector<double> want = {90.0 / 992, 171.0 / 992, 0.5, 0.5, 0.5, 0.5};
  for (std::size_t l = 0; l < want.size(); ++l) EXPECT_DOUBLE_EQ(r.reachByLayer[l], want[l]) << l;
  EXPECT_EQ(r.layersForFullEarlierReach, 3);
  EXPECT_FALSE(r.layersForFullReach);
  EXPECT_EQ(r.unreachablePairs, 496);
  expectMatchesReference(s);
}

TEST(StackReach, CausalPairsAboveTheDiagonalNeverConnect) {
  const LayerStack s = typed("window radius=2 causal=true ×3, causal ×2", 40);
  const StackReach r = analyzeStack(graphOf(s));
  EXPECT_EQ(r.unreachablePairs, 40.0 * 39 / 2);
  EXPECT_FALSE(r.layersForFullReach);
  EXPECT_EQ(r.layersForFullEarlierReach, 4);
  expectMatchesReference(s);
}

TEST(StackReach, MatchesThePlainReferenceOnMixedStacks) {
  const std::vector<std::pair<std::string, Index>> stacks = {
      {"window radius=2, random per_row=1 seed=3, window radius=1 causal=true, global tokens=5,17 ×2", 61},
      {"blocks block=4, strided stride=5 causal=false, window radius=1 ×3", 80},
      {"hf-bigbird block_size=4 num_heads=3 num_random_blocks=1, window radius=3 dilation=2, fixed stride=8 c=2", 96},
      {"window+global radius=1 tokens=0,7,33 ×2, lsh buckets=4 chunk=8", 64},
  };
  for (const auto& [form, n] : stacks) {
    const LayerStack s = typed(form, n);
    expectMatchesReference(s);
    // Sampling every token is exact too: the sampled path must agree.
    StackReachOptions sampled;
    sampled.maxExactWork = 0;
    sampled.sampleSources = static_cast<int>(n);
    const StackReach a = analyzeStack(graphOf(s)), b = analyzeStack(graphOf(s), sampled);
    EXPECT_FALSE(b.exact);
    for (std::size_t l = 0; l < a.reachByLayer.size(); ++l) EXPECT_NEAR(a.reachByLayer[l], b.reachByLayer[l], 1e-12);
  }
}

TEST(StackReach, RepeatedLayersAreSkippedOnceTheyChangeNothing) {
  // 32 causal windows of 16 at n = 64: every earlier key is heard after ⌈63/15⌉ = 5 layers; layer 6 changes
  // nothing, so layers 7 … 32 are skipped.
  const LayerStack s = typed("window radius=15 causal=true ×32", 64);
  const StackReach r = analyzeStack(graphOf(s));
  EXPECT_EQ(r.layersForFullEarlierReach, 5);
  EXPECT_EQ(r.layersComputed, 6);
  expectMatchesReference(typed("window radius=15 causal=true ×8", 64));
}

TEST(StackReach, LayerDensityCountsCellsPerTile) {
  // The diagonal at n = 4 on a 2 × 2 grid: each diagonal tile holds 2 of its 4 cells. The side never passes n.
  const StackGraph g = graphOf(typed("window radius=0, full", 4));
  EXPECT_EQ(layerDensity(*g.layers[0], 2), (std::vector<float>{0.5f, 0.0f, 0.0f, 0.5f}));
  EXPECT_EQ(layerDensity(*g.layers[1], 64), std::vector<float>(16, 1.0f));
}

TEST(StackPath, SevenHearsThreeThroughFiveInTwoLayers) {
  const StackGraph g = graphOf(typed("window radius=2 ×2", 16));
  const StackPath p = stackPath(g, 7, 3);
  ASSERT_EQ(p.layers, 2);
  ASSERT_EQ(p.hops.size(), 2u);
  EXPECT_EQ(p.hops[0].query, 7);
  EXPECT_EQ(p.hops[0].key, 5);
  EXPECT_EQ(p.hops[0].layer, 1);  // layer indices from 0, as Hugging Face's layer_idx
  EXPECT_EQ(p.hops[1].query, 5);
  EXPECT_EQ(p.hops[1].key, 3);
  EXPECT_EQ(p.hops[1].layer, 0);
  EXPECT_FALSE(stackPath(graphOf(typed("window radius=2 causal=true ×3", 16)), 3, 7).layers);  // never forward
}

TEST(StackPath, HopsAreValidAndLayersDecrease) {
  const LayerStack s = typed("window radius=1, random per_row=1 seed=9, window radius=2, full, window radius=1", 40);
  const auto ref = referenceReach(s);
  const StackGraph g = graphOf(s);
  std::mt19937 rng(4);
  for (int t = 0; t < 200; ++t) {
    const Index i = rng() % 40, j = rng() % 40;
    const StackPath p = stackPath(g, i, j);
    std::optional<int> first;
    for (std::size_t l = 0; l < ref.size() && !first; ++l)
      if (ref[l][i][j]) first = static_cast<int>(l + 1);
    if (i == j) first = 0;
    ASSERT_EQ(p.layers, first) << i << " " << j;
    if (!p.layers || i == j) continue;
    Index cur = i;
    int last = *p.layers;
    EXPECT_EQ(p.hops.front().layer, *p.layers - 1);
    for (const StackHop& h : p.hops) {
      EXPECT_EQ(h.query, cur);
      EXPECT_LT(h.layer, last);
      const SparseMask m = PatternSpec::parse(s.layers[h.layer].pattern).build(s.layers[h.layer].params, 40);
      EXPECT_TRUE(m.contains(0, h.query, h.key));
      cur = h.key;
      last = h.layer;
    }
    EXPECT_EQ(cur, j);
  }
}

// --- config.json fields ---------------------------------------------------------------------------------------

LayerStack fromConfig(const std::string& json, Index n, std::vector<Index> globals = {}) {
  ConfigRequest request;
  request.n = n;
  request.globals = std::move(globals);
  return stackFromHfConfig(parseJson(json, "config.json"), request, "config.json");
}

std::vector<std::string> patterns(const LayerStack& s) {
  std::vector<std::string> out;
  for (const auto& l : s.layers) out.push_back(l.describe());
  return out;
}

TEST(HfConfig, MistralSlidesEveryLayerOverWKeysEndingAtTheQuery) {
  const LayerStack s = fromConfig(R"({"model_type": "mistral", "num_hidden_layers": 3, "sliding_window": 4,
      "hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 2})",
                                  16);
  EXPECT_EQ(patterns(s), std::vector<std::string>(3, "window (radius=3, causal=true)"));
  // W = 4 keys including the query: i − 4 < j ≤ i.
  const SparseMask m = PatternSpec::parse("window").build(s.layers[0].params, 16);
  EXPECT_EQ(test::row(m, 10), (std::vector<Index>{7, 8, 9, 10}));
  EXPECT_EQ(s.dims.keyValueHeads, 2);
  EXPECT_EQ(s.dims.headDim, 8);
  EXPECT_TRUE(s.dims.gatedFeedForward);
  EXPECT_NE(s.derivation[0].find("sliding_window"), std::string::npos);
}

TEST(HfConfig, LayerTypesComeFirst) {
  const LayerStack s = fromConfig(R"({"model_type": "mistral", "num_hidden_layers": 3, "sliding_window": 8,
      "layer_types": ["full_attention", "sliding_attention", "full_attention"]})",
                                  32);
  EXPECT_EQ(patterns(s), (std::vector<std::string>{"causal", "window (radius=7, causal=true)", "causal"}));
  EXPECT_NE(errorOf([] {
              fromConfig(R"({"model_type": "llama", "num_hidden_layers": 3, "layer_types": ["full_attention"]})", 8);
            }).find("'layer_types' has 1 entries but num_hidden_layers = 3"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              fromConfig(R"({"model_type": "llama", "num_hidden_layers": 1, "layer_types": ["chunked_attention"]})", 8);
            }).find("layer_types[0] = \"chunked_attention\" is not supported"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              fromConfig(R"({"model_type": "llama", "num_hidden_layers": 1, "layer_types": ["sliding_attention"]})", 8);
            }).find("'sliding_window' is missing"),
            std::string::npos);
}

TEST(HfConfig, Gemma2AlternatesEvenSlidingOddFull) {
  const LayerStack s = fromConfig(R"({"model_type": "gemma2", "num_hidden_layers": 4, "sliding_window": 16})", 64);
  EXPECT_EQ(patterns(s), (std::vector<std::string>{"window (radius=15, causal=true)", "causal",
                                                   "window (radius=15, causal=true)", "causal"}));
  EXPECT_EQ(s.dims.headDim, 256);  // Gemma2Config's default head_dim, not hidden/heads
}

TEST(HfConfig, Gemma3NestedUnderTextConfigWithTheLibraryDefaults) {
  // As in the released 4B config: text_config leaves out the heads, head_dim and the pattern.
  const LayerStack s = fromConfig(R"({"model_type": "gemma3", "text_config": {"model_type": "gemma3_text",
      "hidden_size": 2560, "intermediate_size": 10240, "num_hidden_layers": 12, "sliding_window": 1024}})",
                                  2048);
  ASSERT_EQ(s.layers.size(), 12u);
  for (std::size_t l = 0; l < 12; ++l) EXPECT_EQ(s.layers[l].kind, (l + 1) % 6 == 0 ? "full" : "sliding") << l;
  EXPECT_EQ(s.dims.heads, 8);
  EXPECT_EQ(s.dims.keyValueHeads, 4);
  EXPECT_EQ(s.dims.headDim, 256);
  EXPECT_NE(s.derivation[0].find("text_config"), std::string::npos);
  EXPECT_NE(s.derivation[0].find("defaults for num_attention_heads"), std::string::npos);
}

TEST(HfConfig, Qwen2SlidesFromMaxWindowLayersWhenAsked) {
  const std::string base =
      R"({"model_type": "qwen2", "num_hidden_layers": 4, "sliding_window": 8, "max_window_layers": 2, "use_sliding_window": )";
  const LayerStack on = fromConfig(base + "true}", 32), off = fromConfig(base + "false}", 32);
  EXPECT_EQ(patterns(on), (std::vector<std::string>{"causal", "causal", "window (radius=7, causal=true)",
                                                    "window (radius=7, causal=true)"}));
  EXPECT_EQ(patterns(off), std::vector<std::string>(4, "causal"));
}

TEST(HfConfig, GptNeoExpandsAttentionTypes) {
  const LayerStack s = fromConfig(R"({"model_type": "gpt_neo", "num_layers": 4, "window_size": 8, "hidden_size": 64,
      "num_heads": 4, "attention_types": [[["global", "local"], 2]], "intermediate_size": null})",
                                  32);
  EXPECT_EQ(patterns(s), (std::vector<std::string>{"causal", "window (radius=7, causal=true)", "causal",
                                                   "window (radius=7, causal=true)"}));
  EXPECT_EQ(s.layers[1].kind, "local");
  EXPECT_EQ(s.dims.intermediateSize, 256);  // null: 4 × hidden_size, as GPTNeoMLP does
  EXPECT_NE(errorOf([] {
              fromConfig(R"({"model_type": "gpt_neo", "num_layers": 5, "attention_types": [[["global", "local"], 2]]})",
                         8);
            }).find("expands to 4 layers but num_layers = 5"),
            std::string::npos);
}

TEST(HfConfig, LongformerWindowsPaddingAndGlobals) {
  const LayerStack s =
      fromConfig(R"({"model_type": "longformer", "num_hidden_layers": 2, "attention_window": [4, 8]})", 30, {0});
  EXPECT_EQ(s.n, 32);  // padded to a multiple of the widest window, 8
  EXPECT_EQ(patterns(s), (std::vector<std::string>{"hf-longformer (attention_window=4, global_tokens=0)",
                                                   "hf-longformer (attention_window=8, global_tokens=0)"}));
  EXPECT_NE(s.notes[0].find("padded to 32"), std::string::npos);
  EXPECT_EQ(
      fromConfig(R"({"model_type": "longformer", "num_hidden_layers": 3, "attention_window": 6})", 12).layers.size(),
      3u);
  EXPECT_NE(errorOf([] {
              fromConfig(R"({"model_type": "longformer", "num_hidden_layers": 1, "attention_window": 5})", 12);
            }).find("attention_window = 5 (layer 0) is odd"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              fromConfig(R"({"model_type": "longformer", "num_hidden_layers": 2, "attention_window": [4]})", 12);
            }).find("has 1 entries but num_hidden_layers = 2"),
            std::string::npos);
}

TEST(HfConfig, BigBirdSeedsEachLayerWithItsIndexFallsBackAndPads) {
  const std::string cfg = R"({"model_type": "big_bird", "num_hidden_layers": 3, "num_attention_heads": 2,
      "hidden_size": 32, "block_size": 16, "num_random_blocks": 1, "max_position_embeddings": 4096})";
  const LayerStack s = fromConfig(cfg, 250);  // > (5 + 2)·16 = 112; padded to 256
  EXPECT_EQ(s.n, 256);
  ASSERT_EQ(s.layers.size(), 3u);
  for (std::size_t l = 0; l < 3; ++l) {
    EXPECT_EQ(s.layers[l].pattern, "hf-bigbird");
    const auto& p = s.layers[l].params;
    EXPECT_NE(std::find(p.begin(), p.end(), std::pair<std::string, std::string>{"seed", std::to_string(l)}), p.end());
    EXPECT_NE(std::find(p.begin(), p.end(), std::pair<std::string, std::string>{"num_heads", "2"}), p.end());
  }
  const LayerStack small = fromConfig(cfg, 112);
  EXPECT_EQ(small.layers[0].pattern, "full");
  EXPECT_NE(small.notes[0].find("switches to full attention"), std::string::npos);
}

TEST(HfConfig, ModelsWithoutAnyOfTheseAreFullCausalOrNot) {
  EXPECT_EQ(patterns(fromConfig(R"({"model_type": "llama", "num_hidden_layers": 2})", 8)),
            std::vector<std::string>(2, "causal"));
  const LayerStack gpt2 = fromConfig(R"({"model_type": "gpt2", "n_layer": 3, "n_embd": 48, "n_head": 4})", 8);
  EXPECT_EQ(patterns(gpt2), std::vector<std::string>(3, "causal"));
  EXPECT_EQ(gpt2.dims.intermediateSize, 192);
  EXPECT_EQ(patterns(fromConfig(R"({"model_type": "bert", "num_hidden_layers": 2})", 8)),
            std::vector<std::string>(2, "full"));
}

TEST(HfConfig, UnreadableOrContradictoryConfigsAreOneClearLine) {
  EXPECT_NE(errorOf([] { parseJson("{\"model_type\": \"llama\",", "config.json"); }).find("is not valid JSON"),
            std::string::npos);
  EXPECT_EQ(errorOf([] { fromConfig(R"({"model_type": "my_model", "hidden_size": 8})", 8); }),
            "config.json: no layer count: 'num_hidden_layers' is missing and model_type 'my_model' has no default");
  EXPECT_NE(errorOf([] {
              fromConfig(R"({"model_type": "llama", "num_hidden_layers": "32"})", 8);
            }).find("'num_hidden_layers' must be an integer"),
            std::string::npos);
  EXPECT_NE(errorOf([] { fromConfig("[1, 2]", 8); }).find("holds a JSON object"), std::string::npos);
}

// --- short form, stack files, costs ------------------------------------------------------------------------------

TEST(ShortForm, ParsesRepeatsAndListsAndFoldsBack) {
  const auto layers = parseShortForm("window radius=2 ×5, full, global tokens=0,7 x2, causal *1");
  ASSERT_EQ(layers.size(), 9u);
  EXPECT_EQ(layers[4].describe(), "window (radius=2)");
  EXPECT_EQ(layers[6].describe(), "global (tokens=0,7)");
  EXPECT_EQ(shortForm(layers), "window radius=2 ×5, full, global tokens=0,7 ×2, causal");
  EXPECT_NE(errorOf([] { parseShortForm("window radius"); }).find("neither KEY=VALUE nor a repeat"), std::string::npos);
  EXPECT_NE(errorOf([] { parseShortForm(", full"); }).find("is empty"), std::string::npos);
  EXPECT_NE(errorOf([] { parseShortForm("full ×2000"); }).find("at most 1024"), std::string::npos);
  LayerStack bad = typed("window radius=2, nosuch", 8);
  EXPECT_NE(errorOf([&] { checkStack(bad); }).find("layer 2: "), std::string::npos);
}

TEST(StackFile, RoundTripsAndIsStrict) {
  LayerStack s = typed("window radius=2 ×3, full", 64);
  s.name = "five \"windows\"";
  s.notes = {"a note"};
  const LayerStack back = stackFromJson(parseJson(stackToJson(s), "stack"));
  EXPECT_EQ(back.name, s.name);
  EXPECT_EQ(back.n, 64);
  EXPECT_EQ(back.layers, s.layers);
  EXPECT_EQ(back.notes, s.notes);
  EXPECT_NE(errorOf([] {
              stackFromJson(parseJson(R"({"n": 8, "layers": [{"pattern": "full", "colour": 1}]})", "s"));
            }).find("layers[0] has an unknown key 'colour'"),
            std::string::npos);
  EXPECT_NE(errorOf([] { stackFromJson(parseJson(R"({"layers": []})", "s")); }).find("no 'n'"), std::string::npos);
  EXPECT_NE(errorOf([] {
              stackFromJson(parseJson(R"({"n": 8, "layers": [{"pattern": "window", "params": {"radius": -1}}]})", "s"));
            }).find("layer 1: parameter 'radius' = -1"),
            std::string::npos);
}

TEST(ModelCost, CountedByHand) {
  // n = 4, two heads (one key-value head) of dim 4, width 8, feed-forward 16, not gated.
  LayerStack s = typed("window radius=1 causal=true, causal", 4);
  s.dims = {8, 16, 2, 1, 4, false};
  const auto layers = makeLayers(s);
  const ModelCost bf16 = modelCost(s, layers, Precision::Bf16), fp32 = modelCost(s, layers, Precision::Fp32);
  // Cells a head: the window keeps 1 + 2 + 2 + 2 = 7, causal 1 + 2 + 3 + 4 = 10.
  EXPECT_EQ(bf16.layers[0].activeCells, 14);
  EXPECT_EQ(bf16.layers[1].activeCells, 20);
  // One head's matrix, held against n² = 16: 7 and 10 cells, 7/16 and 10/16 of it; over the stack 34 of 2·2·16.
  EXPECT_EQ(bf16.layers[0].heads, 2);
  EXPECT_EQ(bf16.layers[0].cellsPerHead, 7);
  EXPECT_EQ(bf16.layers[1].cellsPerHead, 10);
  EXPECT_DOUBLE_EQ(bf16.layers[0].density, 7.0 / 16);
  EXPECT_DOUBLE_EQ(bf16.layers[1].density, 10.0 / 16);
  EXPECT_DOUBLE_EQ(bf16.density, 34.0 / 64);
  // The window keeps 2 of 4 tokens in a windowed cache; the causal layer keeps every token.
  EXPECT_TRUE(bf16.layers[0].windowed);
  EXPECT_FALSE(bf16.layers[1].windowed);
  EXPECT_EQ(bf16.layers[0].attentionFlops, 4.0 * 14 * 4);
  EXPECT_EQ(bf16.layers[1].attentionFlops, 4.0 * 20 * 4);
  // Q and O: 2·n·8·8 each; K and V: 2·n·8·4 each.
  EXPECT_EQ(bf16.layers[0].projectionFlops, 2.0 * 4 * 8 * (8 + 8 + 4 + 4));
  EXPECT_EQ(bf16.layers[0].feedForwardFlops, 2.0 * 4 * 8 * 16 * 2);
  EXPECT_EQ(bf16.layers[0].scoreMatrixBytes, 2.0 * 16 * 2);
  // KV cache: 2 · 1 kv head · dim 4 · tokens · bytes. The window keeps 2 tokens.
  EXPECT_EQ(bf16.layers[0].kvCacheBytes, 2.0 * 4 * 4 * 2);
  EXPECT_EQ(bf16.layers[0].kvCacheBytesWindowed, 2.0 * 4 * 2 * 2);
  EXPECT_EQ(bf16.kvCacheBytes, 2 * 64.0);
  EXPECT_EQ(bf16.kvCacheBytesWindowed, 32.0 + 64.0);
  EXPECT_EQ(fp32.kvCacheBytes, 2 * bf16.kvCacheBytes);
  EXPECT_EQ(errorOf([] { parsePrecision("fp8"); }),
            "precision 'fp8' is not allowed: expected fp32, bf16, fp16 or int8");
  // BigBird: each of its heads is counted, not head 0 times the heads.
  LayerStack bb = typed("hf-bigbird block_size=4 num_random_blocks=1 num_heads=2 seed=1", 64);
  bb.dims.heads = 2;
  const auto bbLayers = makeLayers(bb);
  const SparseMask m = PatternSpec::parse("hf-bigbird").build(bb.layers[0].params, 64);
  EXPECT_EQ(modelCost(bb, bbLayers, Precision::Bf16).layers[0].activeCells, double(m.nnz()));
}

TEST(Json, ReadsWhatPythonWritesAndNamesWhereItFails) {
  const JsonValue v = parseJson(
      "\xEF\xBB\xBF{\"a\": [1, 2.5, -3e2, true, null, \"\\u00e9\\ud83d\\ude00\"], \"big\": 9007199254740993}", "t");
  ASSERT_TRUE(v.isObject());
  EXPECT_EQ(v.find("a")->items()[0].asInteger(), 1);
  EXPECT_FALSE(v.find("a")->items()[1].asInteger());
  EXPECT_EQ(v.find("a")->items()[2].asInteger(), -300);
  EXPECT_EQ(v.find("a")->items()[5].asString(), "\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(v.find("big")->asInteger(), 9007199254740993LL);  // exact past 2^53
  EXPECT_EQ(errorOf([] { parseJson("{\n  \"a\": 1\n  \"b\": 2}", "c.json"); }),
            "c.json is not valid JSON: expected ',' or '}' at line 3, column 3");
  EXPECT_NE(errorOf([] { parseJson(std::string(300, '[') + std::string(300, ']'), "deep"); }).find("levels deep"),
            std::string::npos);
  EXPECT_NE(errorOf([] { parseJson("[1] x", "t"); }).find("after the end"), std::string::npos);
}

// Where a stack comes from: one set of rules for every command (and the Model tab's global tokens).
TEST(StackSource, OneSetOfRules) {
  StackSource none;
  EXPECT_EQ(none.check(/*required=*/false), "");
  EXPECT_EQ(none.check(/*required=*/true), "give exactly one of --config FILE, --stack FILE or --layers TEXT");
  StackSource two;
  two.layers = "full";
  two.stackFile = "s.json";
  EXPECT_EQ(two.check(false), "give at most one of --config FILE, --stack FILE or --layers TEXT");
  StackSource typed;
  typed.layers = "window radius=2 ×3";
  typed.mode = "eval";
  EXPECT_EQ(typed.check(true), "--global and --mode go with --config: they are how a config's model is built");
  typed.mode.reset();
  typed.globals = "0";
  EXPECT_EQ(typed.check(true), "--global and --mode go with --config: they are how a config's model is built");
  typed.globals.reset();
  EXPECT_EQ(typed.check(true), "");
  EXPECT_EQ(errorOf([&] { typed.load(0); }), "--n is required: the sequence length");
  const LayerStack stack = typed.load(16);
  EXPECT_EQ(stack.n, 16);
  ASSERT_EQ(stack.layers.size(), 3u);
  EXPECT_EQ(stack.layers[2].params, (std::vector<std::pair<std::string, std::string>>{{"radius", "2"}}));
  StackSource config;
  config.config = "c.json";
  config.mode = "fast";
  EXPECT_EQ(config.check(true), "--mode fast is not allowed: expected train or eval");
}

TEST(StackSource, TokenListsAreIndicesBelowN) {
  EXPECT_EQ(parseTokenList("0, 5,9", 10, "--global"), (std::vector<Index>{0, 5, 9}));
  EXPECT_TRUE(parseTokenList("none", 10, "--global").empty());
  EXPECT_TRUE(parseTokenList("  ", 10, "--global").empty());
  EXPECT_EQ(errorOf([] { parseTokenList("0,10", 10, "--global"); }),
            "--global 10 is not allowed: expected token indices 0 … 9, comma-separated");
  EXPECT_EQ(errorOf([] { parseTokenList("0,,1", 10, "--global"); }),
            "--global  is not allowed: expected token indices 0 … 9, comma-separated");
  EXPECT_EQ(errorOf([] { parseTokenList("-1", 10, "global token"); }),
            "global token -1 is not allowed: expected token indices 0 … 9, comma-separated");
  EXPECT_EQ(errorOf([] { parseTokenList("3x", 10, "--global"); }),
            "--global 3x is not allowed: expected token indices 0 … 9, comma-separated");
}

}  // namespace
}  // namespace attnscope

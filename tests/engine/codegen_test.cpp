// Patterns and stacks written as code for other libraries (engine/codegen): base64 against RFC 4648's vectors,
// DeepSpeed's JSON read back into the same layout, Hugging Face config fields read back by the config import into
// the same layers, and the refusals. The FlexAttention files are evaluated cell for cell by tests/cli/flex_export.py.
#include <gtest/gtest.h>

#include "engine/codegen/code_text.h"
#include "engine/codegen/deepspeed_config.h"
#include "engine/codegen/fitted_model.h"
#include "engine/codegen/flex_attention.h"
#include "engine/codegen/hf_config_fields.h"
#include "engine/models/hf_config.h"
#include "test_util.h"

namespace attnscope {
namespace {

using test::errorOf;

std::vector<std::uint8_t> bytesOf(const std::string& s) { return {s.begin(), s.end()}; }

TEST(Codegen, Base64MatchesRfc4648) {
  EXPECT_EQ(codegen::base64(bytesOf("")), "");
  EXPECT_EQ(codegen::base64(bytesOf("f")), "Zg==");
  EXPECT_EQ(codegen::base64(bytesOf("fo")), "Zm8=");
  EXPECT_EQ(codegen::base64(bytesOf("foo")), "Zm9v");
  EXPECT_EQ(codegen::base64(bytesOf("foob")), "Zm9vYg==");
  EXPECT_EQ(codegen::base64(bytesOf("fooba")), "Zm9vYmE=");
  EXPECT_EQ(codegen::base64(bytesOf("foobar")), "Zm9vYmFy");
  EXPECT_EQ(codegen::base64({0xff, 0xfe, 0x00}), "//4A");
  codegen::BitTable bits(10);
  bits.set(0);
  bits.set(9);
  EXPECT_EQ(bits.bytes(), (std::vector<std::uint8_t>{0x01, 0x02}));  // NumPy's bitorder="little"
}

CheckedPattern checked(const std::string& name, Index n, const test::Params& params) {
  const PatternSpec spec = PatternSpec::parse(name);
  return CheckedPattern::check(spec, spec.resolve(params), n);
}

TEST(Codegen, DeepSpeedJsonRebuildsTheSameLayout) {
  const std::vector<std::tuple<std::string, Index, test::Params>> cases = {
      {"deepspeed-fixed",
       128,
       {{"num_heads", "4"},
        {"different_layout_per_head", "true"},
        {"num_different_global_patterns", "4"},
        {"num_global_blocks", "1"}}},
      {"deepspeed-fixed", 96, {{"attention", "unidirectional"}, {"num_local_blocks", "2"}, {"num_global_blocks", "2"}}},
      {"deepspeed-variable",
       128,
       {{"num_random_blocks", "2"},
        {"local_window_blocks", "1,2"},
        {"global_block_indices", "0,5"},
        {"global_block_end_indices", "2,7"},
        {"seed", "9"},
        {"num_heads", "2"},
        {"different_layout_per_head", "true"}}},
      {"deepspeed-bigbird", 128, {{"attention", "unidirectional"}, {"seed", "4"}}},
      {"deepspeed-bslongformer", 128, {{"global_block_indices", "1"}, {"num_sliding_window_blocks", "5"}}},
      {"deepspeed-local", 64, {{"block", "8"}, {"attention", "bidirectional"}}},
  };
  for (const auto& [name, n, params] : cases) {
    SCOPED_TRACE(name);
    const CheckedPattern original = checked(name, n, params);
    const std::string json = codegen::deepspeedJson(original);
    Index seqLen = 0;
    const auto [family, texts] = codegen::deepspeedFromJson(parseJson(json, "export"), &seqLen);
    EXPECT_EQ(family, name);
    EXPECT_EQ(seqLen, n);
    EXPECT_EQ(PatternSpec::parse(family).build(texts, seqLen), original.build());
  }
  // The class and its arguments, as DeepSpeed spells them.
  const std::string json = codegen::deepspeedJson(checked("deepspeed-bslongformer", 64, {}));
  EXPECT_NE(json.find("\"class\": \"BSLongformerSparsityConfig\""), std::string::npos);
  EXPECT_NE(json.find("\"global_block_end_indices\": null"), std::string::npos);
  const std::string py = codegen::deepspeedPython(checked("deepspeed-bigbird", 64, {}));
  EXPECT_NE(py.find("sparsity_config = BigBirdSparsityConfig(\n    num_heads=1,\n    block=16,"), std::string::npos);
  EXPECT_NE(py.find("class AttnScopeLayout(BigBirdSparsityConfig)"), std::string::npos);  // random blocks: exact too
  EXPECT_EQ(codegen::deepspeedPython(checked("deepspeed-local", 64, {})).find("AttnScopeLayout"), std::string::npos);
}

TEST(Codegen, DeepSpeedRefusals) {
  EXPECT_NE(errorOf([] { codegen::deepspeedJson(checked("window", 64, {})); }).find("has no DeepSpeed SparsityConfig"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              codegen::deepspeedFromJson(parseJson(R"({"class": "Dense", "args": {}})", "x"));
            }).find("'Dense' is not allowed"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              codegen::deepspeedFromJson(
                  parseJson(R"({"class": "FixedSparsityConfig", "args": {"num_heads": 2, "window": 3}})", "x"));
            }).find("argument 'window' is not one of FixedSparsityConfig's"),
            std::string::npos);
}

// The fields and sizes as one config.json, read back by the import.
LayerStack readBack(const codegen::HfConfigFields& f, Index n, std::vector<Index> globals = {}) {
  std::string fields = f.fields.substr(1, f.fields.size() - 2);
  std::string sizes = f.modelSizes.substr(1, f.modelSizes.size() - 2);
  ConfigRequest request;
  request.n = n;
  request.globals = std::move(globals);
  // The fields come last, so a field that is also a size (BigBird's heads) is the one read, as Python's json does.
  return stackFromHfConfig(parseJson("{" + sizes + ", " + fields + "}", "config.json"), request, "config.json");
}

void expectSameLayers(const LayerStack& a, const LayerStack& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  ASSERT_EQ(a.n, b.n);
  for (std::size_t l = 0; l < a.layers.size(); ++l) {
    SCOPED_TRACE("layer " + std::to_string(l) + ": " + a.layers[l].describe() + " / " + b.layers[l].describe());
    EXPECT_EQ(PatternSpec::parse(a.layers[l].pattern).build(a.layers[l].params, a.n),
              PatternSpec::parse(b.layers[l].pattern).build(b.layers[l].params, b.n));
  }
}

LayerStack stackOf(const std::string& form, Index n) {
  LayerStack s;
  s.name = form;
  s.n = n;
  s.layers = parseShortForm(form);
  return s;
}

TEST(Codegen, HfFieldsReadBackAsTheSameStack) {
  {  // a decoder of sliding and full layers, Gemma 3's way
    const LayerStack s =
        stackOf("window radius=31 causal=true ×2, causal, window radius=31 causal=true ×2, causal", 256);
    const auto f = codegen::hfConfigFields(s);
    ASSERT_TRUE(f.expressible);
    EXPECT_NE(f.fields.find("\"sliding_window\": 32"), std::string::npos);
    EXPECT_NE(f.fields.find("\"num_hidden_layers\": 6"), std::string::npos);
    bool gemma3 = false;
    for (const std::string& a : f.also) gemma3 = gemma3 || a.find("\"sliding_window_pattern\": 3") != std::string::npos;
    EXPECT_TRUE(gemma3);
    expectSameLayers(s, readBack(f, 256));
  }
  {  // Longformer: windows per layer, one set of global tokens (an input, said in the notes)
    const LayerStack s =
        stackOf("hf-longformer attention_window=8 global_tokens=0, window+global radius=6 tokens=0", 240);
    const auto f = codegen::hfConfigFields(s);
    ASSERT_TRUE(f.expressible);
    EXPECT_NE(f.fields.find("\"attention_window\": [8, 12]"), std::string::npos);
    expectSameLayers(s, readBack(f, 240, {0}));
  }
  {  // BigBird: the random blocks seeded with the layer index
    const LayerStack s = stackOf(
        "hf-bigbird block_size=8 num_random_blocks=1 seed=0, hf-bigbird block_size=8 num_random_blocks=1 seed=1", 256);
    const auto f = codegen::hfConfigFields(s);
    ASSERT_TRUE(f.expressible);
    expectSameLayers(s, readBack(f, 256));
  }
  {  // an encoder
    const LayerStack s = stackOf("full ×3", 32);
    const auto f = codegen::hfConfigFields(s);
    ASSERT_TRUE(f.expressible);
    expectSameLayers(s, readBack(f, 32));
  }
}

TEST(Codegen, HfFieldsSayWhatAConfigCannotExpress) {
  auto cannot = [](const std::string& form, Index n) {
    const auto f = codegen::hfConfigFields(stackOf(form, n));
    EXPECT_FALSE(f.expressible) << form;
    EXPECT_NE(codegen::hfConfigJson(f).find("\"config_fields\": null"), std::string::npos);
    return f.cannotExpress.empty() ? std::string() : f.cannotExpress[0];
  };
  EXPECT_NE(cannot("causal, strided stride=8", 64).find("layer 1: 'strided' has no Hugging Face config field"),
            std::string::npos);
  EXPECT_NE(cannot("window radius=3 causal=true, window radius=5 causal=true", 64).find("one sliding_window"),
            std::string::npos);
  EXPECT_NE(cannot("window radius=2 dilation=2", 64).find("dilated"), std::string::npos);
  EXPECT_NE(cannot("hf-bigbird block_size=8 seed=3", 256).find("seeds layer l's random blocks with l"),
            std::string::npos);
  EXPECT_NE(cannot("causal, full", 64).find("mix kinds"), std::string::npos);
}

TEST(Codegen, FlexRefusesATableTooLargeBeforeMakingIt) {
  const std::string e = errorOf([] { codegen::flexAttentionCode(checked("random", 16384, {})); });
  EXPECT_NE(e.find("n = 16,384 is too large to write 'random' for FlexAttention"), std::string::npos) << e;
  // Arithmetic families carry no table at any n.
  EXPECT_EQ(codegen::checkFlexLookup(checked("window+global", 1 << 20, {{"radius", "64"}})), 0.0);
  const std::string code = codegen::flexAttentionCode(checked("blocks+random", 32, {{"block", "8"}}));
  EXPECT_NE(code.find("Written as a lookup into the layout AttnScope built: random"), std::string::npos);
  EXPECT_NE(code.find("return (q_idx // 8 == kv_idx // 8)"), std::string::npos);
}

}  // namespace
}  // namespace attnscope

namespace attnscope {
namespace {

TEST(Codegen, ACoveringLayerHoldsEveryHeadsFit) {
  auto window = [](Index r, bool causal, bool global = false) {
    FitCandidate c{global ? "window+global" : "window", {{"radius", std::to_string(r)}}, 0, 0.9};
    if (causal) c.params.push_back({"causal", "true"});
    if (global) c.params.push_back({"tokens", "0"});
    return c;
  };
  codegen::FittedModel m;
  m.source = "dump";
  m.n = 40;
  m.heads = {{window(1, true), window(3, false)},
             {window(2, true, true), window(5, true)},
             {FitCandidate{"causal", {}, 0, 1}, window(2, false)},
             {window(4, true), window(4, true)}};
  const LayerStack s = codegen::coveringStack(m);
  ASSERT_EQ(s.layers.size(), 4u);
  EXPECT_EQ(s.layers[0].describe(), "window (radius=3, causal=false)");
  EXPECT_EQ(s.layers[1].describe(), "window+global (radius=5, causal=true, tokens=0)");
  EXPECT_EQ(s.layers[2].describe(), "full");
  EXPECT_EQ(s.layers[3].describe(), "window (radius=4, causal=true)");
  EXPECT_EQ(s.notes.size(), 3u);  // the last layer's heads agree
  // Each layer's mask holds every one of its heads' fitted masks.
  for (std::size_t l = 0; l < m.heads.size(); ++l) {
    const SparseMask cover = PatternSpec::parse(s.layers[l].pattern).build(s.layers[l].params, m.n);
    for (const FitCandidate& c : m.heads[l]) {
      const SparseMask head = PatternSpec::parse(c.pattern).build(c.params, m.n);
      for (Index q = 0; q < m.n; ++q)
        for (KeyIndex k : head.row(0, q)) EXPECT_TRUE(cover.contains(0, q, k)) << l << " " << q << " " << k;
    }
  }
}

}  // namespace
}  // namespace attnscope

#include <gtest/gtest.h>

#include "engine/util/error.h"
#include "engine/patterns/pattern_registry.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

using test::errorOf;

TEST(Params, ParsesEachType) {
  const PatternSpec spec = PatternSpec::parse("deepspeed-variable");
  const ParamSet p = spec.resolve({{"block", "8"},
                                   {"attention", "unidirectional"},
                                   {"global_block_indices", "0, 7"},
                                   {"global_block_end_indices", "none"},
                                   {"horizontal_global_attention", "false"}});
  EXPECT_EQ(p.getInt("block"), 8);
  EXPECT_EQ(p.getChoice("attention"), "unidirectional");
  EXPECT_EQ(p.getList("global_block_indices"), (std::vector<Index>{0, 7}));
  EXPECT_TRUE(p.getList("global_block_end_indices").empty());
  EXPECT_FALSE(p.getBool("horizontal_global_attention"));
  EXPECT_EQ(p.getList("local_window_blocks"), (std::vector<Index>{4}));  // the default
}

TEST(Params, OutOfRangeNamesParameterValueAndRange) {
  const std::string e = errorOf([] { PatternSpec::parse("window").resolve({{"radius", "-1"}}); });
  EXPECT_EQ(e, "parameter 'radius' = -1 is not allowed: expected an integer 0 … 2147483647");
}

TEST(Params, BadTextsAreRejected) {
  const PatternSpec w = PatternSpec::parse("window");
  EXPECT_NE(errorOf([&] { w.resolve({{"radius", "two"}}); }).find("'radius' = two"), std::string::npos);
  EXPECT_NE(errorOf([&] { w.resolve({{"causal", "yes"}}); }).find("true or false"), std::string::npos);
  EXPECT_NE(errorOf([&] { w.resolve({{"radius", "3.5"}}); }).find("'radius'"), std::string::npos);
  const PatternSpec d = PatternSpec::parse("deepspeed-local");
  EXPECT_NE(errorOf([&] {
              d.resolve({{"attention", "sideways"}});
            }).find("one of: bidirectional, unidirectional"),
            std::string::npos);
  const PatternSpec g = PatternSpec::parse("global");
  EXPECT_NE(errorOf([&] { g.resolve({{"tokens", "1,,2"}}); }).find("'tokens'"), std::string::npos);
  EXPECT_NE(errorOf([&] { g.resolve({{"tokens", "1,"}}); }).find("'tokens'"), std::string::npos);
}

TEST(Params, UnknownParameterListsTheKnownOnes) {
  const std::string e = errorOf([] { PatternSpec::parse("window").resolve({{"radious", "2"}}); });
  EXPECT_EQ(e, "parameter 'radious' is unknown for pattern 'window': expected one of radius, dilation, causal");
}

TEST(Params, UnknownFamilyListsTheKnownOnes) {
  const std::string e = errorOf([] { PatternSpec::parse("windw"); });
  EXPECT_NE(e.find("pattern 'windw' is unknown"), std::string::npos);
  EXPECT_NE(e.find("deepspeed-local"), std::string::npos);
}

TEST(Params, UnionsMergeParametersAndRefuseBlockFamilies) {
  const PatternSpec u = PatternSpec::parse("window+global+random");
  EXPECT_EQ(u.members().size(), 3u);
  EXPECT_NE(u.param("radius"), nullptr);
  EXPECT_NE(u.param("tokens"), nullptr);
  EXPECT_NE(u.param("per_row"), nullptr);
  EXPECT_NE(errorOf([] { PatternSpec::parse("window+hf-bigbird"); }).find("only token-level"), std::string::npos);
  EXPECT_NE(errorOf([] { PatternSpec::parse("window+window"); }).find("twice"), std::string::npos);
}

TEST(Params, SequenceLengthIsChecked) {
  const PatternSpec w = PatternSpec::parse("window");
  EXPECT_EQ(errorOf([&] { w.make(w.defaults(), 0); }), "n = 0 is not allowed: expected an integer 1 … 16777216");
  EXPECT_EQ(errorOf([&] { w.make(w.defaults(), kMaxSequenceLength + 1); }),
            "n = 16777217 is not allowed: expected an integer 1 … 16777216");
}

TEST(Params, EveryFamilyBuildsWithItsDefaults) {
  for (const PatternFamily* f : patternFamilies()) {
    const PatternSpec spec = PatternSpec::parse(f->name());
    // 1,024 is a multiple of every default block size.
    EXPECT_NO_THROW(spec.build({}, 1024)) << f->name();
    for (const ParamSpec& p : spec.params()) {
      EXPECT_FALSE(p.help.empty()) << f->name() << "." << p.name;
      EXPECT_NO_THROW(p.defaultValue()) << f->name() << "." << p.name;
    }
  }
}

}  // namespace
}  // namespace attnscope

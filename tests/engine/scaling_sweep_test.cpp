// The scaling sweep: which n it visits, what it skips, where it puts the crossover, and that it stops when asked.
#include <gtest/gtest.h>

#include "engine/util/error.h"
#include "engine/attention/scaling_sweep.h"

namespace attnscope {
namespace {

ScalingPoint point(Index n, double pattern, double full) {
  ScalingPoint p;
  p.n = n;
  p.msPattern = pattern;
  p.msFull = full;
  return p;
}

TEST(Crossover, IsWhereThePatternStaysFaster) {
  EXPECT_EQ(crossover({point(256, 2, 1), point(512, 3, 4), point(1024, 5, 16)}), 512);
  // Faster once by chance, slower again, then faster for good: the crossover is the last switch.
  EXPECT_EQ(crossover({point(256, 1, 2), point(512, 3, 2), point(1024, 5, 16), point(2048, 9, 64)}), 1024);
  EXPECT_EQ(crossover({point(256, 2, 1), point(512, 8, 4)}), 0);
  ScalingPoint skipped = point(1024, 0, 16);
  skipped.skipped = "n = 1024 is not allowed";
  EXPECT_EQ(crossover({point(256, 2, 1), point(512, 3, 4), skipped}), 512);  // a skipped point says nothing
}

TEST(ScalingSweep, DoublesNAndSkipsWhereTheParametersDoNotFit) {
  ScalingOptions options;
  options.minN = 256;
  options.maxN = 1024;
  options.dim = 16;
  std::vector<Index> heard;
  const auto points = scalingSweep(PatternSpec::parse("blocks"), {{"block", "512"}}, options,
                                   [&](const ScalingPoint& p) { heard.push_back(p.n); });
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(heard, (std::vector<Index>{256, 512, 1024}));
  EXPECT_FALSE(points[0].skipped.empty());  // 256 tokens cannot hold a block of 512
  EXPECT_NE(points[0].skipped.find("512"), std::string::npos) << points[0].skipped;
  EXPECT_GT(points[0].msFull, 0);
  for (int i : {1, 2}) {
    EXPECT_TRUE(points[i].skipped.empty()) << points[i].skipped;
    EXPECT_GT(points[i].msPattern, 0);
    EXPECT_GT(points[i].msFull, 0);
  }
  EXPECT_EQ(points[2].cellsPattern, 1024.0 * 512);  // two diagonal blocks of 512²
}

TEST(ScalingSweep, BadParametersAndRangesAreErrors) {
  ScalingOptions options;
  options.maxN = 512;
  EXPECT_THROW(scalingSweep(PatternSpec::parse("window"), {{"radius", "-3"}}, options), Error);
  options.maxN = 100;
  EXPECT_THROW(scalingSweep(PatternSpec::parse("window"), {}, options), Error);
}

TEST(ScalingSweep, StopsWhenAsked) {
  ScalingOptions options;
  options.minN = 256;
  options.maxN = 4096;
  int points = 0;
  Progress progress;
  EXPECT_THROW(scalingSweep(
                   PatternSpec::parse("window"), {{"radius", "8"}}, options,
                   [&](const ScalingPoint&) {
                     if (++points == 2) progress.token.cancel();
                   },
                   progress),
               Cancelled);
  EXPECT_EQ(points, 2);
}

}  // namespace
}  // namespace attnscope

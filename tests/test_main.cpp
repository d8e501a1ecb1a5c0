// GoogleTest main shared by the suites: every test starts from the same C random seed, so a test that uses
// rand() is reproducible whatever ran before it.
#include <gtest/gtest.h>

#include <cstdlib>

namespace {
class SeedEachTest : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo&) override { std::srand(20261129); }
};
}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::UnitTest::GetInstance()->listeners().Append(new SeedEachTest);
  return RUN_ALL_TESTS();
}

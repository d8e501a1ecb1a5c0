#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/util/error.h"
#include "engine/masks/mask_io.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class MaskIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("attnscope-io-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  bool folderIsEmpty() const { return fs::is_empty(dir_); }
  fs::path dir_;
};

TEST_F(MaskIo, NpyHeaderAndCells) {
  const SparseMask m = test::build("window", 5, {{"radius", "1"}});
  const fs::path p = dir_ / "m.npy";
  writeMaskNpy(m, p.string());
  const std::string bytes = slurp(p);
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  const std::size_t headerLen = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + headerLen) % 64, 0u);
  const std::string header = bytes.substr(10, headerLen);
  EXPECT_NE(header.find("'descr': '|u1'"), std::string::npos);
  EXPECT_NE(header.find("'shape': (1, 5, 5)"), std::string::npos);
  EXPECT_EQ(header.back(), '\n');
  const std::string data = bytes.substr(10 + headerLen);
  ASSERT_EQ(data.size(), 25u);
  const char expected[] = {1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1};
  EXPECT_EQ(data, std::string(expected, 25));
}

TEST_F(MaskIo, LayoutNpy) {
  const SparseMask m = test::build("deepspeed-local", 64, {{"num_heads", "2"}});
  const fs::path p = dir_ / "layout.npy";
  writeLayoutNpy(m, p.string());
  const std::string bytes = slurp(p);
  EXPECT_NE(bytes.find("'shape': (2, 4, 4)"), std::string::npos);
  EXPECT_EQ(bytes.size() % 64, 32u);  // a 64-byte-aligned header + 32 cells
  EXPECT_THROW(writeLayoutNpy(test::build("window", 8), (dir_ / "x.npy").string()), Error);
  EXPECT_FALSE(fs::exists(dir_ / "x.npy"));
}

TEST_F(MaskIo, Csv) {
  const fs::path p = dir_ / "m.csv";
  writeMaskCsv(test::build("causal", 3), 0, p.string());
  EXPECT_EQ(slurp(p), "1,0,0\n1,1,0\n1,1,1\n");
}

TEST_F(MaskIo, TooLargeWritesNothing) {
  const SparseMask big = test::build("window", 40000, {{"radius", "0"}});
  const std::string e = test::errorOf([&] { writeMaskNpy(big, (dir_ / "big.npy").string()); });
  EXPECT_NE(e.find("too large to write as .npy"), std::string::npos);
  EXPECT_TRUE(folderIsEmpty());
}

TEST_F(MaskIo, MissingFolderWritesNothing) {
  const std::string e =
      test::errorOf([&] { writeMaskNpy(test::build("full", 3), (dir_ / "no" / "such" / "m.npy").string()); });
  EXPECT_NE(e.find("cannot write"), std::string::npos);
  EXPECT_TRUE(folderIsEmpty());
}

}  // namespace
}  // namespace attnscope

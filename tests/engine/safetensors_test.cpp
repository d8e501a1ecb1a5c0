// Safetensors as Hugging Face writes them: F32, F16 and BF16 read as float32 bit for bit, shards through the
// index, and every way a header can lie refused in one line before any data is read.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "engine/util/error.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

// A safetensors file: the header as given (data_offsets written by the caller), then `data`.
std::string safetensors(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[std::size_t(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header + data;
}

template <typename T>
std::string bytesOf(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

class Safetensors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attnscope-st-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    std::ofstream((dir_ / name).string(), std::ios::binary) << bytes;
    return (dir_ / name).string();
  }
  std::string error(const std::string& header, const std::string& data) {
    const std::string path = write("bad.safetensors", safetensors(header, data));
    return test::errorOf([&] { SafetensorsFile::open(path); });
  }
  fs::path dir_;
};

TEST_F(Safetensors, Float32Float16AndBfloat16ReadAsFloat32) {
  const std::vector<float> f32 = {1, -2, 3.5f, 0, 1e-3f, 65536};
  // F16: 1.0, -2.5, 0.5, 65504 (the largest); BF16: 1.0, -3.0.
  const std::vector<std::uint16_t> f16 = {0x3C00, 0xC100, 0x3800, 0x7BFF}, bf16 = {0x3F80, 0xC040};
  const std::string data = bytesOf(f32) + bytesOf(f16) + bytesOf(bf16);
  const std::string header =
      R"({"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},)"
      R"( "h": {"dtype": "F16", "shape": [4], "data_offsets": [24, 32]},)"
      R"( "b": {"dtype": "BF16", "shape": [1, 2], "data_offsets": [32, 36]}})";
  const SafetensorsFile f = SafetensorsFile::open(write("m.safetensors", safetensors(header, data)));
  EXPECT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.read("w", {2, 3}), f32);
  EXPECT_EQ(f.read("h"), (std::vector<float>{1.0f, -2.5f, 0.5f, 65504.0f}));
  EXPECT_EQ(f.read("b"), (std::vector<float>{1.0f, -3.0f}));
  EXPECT_NE(test::errorOf([&] {
              f.read("w", {3, 2});
            }).find("has shape [2, 3], but the config needs [3, 2]"),
            std::string::npos);
  EXPECT_NE(test::errorOf([&] { f.read("nothing"); }).find("has no tensor 'nothing'"), std::string::npos);
}

// Every lie a header can tell, each refused by name (the safetensors library's own checks).
TEST_F(Safetensors, AHeaderThatLiesIsRefused) {
  const std::string data(8, '\0');
  auto entry = [](const char* dtype, const char* shape, const char* offsets) {
    return std::string(R"({"t": {"dtype": ")") + dtype + R"(", "shape": )" + shape + R"(, "data_offsets": )" + offsets +
           "}}";
  };
  EXPECT_EQ(error(entry("F32", "[2]", "[0, 8]"), data), "");  // the good one opens
  EXPECT_NE(error(entry("F32", "[3]", "[0, 8]"), data).find("needs 12 bytes, but its data_offsets hold 8"),
            std::string::npos);
  EXPECT_NE(error(entry("F32", "[2]", "[0, 16]"), data).find("outside the 8 bytes of data"), std::string::npos);
  EXPECT_NE(error(entry("F32", "[1]", "[4, 8]"), data).find("leaving a gap"), std::string::npos);
  EXPECT_NE(error(entry("F32", "[1]", "[0, 4]"), data).find("its tensors hold 4 bytes of data, but the file has 8"),
            std::string::npos);
  EXPECT_NE(error(entry("Q4", "[2]", "[0, 8]"), data).find("dtype 'Q4', which safetensors does not define"),
            std::string::npos);
  EXPECT_NE(error(entry("F32", "[-2]", "[0, 8]"), data).find("not a non-negative integer"), std::string::npos);
  EXPECT_NE(error(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                  R"( "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})",
                  data)
                .find("inside the tensor before it"),
            std::string::npos);
  EXPECT_NE(error("[1, 2]", data).find("its header is a list, not an object"), std::string::npos);
  EXPECT_NE(error("{\"t\": ", data).find("is not valid JSON"), std::string::npos);
  // A header length past the end of the file, and a file too short to hold the length.
  std::string huge = safetensors("{}", "");
  huge[0] = '\xff';
  huge[1] = '\xff';
  EXPECT_NE(test::errorOf([&] {
              SafetensorsFile::open(write("huge.safetensors", huge));
            }).find("header length 65535 is not allowed"),
            std::string::npos);
  EXPECT_NE(test::errorOf([&] {
              SafetensorsFile::open(write("tiny.safetensors", "abc"));
            }).find("fewer than the 8 of the header's length"),
            std::string::npos);
  // An integer tensor opens (the file is valid) but is not read as weights.
  const SafetensorsFile ints = SafetensorsFile::open(write(
      "ints.safetensors", safetensors(R"({"ids": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})", data)));
  EXPECT_NE(test::errorOf([&] { ints.read("ids"); }).find("is I64: expected F32, F16 or BF16"), std::string::npos);
}

TEST_F(Safetensors, ShardsAreReadThroughTheIndex) {
  const std::vector<float> a = {1, 2}, b = {3};
  write("model-00001-of-00002.safetensors",
        safetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", bytesOf(a)));
  write("model-00002-of-00002.safetensors",
        safetensors(R"({"b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})", bytesOf(b)));
  write("model.safetensors.index.json",
        R"({"metadata": {"total_size": 12}, "weight_map": {)"
        R"("a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}})");
  const SafetensorsWeights w = SafetensorsWeights::open(dir_.string());
  EXPECT_EQ(w.names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(w.read("a"), a);
  EXPECT_EQ(w.read("b"), b);
  write("model.safetensors.index.json", R"({"weight_map": {"b": "model-00001-of-00002.safetensors"}})");
  EXPECT_NE(test::errorOf([&] { SafetensorsWeights::open(dir_.string()); }).find("which does not hold it"),
            std::string::npos);
  write("model.safetensors.index.json", R"({"weight_map": {"a": "../elsewhere.safetensors"}})");
  EXPECT_NE(test::errorOf([&] { SafetensorsWeights::open(dir_.string()); }).find("not a file name in the folder"),
            std::string::npos);
  fs::remove(dir_ / "model.safetensors.index.json");
  EXPECT_NE(test::errorOf([&] {
              SafetensorsWeights::open(dir_.string());
            }).find("has no model.safetensors or model.safetensors.index.json"),
            std::string::npos);
}

}  // namespace
}  // namespace attnscope

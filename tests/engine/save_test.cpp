// A compressed model saved and opened again (issue 25): a llama2.c checkpoint with its weights overwritten in place,
// and a Hugging Face GPT-2 folder (written here with writeSafetensors) whose Conv1D layers go back as [in, out] and
// whose half-precision layers are stored as F16. The model opened again computes what the compressed copy computed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "engine/compression/compare_models.h"
#include "engine/compression/compress.h"
#include "engine/compression/save.h"
#include "engine/io/safetensors.h"
#include "engine/runtime/inference.h"
#include "tests/engine/test_util.h"

namespace attnscope {
namespace {

namespace fs = std::filesystem;

const std::string kStories = std::string(ATTNSCOPE_STORIES_DIR) + "/stories260K.bin";

// A fresh, empty folder under the system's temporary folder, removed at the end.
struct TempFolder {
  fs::path path;
  TempFolder() {
    path = fs::temp_directory_path() /
           ("attnscope-save-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~TempFolder() { fs::remove_all(path); }
};

void expectSameWeights(LanguageModel& a, LanguageModel& b) {
  const std::vector<NamedLinear> x = a.linears(), y = b.linears();
  ASSERT_EQ(x.size(), y.size());
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i].linear->weights(), y[i].linear->weights()) << x[i].name;
}

TEST(SaveCompressed, ALlama2cCheckpointOpensAgainWithTheCompressedWeights) {
  TempFolder temp;
  const RuntimeModel m = openModel(kStories);
  std::shared_ptr<LanguageModel> compressed = m.model->copy();
  CompressionPlan plan;
  plan.prune = {{0.3, false}};
  plan.storage = WeightStorage::Fp16;
  applyPlan(*compressed, plan);
  const SavedModel saved = saveCompressed(m, *compressed, plan.storage, (temp.path / "small").string());
  EXPECT_EQ(saved.path, (temp.path / "small" / "stories260K.bin").string());
  EXPECT_EQ(saved.bytes, double(fs::file_size(kStories)));  // float32 in, float32 out
  EXPECT_NE(saved.note.find("holds float32"), std::string::npos);
  EXPECT_TRUE(fs::exists(temp.path / "small" / "tok512.bin"));
  const RuntimeModel again = openModel(saved.path);
  std::shared_ptr<LanguageModel> reopened = again.model->copy();
  expectSameWeights(*compressed, *reopened);
  const std::vector<int> ids = encodeText(again, "Lily saw a big red ball.");
  EXPECT_EQ(compressed->forward(ids).logits, again.model->forward(ids).logits);
  // The original's file is untouched; the folder is refused once it holds something; nothing partial is left.
  EXPECT_EQ(linearWeights(*openModel(kStories).model->copy()).nonZero, 5 * (2 * 4096 + 2 * 2048 + 3 * 11008));
  EXPECT_NE(test::errorOf([&] {
              saveCompressed(m, *compressed, plan.storage, (temp.path / "small").string());
            }).find("is not an empty folder"),
            std::string::npos);
  for (const fs::directory_entry& e : fs::directory_iterator(temp.path))
    EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos);
}

// A GPT-2 folder of one layer, hidden 8, with GPT-2's real vocabulary (its tokenizer files beside it).
std::string writeTinyGpt2(const fs::path& folder) {
  fs::create_directories(folder);
  std::ofstream(folder / "config.json") << R"({"model_type": "gpt2", "vocab_size": 50257, "n_positions": 16,
    "n_embd": 8, "n_layer": 1, "n_head": 2})";
  for (const char* f : {"vocab.json", "merges.txt"})
    fs::copy_file(fs::path(ATTNSCOPE_TEST_DATA_DIR) / "tokenizers" / "gpt2" / f, folder / f);
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<TensorToWrite> t;
  auto add = [&](const std::string& name, std::vector<Index> shape, const char* dtype) {
    Index count = 1;
    for (Index d : shape) count *= d;
    std::vector<float> v(static_cast<std::size_t>(count));
    for (float& x : v) x = normal(rng);
    t.push_back({name, dtype, shape, tensorBytes(v, dtype)});
  };
  add("wte.weight", {50257, 8}, "F16");
  add("wpe.weight", {16, 8}, "F32");
  for (const char* ln : {"h.0.ln_1", "h.0.ln_2", "ln_f"}) {
    add(std::string(ln) + ".weight", {8}, "F32");
    add(std::string(ln) + ".bias", {8}, "F32");
  }
  add("h.0.attn.c_attn.weight", {8, 24}, "F32");
  add("h.0.attn.c_attn.bias", {24}, "F32");
  add("h.0.attn.c_proj.weight", {8, 8}, "F32");
  add("h.0.attn.c_proj.bias", {8}, "F32");
  add("h.0.mlp.c_fc.weight", {8, 32}, "F32");
  add("h.0.mlp.c_fc.bias", {32}, "F32");
  add("h.0.mlp.c_proj.weight", {32, 8}, "F32");
  add("h.0.mlp.c_proj.bias", {8}, "F32");
  writeSafetensors((folder / "model.safetensors").string(), t);
  return folder.string();
}

TEST(SaveCompressed, AHuggingFaceFolderKeepsItsLayoutAndHalvesItsHalfPrecisionLayers) {
  TempFolder temp;
  const RuntimeModel m = openModel(writeTinyGpt2(temp.path / "tiny"));
  const std::vector<int> ids = encodeText(m, "The little girl saw a red kite.");
  for (const WeightStorage storage : {WeightStorage::Fp16, WeightStorage::Int8}) {
    std::shared_ptr<LanguageModel> compressed = m.model->copy();
    CompressionPlan plan;
    plan.prune = {{0.25, true}};
    plan.storage = storage;
    applyPlan(*compressed, plan);
    const std::string dir = (temp.path / weightStorageName(storage)).string();
    const SavedModel saved = saveCompressed(m, *compressed, storage, dir);
    EXPECT_EQ(saved.path, dir);
    for (const char* f : {"config.json", "vocab.json", "merges.txt", "model.safetensors"})
      EXPECT_TRUE(fs::exists(fs::path(dir) / f)) << f;
    const SafetensorsFile file = SafetensorsFile::open(dir + "/model.safetensors");
    // Conv1D keeps its [in, out] shape; the linear layers take the storage's dtype, the rest their own.
    ASSERT_NE(file.find("h.0.mlp.c_fc.weight"), nullptr);
    EXPECT_EQ(file.find("h.0.mlp.c_fc.weight")->shape, (std::vector<Index>{8, 32}));
    EXPECT_EQ(file.find("h.0.mlp.c_fc.weight")->dtype, storage == WeightStorage::Fp16 ? "F16" : "F32");
    EXPECT_EQ(file.find("wte.weight")->dtype, "F16");
    EXPECT_EQ(file.find("wpe.weight")->dtype, "F32");
    const RuntimeModel again = openModel(dir);
    std::shared_ptr<LanguageModel> reopened = again.model->copy();
    expectSameWeights(*compressed, *reopened);
    if (storage == WeightStorage::Fp16) {
      // Computed in float32 from the same values: the same logits.
      EXPECT_EQ(compressed->forward(ids).logits, again.model->forward(ids).logits);
    } else {
      // Opened again it computes in float32 with the values the integers stand for; the int8 copy also quantized
      // its inputs: close, not equal.
      EXPECT_NE(saved.note.find("float32 values"), std::string::npos);
      EXPECT_TRUE(compressed->forward(ids).logits.isApprox(again.model->forward(ids).logits, 0.05f));
    }
  }
  // The fp16 file is smaller than the int8 one written as float32.
  EXPECT_LT(fs::file_size(temp.path / "fp16" / "model.safetensors"),
            fs::file_size(temp.path / "int8" / "model.safetensors"));
}

}  // namespace
}  // namespace attnscope

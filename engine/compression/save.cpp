#include "engine/compression/save.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "engine/io/atomic_file.h"
#include "engine/io/safetensors.h"
#include "engine/util/error.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kLlama2cHeaderBytes = 7 * 4;

// The files of a Hugging Face folder that are not weights (config, tokenizer, generation settings).
bool weightsFile(const fs::path& p) {
  const std::string name = p.filename().string(), ext = p.extension().string();
  return ext == ".safetensors" || name == "model.safetensors.index.json" || ext == ".bin" || ext == ".h5" ||
         ext == ".msgpack" || ext == ".ot" || ext == ".onnx" || ext == ".pt" || ext == ".pth";
}

void copyInto(const fs::path& from, const fs::path& folder) {
  std::error_code ec;
  if (fs::file_size(from, ec) > (std::uintmax_t(64) << 20))
    throw Error("'" + from.string() + "' is larger than 64 MB: not copied as a config or tokenizer file");
  fs::copy_file(from, folder / from.filename(), fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error("could not copy '" + from.string() + "': " + ec.message());
}

// Writes the llama2.c checkpoint with the compressed weights at their offsets.
std::string saveLlama2c(const RuntimeModel& source, LanguageModel& compressed, const fs::path& temp) {
  const std::uintmax_t size = fs::file_size(source.path);
  checkMemory(double(size), "the checkpoint's copy", "choose a smaller model");
  std::string bytes = readSmallFile(source.path, std::size_t(size), "a llama2.c checkpoint");
  for (const NamedLinear& l : compressed.linears()) {
    const WeightSource& s = l.linear->source();
    if (s.offset < 0) throw Error("layer '" + l.name + "' does not say where in the checkpoint it was read from");
    const std::vector<float> w = l.linear->weights();
    const std::uint64_t at = kLlama2cHeaderBytes + std::uint64_t(s.offset) * 4;
    if (at + w.size() * 4 > bytes.size()) throw Error("layer '" + l.name + "' lies past the checkpoint's end");
    std::memcpy(bytes.data() + at, w.data(), w.size() * 4);
  }
  const fs::path out = temp / fs::path(source.path).filename();
  writeFileAtomically(out.string(), bytes);
  if (!source.tokenizerPath.empty()) copyInto(source.tokenizerPath, temp);
  return fs::path(source.path).filename().string();
}

void saveFolder(const RuntimeModel& source, LanguageModel& compressed, WeightStorage storage, const fs::path& temp) {
  const SafetensorsWeights weights = SafetensorsWeights::open(source.path);
  std::map<std::string, const PackedLinear*> replaced;
  for (const NamedLinear& l : compressed.linears()) {
    if (l.linear->source().tensor.empty())
      throw Error("layer '" + l.name + "' does not say which tensor it was read from");
    replaced[l.linear->source().tensor] = l.linear;
  }
  const std::string halfDtype = storage == WeightStorage::Fp16   ? "F16"
                                : storage == WeightStorage::Bf16 ? "BF16"
                                                                 : "F32";
  std::vector<TensorToWrite> out;
  double total = 0;
  for (const std::string& name : weights.names()) total += double(weights.find(name)->count()) * 4;
  checkMemory(2 * total, "the compressed model's tensors", "choose a smaller model");
  for (const std::string& name : weights.names()) {
    const TensorInfo* info = weights.find(name);
    if (info->dtype != "F32" && info->dtype != "F16" && info->dtype != "BF16") continue;  // buffers: not weights
    TensorToWrite t{name, info->dtype, info->shape, {}};
    const auto found = replaced.find(name);
    if (found == replaced.end()) {
      t.bytes = tensorBytes(weights.read(name), info->dtype);
    } else {
      const PackedLinear& l = *found->second;
      std::vector<float> w = l.weights();  // [out, in]
      if (l.source().inOut) {              // Conv1D: [in, out]
        std::vector<float> t2(w.size());
        for (Index o = 0; o < l.out(); ++o)
          for (Index i = 0; i < l.in(); ++i) t2[std::size_t(i * l.out() + o)] = w[std::size_t(o * l.in() + i)];
        w.swap(t2);
      }
      t.dtype = halfDtype;
      t.bytes = tensorBytes(w, halfDtype);
      replaced.erase(found);
    }
    out.push_back(std::move(t));
  }
  if (!replaced.empty())
    throw Error("tensor '" + replaced.begin()->first + "' of a linear layer is not among the model's weights");
  writeSafetensors((temp / "model.safetensors").string(), std::move(out));
  for (const fs::directory_entry& e : fs::directory_iterator(source.path))
    if (e.is_regular_file() && !weightsFile(e.path())) copyInto(e.path(), temp);
  // A tokenizer given from elsewhere comes along.
  if (!source.tokenizerPath.empty() && fs::path(source.tokenizerPath).parent_path() != fs::path(source.path) &&
      fs::is_regular_file(source.tokenizerPath))
    copyInto(source.tokenizerPath, temp);
}

}  // namespace

SavedModel saveCompressed(const RuntimeModel& source, LanguageModel& compressed, WeightStorage storage,
                          const std::string& dir) {
  std::error_code ec;
  const fs::path target = dir;
  if (fs::exists(target, ec) && (!fs::is_directory(target, ec) || !fs::is_empty(target, ec)))
    throw Error("--save '" + dir + "' is not allowed: it exists and is not an empty folder; give a new or empty one");
  const bool llama2c = fs::is_regular_file(source.path, ec);
  if (!llama2c && !fs::is_directory(source.path, ec))
    throw Error("the model '" + source.path + "' is neither a folder nor a llama2.c checkpoint: nothing to save from");
  const fs::path temp = target.parent_path() / (target.filename().string() + ".partial-" + std::to_string(::getpid()));
  fs::remove_all(temp, ec);
  fs::create_directories(temp, ec);
  if (ec) throw Error("could not make the folder '" + temp.string() + "': " + ec.message());
  SavedModel saved;
  try {
    std::string file;
    if (llama2c) {
      file = saveLlama2c(source, compressed, temp);
      if (storage != WeightStorage::Float32)
        saved.note = "llama2.c's format holds float32: the values are the compressed ones, the file is not smaller";
    } else {
      saveFolder(source, compressed, storage, temp);
      file = "model.safetensors";
      if (storage == WeightStorage::Int8)
        saved.note = "int8 layers are written as the float32 values they stand for (safetensors names no scale)";
    }
    if (fs::exists(target, ec)) fs::remove(target, ec);  // empty: checked above
    fs::rename(temp, target, ec);
    if (ec) throw Error("could not move the saved model into '" + dir + "': " + ec.message());
    saved.path = llama2c ? (target / file).string() : target.string();
    saved.bytes = double(fs::file_size(target / file));
  } catch (...) {
    fs::remove_all(temp, ec);
    throw;
  }
  return saved;
}

}  // namespace attnscope

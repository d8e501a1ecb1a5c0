#include "engine/io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "engine/io/atomic_file.h"
#include "engine/io/json.h"
#include "engine/io/mapped_file.h"
#include "engine/io/npy.h"
#include "engine/util/error.h"
#include "engine/util/format.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace {

constexpr std::uint64_t kMostHeaderBytes = 100u << 20;  // the safetensors library's own limit

int itemSize(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64" || dtype == "U64") return 8;
  if (dtype == "F32" || dtype == "I32" || dtype == "U32") return 4;
  if (dtype == "F16" || dtype == "BF16" || dtype == "I16" || dtype == "U16") return 2;
  if (dtype == "I8" || dtype == "U8" || dtype == "BOOL" || dtype == "F8_E4M3" || dtype == "F8_E5M2") return 1;
  return 0;
}

}  // namespace

Index TensorInfo::count() const {
  Index n = 1;
  for (Index d : shape) n *= d;
  return n;
}

std::string shapeText(const std::vector<Index>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.path_ = path;
  f.file_ = MappedFile::open(path);
  auto fail = [&](const std::string& what) { return Error("safetensors '" + path + "': " + what); };
  const std::uint64_t size = f.file_->size();
  if (size < 8) throw fail("it has " + std::to_string(size) + " bytes, fewer than the 8 of the header's length");
  std::uint64_t headerBytes = 0;
  for (int i = 7; i >= 0; --i) headerBytes = (headerBytes << 8) | f.file_->data()[i];
  if (headerBytes > kMostHeaderBytes || headerBytes > size - 8)
    throw fail("its header length " + std::to_string(headerBytes) + " is not allowed: expected at most " +
               std::to_string(std::min<std::uint64_t>(kMostHeaderBytes, size - 8)) + " (the file has " +
               std::to_string(size) + " bytes)");
  const std::string header(reinterpret_cast<const char*>(f.file_->data() + 8), headerBytes);
  const JsonValue json = parseJson(header, "the header of '" + path + "'");
  if (!json.isObject())
    throw fail("its header is " + std::string(JsonValue::kindName(json.kind())) + ", not an object");
  f.dataStart_ = 8 + headerBytes;
  const std::uint64_t dataBytes = size - f.dataStart_;
  for (const auto& [name, entry] : json.members()) {
    const std::string who = "tensor '" + attnscope::quoted(name) + "'";
    if (name == "__metadata__") {
      if (!entry.isObject()) throw fail("__metadata__ is not an object of strings");
      for (const auto& [k, v] : entry.members()) {
        if (!v.isString()) throw fail("__metadata__ '" + attnscope::quoted(k) + "' is not a string");
        f.metadata_[k] = v.asString();
      }
      continue;
    }
    if (!entry.isObject()) throw fail(who + " is not an object with dtype, shape and data_offsets");
    const JsonValue* dtype = entry.find("dtype");
    const JsonValue* shape = entry.find("shape");
    const JsonValue* offsets = entry.find("data_offsets");
    if (!dtype || !dtype->isString() || !shape || !shape->isArray() || !offsets || !offsets->isArray() ||
        offsets->items().size() != 2)
      throw fail(who + " needs dtype (a string), shape (a list) and data_offsets ([begin, end])");
    TensorInfo t;
    t.name = name;
    t.dtype = dtype->asString();
    const int item = itemSize(t.dtype);
    if (item == 0)
      throw fail(who + " has dtype '" + attnscope::quoted(t.dtype) + "', which safetensors does not define");
    double product = 1;
    for (const JsonValue& d : shape->items()) {
      const std::optional<std::int64_t> v = d.asInteger();
      if (!d.isNumber() || !v || *v < 0) throw fail(who + " has a shape entry that is not a non-negative integer");
      t.shape.push_back(*v);
      product *= double(*v);
    }
    std::uint64_t ends[2];
    for (int k = 0; k < 2; ++k) {
      const std::optional<std::int64_t> v = offsets->items()[std::size_t(k)].asInteger();
      if (!offsets->items()[std::size_t(k)].isNumber() || !v || *v < 0)
        throw fail(who + " has data_offsets that are not non-negative integers");
      ends[k] = static_cast<std::uint64_t>(*v);
    }
    t.begin = ends[0];
    t.end = ends[1];
    if (t.end < t.begin || t.end > dataBytes)
      throw fail(who + " has data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                 "], outside the " + std::to_string(dataBytes) + " bytes of data");
    if (product * item != double(t.end - t.begin))
      throw fail(who + " of shape " + shapeText(t.shape) + " and dtype " + t.dtype + " needs " +
                 std::to_string(static_cast<std::uint64_t>(product * item)) + " bytes, but its data_offsets hold " +
                 std::to_string(t.end - t.begin));
    f.tensors_.push_back(std::move(t));
  }
  // The tensors tile the data: sorted by offset, each starts where the last ended, and the last ends the file.
  std::vector<const TensorInfo*> byOffset;
  for (const TensorInfo& t : f.tensors_) byOffset.push_back(&t);
  std::sort(byOffset.begin(), byOffset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin < b->begin || (a->begin == b->begin && a->end < b->end);
  });
  std::uint64_t at = 0;
  for (const TensorInfo* t : byOffset) {
    if (t->begin != at)
      throw fail("tensor '" + attnscope::quoted(t->name) + "' starts at byte " + std::to_string(t->begin) +
                 " of the data, " +
                 (t->begin < at ? "inside the tensor before it" : "leaving a gap after the tensor before it") +
                 " (which ends at " + std::to_string(at) + ")");
    at = t->end;
  }
  if (at != dataBytes)
    throw fail("its tensors hold " + std::to_string(at) + " bytes of data, but the file has " +
               std::to_string(dataBytes) + " after the header");
  return f;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  for (const TensorInfo& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<float> SafetensorsFile::read(const std::string& name, const std::vector<Index>& shape) const {
  const TensorInfo* t = find(name);
  if (!t) throw Error("safetensors '" + path_ + "' has no tensor '" + attnscope::quoted(name) + "'");
  if (!shape.empty() && shape != t->shape)
    throw Error("safetensors '" + path_ + "': tensor '" + attnscope::quoted(name) + "' has shape " +
                shapeText(t->shape) + ", but the config needs " + shapeText(shape));
  if (t->dtype != "F32" && t->dtype != "F16" && t->dtype != "BF16")
    throw Error("safetensors '" + path_ + "': tensor '" + attnscope::quoted(name) + "' is " + t->dtype +
                ": expected F32, F16 or BF16 weights");
  checkMemory(4.0 * double(t->count()), "tensor '" + name + "'", "choose a smaller model");
  std::vector<float> out(static_cast<std::size_t>(t->count()));
  struct Copy {
    float* out;
    Index count;
    int kind;  // 0 F32, 1 F16, 2 BF16
  } copy{out.data(), t->count(), t->dtype == "F32" ? 0 : t->dtype == "F16" ? 1 : 2};
  file_->read(
      dataStart_ + t->begin, t->end - t->begin,
      [](const unsigned char* bytes, void* context) {
        auto* c = static_cast<Copy*>(context);
        if (c->kind == 0) {
          std::memcpy(c->out, bytes, std::size_t(c->count) * 4);
        } else if (c->kind == 1) {
          halfToFloat(bytes, c->out, c->count);
        } else {
          for (Index i = 0; i < c->count; ++i) {
            const std::uint32_t bits = std::uint32_t(bytes[2 * i]) << 16 | std::uint32_t(bytes[2 * i + 1]) << 24;
            std::memcpy(c->out + i, &bits, 4);
          }
        }
      },
      &copy);
  return out;
}

SafetensorsWeights SafetensorsWeights::open(const std::string& folder) {
  namespace fs = std::filesystem;
  SafetensorsWeights w;
  const fs::path single = fs::path(folder) / "model.safetensors",
                 index = fs::path(folder) / "model.safetensors.index.json";
  std::error_code ec;
  if (fs::exists(index, ec)) {
    const JsonValue json = readJsonFile(index.string(), 64u << 20);
    const JsonValue* map = json.isObject() ? json.find("weight_map") : nullptr;
    if (!map || !map->isObject()) throw Error("'" + index.string() + "' has no weight_map object (tensor name → file)");
    std::map<std::string, std::size_t> files;
    for (const auto& [name, file] : map->members()) {
      if (!file.isString() || file.asString().find('/') != std::string::npos || file.asString().empty())
        throw Error("'" + index.string() + "': tensor '" + attnscope::quoted(name) +
                    "' maps to something that is not a file name in the folder");
      auto [it, added] = files.emplace(file.asString(), w.files_.size());
      if (added) w.files_.push_back(SafetensorsFile::open((fs::path(folder) / file.asString()).string()));
      if (!w.files_[it->second].find(name))
        throw Error("'" + index.string() + "' maps tensor '" + attnscope::quoted(name) + "' to '" +
                    attnscope::quoted(file.asString()) + "', which does not hold it");
      w.where_[name] = it->second;
    }
  } else if (fs::exists(single, ec)) {
    w.files_.push_back(SafetensorsFile::open(single.string()));
    for (const TensorInfo& t : w.files_[0].tensors()) w.where_[t.name] = 0;
  } else {
    throw Error("model folder '" + folder + "' has no model.safetensors or model.safetensors.index.json");
  }
  return w;
}

bool SafetensorsWeights::has(const std::string& name) const { return where_.count(name) > 0; }

std::vector<float> SafetensorsWeights::read(const std::string& name, const std::vector<Index>& shape) const {
  const auto found = where_.find(name);
  if (found == where_.end()) throw Error("the model's weights have no tensor '" + attnscope::quoted(name) + "'");
  return files_[found->second].read(name, shape);
}

const TensorInfo* SafetensorsWeights::find(const std::string& name) const {
  const auto found = where_.find(name);
  return found == where_.end() ? nullptr : files_[found->second].find(name);
}

std::vector<std::string> SafetensorsWeights::names() const {
  std::vector<std::string> out;
  for (const auto& [name, file] : where_) out.push_back(name);
  return out;
}

std::string tensorBytes(const std::vector<float>& values, const std::string& dtype) {
  std::string out;
  if (dtype == "F32") {
    out.resize(values.size() * 4);
    std::memcpy(out.data(), values.data(), out.size());
    return out;
  }
  if (dtype != "F16" && dtype != "BF16") throw Error("a tensor is written as F32, F16 or BF16, not " + dtype);
  out.resize(values.size() * 2);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::uint16_t h = dtype == "F16" ? floatToHalf(values[i]) : floatToBfloat16(values[i]);
    out[2 * i] = char(h & 0xff);
    out[2 * i + 1] = char(h >> 8);
  }
  return out;
}

void writeSafetensors(const std::string& path, std::vector<TensorToWrite> tensors) {
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  std::string header = "{";
  std::uint64_t at = 0;
  for (const TensorToWrite& t : tensors) {
    std::uint64_t count = 1;
    for (Index d : t.shape) count *= std::uint64_t(d);
    if (t.bytes.size() != count * std::uint64_t(itemSize(t.dtype)))
      throw Error("tensor '" + t.name + "' of shape " + shapeText(t.shape) + " as " + t.dtype + " needs " +
                  std::to_string(count * std::uint64_t(itemSize(t.dtype))) + " bytes, not " +
                  std::to_string(t.bytes.size()));
    if (header.size() > 1) header += ",";
    header += jsonString(t.name) + ":{\"dtype\":\"" + t.dtype + "\",\"shape\":[";
    for (std::size_t d = 0; d < t.shape.size(); ++d) header += (d ? "," : "") + std::to_string(t.shape[d]);
    header += "],\"data_offsets\":[" + std::to_string(at) + "," + std::to_string(at + t.bytes.size()) + "]}";
    at += t.bytes.size();
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';
  AtomicFile file(path);
  std::ostream& out = file.stream();
  const std::uint64_t length = header.size();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i) prefix[i] = static_cast<unsigned char>(length >> (8 * i));
  out.write(reinterpret_cast<const char*>(prefix), 8);
  out << header;
  for (const TensorToWrite& t : tensors) out.write(t.bytes.data(), std::streamsize(t.bytes.size()));
  file.commit();
}

}  // namespace attnscope

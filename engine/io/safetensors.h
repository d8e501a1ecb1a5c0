#pragma once
// Hugging Face safetensors: an unsigned 64-bit little-endian header length N, N bytes of JSON naming each tensor's
// dtype, shape and data_offsets [begin, end) (relative to the byte after the header; "__metadata__" holds strings),
// then the data. Files are memory-mapped; opening checks the header against the file as the safetensors library
// validates it — every tensor's byte length is its shape's product times its item size, and the tensors tile the
// data exactly (sorted by offset, from 0, no gap, no overlap, to the file's end) — so offsets cannot lie, and
// nothing past what is checked is read. Tensors are read as float32 from F32, F16 or BF16.
//
// A model's weights may be sharded: model.safetensors.index.json's "weight_map" names the file of each tensor.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/util/types.h"

namespace attnscope {

class MappedFile;

struct TensorInfo {
  std::string name;
  std::string dtype;  ///< "F32", "F16", "BF16", "I64", … as the file writes it
  std::vector<Index> shape;
  std::uint64_t begin = 0, end = 0;  ///< in the data, after the header
  Index count() const;
};

class SafetensorsFile {
 public:
  /// Opens and checks a file; throws Error with one line naming the file, the tensor and what is wrong.
  static SafetensorsFile open(const std::string& path);

  const std::string& path() const { return path_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// Tensor `name` as float32 (from F32, F16 or BF16). With `shape` given, it must be that shape. Throws Error for a
  /// missing tensor, another shape, a dtype that is not a float, or a file that changed since it was opened.
  std::vector<float> read(const std::string& name, const std::vector<Index>& shape = {}) const;

 private:
  std::string path_;
  std::shared_ptr<const MappedFile> file_;
  std::uint64_t dataStart_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// A model's weights in one file or in shards: `folder`/model.safetensors, or the files its
/// model.safetensors.index.json names (each opened and checked; every tensor the index maps must be in its file).
class SafetensorsWeights {
 public:
  static SafetensorsWeights open(const std::string& folder);
  bool has(const std::string& name) const;
  /// As SafetensorsFile::read, from the file that holds it.
  std::vector<float> read(const std::string& name, const std::vector<Index>& shape = {}) const;
  /// Every tensor name, sorted.
  std::vector<std::string> names() const;
  /// A tensor's entry (dtype, shape), or null.
  const TensorInfo* find(const std::string& name) const;

 private:
  std::vector<SafetensorsFile> files_;
  std::map<std::string, std::size_t> where_;  ///< tensor → index in files_
};

/// A tensor to write: its dtype ("F32", "F16" or "BF16") and its bytes, little-endian, as many as its shape needs.
struct TensorToWrite {
  std::string name, dtype;
  std::vector<Index> shape;
  std::string bytes;
};
/// Writes a safetensors file all or nothing: the header (names sorted, offsets tiling the data in that order, padded
/// with spaces to a multiple of 8 bytes as the library pads it), then the data. Throws Error for a tensor whose bytes
/// do not match its shape and dtype, or a file that cannot be written.
void writeSafetensors(const std::string& path, std::vector<TensorToWrite> tensors);
/// Float32 values as a tensor's bytes in `dtype` (F32; F16 and BF16 rounded to nearest even).
std::string tensorBytes(const std::vector<float>& values, const std::string& dtype);

/// A human-readable shape: "[768, 3072]".
std::string shapeText(const std::vector<Index>& shape);

}  // namespace attnscope

#pragma once
// A file mapped read-only into memory (POSIX mmap): its pages are read on first touch and dropped by the kernel
// under pressure, so a dump of several gigabytes opens at once and costs resident memory only for what is read.

#include <cstdint>
#include <memory>
#include <string>

namespace attnscope {

class MappedFile {
 public:
  /// Maps a regular file whole; throws Error naming it when it cannot be opened, is not a regular file or cannot
  /// be mapped. An empty file maps to no bytes.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const unsigned char* data() const { return data_; }
  std::uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  /// Tells the kernel the pages of [offset, offset + length) will not be needed soon (they stay valid).
  void release(std::uint64_t offset, std::uint64_t length) const;

 private:
  MappedFile() = default;
  const unsigned char* data_ = nullptr;
  std::uint64_t size_ = 0;
  std::string path_;
};

}  // namespace attnscope

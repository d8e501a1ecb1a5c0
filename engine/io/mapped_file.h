#pragma once
// A file mapped read-only into memory (POSIX mmap): its pages are read on first touch and dropped by the kernel
// under pressure, so a dump of several gigabytes opens at once and costs resident memory only for what is read.
//
// A mapped file can change under us: a user re-exports a dump to the same path while it is open. Pages past a
// truncation raise SIGBUS on touch, which would end the program. Reads therefore go through read(), which checks
// that the file still has the size and modification time it had when opened, and turns a SIGBUS inside the copy
// into the same message: "'<path>' changed since it was opened".

#include <cstddef>
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

  /// The mapped bytes. Touching them directly is for headers checked at open; data goes through read().
  const unsigned char* data() const { return data_; }
  std::uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  /// Tells the kernel the pages of [offset, offset + length) will not be needed soon (they stay readable): out of
  /// this mapping, and out of the page cache too when the file is larger than memoryLimitBytes().
  void release(std::uint64_t offset, std::uint64_t length) const;

  /// Calls copy(bytes) with a pointer to [offset, offset + length), which must lie inside the file as opened.
  /// Throws Error("'<path>' changed since it was opened …") when touching the bytes faults because the file was cut
  /// short, and, with `checkFirst`, when its size or modification time changed (an fstat: callers ask for it once
  /// a pass, not once a row). `copy` must only read the bytes and write plain memory (no allocation, no locks,
  /// nothing with a destructor): a fault leaves it part-way.
  void read(std::uint64_t offset, std::uint64_t length, void (*copy)(const unsigned char* bytes, void* context),
            void* context, bool checkFirst = true) const;
  /// Throws the same Error when the file's size or modification time is not what it was at open.
  void checkUnchanged() const;

 private:
  MappedFile() = default;
  [[noreturn]] void changed() const;
  const unsigned char* data_ = nullptr;
  std::uint64_t size_ = 0;
  std::string path_;
  int fd_ = -1;               ///< kept open to ask the file, not the path, whether it changed
  std::int64_t mtimeNs_ = 0;  ///< the modification time at open
};

}  // namespace attnscope

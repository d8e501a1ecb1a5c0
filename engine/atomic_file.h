#pragma once
// Writing a file all or nothing: data goes to a temporary file beside the target, which replaces the target
// only on commit(). If anything fails first (or the writer is destroyed uncommitted) the temporary is removed.

#include <fstream>
#include <string>

namespace attnscope {

class AtomicFile {
 public:
  /// Opens a temporary file next to `path`; throws Error if it cannot.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  /// Flushes, closes and renames over the target; throws Error on any failure (and leaves nothing behind).
  void commit();

 private:
  std::string path_, temp_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace attnscope

#pragma once
// Writing a file all or nothing: data goes to a temporary file beside the target, which replaces the target
// only on commit(). If anything fails first (or the writer is destroyed uncommitted) the temporary is removed,
// and so it is when the process is ended by SIGINT, SIGTERM or SIGHUP once removeTemporariesOnSignals() ran.
//
// What an output path may be: a new file, a regular file (replaced whole), or a symbolic link, which is written
// through deliberately (its target is replaced, the link stays). A folder, FIFO, device or socket is refused with
// a message: it is never silently replaced by a regular file.

#include <fstream>
#include <string>
#include <string_view>

namespace attnscope {

/// The file that writing to `path` replaces: `path`, or the final target of the link at `path`. Throws Error when
/// that is a folder, FIFO, device or socket, or a file this process has read as an input.
std::string outputTarget(const std::string& path);

/// Throws Error naming `path` unless it is a regular file: inputs are read only from regular files (a FIFO would
/// block, a device would never end, a folder cannot be read). Every reader calls it first, and it remembers the
/// file as one of this process's inputs: outputTarget() refuses to replace an input (a command whose output path
/// names one of its inputs would otherwise overwrite it).
void requireRegularFile(const std::string& path);
/// Remembers a regular file already checked as one of this process's inputs (for readers that stat it themselves).
void noteInput(unsigned long long device, unsigned long long inode);

/// A whole text file of at most `maxBytes` bytes: a regular file, refused by its size before a byte is read (and
/// if it grows while it is read). `what` says what the file is for, in the message. Throws Error.
std::string readSmallFile(const std::string& path, std::size_t maxBytes, const std::string& what);

/// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove every open AtomicFile temporary and then end the
/// process as the signal would have. For programs (the command line); safe to call more than once.
void removeTemporariesOnSignals();

class AtomicFile {
 public:
  /// Opens a temporary file next to outputTarget(path); throws Error if it cannot.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  /// Flushes, closes and renames over the target; throws Error on any failure (and leaves nothing behind).
  void commit();

 private:
  std::string path_, target_, temp_;
  std::ofstream out_;
  int slot_ = -1;
  bool committed_ = false;
};

/// Writes `bytes` to `path` all or nothing (an encoded image, a JSON text). Throws Error.
void writeFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace attnscope

#include "engine/io/mapped_file.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "engine/io/atomic_file.h"
#include "engine/util/error.h"
#include "engine/util/limits.h"

namespace attnscope {

namespace {

std::int64_t mtimeOf(const struct stat& info) {
  return std::int64_t(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

// The guard for reads of a mapping whose file may be cut short while it is mapped. A thread inside read() has
// tGuard set; SIGBUS on that thread jumps back to read(), which reports the file as changed. A SIGBUS anywhere else
// is not ours: the handler puts the previous disposition back and returns, so the fault repeats and is handled as
// it would have been without us.
thread_local sigjmp_buf* tGuard = nullptr;
struct sigaction gPrevious {};

void onBusError(int, siginfo_t*, void*) {
  if (sigjmp_buf* guard = tGuard) siglongjmp(*guard, 1);
  ::sigaction(SIGBUS, &gPrevious, nullptr);
}

void installBusHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = onBusError;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &gPrevious);
  });
}

// Runs copy(bytes, context); false when it faulted. Kept apart so that nothing with a destructor lives in the frame
// that siglongjmp returns to.
bool guardedCopy(const unsigned char* bytes, void (*copy)(const unsigned char*, void*), void* context) {
  sigjmp_buf jump;
  sigjmp_buf* const outer = tGuard;
  if (sigsetjmp(jump, 1) != 0) {
    tGuard = outer;
    return false;
  }
  tGuard = &jump;
  copy(bytes, context);
  tGuard = outer;
  return true;
}

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::open(const std::string& path) {
  // Checked before opening: opening a FIFO would wait for a writer.
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw Error("cannot open '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    throw Error("cannot open '" + path + "': it is not a regular file" +
                (S_ISDIR(info.st_mode)    ? " (a folder)"
                 : S_ISFIFO(info.st_mode) ? " (a FIFO)"
                                          : ""));
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error("cannot open '" + path + "': " + std::strerror(errno));
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw Error("cannot open '" + path + "': it is not a regular file");
  }
  noteInput(static_cast<unsigned long long>(info.st_dev), static_cast<unsigned long long>(info.st_ino));
  std::shared_ptr<MappedFile> file(new MappedFile);
  file->path_ = path;
  file->fd_ = fd;
  file->size_ = static_cast<std::uint64_t>(info.st_size);
  file->mtimeNs_ = mtimeOf(info);
  if (file->size_ > 0) {
    void* at = ::mmap(nullptr, static_cast<std::size_t>(file->size_), PROT_READ, MAP_PRIVATE, fd, 0);
    if (at == MAP_FAILED) throw Error("cannot map '" + path + "' into memory: " + std::strerror(errno));
    file->data_ = static_cast<const unsigned char*>(at);
  }
  installBusHandler();
  return file;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<unsigned char*>(data_), static_cast<std::size_t>(size_));
  if (fd_ >= 0) ::close(fd_);
}

void MappedFile::changed() const {
  throw Error("'" + path_ + "' changed since it was opened (written again or cut short): open it again");
}

void MappedFile::checkUnchanged() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0 || static_cast<std::uint64_t>(info.st_size) != size_ || mtimeOf(info) != mtimeNs_)
    changed();
}

void MappedFile::read(std::uint64_t offset, std::uint64_t length, void (*copy)(const unsigned char*, void*),
                      void* context, bool checkFirst) const {
  if (offset > size_ || length > size_ - offset)
    throw Error("'" + path_ + "': a read of " + std::to_string(length) + " bytes at " + std::to_string(offset) +
                " lies outside the file's " + std::to_string(size_) + " bytes");
  if (checkFirst) checkUnchanged();
  if (!guardedCopy(data_ + offset, copy, context)) changed();
}

void MappedFile::release(std::uint64_t offset, std::uint64_t length) const {
  if (!data_ || offset >= size_) return;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t begin = (offset + page - 1) / page * page, end = std::min(size_, offset + length) / page * page;
  if (end > begin) {
    ::madvise(const_cast<unsigned char*>(data_) + begin, static_cast<std::size_t>(end - begin), MADV_DONTNEED);
    // And out of the page cache when the file is larger than the memory we may use: such a dump streams through
    // instead of filling the cache. A smaller one stays cached, so the next pass over it (a picture, a fit, a
    // rollout) reads memory, not the disk.
    if (static_cast<double>(size_) > memoryLimitBytes())
      ::posix_fadvise(fd_, static_cast<off_t>(begin), static_cast<off_t>(end - begin), POSIX_FADV_DONTNEED);
  }
}

}  // namespace attnscope

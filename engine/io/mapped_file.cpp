#include "engine/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/util/error.h"

namespace attnscope {

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
  std::shared_ptr<MappedFile> file(new MappedFile);
  file->path_ = path;
  file->size_ = static_cast<std::uint64_t>(info.st_size);
  if (file->size_ > 0) {
    void* at = ::mmap(nullptr, static_cast<std::size_t>(file->size_), PROT_READ, MAP_PRIVATE, fd, 0);
    if (at == MAP_FAILED) {
      const int why = errno;
      ::close(fd);
      throw Error("cannot map '" + path + "' into memory: " + std::strerror(why));
    }
    file->data_ = static_cast<const unsigned char*>(at);
  }
  ::close(fd);  // the mapping keeps the file open
  return file;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<unsigned char*>(data_), static_cast<std::size_t>(size_));
}

void MappedFile::release(std::uint64_t offset, std::uint64_t length) const {
  if (!data_ || offset >= size_) return;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t begin = (offset + page - 1) / page * page, end = std::min(size_, offset + length) / page * page;
  if (end > begin)
    ::madvise(const_cast<unsigned char*>(data_) + begin, static_cast<std::size_t>(end - begin), MADV_DONTNEED);
}

}  // namespace attnscope

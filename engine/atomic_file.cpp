#include "engine/atomic_file.h"

#include <cstdio>
#include <filesystem>
#include <random>

#include "engine/error.h"

namespace attnscope {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  std::random_device rd;
  temp_ = path_ + ".part-" + std::to_string(rd() % 1000000);
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_) throw Error("cannot write '" + path_ + "': the folder does not exist or is not writable");
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

void AtomicFile::commit() {
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || out_.fail()) throw Error("cannot write '" + path_ + "': writing failed (is the disk full?)");
  std::error_code ec;
  std::filesystem::rename(temp_, path_, ec);
  if (ec) throw Error("cannot write '" + path_ + "': " + ec.message());
  committed_ = true;
}

}  // namespace attnscope

#include "engine/io/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <set>
#include <random>

#include "engine/util/error.h"

namespace attnscope {

namespace {

// Open temporaries, in fixed slots that a signal handler can read without allocating or locking.
constexpr int kSlots = 32;
constexpr std::size_t kPathBytes = 4096;
std::array<std::atomic<bool>, kSlots> slotUsed{};
std::array<std::array<char, kPathBytes>, kSlots> slotPath{};

int claimSlot(const std::string& path) {
  if (path.size() >= kPathBytes) return -1;
  for (int s = 0; s < kSlots; ++s) {
    bool expected = false;
    if (slotUsed[s].load() || !slotUsed[s].compare_exchange_strong(expected, true)) continue;
    std::memcpy(slotPath[s].data(), path.c_str(), path.size() + 1);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return s;
  }
  return -1;  // more than kSlots files open at once: still removed on failure, only not on a signal
}

void releaseSlot(int s) {
  if (s >= 0) slotUsed[s].store(false);
}

extern "C" void removeTemporariesAndDie(int sig) {
  for (int s = 0; s < kSlots; ++s)
    if (slotUsed[s].load()) ::unlink(slotPath[s].data());
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// The files read as inputs, by device and inode (a path may name one through a link or another spelling).
std::mutex inputsMutex;
std::set<std::pair<unsigned long long, unsigned long long>> inputs;

bool isInput(const struct stat& st) {
  std::lock_guard lock(inputsMutex);
  return inputs.count({static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino)}) > 0;
}

}  // namespace

void noteInput(unsigned long long device, unsigned long long inode) {
  std::lock_guard lock(inputsMutex);
  inputs.insert({device, inode});
}

std::string outputTarget(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path target(path);
  // A link is followed to its end (a link to a link, too); a dangling one names the file to create.
  for (int hops = 0; fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {
    if (hops == 40) throw Error("cannot write '" + path + "': its symbolic links go round in a loop");
    const fs::path next = fs::read_symlink(target, ec);
    if (ec) throw Error("cannot write '" + path + "': " + ec.message());
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  struct stat st {};
  if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    throw Error("cannot write '" + path + "': it is " +
                (S_ISDIR(st.st_mode)    ? std::string("a folder")
                 : S_ISFIFO(st.st_mode) ? std::string("a FIFO")
                                        : std::string("a device or socket")) +
                ", not a regular file; name a file");
  if (::stat(target.c_str(), &st) == 0 && isInput(st))
    throw Error("cannot write '" + path + "': it is one of the files this run reads; name another file");
  return target.string();
}

void requireRegularFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw Error("cannot read '" + path + "': no such file, or not readable");
  if (!S_ISREG(st.st_mode))
    throw Error("cannot read '" + path + "': it is not a regular file (" +
                (S_ISDIR(st.st_mode)    ? "a folder"
                 : S_ISFIFO(st.st_mode) ? "a FIFO"
                                        : "a device or socket") +
                "); give a file");
  noteInput(static_cast<unsigned long long>(st.st_dev), static_cast<unsigned long long>(st.st_ino));
}

std::string readSmallFile(const std::string& path, std::size_t maxBytes, const std::string& what) {
  requireRegularFile(path);
  struct stat st {};
  ::stat(path.c_str(), &st);
  const auto tooLarge = [&] {
    throw Error("'" + path + "' has more than " + std::to_string(maxBytes) + " bytes, more than " + what + " may have");
  };
  if (static_cast<std::uint64_t>(st.st_size) > maxBytes) tooLarge();
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "': no such file, or not readable");
  std::string bytes(maxBytes + 1, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > maxBytes) tooLarge();  // it grew while we read
  return bytes;
}

void removeTemporariesOnSignals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction action {};
    action.sa_handler = removeTemporariesAndDie;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    sigaction(sig, &action, nullptr);
  }
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), target_(outputTarget(path_)) {
  std::random_device rd;
  temp_ = target_ + ".part-" + std::to_string(rd() % 1000000);
  slot_ = claimSlot(temp_);
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    releaseSlot(slot_);
    throw Error("cannot write '" + path_ + "': the folder does not exist or is not writable");
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
  releaseSlot(slot_);
}

void AtomicFile::commit() {
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok || out_.fail()) throw Error("cannot write '" + path_ + "': writing failed (is the disk full?)");
  std::error_code ec;
  std::filesystem::rename(temp_, target_, ec);
  if (ec) throw Error("cannot write '" + path_ + "': " + ec.message());
  committed_ = true;
}

void writeFileAtomically(const std::string& path, std::string_view bytes) {
  AtomicFile file(path);
  file.stream().write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  file.commit();
}

}  // namespace attnscope

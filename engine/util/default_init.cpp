#include "engine/util/default_init.h"

#include <cstdint>
#include <cstdlib>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace attnscope::detail {
namespace {
constexpr std::size_t kHugePage = std::size_t(2) << 20;
constexpr std::size_t kLarge = std::size_t(4) << 20;
}  // namespace

void* allocateLarge(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  void* p = nullptr;
  if (bytes >= kLarge) {
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    p = std::aligned_alloc(kHugePage, rounded);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p) madvise(p, rounded, MADV_HUGEPAGE);  // a hint; ignored where huge pages are off
#endif
  } else {
    p = std::malloc(bytes);
  }
  if (!p) throw std::bad_alloc();
  return p;
}

void deallocateLarge(void* p) noexcept { std::free(p); }

}  // namespace attnscope::detail

namespace attnscope {

void adviseHugePages(void* p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes < detail::kLarge) return;
  const auto begin =
      (reinterpret_cast<std::uintptr_t>(p) + detail::kHugePage - 1) / detail::kHugePage * detail::kHugePage;
  const auto end = (reinterpret_cast<std::uintptr_t>(p) + bytes) / detail::kHugePage * detail::kHugePage;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

}  // namespace attnscope

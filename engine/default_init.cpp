#include "engine/default_init.h"

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

#pragma once
// The allocator of a mask's big arrays:
//  * resize() leaves new elements uninitialised, so a large mask is written once, not zeroed first;
//  * allocations of several MiB are aligned to 2 MiB and offered to the kernel for transparent huge pages, so
//    filling a gigabyte mask costs a few hundred page faults instead of a quarter of a million.

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace attnscope {

namespace detail {
void* allocateLarge(std::size_t bytes);
void deallocateLarge(void* p) noexcept;
}  // namespace detail

/// Asks for transparent huge pages on the 2 MiB-aligned part of a large buffer someone else allocated (an Eigen
/// matrix, say), before it is first written. A hint only; does nothing for small buffers or elsewhere than Linux.
void adviseHugePages(void* p, std::size_t bytes);

template <typename T>
class DefaultInitAllocator {
 public:
  using value_type = T;
  DefaultInitAllocator() noexcept = default;
  template <typename U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(detail::allocateLarge(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { detail::deallocateLarge(p); }

  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;  // default-initialise: no zeroing for trivial types
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const DefaultInitAllocator<U>&) const noexcept {
    return true;
  }
};

/// A vector for large numeric arrays: uninitialised on resize, huge-page friendly.
template <typename T>
using BigVector = std::vector<T, DefaultInitAllocator<T>>;

}  // namespace attnscope

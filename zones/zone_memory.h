// Memory for the big arrays of zone snapshots and of the zone builder.
//
// MappedAllocator gives an array of 256 KiB or more its own anonymous
// mapping (mmap) instead of malloc heap. Freeing it unmaps it, so the pages
// go back to the system at once: after a reload, the old snapshot's memory
// leaves the process as soon as the last worker lets go of it, instead of
// staying in malloc's heap (glibc raises its mmap threshold after the first
// large free, so later large arrays would land in the heap and stay
// resident). Small arrays stay on the heap: one mapping per array of every
// small zone would waste pages and run into vm.max_map_count.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>
#include <vector>

namespace flatns::zones {

template <typename T>
class MappedAllocator {
 public:
  using value_type = T;
  static constexpr std::size_t kMappedFrom = 256 * 1024;
  static constexpr std::size_t kHugeFrom = 4 * 1024 * 1024;

  MappedAllocator() = default;
  template <typename U>
  MappedAllocator(const MappedAllocator<U>& /*other*/) noexcept {}

  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMappedFrom) return static_cast<T*>(::operator new(bytes));
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    if (bytes >= kHugeFrom) ::madvise(p, bytes, MADV_HUGEPAGE);
    return static_cast<T*>(p);
  }

  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMappedFrom) {
      ::operator delete(p);
    } else {
      ::munmap(p, bytes);
    }
  }

  friend bool operator==(const MappedAllocator&, const MappedAllocator&) { return true; }
};

// A vector whose large buffers are mappings of their own.
template <typename T>
using BigVector = std::vector<T, MappedAllocator<T>>;

}  // namespace flatns::zones

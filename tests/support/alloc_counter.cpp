// Replaces the global allocation functions with counting ones. The count of
// allocations made is per thread, so a test thread's measurement ignores other
// threads; the count of blocks alive is for the whole process.

#include "alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t allocation_count = 0;
std::atomic<long> live_blocks{0};

void* counted_alloc(std::size_t size) {
  ++allocation_count;
  if (size == 0) size = 1;
  void* p = std::malloc(size);
  if (p != nullptr) live_blocks.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  live_blocks.fetch_sub(1, std::memory_order_relaxed);
  std::free(p);
}

void* counted_alloc_aligned(std::size_t size, std::align_val_t align) {
  ++allocation_count;
  const auto alignment = static_cast<std::size_t>(align);
  std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  if (rounded == 0) rounded = alignment;
  void* p = std::aligned_alloc(alignment, rounded);
  if (p != nullptr) live_blocks.fetch_add(1, std::memory_order_relaxed);
  return p;
}

[[noreturn]] void out_of_memory() {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
  throw std::bad_alloc();
#else
  std::abort();
#endif
}
}  // namespace

std::size_t serverpush::test::allocations() noexcept { return allocation_count; }
long serverpush::test::live_allocations() noexcept {
  return live_blocks.load(std::memory_order_relaxed);
}

void* operator new(std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  out_of_memory();
}
void* operator new[](std::size_t size) {
  if (void* p = counted_alloc(size)) return p;
  out_of_memory();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new(std::size_t size, std::align_val_t align) {
  if (void* p = counted_alloc_aligned(size, align)) return p;
  out_of_memory();
}
void* operator new[](std::size_t size, std::align_val_t align) {
  if (void* p = counted_alloc_aligned(size, align)) return p;
  out_of_memory();
}

void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }

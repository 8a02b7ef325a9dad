#ifndef SERVERPUSH_TESTS_SUPPORT_ALLOC_COUNTER_HPP
#define SERVERPUSH_TESTS_SUPPORT_ALLOC_COUNTER_HPP

// Counts calls to the global operator new. Link alloc_counter.cpp into the
// test executable (it replaces operator new/delete for the whole program).

#include <cstddef>

namespace serverpush::test {

// Allocations made by the calling thread since it started.
std::size_t allocations() noexcept;

// Heap blocks allocated with operator new and not yet deleted, by any thread.
long live_allocations() noexcept;

// Allocations made by the calling thread during its lifetime.
class allocation_scope {
 public:
  allocation_scope() noexcept : start_(allocations()) {}
  std::size_t count() const noexcept { return allocations() - start_; }

 private:
  std::size_t start_;
};

}  // namespace serverpush::test

#endif

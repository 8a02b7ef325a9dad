#ifndef SERVERPUSH_SINKS_MEMORY_HPP
#define SERVERPUSH_SINKS_MEMORY_HPP

#include <serverpush/buffer.hpp>

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace serverpush {

// Appends everything to a contiguous container of chars it owns: a whole part
// arrives as one gather call and grows the container at most once.
template <class Container>
class basic_memory_sink {
  template <class C, class = void>
  struct has_append : std::false_type {};
  template <class C>
  struct has_append<C, std::void_t<decltype(std::declval<C&>().append(
                           std::declval<const char*>(), std::size_t{}))>> : std::true_type {};

 public:
  basic_memory_sink() = default;
  explicit basic_memory_sink(Container initial) : out_(std::move(initial)) {}

  void writev(const const_buffer* bufs, std::size_t count) {
    std::size_t total = out_.size();
    for (std::size_t i = 0; i < count; ++i) total += bufs[i].size;
    if (total > out_.capacity()) out_.reserve(total > 2 * out_.capacity() ? total : 2 * out_.capacity());
    for (std::size_t i = 0; i < count; ++i) {
      if constexpr (has_append<Container>::value) {
        out_.append(bufs[i].data, bufs[i].size);  // std::string: cheaper than a generic insert
      } else {
        out_.insert(out_.end(), bufs[i].data, bufs[i].data + bufs[i].size);
      }
    }
  }

  Container& container() noexcept { return out_; }
  const Container& container() const noexcept { return out_; }
  std::size_t size() const noexcept { return out_.size(); }
  // Empties the container but keeps its capacity, for reuse without allocating.
  void clear() noexcept { out_.clear(); }

 private:
  Container out_;
};

using string_sink = basic_memory_sink<std::string>;
using vector_sink = basic_memory_sink<std::vector<char>>;

}  // namespace serverpush

#endif

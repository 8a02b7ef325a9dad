#ifndef SERVERPUSH_BUFFER_HPP
#define SERVERPUSH_BUFFER_HPP

#include <serverpush/detail/config.hpp>

#include <cstddef>
#include <string_view>
#include <type_traits>

#if SERVERPUSH_HAS_SPAN
#include <span>
#endif

namespace serverpush {

// One contiguous range of bytes the writer hands to a sink. Gather-capable
// sinks receive an array of these (header block, payload, trailer).
struct const_buffer {
  const char* data = nullptr;
  std::size_t size = 0;
};

namespace detail {

template <class T, class = void>
struct is_byte_range : std::false_type {};

template <class T>
struct is_byte_range<T, std::void_t<decltype(std::declval<const T&>().data()),
                                    decltype(std::declval<const T&>().size())>>
    : std::bool_constant<std::is_pointer_v<decltype(std::declval<const T&>().data())> &&
                         sizeof(*std::declval<const T&>().data()) == 1 &&
                         std::is_trivially_copyable_v<
                             std::remove_pointer_t<decltype(std::declval<const T&>().data())>>> {
};

}  // namespace detail

// A non-owning view of a payload. Built implicitly from anything that reads as
// text (string literal, std::string, std::string_view) or as a contiguous range
// of byte-sized elements (std::vector<unsigned char>, std::array<std::byte, N>,
// std::span<const std::byte>); the bytes are never copied.
class bytes_view {
 public:
  constexpr bytes_view() noexcept = default;
  constexpr bytes_view(const void* data, std::size_t size) noexcept
      : data_(static_cast<const char*>(data)), size_(size) {}

  template <class S, std::enable_if_t<std::is_convertible_v<const S&, std::string_view>, int> = 0>
  constexpr bytes_view(const S& text) noexcept  // NOLINT: implicit by design
      : bytes_view(std::string_view(text)) {}

  constexpr bytes_view(std::string_view text) noexcept : data_(text.data()), size_(text.size()) {}

  template <class R, std::enable_if_t<!std::is_convertible_v<const R&, std::string_view> &&
                                          detail::is_byte_range<R>::value,
                                      int> = 0>
  constexpr bytes_view(const R& range) noexcept  // NOLINT: implicit by design
      : data_(reinterpret_cast<const char*>(range.data())), size_(range.size()) {}

  constexpr const char* data() const noexcept { return data_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }
  constexpr std::string_view as_string_view() const noexcept { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace serverpush

#endif

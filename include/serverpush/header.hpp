#ifndef SERVERPUSH_HEADER_HPP
#define SERVERPUSH_HEADER_HPP

#include <serverpush/error.hpp>

#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <type_traits>

namespace serverpush {

// One extra part header, e.g. {"X-Timestamp", "1700000000.123"}. Non-owning.
struct header {
  std::string_view name;
  std::string_view value;
};

// A non-owning list of extra headers: from a braced list, a std::vector,
// a std::array or a C array of `header`.
class header_list {
 public:
  constexpr header_list() noexcept = default;
  constexpr header_list(const header* first, std::size_t count) noexcept
      : data_(first), size_(count) {}
  // The list lives until the end of the full expression, which is as long as
  // a write_part call that takes it needs.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winit-list-lifetime"
#endif
  constexpr header_list(std::initializer_list<header> list) noexcept  // NOLINT: implicit
      : data_(list.begin()), size_(list.size()) {}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  template <class C, std::enable_if_t<std::is_convertible_v<decltype(std::declval<const C&>().data()),
                                                            const header*>,
                                      int> = 0>
  constexpr header_list(const C& container) noexcept  // NOLINT: implicit
      : data_(container.data()), size_(container.size()) {}
  template <std::size_t N>
  constexpr header_list(const header (&array)[N]) noexcept : data_(array), size_(N) {}  // NOLINT

  constexpr const header* begin() const noexcept { return data_; }
  constexpr const header* end() const noexcept { return data_ + size_; }
  constexpr std::size_t size() const noexcept { return size_; }
  constexpr bool empty() const noexcept { return size_ == 0; }

 private:
  const header* data_ = nullptr;
  std::size_t size_ = 0;
};

namespace detail {

constexpr bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
    case '+': case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// RFC 9110 field-value: visible characters, obs-text, SP and HTAB. Leading or
// trailing white space is refused so the wire form is exactly "Name: value".
constexpr bool is_clean_value(std::string_view s) noexcept {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  if (!s.empty()) {
    if (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t') return false;
  }
  return true;
}

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace detail

// True for an RFC 9110 token: header names, methods, media type parts.
constexpr bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (!detail::is_tchar(c)) return false;
  }
  return true;
}

// Checks "type/subtype" (RFC 9110 tokens) optionally followed by ";" and
// parameters, with no control characters anywhere.
inline std::error_code validate_content_type(std::string_view value) noexcept {
  if (!detail::is_clean_value(value)) return make_error_code(errc::content_type_invalid);
  const std::size_t params = value.find(';');
  const std::string_view media = value.substr(0, params);
  const std::size_t slash = media.find('/');
  if (slash == std::string_view::npos) return make_error_code(errc::content_type_invalid);
  std::string_view subtype = media.substr(slash + 1);
  while (!subtype.empty() && (subtype.back() == ' ' || subtype.back() == '\t')) {
    subtype.remove_suffix(1);
  }
  if (!is_token(media.substr(0, slash)) || !is_token(subtype)) {
    return make_error_code(errc::content_type_invalid);
  }
  return {};
}

// Checks one extra header: token name, clean value, not one the writer owns.
inline std::error_code validate_header(const header& h) noexcept {
  if (!is_token(h.name)) return make_error_code(errc::header_name_invalid);
  if (!detail::is_clean_value(h.value)) return make_error_code(errc::header_value_invalid);
  if (detail::iequals(h.name, "Content-Type") || detail::iequals(h.name, "Content-Length")) {
    return make_error_code(errc::header_reserved);
  }
  return {};
}

// Checks a list of extra headers, stopping at the first bad one.
inline std::error_code validate_headers(header_list headers) noexcept {
  for (const header& h : headers) {
    if (auto ec = validate_header(h)) return ec;
  }
  return {};
}

inline std::error_code validate_headers(std::string_view content_type,
                                        header_list headers) noexcept {
  if (auto ec = validate_content_type(content_type)) return ec;
  return validate_headers(headers);
}

}  // namespace serverpush

#endif

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

namespace detail {

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

// The end of the token starting at `from` (== from when there is none).
constexpr std::size_t token_end(std::string_view s, std::size_t from) noexcept {
  while (from < s.size() && is_tchar(s[from])) ++from;
  return from;
}

// The end of the quoted-string starting at `from` (a DQUOTE), or npos when
// it is not terminated. Controls are refused before this runs.
constexpr std::size_t quoted_string_end(std::string_view s, std::size_t from) noexcept {
  for (std::size_t i = from + 1; i < s.size(); ++i) {
    if (s[i] == '"') return i + 1;
    if (s[i] == '\\' && ++i == s.size()) break;  // quoted-pair: any clean character follows
  }
  return std::string_view::npos;
}

}  // namespace detail

// Checks an RFC 9110 media type (section 8.3.1):
//   type "/" subtype *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] )
// A malformed type or subtype, a control character or surrounding white
// space is content_type_invalid; a malformed parameter is
// content_type_parameter_invalid. Empty parameters ("text/html;") are valid.
inline std::error_code validate_content_type(std::string_view value) noexcept {
  const auto invalid = [] { return make_error_code(errc::content_type_invalid); };
  const auto bad_parameter = [] { return make_error_code(errc::content_type_parameter_invalid); };
  if (!detail::is_clean_value(value)) return invalid();
  const std::size_t slash = detail::token_end(value, 0);
  if (slash == 0 || slash == value.size() || value[slash] != '/') return invalid();
  std::size_t i = detail::token_end(value, slash + 1);
  if (i == slash + 1) return invalid();
  bool in_parameters = false;
  while (i < value.size()) {
    // OWS ";" OWS before each (possibly empty) parameter.
    while (i < value.size() && detail::is_ows(value[i])) ++i;
    if (i == value.size()) break;
    if (value[i] != ';') return in_parameters ? bad_parameter() : invalid();
    in_parameters = true;
    ++i;
    while (i < value.size() && detail::is_ows(value[i])) ++i;
    if (i == value.size() || value[i] == ';') continue;
    const std::size_t equals = detail::token_end(value, i);
    if (equals == i || equals == value.size() || value[equals] != '=') return bad_parameter();
    i = equals + 1;
    if (i == value.size()) return bad_parameter();
    const std::size_t end =
        value[i] == '"' ? detail::quoted_string_end(value, i) : detail::token_end(value, i);
    if (end == std::string_view::npos || end == i) return bad_parameter();
    i = end;
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

#ifndef SERVERPUSH_BOUNDARY_HPP
#define SERVERPUSH_BOUNDARY_HPP

#include <serverpush/detail/random.hpp>
#include <serverpush/error.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace serverpush {

// RFC 2046 section 5.1.1 limits a boundary to 70 characters.
inline constexpr std::size_t max_boundary_size = 70;

// Length of generated boundaries: 32 characters drawn uniformly from 62 give
// about 190 bits, well above the 128 a payload must never guess.
inline constexpr std::size_t generated_boundary_size = 32;

namespace detail {

constexpr bool is_bchar_nospace(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  switch (c) {
    case '\'': case '(': case ')': case '+': case '_': case ',':
    case '-': case '.': case '/': case ':': case '=': case '?':
      return true;
    default:
      return false;
  }
}

// Characters that are bchars but RFC 9110 tspecials: a parameter value holding
// one of them must be a quoted-string.
constexpr bool needs_quoting(char c) noexcept {
  switch (c) {
    case ' ': case '(': case ')': case ',': case '/': case ':': case '=': case '?':
      return true;
    default:
      return false;
  }
}

}  // namespace detail

// Checks a caller's boundary against RFC 2046: 1 to 70 bchars, not ending in
// a space. Returns the precise reason on failure.
inline std::error_code validate_boundary(std::string_view boundary) noexcept {
  if (boundary.empty()) return make_error_code(errc::boundary_empty);
  if (boundary.size() > max_boundary_size) return make_error_code(errc::boundary_too_long);
  for (char c : boundary) {
    if (c != ' ' && !detail::is_bchar_nospace(c)) return make_error_code(errc::boundary_invalid_char);
  }
  if (boundary.back() == ' ') return make_error_code(errc::boundary_trailing_space);
  return {};
}

// True when the boundary must be sent as a quoted-string in Content-Type.
constexpr bool boundary_needs_quoting(std::string_view boundary) noexcept {
  for (char c : boundary) {
    if (detail::needs_quoting(c)) return true;
  }
  return false;
}

// A validated boundary stored inline (no allocation), ready to frame with.
class boundary_string {
 public:
  // Generates a random alphanumeric boundary from the OS CSPRNG.
  static boundary_string generate(std::error_code& ec) noexcept {
    static constexpr char alphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    boundary_string out;
    std::size_t produced = 0;
    unsigned char pool[64];
    while (produced < generated_boundary_size) {
      ec = detail::os_random_bytes(pool, sizeof pool);
      if (ec) return boundary_string{};
      for (unsigned char byte : pool) {
        // 248 = 4 * 62: rejecting the rest keeps every character equally likely.
        if (byte >= 248) continue;
        out.chars_[produced++] = alphabet[byte % 62];
        if (produced == generated_boundary_size) break;
      }
    }
    out.size_ = generated_boundary_size;
    return out;
  }

  // Validates and stores a caller's boundary.
  static boundary_string from(std::string_view text, std::error_code& ec) noexcept {
    boundary_string out;
    ec = validate_boundary(text);
    if (ec) return out;
    for (std::size_t i = 0; i < text.size(); ++i) out.chars_[i] = text[i];
    out.size_ = text.size();
    return out;
  }

  std::string_view view() const noexcept { return {chars_.data(), size_}; }
  bool empty() const noexcept { return size_ == 0; }

  // The value for an HTTP Content-Type header, quoted only when it has to be.
  std::string content_type() const {
    std::string out = "multipart/x-mixed-replace; boundary=";
    if (boundary_needs_quoting(view())) {
      out += '"';
      out.append(chars_.data(), size_);
      out += '"';
    } else {
      out.append(chars_.data(), size_);
    }
    return out;
  }

 private:
  std::array<char, max_boundary_size> chars_{};
  std::size_t size_ = 0;
};

// Convenience: a fresh random boundary as a std::string.
inline std::string generate_boundary(std::error_code& ec) {
  const boundary_string b = boundary_string::generate(ec);
  return std::string(b.view());
}

#if SERVERPUSH_HAS_EXCEPTIONS
inline std::string generate_boundary() {
  std::error_code ec;
  std::string out = generate_boundary(ec);
  if (ec) detail::throw_error(ec);
  return out;
}
#endif

}  // namespace serverpush

#endif

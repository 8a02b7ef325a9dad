// Boundary validation against RFC 2046 section 5.1.1, written out here from
// the grammar, and the Content-Type value a valid boundary produces.
//
// Input: the candidate boundary, whole.

#include "fuzz_support.hpp"

#include <serverpush/boundary.hpp>
#include <serverpush/header.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using serverpush::errc;
using serverpush::make_error_code;

// bchars := bcharsnospace / " "
// bcharsnospace := DIGIT / ALPHA / "'" / "(" / ")" / "+" / "_" / "," / "-" / "." / "/" / ":" / "=" / "?"
bool is_bchar(char c) {
  static constexpr std::string_view others = "'()+_,-./:=? ";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         others.find(c) != std::string_view::npos;
}

// RFC 9110 tchar.
bool is_tchar(char c) {
  static constexpr std::string_view others = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         others.find(c) != std::string_view::npos;
}

std::error_code expected(std::string_view b) {
  if (b.empty()) return make_error_code(errc::boundary_empty);
  if (b.size() > 70) return make_error_code(errc::boundary_too_long);
  for (char c : b) {
    if (!is_bchar(c)) return make_error_code(errc::boundary_invalid_char);
  }
  if (b.back() == ' ') return make_error_code(errc::boundary_trailing_space);
  return {};
}

// Reads the boundary parameter back out of the Content-Type value: a token,
// or a quoted-string (bchars never need a quoted-pair).
std::string boundary_parameter(std::string_view value) {
  constexpr std::string_view prefix = "multipart/x-mixed-replace; boundary=";
  FUZZ_CHECK(value.substr(0, prefix.size()) == prefix);
  std::string_view rest = value.substr(prefix.size());
  if (!rest.empty() && rest.front() == '"') {
    FUZZ_CHECK(rest.size() >= 2 && rest.back() == '"');
    rest = rest.substr(1, rest.size() - 2);
    FUZZ_CHECK(rest.find('"') == std::string_view::npos && rest.find('\\') == std::string_view::npos);
    return std::string(rest);
  }
  for (char c : rest) FUZZ_CHECK(is_tchar(c));
  return std::string(rest);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::error_code want = expected(text);
  FUZZ_CHECK(serverpush::validate_boundary(text) == want);

  std::error_code ec;
  const serverpush::boundary_string b = serverpush::boundary_string::from(text, ec);
  FUZZ_CHECK(ec == want);
  if (ec) {
    FUZZ_CHECK(b.empty());
    return 0;
  }
  FUZZ_CHECK(b.view() == text);

  bool all_tchars = true;
  for (char c : text) all_tchars = all_tchars && is_tchar(c);
  FUZZ_CHECK(serverpush::boundary_needs_quoting(text) == !all_tchars);

  const std::string content_type = b.content_type();
  FUZZ_CHECK(boundary_parameter(content_type) == text);
  FUZZ_CHECK(!serverpush::validate_content_type(content_type));
  return 0;
}

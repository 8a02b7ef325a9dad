#ifndef SERVERPUSH_TESTS_SUPPORT_TESTING_HPP
#define SERVERPUSH_TESTS_SUPPORT_TESTING_HPP

// doctest plus readable failure messages for error codes and byte strings:
// a failed CHECK shows "serverpush:17 (the sink failed...)" and escapes CR,
// LF and other control bytes, so two framings can be told apart on screen.

#include <ostream>
#include <string>
#include <string_view>
#include <system_error>

// Without exceptions, doctest still offers REQUIRE: a failed one ends the run.
#if !defined(__cpp_exceptions) && !defined(__EXCEPTIONS) && \
    !defined(DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS)
#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#endif
#include <doctest/doctest.h>

namespace serverpush::test {

inline std::string escape_bytes(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += hex[u >> 4];
      out += hex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace serverpush::test

namespace doctest {

template <>
struct StringMaker<std::error_code> {
  static String convert(const std::error_code& ec) {
    const std::string s =
        std::string(ec.category().name()) + ":" + std::to_string(ec.value()) + " (" + ec.message() + ")";
    return String(s.c_str());
  }
};

template <>
struct StringMaker<std::string> {
  static String convert(const std::string& s) {
    return String(serverpush::test::escape_bytes(s).c_str());
  }
};

template <>
struct StringMaker<std::string_view> {
  static String convert(std::string_view s) {
    return String(serverpush::test::escape_bytes(s).c_str());
  }
};

}  // namespace doctest

#endif

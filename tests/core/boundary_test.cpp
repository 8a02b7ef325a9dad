// Boundaries: RFC 2046 validation, quoting in Content-Type, generation.

#include "test_sink.hpp"

#include <serverpush/boundary.hpp>
#include <serverpush/writer.hpp>

#include "testing.hpp"

#include <cctype>
#include <string>

using serverpush::errc;
using serverpush::MultipartWriter;
using serverpush::validate_boundary;
using serverpush::test::write_plain_sink;

namespace {

bool all_alnum(std::string_view s) {
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("validate_boundary gives the precise reason") {
  CHECK(validate_boundary("") == errc::boundary_empty);
  CHECK(validate_boundary(std::string(71, 'a')) == errc::boundary_too_long);
  CHECK_FALSE(validate_boundary(std::string(70, 'a')));
  CHECK_FALSE(validate_boundary("a"));
  CHECK(validate_boundary("abc ") == errc::boundary_trailing_space);
  CHECK(validate_boundary(" ") == errc::boundary_trailing_space);
  CHECK_FALSE(validate_boundary(" abc"));
  CHECK_FALSE(validate_boundary("a b"));
  CHECK_FALSE(validate_boundary("09AZaz'()+_,-./:=? x"));
  const char bad[] = {'"', '\r', '\n', '\0', '\t', ';', '<', '>', '@', '[', ']', '\\',
                      '{', '}', '!', '#', '$', '%', '&', '*', '|', '~', '`', '^', '\x7f', '\x80'};
  for (char c : bad) {
    CAPTURE(static_cast<int>(static_cast<unsigned char>(c)));
    const std::string b = std::string("ab") + c + "cd";
    CHECK(validate_boundary(b) == errc::boundary_invalid_char);
  }
}

TEST_CASE("content_type quotes only boundaries that need it") {
  std::error_code ec;
  for (char c : std::string_view(" ()/,:=?")) {
    CAPTURE(c);
    const std::string b = std::string("a") + c + "b";
    MultipartWriter<write_plain_sink> w(write_plain_sink{}, b, ec);
    REQUIRE_FALSE(ec);
    CHECK(w.content_type() == "multipart/x-mixed-replace; boundary=\"" + b + "\"");
    CHECK(w.boundary() == b);
  }
  for (std::string_view b : {"MSBOB", "a'b", "a+b", "a_b", "a-b", "a.b", "0123456789"}) {
    CAPTURE(b);
    MultipartWriter<write_plain_sink> w(write_plain_sink{}, b, ec);
    REQUIRE_FALSE(ec);
    CHECK(w.content_type() == "multipart/x-mixed-replace; boundary=" + std::string(b));
  }
}

TEST_CASE("generated boundaries: 32 alphanumerics, fresh each time, valid") {
  std::error_code ec;
  const auto a = serverpush::boundary_string::generate(ec);
  REQUIRE_FALSE(ec);
  const auto b = serverpush::boundary_string::generate(ec);
  REQUIRE_FALSE(ec);
  CHECK(a.view().size() == 32);
  CHECK(b.view().size() == 32);
  CHECK(all_alnum(a.view()));
  CHECK(a.view() != b.view());
  CHECK_FALSE(validate_boundary(a.view()));

  const std::string s = serverpush::generate_boundary(ec);
  REQUIRE_FALSE(ec);
  CHECK(s.size() == serverpush::generated_boundary_size);
  CHECK(all_alnum(s));
  CHECK(s != std::string(a.view()));

  MultipartWriter<write_plain_sink> w1(write_plain_sink{}, ec);
  REQUIRE_FALSE(ec);
  MultipartWriter<write_plain_sink> w2(write_plain_sink{}, ec);
  REQUIRE_FALSE(ec);
  CHECK(w1.boundary().size() == 32);
  CHECK(all_alnum(w1.boundary()));
  CHECK(w1.boundary() != w2.boundary());
  CHECK_FALSE(validate_boundary(w1.boundary()));
  CHECK(w1.content_type() == "multipart/x-mixed-replace; boundary=" + std::string(w1.boundary()));
  CHECK(w1.sink().calls == 0);
}

TEST_CASE("generated boundaries draw from digits, upper and lower case letters") {
  // 640 draws from 62 characters miss a whole class with odds below 1e-40.
  bool digit = false, upper = false, lower = false;
  for (int i = 0; i < 20; ++i) {
    std::error_code ec;
    const auto b = serverpush::boundary_string::generate(ec);
    REQUIRE_FALSE(ec);
    for (char c : b.view()) {
      digit = digit || (c >= '0' && c <= '9');
      upper = upper || (c >= 'A' && c <= 'Z');
      lower = lower || (c >= 'a' && c <= 'z');
    }
  }
  CHECK(digit);
  CHECK(upper);
  CHECK(lower);
}

TEST_CASE("a generated boundary frames the body") {
  std::error_code ec;
  MultipartWriter<write_plain_sink> w(write_plain_sink{}, ec);
  w.write_part("text/plain", "x", ec);
  w.close(ec);
  REQUIRE_FALSE(ec);
  const std::string b(w.boundary());
  CHECK(w.sink().out == "--" + b + "\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx\r\n--" +
                            b + "--\r\n");
}

TEST_CASE("boundary_string::from stores a valid boundary and refuses a bad one") {
  std::error_code ec;
  const auto ok = serverpush::boundary_string::from("MSBOB", ec);
  CHECK_FALSE(ec);
  CHECK(ok.view() == "MSBOB");
  CHECK(ok.content_type() == "multipart/x-mixed-replace; boundary=MSBOB");
  const auto bad = serverpush::boundary_string::from("a\r\nb", ec);
  CHECK(ec == errc::boundary_invalid_char);
  CHECK(bad.empty());
}

TEST_CASE("a writer with a bad boundary writes nothing and keeps reporting why") {
  struct bad_case {
    std::string boundary;
    errc expected;
  };
  const bad_case cases[] = {
      {"", errc::boundary_empty},
      {std::string(71, 'b'), errc::boundary_too_long},
      {"bad\"quote", errc::boundary_invalid_char},
      {"crlf\r\n", errc::boundary_invalid_char},
      {"trailing ", errc::boundary_trailing_space},
  };
  for (const bad_case& c : cases) {
    CAPTURE(c.boundary);
    std::error_code ec;
    MultipartWriter<write_plain_sink> w(write_plain_sink{}, c.boundary, ec);
    CHECK(ec == c.expected);
    CHECK(w.is_failed());
    w.write_part("text/plain", "x", ec);
    CHECK(ec == c.expected);
    w.begin_part("text/plain", ec);
    CHECK(ec == c.expected);
    w.write_body("x", ec);
    CHECK(ec == c.expected);
    w.end_part(ec);
    CHECK(ec == c.expected);
    w.close(ec);
    CHECK(ec == c.expected);
    CHECK(w.sink().calls == 0);
    CHECK(w.sink().out.empty());
    CHECK(w.bytes_written() == 0);

#if SERVERPUSH_HAS_EXCEPTIONS
    write_plain_sink shared;
    try {
      MultipartWriter<write_plain_sink&> t(shared, c.boundary);
      FAIL("constructor did not throw");
    } catch (const std::system_error& e) {
      CHECK(e.code() == c.expected);
    }
    CHECK(shared.calls == 0);
#endif
  }
}

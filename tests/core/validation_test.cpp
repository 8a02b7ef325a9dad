// Every rejected call writes zero bytes and names the precise reason.

#include "test_sink.hpp"

#include <serverpush/header.hpp>
#include <serverpush/writer.hpp>

#include "testing.hpp"

#include <string>
#include <string_view>

using namespace std::string_view_literals;
using serverpush::errc;
using serverpush::framing;
using serverpush::header;
using serverpush::MultipartWriter;
using serverpush::unknown_length;
using serverpush::test::write_count_sink;

namespace {

using writer = MultipartWriter<write_count_sink>;

writer make_writer(std::string_view boundary = "B") {
  std::error_code ec;
  writer w(write_count_sink{}, boundary, ec);
  REQUIRE_FALSE(ec);
  return w;
}

// Runs a call that must be refused with `expected` and checks that nothing
// reached the sink and the writer's state did not move.
template <class Call>
void expect_refused(writer& w, errc expected, Call&& call) {
  const std::string before = w.sink().out;
  const std::size_t calls = w.sink().calls;
  const auto position = w.position();
  const bool in_part = w.in_part();
  const auto bytes = w.bytes_written();
  const auto parts = w.parts_written();
  std::error_code ec;
  call(ec);
  CHECK(ec == expected);
  CHECK(w.sink().out == before);
  CHECK(w.sink().calls == calls);
  CHECK(w.position() == position);
  CHECK(w.in_part() == in_part);
  CHECK(w.bytes_written() == bytes);
  CHECK(w.parts_written() == parts);
  CHECK_FALSE(w.is_failed());
}

// Every call that takes a content type, refused the same way.
void expect_type_refused(std::string_view type, errc expected) {
  CAPTURE(type);
  writer w = make_writer();
  expect_refused(w, expected, [&](std::error_code& ec) { w.write_part(type, "x", ec); });
  expect_refused(w, expected, [&](std::error_code& ec) { w.write_last_part(type, "x", ec); });
  expect_refused(w, expected, [&](std::error_code& ec) { w.begin_part(type, ec); });
  expect_refused(w, expected, [&](std::error_code& ec) { w.begin_part(type, 1, ec); });
  // Still usable afterwards.
  std::error_code ec;
  w.write_part("text/plain", "x", ec);
  CHECK_FALSE(ec);
}

// Every call that takes extra headers, refused the same way.
void expect_header_refused(header h, errc expected) {
  CAPTURE(h.name);
  CAPTURE(h.value);
  for (framing f : {framing::content_length, framing::eager_delimiter}) {
    writer w = make_writer();
    w.set_framing(f);
    std::error_code ec;
    w.write_part("text/plain", "first", ec);  // also from a stream already under way
    REQUIRE_FALSE(ec);
    const header list[] = {{"X-Good", "1"}, h};
    expect_refused(w, expected, [&](std::error_code& e) { w.write_part("text/plain", "x", list, e); });
    expect_refused(w, expected,
                   [&](std::error_code& e) { w.write_last_part("text/plain", "x", list, e); });
    expect_refused(w, expected,
                   [&](std::error_code& e) { w.begin_part("text/plain", 1, list, e); });
    expect_refused(w, expected, [&](std::error_code& e) {
      w.begin_part("text/plain", unknown_length, {h}, e);
    });
  }
}

}  // namespace

TEST_CASE("invalid content types") {
  for (std::string_view t : {"texthtml"sv, ""sv, "/html"sv, "text/"sv, "/"sv, "text/html\r"sv,
                             "text/html\n"sv, "text/\0html"sv, "text/html\0"sv, " text/html"sv,
                             "\ttext/html"sv, "text/html "sv, "text /html"sv, "text/ html"sv,
                             "text/ht ml"sv, "te(xt/html"sv, "text/ht\"ml"sv, "text/html\x01"sv,
                             "text/html\x7f"sv, "text/html\x1b"sv, "text/html; a=\r\nX-Evil: 1"sv,
                             "text/html\r\nX-Evil: 1"sv, "text/html;\ncharset=x"sv}) {
    expect_type_refused(t, errc::content_type_invalid);
  }
}

// Issue #9 item 8: parameters follow RFC 9110 section 8.3.1,
// *( OWS ";" OWS [ token "=" ( token / quoted-string ) ] ).
TEST_CASE("malformed content type parameters") {
  for (std::string_view t : {"text/html; ="sv, "text/html;=x"sv, "text/html; =x"sv,
                             "text/html; a="sv, "text/html; a"sv, "text/html; a b=c"sv,
                             "text/html; a =b"sv, "text/html; a= b"sv, "text/html; a=b c"sv,
                             "text/html; a=b;c"sv, "text/html; a=\"x"sv, "text/html; a=\""sv,
                             "text/html; a=\"x\\\""sv, "text/html; a=\"x\"y"sv,
                             "text/html; a=(b)"sv, "text/html; a=b/c"sv, "text/html; a=b,c"sv,
                             "text/html; a=b=c"sv, "text/html; a@b=c"sv, "text/html; [a]=c"sv,
                             "text/html; a=\xc3\xa4"sv, "text/html; a=b; @"sv,
                             "text/html; a=\"b\"\"c\""sv}) {
    expect_type_refused(t, errc::content_type_parameter_invalid);
  }
  // A control character is refused as such wherever it sits.
  expect_type_refused("text/html; a=\"b\x01\"", errc::content_type_invalid);
  expect_type_refused("text/html; a=\"b\\\x7f\"", errc::content_type_invalid);
}

TEST_CASE("valid content type parameters") {
  for (std::string_view t : {"text/html;"sv, "text/html ;"sv, "text/html;;"sv,
                             "text/html; ; charset=utf-8"sv, "text/html;charset=utf-8"sv,
                             "text/html; charset=\"utf-8\""sv, "text/html; a=\"\""sv,
                             "text/html; a=\"x y;z=(w),\""sv, "text/html; a=\"q\\\"q\""sv,
                             "text/html; a=\"\\\\\""sv, "text/html; a=\"\xc3\xa4\""sv,
                             "text/html; a=\"tab\there\""sv, "text/html; a=b ; c=d"sv,
                             "multipart/x-mixed-replace; boundary=\"a b:c\""sv,
                             "text/html; A-b.c=!#$%&'*+-.^_`|~09"sv}) {
    CAPTURE(t);
    CHECK_FALSE(serverpush::validate_content_type(t));
  }
}

TEST_CASE("valid content types are accepted") {
  for (std::string_view t : {"image/jpeg"sv, "text/html; charset=utf-8"sv, "a/b"sv,
                             "application/vnd.api+json"sv, "text/plain ; charset=x"sv,
                             "text/html;\tcharset=x"sv}) {
    CAPTURE(t);
    CHECK_FALSE(serverpush::validate_content_type(t));
  }
}

TEST_CASE("header names that are not tokens") {
  for (std::string_view n : {""sv, "X Space"sv, "X:Colon"sv, "X\r\nY"sv, "X\0"sv, "X(1)"sv,
                             "X\"q\""sv, "X/Y"sv, "\xc3\x84"sv, " X"sv, "X "sv}) {
    expect_header_refused({n, "v"}, errc::header_name_invalid);
  }
}

TEST_CASE("header values with control characters or outer white space") {
  for (std::string_view v : {"a\rb"sv, "a\nb"sv, "a\r\nX-Evil: 1"sv, "a\0b"sv, "\0"sv, "a\x01"sv,
                             "a\x1f"sv, "a\x7f"sv, "\x1b[31m"sv, " lead"sv, "trail "sv,
                             "\tlead"sv, "trail\t"sv, " "sv}) {
    expect_header_refused({"X-Value", v}, errc::header_value_invalid);
  }
}

TEST_CASE("header values that are fine") {
  for (std::string_view v : {""sv, "a b"sv, "a\tb"sv, "1700000000.123"sv, "caf\xc3\xa9"sv,
                             "quoted \"x\", (y); z=1"sv}) {
    CAPTURE(v);
    CHECK_FALSE(serverpush::validate_header({"X-Value", v}));
  }
}

TEST_CASE("reserved headers in any case") {
  for (std::string_view n : {"Content-Type"sv, "content-type"sv, "CONTENT-TYPE"sv, "cOnTeNt-TyPe"sv,
                             "Content-Length"sv, "content-length"sv, "CONTENT-LENGTH"sv}) {
    expect_header_refused({n, "1"}, errc::header_reserved);
  }
  CHECK_FALSE(serverpush::validate_header({"Content-Typo", "1"}));
  CHECK_FALSE(serverpush::validate_header({"Content-Disposition", "inline"}));
}

TEST_CASE("announce_next: a part that does not fit the announced block is not refused") {
  // The announced block is ended empty and a complete part follows (framer.hpp);
  // only a part that is invalid on its own is refused.
  writer w = make_writer();
  w.set_framing(framing::announce_next);
  std::error_code ec;
  w.write_part("image/jpeg", "1", ec);
  REQUIRE_FALSE(ec);
  expect_refused(w, errc::header_value_invalid, [&](std::error_code& e) {
    w.write_part("image/jpeg", "2", {{"X-Timestamp", "\r"}}, e);
  });
  expect_refused(w, errc::content_type_invalid,
                 [&](std::error_code& e) { w.write_part("image/", "2", e); });
  w.write_part("image/png", "2", ec);
  CHECK_FALSE(ec);
  w.write_part("image/png", "3", {{"X-Timestamp", "1"}}, ec);
  CHECK_FALSE(ec);
  w.begin_part("image/jpeg", 1, {{"X-Timestamp", "2"}}, ec);
  CHECK_FALSE(ec);
}

TEST_CASE("part_in_progress and no_part_in_progress") {
  writer w = make_writer();
  expect_refused(w, errc::no_part_in_progress, [&](std::error_code& e) { w.write_body("x", e); });
  expect_refused(w, errc::no_part_in_progress, [&](std::error_code& e) { w.end_part(e); });
  std::error_code ec;
  w.begin_part("text/plain", ec);
  REQUIRE_FALSE(ec);
  const errc busy = errc::part_in_progress;
  expect_refused(w, busy, [&](std::error_code& e) { w.write_part("text/plain", "x", e); });
  expect_refused(w, busy, [&](std::error_code& e) { w.write_last_part("text/plain", "x", e); });
  expect_refused(w, busy, [&](std::error_code& e) { w.begin_part("text/plain", e); });
  expect_refused(w, busy, [&](std::error_code& e) { w.close(e); });
  w.write_body("body", ec);
  w.end_part(ec);
  REQUIRE_FALSE(ec);
  expect_refused(w, errc::no_part_in_progress, [&](std::error_code& e) { w.write_body("x", e); });
  expect_refused(w, errc::no_part_in_progress, [&](std::error_code& e) { w.end_part(e); });
  w.close(ec);
  CHECK_FALSE(ec);
  CHECK(w.sink().out == "--B\r\nContent-Type: text/plain\r\n\r\nbody\r\n--B--\r\n");
}

TEST_CASE("declared length: exceeded and mismatched, then completed") {
  writer w = make_writer();
  std::error_code ec;
  w.begin_part("text/plain", 4, ec);
  REQUIRE_FALSE(ec);
  expect_refused(w, errc::length_exceeded, [&](std::error_code& e) { w.write_body("abcde", e); });
  expect_refused(w, errc::length_mismatch, [&](std::error_code& e) { w.end_part(e); });
  w.write_body("ab", ec);
  REQUIRE_FALSE(ec);
  expect_refused(w, errc::length_exceeded, [&](std::error_code& e) { w.write_body("cde", e); });
  expect_refused(w, errc::length_mismatch, [&](std::error_code& e) { w.end_part(e); });
  CHECK(w.in_part());
  w.write_body("cd", ec);
  REQUIRE_FALSE(ec);
  expect_refused(w, errc::length_exceeded, [&](std::error_code& e) { w.write_body("e", e); });
  w.write_body("", ec);
  CHECK_FALSE(ec);
  w.end_part(ec);
  REQUIRE_FALSE(ec);
  w.close(ec);
  CHECK(w.sink().out ==
        "--B\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nabcd\r\n--B--\r\n");
}

TEST_CASE("a declared length of zero") {
  writer w = make_writer();
  std::error_code ec;
  w.begin_part("text/plain", 0, ec);
  expect_refused(w, errc::length_exceeded, [&](std::error_code& e) { w.write_body("a", e); });
  w.end_part(ec);
  CHECK_FALSE(ec);
  CHECK(w.sink().out == "--B\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n\r\n");
}

TEST_CASE("after close(): stream_closed, and close() again is a no-op") {
  for (framing f : {framing::content_length, framing::eager_delimiter, framing::announce_next}) {
    writer w = make_writer();
    w.set_framing(f);
    std::error_code ec;
    w.write_part("text/plain", "x", ec);
    w.close(ec);
    REQUIRE_FALSE(ec);
    CHECK(w.is_closed());
    const errc closed = errc::stream_closed;
    expect_refused(w, closed, [&](std::error_code& e) { w.write_part("text/plain", "x", e); });
    expect_refused(w, closed, [&](std::error_code& e) { w.write_last_part("text/plain", "x", e); });
    expect_refused(w, closed, [&](std::error_code& e) { w.begin_part("text/plain", e); });
    expect_refused(w, closed, [&](std::error_code& e) { w.write_body("x", e); });
    expect_refused(w, closed, [&](std::error_code& e) { w.end_part(e); });
    // Checked before the arguments: a closed stream is the reason.
    expect_refused(w, closed, [&](std::error_code& e) { w.write_part("bad", "x", e); });
    const std::string out = w.sink().out;
    ec = make_error_code(errc::length_mismatch);
    w.close(ec);
    CHECK_FALSE(ec);
    CHECK(w.sink().out == out);
    CHECK(w.is_closed());
  }
}

TEST_CASE("strict mode refuses payloads holding the delimiter") {
  for (framing f : {framing::content_length, framing::eager_delimiter, framing::announce_next}) {
    writer w = make_writer("MSBOB");
    w.set_framing(f);
    CHECK_FALSE(w.strict());
    w.set_strict(true);
    CHECK(w.strict());
    std::error_code ec;
    w.write_part("text/plain", "first", ec);
    REQUIRE_FALSE(ec);
    const errc bad = errc::payload_contains_delimiter;
    for (std::string_view p : {"a\r\n--MSBOB"sv, "--MSBOB"sv, "--MSBOB--"sv, "x\r\n--MSBOB\r\ny"sv,
                               "\r\n--MSBOBx"sv}) {
      CAPTURE(p);
      expect_refused(w, bad, [&](std::error_code& e) { w.write_part("text/plain", p, e); });
      expect_refused(w, bad, [&](std::error_code& e) { w.write_last_part("text/plain", p, e); });
    }
    // Near misses go through.
    for (std::string_view p : {"x--MSBOB"sv, "\n--MSBOB"sv, "\r--MSBOB"sv, "\r\n-MSBOB"sv,
                               "\r\n--MSBO"sv, "\r\n--msbob"sv, "-MSBOB"sv, "\r\n--"sv}) {
      CAPTURE(p);
      w.write_part("text/plain", p, ec);
      CHECK_FALSE(ec);
    }
  }
}

TEST_CASE("without strict mode the same payload is written as is") {
  writer w = make_writer("B");
  std::error_code ec;
  w.write_part("text/plain", "--B", ec);
  CHECK_FALSE(ec);
  CHECK(w.sink().out == "--B\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n--B\r\n");
}

TEST_CASE("strict mode across write_body calls at every split point") {
  const std::string_view payloads[] = {"--MSBOB", "ab\r\n--MSBOB", "ab\r\n--MSBOBcd"};
  for (std::string_view p : payloads) {
    for (std::size_t i = 0; i <= p.size(); ++i) {
      CAPTURE(p);
      CAPTURE(i);
      writer w = make_writer("MSBOB");
      w.set_strict(true);
      std::error_code ec;
      w.begin_part("text/plain", ec);
      REQUIRE_FALSE(ec);
      const std::string head = w.sink().out;
      w.write_body(p.substr(0, i), ec);
      if (ec) {
        // Only a first piece that holds the whole delimiter can be refused.
        CHECK(ec == errc::payload_contains_delimiter);
        CHECK(w.sink().out == head);
        continue;
      }
      const std::string after_first = w.sink().out;
      CHECK(after_first == head + std::string(p.substr(0, i)));
      expect_refused(w, errc::payload_contains_delimiter,
                     [&](std::error_code& e) { w.write_body(p.substr(i), e); });
      // The part is still open; clean bytes continue it.
      w.write_body("clean", ec);
      CHECK_FALSE(ec);
      w.end_part(ec);
      CHECK_FALSE(ec);
    }
  }
}

TEST_CASE("strict mode across write_body: near misses at every split point") {
  const std::string_view payloads[] = {"x--MSBOB", "\r\n--MSBO", "\r\n-MSBOB", "\r\r--MSBOB"};
  for (std::string_view p : payloads) {
    for (std::size_t i = 0; i <= p.size(); ++i) {
      CAPTURE(p);
      CAPTURE(i);
      writer w = make_writer("MSBOB");
      w.set_strict(true);
      std::error_code ec;
      w.begin_part("text/plain", ec);
      w.write_body(p.substr(0, i), ec);
      CHECK_FALSE(ec);
      w.write_body(p.substr(i), ec);
      CHECK_FALSE(ec);
      w.end_part(ec);
      CHECK_FALSE(ec);
    }
  }
}

TEST_CASE("strict mode: each begin_part starts a fresh scan") {
  writer w = make_writer("MSBOB");
  w.set_strict(true);
  std::error_code ec;
  w.begin_part("text/plain", ec);
  w.write_body("ab\r\n--MS", ec);
  w.end_part(ec);
  REQUIRE_FALSE(ec);
  // The previous part's tail must not combine with this part's head.
  w.begin_part("text/plain", ec);
  w.write_body("BOB", ec);
  CHECK_FALSE(ec);
  w.end_part(ec);
  CHECK_FALSE(ec);
}

#if SERVERPUSH_HAS_EXCEPTIONS
TEST_CASE("the throwing forms throw std::system_error with the same code and write nothing") {
  writer w = make_writer();
  auto code_of = [](auto&& call) {
    try {
      call();
    } catch (const std::system_error& e) {
      return e.code();
    }
    return std::error_code{};
  };
  CHECK(code_of([&] { w.write_part("bad", "x"); }) == errc::content_type_invalid);
  CHECK(code_of([&] { w.write_part("a/b", "x", {{"X", "\n"}}); }) == errc::header_value_invalid);
  CHECK(code_of([&] { w.write_part("a/b", "x", 1, {{"content-type", "a/b"}}); }) ==
        errc::header_reserved);
  CHECK(code_of([&] { w.write_last_part("a/b", "x", {{"X Y", "1"}}); }) ==
        errc::header_name_invalid);
  CHECK(code_of([&] { w.write_body("x"); }) == errc::no_part_in_progress);
  CHECK(code_of([&] { w.end_part(); }) == errc::no_part_in_progress);
  CHECK(w.sink().calls == 0);
  w.begin_part("a/b", 1);
  CHECK(code_of([&] { w.write_body("xy"); }) == errc::length_exceeded);
  CHECK(code_of([&] { w.end_part(); }) == errc::length_mismatch);
  CHECK(code_of([&] { w.close(); }) == errc::part_in_progress);
  w.write_body("x");
  w.end_part();
  w.set_strict(true);
  CHECK(code_of([&] { w.write_part("a/b", "--B"); }) == errc::payload_contains_delimiter);
  w.close();
  w.close();
  CHECK(code_of([&] { w.write_part("a/b", "x"); }) == errc::stream_closed);
  CHECK(w.sink().out == "--B\r\nContent-Type: a/b\r\nContent-Length: 1\r\n\r\nx\r\n--B--\r\n");
}
#endif

TEST_CASE("error messages name the problem") {
  CHECK(std::string(serverpush::error_category().name()) == "serverpush");
  for (int v = static_cast<int>(errc::boundary_empty); v <= static_cast<int>(errc::sink_stalled);
       ++v) {
    const std::string m = serverpush::make_error_code(static_cast<errc>(v)).message();
    CAPTURE(v);
    CHECK_FALSE(m.empty());
    CHECK(m != "unknown serverpush error");
  }
  CHECK(serverpush::make_error_code(static_cast<errc>(999)).message() == "unknown serverpush error");
}

// Issue #9: strict mode switched on in the middle of a part. The scanner used
// to be reset only when strict was already on at begin_part.
TEST_CASE("strict mode turned on mid-part: a long clean chunk goes through") {
  writer w = make_writer("B");
  std::error_code ec;
  w.begin_part("text/plain", ec);
  REQUIRE_FALSE(ec);
  w.set_strict(true);
  const std::string body(400, 'x');
  w.write_body(body, ec);
  CHECK_FALSE(ec);
  w.end_part(ec);
  CHECK_FALSE(ec);
  CHECK(w.sink().out == "--B\r\nContent-Type: text/plain\r\n\r\n" + body + "\r\n");
}

TEST_CASE("strict mode turned on mid-part: short clean chunks are not refused") {
  for (std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{73}, std::size_t{148},
                           std::size_t{149}}) {
    CAPTURE(size);
    writer w = make_writer("B");
    std::error_code ec;
    w.begin_part("text/plain", ec);
    w.set_strict(true);
    w.write_body(std::string(size, 'x'), ec);
    CHECK_FALSE(ec);
    w.write_body("y", ec);
    CHECK_FALSE(ec);
  }
}

TEST_CASE("strict mode turned on mid-part after an earlier strict part refuses the delimiter") {
  writer w = make_writer("B");
  std::error_code ec;
  w.set_strict(true);
  w.begin_part("text/plain", ec);
  w.write_body("earlier part ends without a line break", ec);
  w.end_part(ec);
  REQUIRE_FALSE(ec);
  w.set_strict(false);
  w.begin_part("text/plain", ec);
  REQUIRE_FALSE(ec);
  w.set_strict(true);
  // At the start of a body, "--B" follows the header block's CRLF.
  expect_refused(w, errc::payload_contains_delimiter, [&](std::error_code& e) {
    w.write_body("--B\r\nContent-Type: text/html\r\n\r\n<p>forged</p>", e);
  });
}

TEST_CASE("strict mode turned on mid-part sees a delimiter across the seam") {
  // The bytes written while strict was off still count as the part's tail.
  writer w = make_writer("MSBOB");
  std::error_code ec;
  w.begin_part("text/plain", ec);
  w.write_body("abc\r\n--MS", ec);
  REQUIRE_FALSE(ec);
  w.set_strict(true);
  expect_refused(w, errc::payload_contains_delimiter,
                 [&](std::error_code& e) { w.write_body("BOB", e); });
  w.write_body("BOX", ec);
  CHECK_FALSE(ec);
}

TEST_CASE("strict mode turned off mid-part stops refusing at once") {
  writer w = make_writer("B");
  std::error_code ec;
  w.set_strict(true);
  w.begin_part("text/plain", ec);
  expect_refused(w, errc::payload_contains_delimiter,
                 [&](std::error_code& e) { w.write_body("--B", e); });
  w.set_strict(false);
  w.write_body("--B", ec);
  CHECK_FALSE(ec);
}

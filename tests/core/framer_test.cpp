// The sans-I/O framer and the delimiter scanner on their own.

#include <serverpush/framer.hpp>

#include "testing.hpp"

#include <cstdint>
#include <string>
#include <string_view>

using serverpush::framer;
using serverpush::framing;
using serverpush::part_spec;
using serverpush::stream_position;
using serverpush::detail::delimiter_scanner;

TEST_CASE("framer::part_head from each position") {
  const framer f("B");
  const part_spec spec{"image/jpeg", {}, 42};
  std::string out;
  f.part_head(out, stream_position::start, spec);
  CHECK(out == "--B\r\nContent-Type: image/jpeg\r\nContent-Length: 42\r\n\r\n");
  out.clear();
  f.part_head(out, stream_position::after_part, spec);
  CHECK(out == "--B\r\nContent-Type: image/jpeg\r\nContent-Length: 42\r\n\r\n");
  out.clear();
  f.part_head(out, stream_position::after_delimiter, spec);
  CHECK(out == "Content-Type: image/jpeg\r\nContent-Length: 42\r\n\r\n");
  out.clear();
  f.part_head(out, stream_position::after_header_block, spec, "image/jpeg");
  CHECK(out.empty());
  out.clear();
  f.part_head(out, stream_position::start, part_spec{"text/plain", {{"X-A", "1"}}});
  CHECK(out == "--B\r\nContent-Type: text/plain\r\nX-A: 1\r\n\r\n");
}

TEST_CASE("framer::part_tail for each framing") {
  const framer f("B");
  std::string out;
  CHECK(f.part_tail(out, framing::content_length, "t/s") == stream_position::after_part);
  CHECK(out == "\r\n");
  out.clear();
  CHECK(f.part_tail(out, framing::eager_delimiter, "t/s") == stream_position::after_delimiter);
  CHECK(out == "\r\n--B\r\n");
  out.clear();
  CHECK(f.part_tail(out, framing::announce_next, "t/s") == stream_position::after_header_block);
  CHECK(out == "\r\n--B\r\nContent-Type: t/s\r\n\r\n");
}

TEST_CASE("framer::open brings a fresh stream to each resting position") {
  const framer f("B");
  std::string out;
  CHECK(f.open(out, framing::content_length, "t/s") == stream_position::start);
  CHECK(out.empty());
  CHECK(f.open(out, framing::eager_delimiter, "t/s") == stream_position::after_delimiter);
  CHECK(out == "--B\r\n");
  out.clear();
  CHECK(f.open(out, framing::announce_next, "t/s") == stream_position::after_header_block);
  CHECK(out == "--B\r\nContent-Type: t/s\r\n\r\n");
  CHECK(serverpush::resting_position(framing::content_length) == stream_position::after_part);
  CHECK(serverpush::resting_position(framing::eager_delimiter) == stream_position::after_delimiter);
  CHECK(serverpush::resting_position(framing::announce_next) ==
        stream_position::after_header_block);
}

TEST_CASE("framer::close from each position") {
  const framer f("B");
  std::string out;
  f.close(out, stream_position::start, "");
  CHECK(out == "--B--\r\n");
  out.clear();
  f.close(out, stream_position::after_part, "t/s");
  CHECK(out == "--B--\r\n");
  out.clear();
  f.close(out, stream_position::after_delimiter, "t/s");
  CHECK(out == "Content-Type: t/s\r\nContent-Length: 0\r\n\r\n\r\n--B--\r\n");
  out.clear();
  f.close(out, stream_position::after_delimiter, "");
  CHECK(out == "Content-Length: 0\r\n\r\n\r\n--B--\r\n");
  out.clear();
  f.close(out, stream_position::after_header_block, "t/s");
  CHECK(out == "\r\n--B--\r\n");
}

TEST_CASE("framer::header_block with the largest length") {
  std::string out;
  framer::header_block(out, "a/b", {}, static_cast<std::size_t>(-2));
  const std::string digits = std::to_string(static_cast<std::size_t>(-2));
  CHECK(out == "Content-Type: a/b\r\nContent-Length: " + digits + "\r\n\r\n");
}

namespace {

bool scan_whole(std::string_view boundary, std::string_view payload) {
  delimiter_scanner s;
  s.reset(boundary);
  return s.feed(payload);
}

// What the scanner must answer: the payload counts as preceded by CRLF.
bool naive_contains(std::string_view boundary, std::string_view payload) {
  const std::string haystack = "\r\n" + std::string(payload);
  const std::string needle = "\r\n--" + std::string(boundary);
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("delimiter_scanner finds CRLF--B anywhere, and --B at offset 0") {
  CHECK(scan_whole("B", "--B"));
  CHECK(scan_whole("B", "--Bxyz"));
  CHECK(scan_whole("B", "abc\r\n--B"));
  CHECK(scan_whole("B", "abc\r\n--B--"));
  CHECK(scan_whole("MSBOB", "<p>\r\n--MSBOB\r\n</p>"));
}

TEST_CASE("delimiter_scanner accepts near misses") {
  CHECK_FALSE(scan_whole("B", ""));
  CHECK_FALSE(scan_whole("B", "x--B"));
  CHECK_FALSE(scan_whole("B", " --B"));
  CHECK_FALSE(scan_whole("B", "-B"));
  CHECK_FALSE(scan_whole("B", "\n--B"));
  CHECK_FALSE(scan_whole("B", "\r--B"));
  CHECK_FALSE(scan_whole("B", "\r\n-B"));
  CHECK_FALSE(scan_whole("B", "\r\n--"));
  CHECK_FALSE(scan_whole("B", "\r\n--b"));
  CHECK_FALSE(scan_whole("B", "\r\n--C"));
  CHECK_FALSE(scan_whole("B", "\r\n \r\n--\r\nB"));
  CHECK_FALSE(scan_whole("MSBOB", "\r\n--MSBO"));
  CHECK_FALSE(scan_whole("MSBOB", "\r\n--MSB0B"));
}

TEST_CASE("delimiter_scanner across every split point") {
  const std::string_view payloads[] = {
      "--MSBOB", "abc\r\n--MSBOB", "\r\n--MSBOB", "xx\r\n--MSBOBxx", "\r\r\n--MSBOB\r\n",
      "\r\n--MSBO", "x--MSBOB", "\r\n-MSBOB", "\r\n--MSBOx\r\n--MSBO", "",
  };
  for (std::string_view p : payloads) {
    const bool expected = naive_contains("MSBOB", p);
    for (std::size_t i = 0; i <= p.size(); ++i) {
      for (std::size_t j = i; j <= p.size(); ++j) {
        CAPTURE(p);
        CAPTURE(i);
        CAPTURE(j);
        delimiter_scanner s;
        s.reset("MSBOB");
        bool found = s.feed(p.substr(0, i));
        found = s.feed(p.substr(i, j - i)) || found;
        found = s.feed(p.substr(j)) || found;
        CHECK(found == expected);
      }
    }
  }
}

TEST_CASE("delimiter_scanner byte by byte matches a naive search") {
  // Payloads drawn from a tiny alphabet hit the delimiter and its prefixes often.
  const char alphabet[] = {'\r', '\n', '-', 'B', 'x'};
  std::uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string payload;
    const std::size_t size = round % 24;
    for (std::size_t i = 0; i < size; ++i) {
      state = state * 1103515245u + 12345u;
      payload += alphabet[(state >> 16) % sizeof alphabet];
    }
    delimiter_scanner s;
    s.reset("B");
    bool found = false;
    for (char c : payload) found = s.feed(std::string_view(&c, 1)) || found;
    CAPTURE(payload);
    CHECK(found == naive_contains("B", payload));
    CHECK(scan_whole("B", payload) == naive_contains("B", payload));
  }
}

TEST_CASE("delimiter_scanner with a 70-character boundary") {
  const std::string b(70, 'z');
  const std::string payload = std::string(100, 'a') + "\r\n--" + b + "tail";
  for (std::size_t i = 0; i <= payload.size(); i += 7) {
    delimiter_scanner s;
    s.reset(b);
    bool found = s.feed(std::string_view(payload).substr(0, i));
    found = s.feed(std::string_view(payload).substr(i)) || found;
    CHECK(found);
  }
  CHECK_FALSE(scan_whole(b, std::string(100, 'a') + "\r\n--" + std::string(69, 'z')));
}

TEST_CASE("delimiter_scanner: a scanner never reset finds nothing and stays in bounds") {
  // Issue #9: an unarmed scanner computed its tail length as SIZE_MAX.
  delimiter_scanner s;
  CHECK_FALSE(s.contains(""));
  CHECK_FALSE(s.contains("--B"));
  CHECK_FALSE(s.contains(std::string(400, 'x')));
  s.advance(std::string(400, 'x'));
  CHECK_FALSE(s.feed(std::string(400, 'x')));
  CHECK_FALSE(s.feed("\r\n--B"));
}

TEST_CASE("delimiter_scanner: contains() looks without moving, advance() moves without looking") {
  delimiter_scanner s;
  s.reset("B");
  CHECK(s.contains("--B"));
  s.advance("xx\r\n-");
  CHECK(s.contains("-B"));
  CHECK_FALSE(s.contains("B"));
  s.advance("-");
  CHECK(s.contains("B"));
  s.reset("B");
  CHECK(s.contains("--B"));
}

TEST_CASE("framer::part_head after an announced block: continue or end it empty") {
  const framer f("B");
  std::string out;
  f.part_head(out, stream_position::after_header_block, part_spec{"image/jpeg", {}, 42},
              "image/jpeg");
  CHECK(out.empty());
  f.part_head(out, stream_position::after_header_block, part_spec{"image/png", {}, 42},
              "image/jpeg");
  CHECK(out == "\r\n--B\r\nContent-Type: image/png\r\nContent-Length: 42\r\n\r\n");
  out.clear();
  f.part_head(out, stream_position::after_header_block,
              part_spec{"image/jpeg", {{"X-T", "1"}}, 42}, "image/jpeg");
  CHECK(out == "\r\n--B\r\nContent-Type: image/jpeg\r\nContent-Length: 42\r\nX-T: 1\r\n\r\n");
  out.clear();
  // Not knowing what was announced, the complete form is always valid.
  f.part_head(out, stream_position::after_header_block, part_spec{"image/jpeg", {}, 42});
  CHECK(out == "\r\n--B\r\nContent-Type: image/jpeg\r\nContent-Length: 42\r\n\r\n");
  out.clear();
  // The announced type matters only from after_header_block.
  f.part_head(out, stream_position::after_part, part_spec{"a/b", {}, 1}, "a/b");
  CHECK(out == "--B\r\nContent-Type: a/b\r\nContent-Length: 1\r\n\r\n");

  CHECK(framer::continues_announced(part_spec{"a/b"}, "a/b"));
  CHECK_FALSE(framer::continues_announced(part_spec{"a/b"}, "a/c"));
  CHECK_FALSE(framer::continues_announced(part_spec{"a/b"}, "A/B"));
  CHECK_FALSE(framer::continues_announced(part_spec{"a/b", {{"X", "1"}}}, "a/b"));
  CHECK_FALSE(framer::continues_announced(part_spec{""}, ""));
}

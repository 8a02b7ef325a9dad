#ifndef SERVERPUSH_TESTS_CORE_GOLDEN_HPP
#define SERVERPUSH_TESTS_CORE_GOLDEN_HPP

// Scenarios run through MultipartWriter and the exact bytes each must
// produce, written out by hand from RFC 2046 and PROTOCOL.md (never computed
// by the library). The split, failure and allocation tests replay the same
// scenarios through other sinks.

#include <serverpush/framer.hpp>
#include <serverpush/header.hpp>

#include <cstddef>
#include <string_view>
#include <system_error>

namespace golden {

using namespace std::string_view_literals;
using serverpush::framing;

// The classic three pages, boundary MSBOB, default framing, then close().
inline constexpr std::string_view three_pages =
    "--MSBOB\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 17\r\n"
    "\r\n"
    "<p>First Page</p>\r\n"
    "--MSBOB\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 18\r\n"
    "\r\n"
    "<p>Second Page</p>\r\n"
    "--MSBOB\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 17\r\n"
    "\r\n"
    "<p>Third Page</p>\r\n"
    "--MSBOB--\r\n"sv;

struct scenario {
  const char* name;
  std::string_view boundary;
  std::string_view bytes;
  std::size_t parts;  // parts_written() at the end
};

inline constexpr scenario scenarios[] = {
    {"three pages, content_length", "MSBOB", three_pages,
     3},
    {"three pages, eager_delimiter", "MSBOB",
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "Content-Length: 17\r\n"
     "\r\n"
     "<p>First Page</p>\r\n"
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "Content-Length: 18\r\n"
     "\r\n"
     "<p>Second Page</p>\r\n"
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "Content-Length: 17\r\n"
     "\r\n"
     "<p>Third Page</p>\r\n"
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "Content-Length: 0\r\n"
     "\r\n"
     "\r\n"
     "--MSBOB--\r\n"sv,
     3},
    {"three pages, announce_next", "MSBOB",
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "Content-Length: 17\r\n"
     "\r\n"
     "<p>First Page</p>\r\n"
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "\r\n"
     "<p>Second Page</p>\r\n"
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "\r\n"
     "<p>Third Page</p>\r\n"
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "\r\n"
     "\r\n"
     "--MSBOB--\r\n"sv,
     3},
    {"three pages, announce_next, write_last_part", "MSBOB",
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "Content-Length: 17\r\n"
     "\r\n"
     "<p>First Page</p>\r\n"
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "\r\n"
     "<p>Second Page</p>\r\n"
     "--MSBOB\r\n"
     "Content-Type: text/html\r\n"
     "\r\n"
     "<p>Third Page</p>\r\n"
     "--MSBOB--\r\n"sv,
     3},
    {"framing switched between parts", "sep42",
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 1\r\n"
     "\r\n"
     "a\r\n"
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 2\r\n"
     "\r\n"
     "bb\r\n"
     "--sep42\r\n"
     "Content-Type: image/jpeg\r\n"
     "Content-Length: 3\r\n"
     "\r\n"
     "ccc\r\n"
     "--sep42\r\n"
     "Content-Type: image/jpeg\r\n"
     "\r\n"
     "dddd\r\n"
     "--sep42\r\n"
     "Content-Type: image/png\r\n"
     "Content-Length: 1\r\n"
     "\r\n"
     "e\r\n"
     "--sep42\r\n"
     "Content-Type: image/png\r\n"
     "Content-Length: 0\r\n"
     "\r\n"
     "\r\n"
     "--sep42--\r\n"sv,
     5},
    {"close at start", "sep42", "--sep42--\r\n"sv, 0},
    {"close after_part", "sep42",
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 1\r\n"
     "\r\n"
     "x\r\n"
     "--sep42--\r\n"sv,
     1},
    {"close after_delimiter", "sep42",
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 1\r\n"
     "\r\n"
     "x\r\n"
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 0\r\n"
     "\r\n"
     "\r\n"
     "--sep42--\r\n"sv,
     1},
    {"close after_header_block", "sep42",
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 1\r\n"
     "\r\n"
     "x\r\n"
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "\r\n"
     "\r\n"
     "--sep42--\r\n"sv,
     1},
    {"pieces with declared length", "sep42",
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 5\r\n"
     "\r\n"
     "hello\r\n"
     "--sep42--\r\n"sv,
     1},
    {"pieces without declared length", "sep42",
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "\r\n"
     "abcdef\r\n"
     "--sep42--\r\n"sv,
     1},
    {"pieces, announce_next", "sep42",
     "--sep42\r\n"
     "Content-Type: image/jpeg\r\n"
     "Content-Length: 4\r\n"
     "\r\n"
     "JPEG\r\n"
     "--sep42\r\n"
     "Content-Type: image/jpeg\r\n"
     "\r\n"
     "xy\r\n"
     "--sep42\r\n"
     "Content-Type: image/jpeg\r\n"
     "\r\n"
     "\r\n"
     "--sep42--\r\n"sv,
     2},
    {"pieces, eager_delimiter", "sep42",
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 3\r\n"
     "\r\n"
     "abc\r\n"
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 1\r\n"
     "\r\n"
     "d\r\n"
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 0\r\n"
     "\r\n"
     "\r\n"
     "--sep42--\r\n"sv,
     2},
    {"extra headers", "sep42",
     "--sep42\r\n"
     "Content-Type: image/jpeg\r\n"
     "Content-Length: 3\r\n"
     "X-Timestamp: 1700000000.123\r\n"
     "X-Frame: 7\r\n"
     "\r\n"
     "xyz\r\n"
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 2\r\n"
     "X-Timestamp: 1700000000.456\r\n"
     "\r\n"
     "ok\r\n"
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "X-Seq: 3\r\n"
     "\r\n"
     "!\r\n"
     "--sep42--\r\n"sv,
     3},
    {"binary and empty payloads", "sep42",
     "--sep42\r\n"
     "Content-Type: application/octet-stream\r\n"
     "Content-Length: 6\r\n"
     "\r\n"
     "\0\xff\r\n--\r\n"
     "--sep42\r\n"
     "Content-Type: text/plain\r\n"
     "Content-Length: 0\r\n"
     "\r\n"
     "\r\n"
     "--sep42--\r\n"sv,
     2},
};

inline constexpr std::size_t scenario_count = sizeof scenarios / sizeof scenarios[0];

// Replays scenario `id` on a writer built with its boundary, with the
// error_code API; stops at the first error and leaves it in `ec`.
template <class W>
void run(std::size_t id, W& w, std::error_code& ec) {
#define GOLDEN_STEP(call) \
  call;                   \
  if (ec) return
  using serverpush::header;
  using serverpush::unknown_length;
  ec.clear();
  switch (id) {
    case 0:
    case 1:
    case 2:
      w.set_framing(id == 0 ? framing::content_length
                            : id == 1 ? framing::eager_delimiter : framing::announce_next);
      GOLDEN_STEP(w.write_part("text/html", "<p>First Page</p>", ec));
      GOLDEN_STEP(w.write_part("text/html", "<p>Second Page</p>", ec));
      GOLDEN_STEP(w.write_part("text/html", "<p>Third Page</p>", ec));
      GOLDEN_STEP(w.close(ec));
      return;
    case 3:
      w.set_framing(framing::announce_next);
      GOLDEN_STEP(w.write_part("text/html", "<p>First Page</p>", ec));
      GOLDEN_STEP(w.write_part("text/html", "<p>Second Page</p>", ec));
      GOLDEN_STEP(w.write_last_part("text/html", "<p>Third Page</p>", ec));
      GOLDEN_STEP(w.close(ec));
      return;
    case 4:
      GOLDEN_STEP(w.write_part("text/plain", "a", ec));
      w.set_framing(framing::eager_delimiter);
      GOLDEN_STEP(w.write_part("text/plain", "bb", ec));
      w.set_framing(framing::announce_next);
      GOLDEN_STEP(w.write_part("image/jpeg", "ccc", ec));
      w.set_framing(framing::content_length);
      GOLDEN_STEP(w.write_part("image/jpeg", "dddd", ec));
      w.set_framing(framing::eager_delimiter);
      GOLDEN_STEP(w.write_part("image/png", "e", ec));
      GOLDEN_STEP(w.close(ec));
      return;
    case 5:
      GOLDEN_STEP(w.close(ec));
      return;
    case 6:
    case 7:
    case 8:
      w.set_framing(id == 6 ? framing::content_length
                            : id == 7 ? framing::eager_delimiter : framing::announce_next);
      GOLDEN_STEP(w.write_part("text/plain", "x", ec));
      GOLDEN_STEP(w.close(ec));
      return;
    case 9:
      GOLDEN_STEP(w.begin_part("text/plain", 5, ec));
      GOLDEN_STEP(w.write_body("he", ec));
      GOLDEN_STEP(w.write_body("llo", ec));
      GOLDEN_STEP(w.end_part(ec));
      GOLDEN_STEP(w.close(ec));
      return;
    case 10:
      GOLDEN_STEP(w.begin_part("text/plain", ec));
      GOLDEN_STEP(w.write_body("abc", ec));
      GOLDEN_STEP(w.write_body("", ec));
      GOLDEN_STEP(w.write_body("def", ec));
      GOLDEN_STEP(w.end_part(ec));
      GOLDEN_STEP(w.close(ec));
      return;
    case 11:
      w.set_framing(framing::announce_next);
      GOLDEN_STEP(w.begin_part("image/jpeg", 4, ec));
      GOLDEN_STEP(w.write_body("JPEG", ec));
      GOLDEN_STEP(w.end_part(ec));
      GOLDEN_STEP(w.begin_part("image/jpeg", ec));
      GOLDEN_STEP(w.write_body("xy", ec));
      GOLDEN_STEP(w.end_part(ec));
      GOLDEN_STEP(w.close(ec));
      return;
    case 12:
      w.set_framing(framing::eager_delimiter);
      GOLDEN_STEP(w.begin_part("text/plain", 3, ec));
      GOLDEN_STEP(w.write_body("abc", ec));
      GOLDEN_STEP(w.end_part(ec));
      GOLDEN_STEP(w.write_part("text/plain", "d", ec));
      GOLDEN_STEP(w.close(ec));
      return;
    case 13: {
      const header frame_headers[] = {{"X-Timestamp", "1700000000.123"}, {"X-Frame", "7"}};
      GOLDEN_STEP(w.write_part("image/jpeg", "xyz", frame_headers, ec));
      GOLDEN_STEP(w.begin_part("text/plain", 2, {{"X-Timestamp", "1700000000.456"}}, ec));
      GOLDEN_STEP(w.write_body("ok", ec));
      GOLDEN_STEP(w.end_part(ec));
      GOLDEN_STEP(w.begin_part("text/plain", unknown_length, {{"X-Seq", "3"}}, ec));
      GOLDEN_STEP(w.write_body("!", ec));
      GOLDEN_STEP(w.end_part(ec));
      GOLDEN_STEP(w.close(ec));
      return;
    }
    case 14:
      GOLDEN_STEP(w.write_part("application/octet-stream", "\0\xff\r\n--"sv, ec));
      GOLDEN_STEP(w.write_part("text/plain", ""sv, ec));
      GOLDEN_STEP(w.close(ec));
      return;
    default:
      return;
  }
#undef GOLDEN_STEP
}

}  // namespace golden

#endif

// MultipartReader: events, every error, every quirk in both modes, limits,
// Content-Type parsing, zero copy. Each stream is also read in every
// two-chunk split and one byte at a time, which must change nothing.

#include "events.hpp"
#include "testing.hpp"

#include <serverpush/reader.hpp>

#include <string>
#include <string_view>
#include <vector>

using reader_test::outcome;
using reader_test::read_all;
using serverpush::errc;
using serverpush::MultipartReader;
using serverpush::reader_errc;
using serverpush::reader_options;

namespace {

reader_options lenient() {
  reader_options o;
  o.lenient = true;
  return o;
}

bool same_quirks(const serverpush::reader_quirks& a, const serverpush::reader_quirks& b) {
  return a.preamble == b.preamble && a.boundary_with_dashes == b.boundary_with_dashes &&
         a.lf_line_endings == b.lf_line_endings &&
         a.missing_crlf_before_delimiter == b.missing_crlf_before_delimiter &&
         a.transport_padding == b.transport_padding &&
         a.missing_content_length == b.missing_content_length &&
         a.content_length_mismatch == b.content_length_mismatch &&
         a.missing_close_delimiter == b.missing_close_delimiter;
}

// Reads body whole, then in every two-chunk split and byte by byte; every
// reading must give the same events, error and quirk counts.
outcome read_every_split(std::string_view boundary, std::string_view body,
                         const reader_options& options = {}) {
  const outcome whole = read_all(boundary, body, options);
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    MultipartReader reader(boundary, options);
    const outcome split = reader_test::read_split(reader, body, {cut});
    CAPTURE(cut);
    CHECK(split.error == whole.error);
    if (!whole.error) {
      CHECK(split.events == whole.events);
      CHECK(same_quirks(split.quirks, whole.quirks));
    }
  }
  const outcome bytes = reader_test::read_bytewise(boundary, body, options);
  CHECK(bytes.error == whole.error);
  if (!whole.error) {
    CHECK(bytes.events == whole.events);
    CHECK(same_quirks(bytes.quirks, whole.quirks));
  }
  CHECK(whole.events.order_errors == 0);
  return whole;
}

const std::string three_pages =
    "--MSBOB\r\n"
    "Content-Type: text/html\r\n\r\n"
    "<p>First Page</p>\r\n"
    "--MSBOB\r\n"
    "Content-Type: text/html\r\n"
    "Content-Length: 18\r\n\r\n"
    "<p>Second Page</p>\r\n"
    "--MSBOB\r\n"
    "Content-Type: text/html\r\n"
    "X-Timestamp: 1764115200.250\r\n\r\n"
    "<p>Third Page</p>\r\n"
    "--MSBOB--\r\n";

}  // namespace

TEST_CASE("the three pages: parts, headers, bodies, stream end") {
  const outcome r = read_every_split("MSBOB", three_pages);
  REQUIRE_FALSE(r.error);
  REQUIRE(r.events.parts.size() == 3);
  CHECK(r.events.parts[0].body == "<p>First Page</p>");
  CHECK(r.events.parts[1].body == "<p>Second Page</p>");
  CHECK(r.events.parts[2].body == "<p>Third Page</p>");
  CHECK(r.events.parts[0].content_type == "text/html");
  CHECK_FALSE(r.events.parts[0].content_length.has_value());
  CHECK(r.events.parts[1].content_length == std::optional<std::size_t>(18));
  CHECK(r.events.parts[2].headers.size() == 2);
  CHECK(r.events.parts[2].headers[1].first == "X-Timestamp");
  CHECK(r.events.parts[2].headers[1].second == "1764115200.250");
  CHECK(r.events.parts[2].ended);
  CHECK(r.events.stream_ended);
  CHECK(r.quirks.missing_content_length == 2);
  CHECK(r.quirks.preamble == 0);
  CHECK(r.quirks.missing_close_delimiter == 0);
}

TEST_CASE("part_info: header names are case-insensitive, absent headers are empty") {
  struct handler {
    std::string type, stamp, missing;
    std::optional<std::size_t> length;
    void on_part_begin(const serverpush::part_info& p) {
      type = std::string(p.header("content-TYPE"));
      stamp = std::string(p.header("x-timestamp"));
      missing = std::string(p.header("X-Absent"));
      length = p.content_length();
    }
    void on_part_data(std::string_view) {}
    void on_part_end() {}
    void on_stream_end() {}
  } h;
  MultipartReader reader("MSBOB");
  std::error_code ec;
  reader.feed("--MSBOB\r\ncontent-type:   image/jpeg  \r\nX-TIMESTAMP: 7\r\ncontent-length: 0\r\n\r\n"
              "\r\n--MSBOB--",
              h, ec);
  REQUIRE_FALSE(ec);
  CHECK(h.type == "image/jpeg");
  CHECK(h.stamp == "7");
  CHECK(h.missing.empty());
  CHECK(h.length == std::optional<std::size_t>(0));
  CHECK(reader.is_done());
}

TEST_CASE("a body that holds delimiter look-alikes is handed on whole") {
  const std::string payload = "a\r\n--MSBO\r\n-MSBOB\n--MSBOB\r--MSBOB--MSBOBx\r\n--MSBOc";
  const std::string body = "--MSBOB\r\nContent-Type: a/b\r\n\r\n" + payload + "\r\n--MSBOB--";
  const outcome r = read_every_split("MSBOB", body);
  REQUIRE_FALSE(r.error);
  REQUIRE(r.events.parts.size() == 1);
  CHECK(r.events.parts[0].body == payload);
}

TEST_CASE("empty parts and a part without headers") {
  const outcome r =
      read_every_split("b", "--b\r\n\r\n\r\n--b\r\nContent-Length: 0\r\n\r\n\r\n--b\r\n\r\nx\r\n--b--");
  REQUIRE_FALSE(r.error);
  REQUIRE(r.events.parts.size() == 3);
  CHECK(r.events.parts[0].body.empty());
  CHECK(r.events.parts[0].headers.empty());
  CHECK(r.events.parts[0].content_type.empty());
  CHECK(r.events.parts[1].body.empty());
  CHECK(r.events.parts[2].body == "x");
}

TEST_CASE("an RFC preamble and epilogue are skipped") {
  const outcome r = read_every_split(
      "MSBOB", "This is a preamble.\r\n--MSBOB\r\n\r\nx\r\n--MSBOB--\r\nepilogue --MSBOB\r\n");
  REQUIRE_FALSE(r.error);
  REQUIRE(r.events.parts.size() == 1);
  CHECK(r.events.parts[0].body == "x");
  CHECK(r.quirks.preamble == 1);
  const outcome crlf_first = read_every_split("MSBOB", "\r\n--MSBOB\r\n\r\nx\r\n--MSBOB--");
  REQUIRE_FALSE(crlf_first.error);
  CHECK(crlf_first.quirks.preamble == 0);
}

TEST_CASE("transport padding after a boundary is RFC 2046 and counted") {
  const outcome r = read_every_split("MSBOB", "--MSBOB \t \r\n\r\nx\r\n--MSBOB  \r\n\r\ny\r\n--MSBOB--");
  REQUIRE_FALSE(r.error);
  CHECK(reader_test::bodies(r.events) == "[x][y]");
  CHECK(r.quirks.transport_padding == 2);
}

TEST_CASE("folded header lines continue the value") {
  const outcome r = read_every_split("MSBOB", "--MSBOB\r\nX-Long: one\r\n  two\r\n\tthree\r\n\r\nx\r\n--MSBOB--");
  REQUIRE_FALSE(r.error);
  REQUIRE(r.events.parts.size() == 1);
  REQUIRE(r.events.parts[0].headers.size() == 1);
  CHECK(r.events.parts[0].headers[0].second == "one    two  \tthree");
}

TEST_CASE("strict mode: each violation has its own error") {
  struct bad {
    const char* name;
    std::string body;
    reader_errc error;
  };
  const std::string h = "--MSBOB\r\nContent-Type: a/b\r\n";
  const std::vector<bad> cases = {
      {"no delimiter at all", "hello", reader_errc::no_delimiter},
      {"delimiter without CRLF after preamble", "junk--MSBOB\r\n\r\nx",
       reader_errc::no_delimiter},
      {"text after the boundary", "--MSBOBx\r\n\r\n", reader_errc::delimiter_line_invalid},
      {"one dash after the boundary", "--MSBOB-\r\n", reader_errc::delimiter_line_invalid},
      {"CR alone after the boundary", "--MSBOB\rx", reader_errc::delimiter_line_invalid},
      {"LF-only delimiter line", "--MSBOB\n\r\nx\r\n--MSBOB--", reader_errc::bare_lf},
      {"LF-only header line", h + "X-A: b\n\r\nx\r\n--MSBOB--", reader_errc::bare_lf},
      {"LF-only before a Content-Length delimiter",
       h + "Content-Length: 1\r\n\r\nx\n--MSBOB--", reader_errc::content_length_mismatch},
      {"header without colon", h + "Nonsense\r\n\r\nx\r\n--MSBOB--", reader_errc::header_line_invalid},
      {"header name with space", h + "X A: b\r\n\r\nx\r\n--MSBOB--", reader_errc::header_line_invalid},
      {"control character in a value", h + "X-A: b\x01" "c\r\n\r\nx\r\n--MSBOB--",
       reader_errc::header_line_invalid},
      {"fold before any header", "--MSBOB\r\n folded\r\n\r\nx\r\n--MSBOB--",
       reader_errc::header_line_invalid},
      {"Content-Length not a number", h + "Content-Length: 1x\r\n\r\nx\r\n--MSBOB--",
       reader_errc::content_length_invalid},
      {"Content-Length negative", h + "Content-Length: -1\r\n\r\nx\r\n--MSBOB--",
       reader_errc::content_length_invalid},
      {"Content-Length overflows", h + "Content-Length: 99999999999999999999999\r\n\r\n",
       reader_errc::content_length_invalid},
      {"two Content-Lengths that differ", h + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nx",
       reader_errc::content_length_invalid},
      {"Content-Length too short", h + "Content-Length: 1\r\n\r\nxy\r\n--MSBOB--",
       reader_errc::content_length_mismatch},
      {"Content-Length too long", h + "Content-Length: 9\r\n\r\nxy\r\n--MSBOB--\r\n",
       reader_errc::content_length_mismatch},
      {"missing CRLF before the delimiter after Content-Length",
       h + "Content-Length: 1\r\n\r\nx--MSBOB--", reader_errc::content_length_mismatch},
      {"end inside the header block", h + "X-A: b", reader_errc::ended_in_header_block},
      {"end inside a scanned body", h + "\r\nabc\r\n--MSB", reader_errc::ended_in_part},
      {"end inside a Content-Length body", h + "Content-Length: 5\r\n\r\nab", reader_errc::ended_in_part},
      {"end right after a Content-Length body", h + "Content-Length: 2\r\n\r\nab",
       reader_errc::ended_in_part},
      {"end after a delimiter line", h + "\r\nab\r\n--MSBOB\r\n", reader_errc::ended_in_header_block},
      {"end after the boundary", h + "\r\nab\r\n--MSBOB", reader_errc::missing_close_delimiter},
  };
  for (const bad& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    const outcome r = read_every_split("MSBOB", c.body);
    CHECK(r.error == c.error);
  }
}

TEST_CASE("after an error every call reports reader_failed until reset()") {
  MultipartReader reader("MSBOB");
  reader_test::record events;
  std::error_code ec;
  reader.feed("--MSBOBx", events, ec);
  CHECK(ec == reader_errc::delimiter_line_invalid);
  CHECK(reader.error() == reader_errc::delimiter_line_invalid);
  reader.feed("--MSBOB\r\n", events, ec);
  CHECK(ec == reader_errc::reader_failed);
  reader.finish(events, ec);
  CHECK(ec == reader_errc::reader_failed);
  reader.reset();
  reader_test::record again;
  reader.feed("--MSBOB\r\n\r\nok\r\n--MSBOB--", again, ec);
  CHECK_FALSE(ec);
  CHECK(reader_test::bodies(again) == "[ok]");
  CHECK(again.stream_ended);
}

TEST_CASE("lenient mode: every quirk is accepted and counted") {
  SUBCASE("data before the first delimiter, without CRLF") {
    const outcome r = read_every_split("MSBOB", "garbage--MSBOB\r\n\r\nx\r\n--MSBOB--", lenient());
    REQUIRE_FALSE(r.error);
    CHECK(reader_test::bodies(r.events) == "[x]");
    CHECK(r.quirks.preamble == 1);
  }
  SUBCASE("LF-only lines everywhere") {
    const outcome r = read_every_split(
        "MSBOB",
        "--MSBOB\nContent-Type: image/jpeg\nContent-Length: 3\n\nabc\n--MSBOB\n"
        "Content-Type: image/jpeg\n\nxyz\n--MSBOB--\n",
        lenient());
    REQUIRE_FALSE(r.error);
    CHECK(reader_test::bodies(r.events) == "[abc][xyz]");
    CHECK(r.events.parts[1].content_type == "image/jpeg");
    CHECK(r.quirks.lf_line_endings == 9);
  }
  SUBCASE("no CRLF before the next delimiter, with and without Content-Length") {
    const outcome r = read_every_split(
        "MSBOB",
        "--MSBOB\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xd9--MSBOB\r\n"
        "Content-Length: 2\r\n\r\n\xff\xd9--MSBOB--",
        lenient());
    REQUIRE_FALSE(r.error);
    CHECK(reader_test::bodies(r.events) == "[\xff\xd8\xff\xd9][\xff\xd9]");
    CHECK(r.quirks.missing_crlf_before_delimiter == 2);
  }
  SUBCASE("boundary parameter written with the dashes the body uses") {
    const outcome r = read_every_split(
        "--myboundary",
        "--myboundary\r\nContent-Type: image/jpeg\r\n\r\nab\r\n--myboundary\r\n"
        "Content-Length: 1\r\n\r\nc\r\n--myboundary--\r\n",
        lenient());
    REQUIRE_FALSE(r.error);
    CHECK(reader_test::bodies(r.events) == "[ab][c]");
    CHECK(r.quirks.boundary_with_dashes == 1);
    // The RFC form of the same boundary still reads.
    const outcome rfc = read_every_split(
        "--myboundary", "----myboundary\r\n\r\nab\r\n----myboundary--\r\n", lenient());
    REQUIRE_FALSE(rfc.error);
    CHECK(reader_test::bodies(rfc.events) == "[ab]");
    CHECK(rfc.quirks.boundary_with_dashes == 0);
    // Strict mode wants "----myboundary": the stream has no delimiter.
    CHECK(read_all("--myboundary", "--myboundary\r\n\r\nab\r\n--myboundary--").error ==
          reader_errc::no_delimiter);
  }
  SUBCASE("white space after the boundary") {
    const outcome r = read_every_split("MSBOB", "--MSBOB \r\n\r\nx\r\n--MSBOB\t\n\r\ny\r\n--MSBOB--", lenient());
    REQUIRE_FALSE(r.error);
    CHECK(r.quirks.transport_padding == 2);
    CHECK(r.quirks.lf_line_endings == 1);
  }
  SUBCASE("Content-Length that disagrees: resynchronised on the delimiter") {
    const outcome r = read_every_split(
        "MSBOB",
        "--MSBOB\r\nContent-Length: 2\r\n\r\nabcdef\r\n--MSBOB\r\nContent-Length: 1\r\n\r\n"
        "pq\r\n--MSBOB\r\nContent-Length: 3\r\n\r\nxyz\r\n--MSBOB--",
        lenient());
    REQUIRE_FALSE(r.error);
    CHECK(reader_test::bodies(r.events) == "[abcdef][pq][xyz]");
    CHECK(r.quirks.content_length_mismatch == 2);
  }
  SUBCASE("Content-Length longer than the body merges the next part, then resynchronises") {
    const outcome r = read_every_split(
        "MSBOB",
        "--MSBOB\r\nContent-Length: 20\r\n\r\nab\r\n--MSBOB\r\n\r\ncdefgh\r\n--MSBOB\r\n\r\nz\r\n--MSBOB--",
        lenient());
    REQUIRE_FALSE(r.error);
    CHECK(reader_test::bodies(r.events) == "[ab\r\n--MSBOB\r\n\r\ncdefgh][z]");
    CHECK(r.quirks.content_length_mismatch == 1);
  }
  SUBCASE("end of input without the close delimiter") {
    for (const char* body : {"--MSBOB\r\n\r\nabc", "--MSBOB\r\n\r\nabc\r\n", "--MSBOB\r\n\r\nabc\r\n--MSBOB",
                             "--MSBOB\r\nContent-Length: 3\r\n\r\nabc"}) {
      CAPTURE(body);
      const outcome r = read_every_split("MSBOB", body, lenient());
      REQUIRE_FALSE(r.error);
      REQUIRE(r.events.parts.size() == 1);
      CHECK(r.events.parts[0].ended);
      CHECK(r.events.stream_ended);
      CHECK(r.quirks.missing_close_delimiter == 1);
    }
    const outcome held = read_all("MSBOB", "--MSBOB\r\n\r\nabc\r\n--MS", lenient());
    CHECK(reader_test::bodies(held.events) == "[abc\r\n--MS]");
  }
  SUBCASE("missing Content-Length is counted in both modes") {
    CHECK(read_all("MSBOB", three_pages, lenient()).quirks.missing_content_length == 2);
  }
  SUBCASE("lenient mode still needs one delimiter") {
    CHECK(read_every_split("MSBOB", "no multipart here", lenient()).error == reader_errc::no_delimiter);
  }
}

TEST_CASE("limits end parsing with their own errors") {
  reader_options small;
  small.max_header_bytes = 40;
  small.max_headers = 2;
  small.max_part_bytes = 8;
  small.max_preamble_bytes = 10;
  CHECK(read_every_split("b", "--b\r\nX-A: 0123456789012345678901234567890123\r\n\r\n", small).error ==
        reader_errc::header_block_too_large);
  CHECK(read_every_split("b", "--b\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\nx\r\n--b--", small).error ==
        reader_errc::too_many_headers);
  CHECK(read_every_split("b", "--b\r\nContent-Length: 9\r\n\r\n123456789\r\n--b--", small).error ==
        reader_errc::part_too_large);
  CHECK(read_every_split("b", "--b\r\n\r\n123456789\r\n--b--", small).error == reader_errc::part_too_large);
  CHECK(read_every_split("b", "01234567890\r\n--b\r\n\r\nx\r\n--b--", small).error ==
        reader_errc::preamble_too_large);
  const outcome fits = read_every_split("b", "0123456789\r\n--b\r\nA: 1\r\nB: 2\r\n\r\n12345678\r\n--b--", small);
  CHECK_FALSE(fits.error);
  CHECK(reader_test::bodies(fits.events) == "[12345678]");
}

TEST_CASE("constructor and from_content_type validate the boundary") {
  std::error_code ec;
  MultipartReader empty("", ec);
  CHECK(ec == errc::boundary_empty);
  reader_test::record events;
  empty.feed("--x", events, ec);
  CHECK(ec == errc::boundary_empty);
  MultipartReader bad("a\"b", ec);
  CHECK(ec == errc::boundary_invalid_char);

  struct good {
    const char* type;
    const char* boundary;
  };
  for (const good& g : {good{"multipart/x-mixed-replace; boundary=MSBOB", "MSBOB"},
                        good{"multipart/x-mixed-replace;boundary=\"MSBOB\"", "MSBOB"},
                        good{"Multipart/X-Mixed-Replace; charset=x; BOUNDARY=--myboundary", "--myboundary"},
                        good{"multipart/mixed; boundary=\"a b:c\"; x=y", "a b:c"},
                        good{"multipart/x-mixed-replace; x=\"q;boundary=no\"; boundary=yes", "yes"}}) {
    CAPTURE(g.type);
    MultipartReader r = MultipartReader::from_content_type(g.type, ec);
    CHECK_FALSE(ec);
    CHECK(r.boundary() == g.boundary);
  }
  MultipartReader::from_content_type("image/jpeg", ec);
  CHECK(ec == reader_errc::not_multipart);
  MultipartReader::from_content_type("multipart/x-mixed-replace", ec);
  CHECK(ec == reader_errc::boundary_missing);
  // An empty value or an unterminated quote breaks the media-type grammar
  // itself (validate_content_type), before the boundary is looked at.
  MultipartReader::from_content_type("multipart/x-mixed-replace; boundary=", ec);
  CHECK(ec == errc::content_type_parameter_invalid);
  MultipartReader::from_content_type("multipart/x-mixed-replace; boundary=\"unterminated", ec);
  CHECK(ec == errc::content_type_parameter_invalid);
  MultipartReader::from_content_type("multipart/x-mixed-replace; boundary=\"\"", ec);
  CHECK(ec == errc::boundary_empty);
  MultipartReader::from_content_type("multipart/x-mixed-replace; boundary=a\r\nX: y", ec);
  CHECK(ec == errc::content_type_invalid);
  MultipartReader::from_content_type(
      "multipart/x-mixed-replace; boundary=" + std::string(71, 'a'), ec);
  CHECK(ec == errc::boundary_too_long);

  reader_options options;
  options.lenient = true;
  MultipartReader tolerant =
      MultipartReader::from_content_type("multipart/x-mixed-replace; boundary=--foo", options, ec);
  REQUIRE_FALSE(ec);
  reader_test::record got;
  tolerant.feed("--foo\r\n\r\nx\r\n--foo--", got, ec);
  CHECK_FALSE(ec);
  CHECK(reader_test::bodies(got) == "[x]");
}

TEST_CASE("body bytes are views into the caller's chunk") {
  struct views {
    std::vector<std::string_view> data;
    void on_part_begin(const serverpush::part_info&) {}
    void on_part_data(std::string_view b) { data.push_back(b); }
    void on_part_end() {}
    void on_stream_end() {}
  };
  const std::string payload(1000, 'x');
  SUBCASE("Content-Length: whatever the split, never copied") {
    const std::string body = "--b\r\nContent-Length: 1000\r\n\r\n" + payload + "\r\n--b--";
    for (std::size_t cut : {std::size_t{10}, std::size_t{500}, body.size() - 3}) {
      MultipartReader reader("b");
      views v;
      std::error_code ec;
      const std::string first = body.substr(0, cut);
      const std::string second = body.substr(cut);
      reader.feed(first, v, ec);
      reader.feed(second, v, ec);
      REQUIRE_FALSE(ec);
      std::size_t total = 0;
      for (std::string_view d : v.data) {
        const bool in_first = d.data() >= first.data() && d.data() + d.size() <= first.data() + first.size();
        const bool in_second =
            d.data() >= second.data() && d.data() + d.size() <= second.data() + second.size();
        CHECK((in_first || in_second));
        total += d.size();
      }
      CHECK(total == 1000);
    }
  }
  SUBCASE("scanning: only bytes that could start a delimiter are held back") {
    const std::string first = "--b\r\n\r\n" + payload + "\r\n-";
    const std::string second = "y\r\n--b--";
    MultipartReader reader("b");
    views v;
    std::error_code ec;
    reader.feed(first, v, ec);
    REQUIRE(v.data.size() == 1);
    CHECK(v.data[0].data() == first.data() + 7);
    CHECK(v.data[0].size() == 1000);
    reader.feed(second, v, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(v.data.size() == 3);
    CHECK(v.data[1] == "\r\n-");  // held back, from the reader's own buffer
    CHECK(v.data[2] == "y");
    CHECK(v.data[2].data() == second.data());
  }
}

#if SERVERPUSH_HAS_EXCEPTIONS
TEST_CASE("throwing forms") {
  CHECK_THROWS_AS(MultipartReader(""), std::system_error);
  CHECK_THROWS_AS(MultipartReader::from_content_type("text/plain"), std::system_error);
  MultipartReader reader("b");
  reader_test::record events;
  CHECK_THROWS_AS(reader.feed("--bx", events), std::system_error);
  MultipartReader ok("b");
  CHECK_NOTHROW(ok.feed("--b\r\n\r\nx\r\n--b--", events));
  CHECK_NOTHROW(ok.finish(events));
}
#endif

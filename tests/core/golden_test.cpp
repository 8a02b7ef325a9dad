// Byte-exact output of MultipartWriter for every framing and stream position,
// against the hand-written goldens in golden.hpp.

#include "golden.hpp"
#include "test_sink.hpp"

#include <serverpush/sinks/memory.hpp>
#include <serverpush/writer.hpp>

#include "testing.hpp"

#include <string>

using serverpush::framing;
using serverpush::MultipartWriter;
using serverpush::stream_position;
using serverpush::string_sink;

TEST_CASE("every scenario writes its golden bytes") {
  for (std::size_t id = 0; id < golden::scenario_count; ++id) {
    const golden::scenario& s = golden::scenarios[id];
    CAPTURE(s.name);
    std::error_code ec;
    MultipartWriter<string_sink> w(string_sink{}, s.boundary, ec);
    REQUIRE_FALSE(ec);
    golden::run(id, w, ec);
    CHECK_FALSE(ec);
    CHECK(w.sink().container() == s.bytes);
    CHECK(w.bytes_written() == s.bytes.size());
    CHECK(w.parts_written() == s.parts);
    CHECK(w.is_closed());
    CHECK_FALSE(w.is_failed());
  }
}

TEST_CASE("position follows the framing after each part") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "sep42", ec);
  CHECK(w.position() == stream_position::start);
  w.write_part("text/plain", "a", ec);
  CHECK(w.position() == stream_position::after_part);
  w.set_framing(framing::eager_delimiter);
  CHECK(w.current_framing() == framing::eager_delimiter);
  w.write_part("text/plain", "a", ec);
  CHECK(w.position() == stream_position::after_delimiter);
  w.set_framing(framing::announce_next);
  w.write_part("text/plain", "a", ec);
  CHECK(w.position() == stream_position::after_header_block);
  w.write_last_part("text/plain", "a", ec);
  CHECK(w.position() == stream_position::after_part);
  w.begin_part("text/plain", ec);
  CHECK(w.in_part());
  w.end_part(ec);
  CHECK_FALSE(w.in_part());
  CHECK(w.position() == stream_position::after_header_block);
  CHECK_FALSE(ec);
}

TEST_CASE("write_last_part from each resting position ends without an extra part") {
  // The last part is Content-Length framed, so close() adds only "--B--".
  struct expectation {
    framing f;
    std::string_view bytes;
  };
  const expectation cases[] = {
      {framing::content_length,
       "--q\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1\r\n"
       "--q\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n2\r\n"
       "--q--\r\n"},
      {framing::eager_delimiter,
       "--q\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1\r\n--q\r\n"
       "Content-Type: text/plain\r\nContent-Length: 1\r\n\r\n2\r\n"
       "--q--\r\n"},
      {framing::announce_next,
       "--q\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1\r\n--q\r\n"
       "Content-Type: text/plain\r\n\r\n2\r\n"
       "--q--\r\n"},
  };
  for (const expectation& c : cases) {
    CAPTURE(static_cast<int>(c.f));
    std::error_code ec;
    MultipartWriter<string_sink> w(string_sink{}, "q", ec);
    w.set_framing(c.f);
    w.write_part("text/plain", "1", ec);
    REQUIRE_FALSE(ec);
    w.write_last_part("text/plain", "2", ec);
    REQUIRE_FALSE(ec);
    w.close(ec);
    REQUIRE_FALSE(ec);
    CHECK(w.sink().container() == c.bytes);
  }
}

TEST_CASE("write_last_part with extra headers") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "q", ec);
  w.write_last_part("image/jpeg", "J", {{"X-Timestamp", "5"}}, ec);
  w.close(ec);
  CHECK_FALSE(ec);
  CHECK(w.sink().container() ==
        "--q\r\nContent-Type: image/jpeg\r\nContent-Length: 1\r\nX-Timestamp: 5\r\n\r\nJ\r\n"
        "--q--\r\n");
}

TEST_CASE("a quoted boundary is written unquoted in the body") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "a b:c", ec);
  REQUIRE_FALSE(ec);
  CHECK(w.content_type() == "multipart/x-mixed-replace; boundary=\"a b:c\"");
  w.write_part("text/plain", "z", ec);
  w.close(ec);
  CHECK(w.sink().container() ==
        "--a b:c\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nz\r\n--a b:c--\r\n");
}

TEST_CASE("content type parameters pass through unchanged") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "q", ec);
  w.write_part("text/html; charset=utf-8", "h", ec);
  CHECK_FALSE(ec);
  CHECK(w.sink().container() ==
        "--q\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 1\r\n\r\nh\r\n");
}

TEST_CASE("a large payload keeps its Content-Length digits") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "q", ec);
  const std::string payload(1234567, 'p');
  w.write_part("application/octet-stream", payload, ec);
  CHECK_FALSE(ec);
  const std::string expected = "--q\r\nContent-Type: application/octet-stream\r\n"
                               "Content-Length: 1234567\r\n\r\n" +
                               payload + "\r\n";
  CHECK(w.sink().container() == expected);
}

TEST_CASE("a header block larger than the inline scratch space") {
  // Many extra headers push the block past the writer's inline buffer.
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "q", ec);
  const std::string long_value(500, 'v');
  w.write_part("text/plain", "x", {{"X-Long", long_value}, {"X-Short", "s"}}, ec);
  CHECK_FALSE(ec);
  const std::string expected = "--q\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nX-Long: " +
                               long_value + "\r\nX-Short: s\r\n\r\nx\r\n";
  CHECK(w.sink().container() == expected);
}

#if SERVERPUSH_HAS_EXCEPTIONS
TEST_CASE("the throwing API writes the same bytes") {
  MultipartWriter<string_sink> w(string_sink{}, "MSBOB");
  w.write_part("text/html", "<p>First Page</p>");
  w.write_part("text/html", "<p>Second Page</p>");
  w.write_part("text/html", "<p>Third Page</p>");
  w.close();
  CHECK(w.sink().container() == golden::scenarios[0].bytes);

  MultipartWriter<string_sink> p(string_sink{}, "sep42");
  p.begin_part("text/plain", 5);
  p.write_body("he");
  p.write_body("llo", 3);
  p.end_part();
  p.close();
  CHECK(p.sink().container() == golden::scenarios[9].bytes);

  MultipartWriter<string_sink> h(string_sink{}, "sep42");
  const serverpush::header frame_headers[] = {{"X-Timestamp", "1700000000.123"}, {"X-Frame", "7"}};
  h.write_part("image/jpeg", "xyz", frame_headers);
  h.begin_part("text/plain", 2, {{"X-Timestamp", "1700000000.456"}});
  h.write_body("ok");
  h.end_part();
  h.begin_part("text/plain", serverpush::unknown_length, {{"X-Seq", "3"}});
  h.write_body("!");
  h.end_part();
  h.close();
  CHECK(h.sink().container() == golden::scenarios[13].bytes);

  MultipartWriter<string_sink> l(string_sink{}, "MSBOB");
  l.set_framing(framing::announce_next);
  l.write_part("text/html", "<p>First Page</p>");
  l.write_part("text/html", "<p>Second Page</p>");
  l.write_last_part("text/html", "<p>Third Page</p>");
  l.close();
  CHECK(l.sink().container() == golden::scenarios[3].bytes);
}
#endif

TEST_CASE("write_head: bytes ahead of the body, then the body from offset 0 of its own") {
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=MSBOB\r\n\r\n";
  for (std::size_t limit = 1; limit <= head.size() + 8; ++limit) {
    CAPTURE(limit);
    serverpush::test::write_count_sink sink;
    sink.max_per_call = limit;
    std::error_code ec;
    MultipartWriter<serverpush::test::write_count_sink&> w(sink, "MSBOB", ec);
    w.write_head(head, ec);
    REQUIRE_FALSE(ec);
    golden::run(0, w, ec);
    REQUIRE_FALSE(ec);
    CHECK(sink.out == head + std::string(golden::three_pages));
    CHECK(w.bytes_written() == sink.out.size());
  }
}

TEST_CASE("write_head after the body started is refused and writes nothing") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "MSBOB", ec);
  w.write_part("text/plain", "a", ec);
  REQUIRE_FALSE(ec);
  const std::string before = w.sink().container();
  w.write_head("HTTP/1.1 200 OK\r\n\r\n", ec);
  CHECK(ec == serverpush::errc::body_started);
  CHECK(w.sink().container() == before);

  MultipartWriter<string_sink> open(string_sink{}, "MSBOB", ec);
  open.begin_part("text/plain", ec);
  REQUIRE_FALSE(ec);
  const std::string head_only = open.sink().container();
  open.write_head("x", ec);
  CHECK(ec == serverpush::errc::part_in_progress);
  CHECK(open.sink().container() == head_only);

  MultipartWriter<string_sink> closed(string_sink{}, "MSBOB", ec);
  closed.close(ec);
  closed.write_head("x", ec);
  CHECK(ec == serverpush::errc::stream_closed);
  CHECK(closed.sink().container() == "--MSBOB--\r\n");
}

// The one rule after an announced header block (framer::part_head), written out
// by hand: the same content type and no extra headers continues the announced
// part; anything else ends it with an empty body and sends a complete part.
TEST_CASE("announce_next: the same type continues under the announced block") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.set_framing(framing::announce_next);
  w.write_part("image/jpeg", "J1", ec);
  w.write_part("image/jpeg", "J2", ec);
  REQUIRE_FALSE(ec);
  CHECK(w.sink().container() ==
        "--B\r\nContent-Type: image/jpeg\r\nContent-Length: 2\r\n\r\nJ1\r\n"
        "--B\r\nContent-Type: image/jpeg\r\n\r\n"
        "J2\r\n"
        "--B\r\nContent-Type: image/jpeg\r\n\r\n");
}

TEST_CASE("announce_next: another content type ends the announced part empty") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.set_framing(framing::announce_next);
  w.write_part("image/jpeg", "J1", ec);
  w.write_part("image/png", "P2", ec);
  REQUIRE_FALSE(ec);
  w.close(ec);
  REQUIRE_FALSE(ec);
  CHECK(w.sink().container() ==
        "--B\r\nContent-Type: image/jpeg\r\nContent-Length: 2\r\n\r\nJ1\r\n"
        "--B\r\nContent-Type: image/jpeg\r\n\r\n"
        "\r\n"
        "--B\r\nContent-Type: image/png\r\nContent-Length: 2\r\n\r\nP2\r\n"
        "--B\r\nContent-Type: image/png\r\n\r\n"
        "\r\n--B--\r\n");
  CHECK(w.parts_written() == 2);
}

TEST_CASE("announce_next: extra headers end the announced part empty") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.set_framing(framing::announce_next);
  w.write_part("image/jpeg", "J1", ec);
  w.write_part("image/jpeg", "J2", {{"X-Timestamp", "7"}}, ec);
  REQUIRE_FALSE(ec);
  w.write_last_part("text/plain", "end", ec);
  REQUIRE_FALSE(ec);
  w.close(ec);
  REQUIRE_FALSE(ec);
  CHECK(w.sink().container() ==
        "--B\r\nContent-Type: image/jpeg\r\nContent-Length: 2\r\n\r\nJ1\r\n"
        "--B\r\nContent-Type: image/jpeg\r\n\r\n"
        "\r\n"
        "--B\r\nContent-Type: image/jpeg\r\nContent-Length: 2\r\nX-Timestamp: 7\r\n\r\nJ2\r\n"
        "--B\r\nContent-Type: image/jpeg\r\n\r\n"
        "\r\n"
        "--B\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nend\r\n"
        "--B--\r\n");
}

TEST_CASE("announce_next: begin_part follows the same rule") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.set_framing(framing::announce_next);
  w.write_part("text/plain", "1", ec);
  w.begin_part("text/plain", 2, ec);  // continues: the length is enforced, not sent
  w.write_body("22", ec);
  w.end_part(ec);
  w.begin_part("text/html", 1, {{"X-A", "b"}}, ec);
  w.write_body("3", ec);
  w.end_part(ec);
  REQUIRE_FALSE(ec);
  CHECK(w.sink().container() ==
        "--B\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\n"
        "22\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\n"
        "\r\n"
        "--B\r\nContent-Type: text/html\r\nContent-Length: 1\r\nX-A: b\r\n\r\n3\r\n"
        "--B\r\nContent-Type: text/html\r\n\r\n");
}

TEST_CASE("announce_next: a framing change does not unsend the announced block") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.set_framing(framing::announce_next);
  w.write_part("image/jpeg", "1", ec);
  w.set_framing(framing::content_length);
  w.write_part("image/png", "2", ec);
  w.write_part("image/png", "3", ec);
  REQUIRE_FALSE(ec);
  CHECK(w.sink().container() ==
        "--B\r\nContent-Type: image/jpeg\r\nContent-Length: 1\r\n\r\n1\r\n"
        "--B\r\nContent-Type: image/jpeg\r\n\r\n"
        "\r\n"
        "--B\r\nContent-Type: image/png\r\nContent-Length: 1\r\n\r\n2\r\n"
        "--B\r\nContent-Type: image/png\r\nContent-Length: 1\r\n\r\n3\r\n");
}

// The per-viewer serializer, driven by a fake socket that takes a fixed
// number of bytes per write: no torn part at any split, newest part chosen,
// byte-exact openings and closes for every framing, the one framing rule
// after an announced header block.

#include "testing.hpp"

#include "multipart_reader.hpp"

#include <serverpush/broadcast/framed_part.hpp>
#include <serverpush/broadcast/serializer.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using serverpush::const_buffer;
using serverpush::framing;
using serverpush::header;
using serverpush::framed_part;
using serverpush::stream_serializer;

namespace {

constexpr std::string_view boundary = "BND";

std::shared_ptr<const framed_part> make_part(std::uint64_t seq, std::string_view type,
                                             std::string_view payload, bool last = false,
                                             serverpush::header_list headers = {}) {
  std::error_code ec;
  serverpush::frame_options o;
  o.last = last;
  auto part = framed_part::make(boundary, type, payload, headers, o, ec);
  REQUIRE_FALSE(ec);
  part->set_sequence(seq);
  return part;
}

// A socket that accepts at most `chunk` bytes per write.
struct fake_socket {
  std::size_t chunk;
  std::string wire;

  // One write: what the state machine offers, cut to `chunk`. Returns bytes taken.
  std::size_t write(stream_serializer& c) {
    const auto bufs = c.prepare();
    const std::size_t n = bufs.size();
    std::size_t taken = 0;
    for (std::size_t i = 0; i < n && taken < chunk; ++i) {
      const std::size_t take = std::min(chunk - taken, bufs[i].size);
      wire.append(bufs[i].data, take);
      taken += take;
    }
    c.consume(taken);
    return taken;
  }

  void drain(stream_serializer& c) {
    while (write(c) != 0) {
    }
  }
};

std::string drain_all(stream_serializer& c) {
  fake_socket s{1 << 20, {}};
  s.drain(c);
  return s.wire;
}

const framing all_framings[] = {framing::content_length, framing::eager_delimiter,
                                framing::announce_next};

}  // namespace

TEST_CASE("content_length: head, parts and close, byte-exact") {
  stream_serializer c(boundary, framing::content_length, "HEAD\r\n\r\n");
  c.offer(make_part(1, "text/plain", "aaa"));
  std::string wire = drain_all(c);
  c.offer(make_part(2, "text/plain", "bb"));
  wire += drain_all(c);
  c.close();
  wire += drain_all(c);
  CHECK(wire ==
        "HEAD\r\n\r\n"
        "--BND\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\naaa\r\n"
        "--BND\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nbb\r\n"
        "--BND--\r\n");
  CHECK(c.done());
  CHECK(c.parts_sent() == 2);
  CHECK(c.parts_skipped() == 0);
  CHECK(c.bytes_sent() == wire.size());
}

TEST_CASE("eager_delimiter: opening, early delimiter, close ends the open part empty") {
  stream_serializer c(boundary, framing::eager_delimiter, "");
  c.offer(make_part(1, "text/plain", "aaa"));
  std::string wire = drain_all(c);
  c.offer(make_part(2, "image/jpeg", "bb"));
  wire += drain_all(c);
  c.close();
  wire += drain_all(c);
  CHECK(wire ==
        "--BND\r\n"
        "Content-Type: text/plain\r\nContent-Length: 3\r\n\r\naaa\r\n--BND\r\n"
        "Content-Type: image/jpeg\r\nContent-Length: 2\r\n\r\nbb\r\n--BND\r\n"
        "Content-Type: image/jpeg\r\nContent-Length: 0\r\n\r\n\r\n--BND--\r\n");
}

TEST_CASE("announce_next: joining client gets the header block before its first payload") {
  stream_serializer c(boundary, framing::announce_next, "H");
  c.offer(make_part(1, "image/jpeg", "aaa"));
  std::string wire = drain_all(c);
  CHECK(wire == "H--BND\r\nContent-Type: image/jpeg\r\n\r\naaa\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n");
  c.offer(make_part(2, "image/jpeg", "bb"));
  wire = drain_all(c);
  CHECK(wire == "bb\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n");
  c.close();
  CHECK(drain_all(c) == "\r\n--BND--\r\n");
}

TEST_CASE("announce_next: a new content type ends the announced part empty and opens a full one") {
  stream_serializer c(boundary, framing::announce_next, "");
  c.offer(make_part(1, "text/plain", "aaa"));
  std::string wire = drain_all(c);
  const header extra[] = {{"X-Seq", "2"}};
  c.offer(make_part(2, "image/jpeg", "bb", false, extra));
  wire += drain_all(c);
  c.close();
  wire += drain_all(c);
  CHECK(wire ==
        "--BND\r\nContent-Type: text/plain\r\n\r\naaa\r\n--BND\r\nContent-Type: text/plain\r\n\r\n"
        "\r\n--BND\r\nContent-Type: image/jpeg\r\nContent-Length: 2\r\nX-Seq: 2\r\n\r\n"
        "bb\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n"
        "\r\n--BND--\r\n");
  const auto parsed = test::parse_multipart(wire, boundary);
  REQUIRE(parsed.error.empty());
  REQUIRE(parsed.parts.size() == 4);
  CHECK(parsed.parts[1].body.empty());
  CHECK(parsed.parts[2].body == "bb");
  CHECK(parsed.closed);
}

TEST_CASE("last part: every framing ends with CRLF and close adds only the close delimiter") {
  for (framing f : all_framings) {
    CAPTURE(static_cast<int>(f));
    stream_serializer c(boundary, f, "");
    c.offer(make_part(1, "text/html", "one"));
    std::string wire = drain_all(c);
    c.offer(make_part(2, "text/html", "two", true));
    c.close();
    wire += drain_all(c);
    const auto parsed = test::parse_multipart(wire, boundary);
    REQUIRE(parsed.error.empty());
    REQUIRE(parsed.parts.size() == 2);
    CHECK(parsed.parts[0].body == "one");
    CHECK(parsed.parts[1].body == "two");
    CHECK(parsed.closed);
    CHECK(wire.substr(wire.size() - 14) == "two\r\n--BND--\r\n");
  }
}

TEST_CASE("close with no part sent: the close delimiter alone, after the head") {
  for (framing f : all_framings) {
    stream_serializer c(boundary, f, "H");
    c.close();
    CHECK(drain_all(c) == "H--BND--\r\n");
    CHECK(c.done());
  }
}

TEST_CASE("extra headers reach every framing; announce_next ends the announced part first") {
  const header extra[] = {{"X-Frame", "17"}};
  for (framing f : all_framings) {
    stream_serializer c(boundary, f, "");
    c.offer(make_part(1, "image/jpeg", "x", false, extra));
    std::string wire = drain_all(c);
    c.offer(make_part(2, "image/jpeg", "y", false, extra));
    wire += drain_all(c);
    c.close();
    wire += drain_all(c);
    const auto parsed = test::parse_multipart(wire, boundary);
    REQUIRE(parsed.error.empty());
    std::size_t carrying = 0;
    for (const auto& p : parsed.parts) {
      if (!p.body.empty()) CHECK(p.headers == decltype(p.headers){{"X-Frame", "17"}});
      carrying += p.body.empty() ? 0 : 1;
    }
    CHECK(carrying == 2);
  }
  stream_serializer c(boundary, framing::announce_next, "");
  c.offer(make_part(1, "image/jpeg", "x", false, extra));
  std::string wire = drain_all(c);
  c.offer(make_part(2, "image/jpeg", "y", false, extra));
  wire += drain_all(c);
  // A first part with extra headers opens with the delimiter line and its
  // complete header block; the announced block after it does not fit the
  // second, which ends it empty and goes out complete.
  CHECK(wire ==
        "--BND\r\nContent-Type: image/jpeg\r\nContent-Length: 1\r\nX-Frame: 17\r\n\r\n"
        "x\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n"
        "\r\n--BND\r\nContent-Type: image/jpeg\r\nContent-Length: 1\r\nX-Frame: 17\r\n\r\n"
        "y\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n");
}

TEST_CASE("part_headers off: extra headers and timestamps stay away, announced blocks continue") {
  const header extra[] = {{"X-Frame", "17"}};
  std::error_code ec;
  serverpush::frame_options stamped;
  stamped.timestamp = "1764115200.250";
  auto second = framed_part::make(boundary, "image/jpeg", "y", extra, stamped, ec);
  REQUIRE_FALSE(ec);
  second->set_sequence(2);
  stream_serializer c(boundary, framing::announce_next, "", /*timestamps=*/true,
                      /*part_headers=*/false);
  CHECK_FALSE(c.part_headers());
  c.offer(make_part(1, "image/jpeg", "x", false, extra));
  std::string wire = drain_all(c);
  c.offer(second);
  wire += drain_all(c);
  c.close();
  wire += drain_all(c);
  CHECK(wire ==
        "--BND\r\nContent-Type: image/jpeg\r\n\r\n"
        "x\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n"
        "y\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n"
        "\r\n--BND--\r\n");
  // The same parts to a parser keep their headers.
  stream_serializer parser(boundary, framing::content_length, "", true, false);
  parser.offer(second);
  CHECK(drain_all(parser) == "--BND\r\nContent-Type: image/jpeg\r\nContent-Length: 1\r\n\r\ny\r\n");
  stream_serializer full(boundary, framing::content_length, "", true, true);
  full.offer(second);
  CHECK(drain_all(full) ==
        "--BND\r\nContent-Type: image/jpeg\r\nContent-Length: 1\r\nX-Frame: 17\r\n"
        "X-Timestamp: 1764115200.250\r\n\r\ny\r\n");
}

TEST_CASE("latest wins: a part in flight is finished, then the newest; the one between is skipped") {
  for (framing f : all_framings) {
    stream_serializer c(boundary, f, "");
    fake_socket s{1, {}};
    c.offer(make_part(1, "text/plain", "first"));
    REQUIRE(s.write(c) == 1);  // part 1 is now in flight
    REQUIRE(c.in_part());
    c.offer(make_part(2, "text/plain", "second"));
    c.offer(make_part(3, "text/plain", "third"));
    s.drain(c);
    c.close();
    s.drain(c);
    const auto parsed = test::parse_multipart(s.wire, boundary);
    REQUIRE(parsed.error.empty());
    std::vector<std::string> bodies;
    for (const auto& p : parsed.parts) {
      if (!p.body.empty()) bodies.push_back(p.body);
    }
    CHECK(bodies == std::vector<std::string>{"first", "third"});
    CHECK(c.parts_sent() == 2);
    CHECK(c.parts_skipped() == 1);
  }
}

TEST_CASE("a part not begun is replaced by a newer one") {
  stream_serializer c(boundary, framing::content_length, "");
  c.offer(make_part(1, "text/plain", "old"));
  REQUIRE_FALSE(c.prepare().empty());
  c.consume(0);  // the socket was full
  c.offer(make_part(2, "text/plain", "new"));
  const std::string wire = drain_all(c);
  CHECK(wire.find("old") == std::string::npos);
  CHECK(wire.find("new") != std::string::npos);
  CHECK(c.parts_skipped() == 1);
}

TEST_CASE("parts published while a client was not offered them count as skipped") {
  stream_serializer c(boundary, framing::content_length, "");
  c.offer(make_part(4, "text/plain", "a"));
  drain_all(c);
  c.offer(make_part(7, "text/plain", "b"));
  drain_all(c);
  CHECK(c.parts_sent() == 2);
  CHECK(c.parts_skipped() == 2);
}

TEST_CASE("every client sends the same payload bytes: no per-client copy") {
  auto part = make_part(1, "image/jpeg", std::string(1000, 'x'));
  stream_serializer a(boundary, framing::content_length, "");
  stream_serializer b(boundary, framing::announce_next, "head");
  a.offer(part);
  b.offer(part);
  auto points_at_payload = [&](const stream_serializer::buffers& bufs) {
    for (const const_buffer& b : bufs) {
      if (b.data == part->payload().data() && b.size == 1000) return true;
    }
    return false;
  };
  CHECK(points_at_payload(a.prepare()));
  CHECK(points_at_payload(b.prepare()));
  CHECK(part.use_count() == 5);  // each serializer holds it as pending and as prepared
}

TEST_CASE("resending the newest part to an idle client") {
  stream_serializer c(boundary, framing::announce_next, "");
  auto part = make_part(1, "image/jpeg", "frame");
  c.offer(part);
  drain_all(c);
  c.offer(part);
  const std::string again = drain_all(c);
  CHECK(again == "frame\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n");
  CHECK(c.parts_sent() == 2);
  CHECK(c.parts_skipped() == 0);
}

// Every write size from 1 to 300 bytes, parts offered and the stream closed
// at many points: the output always parses, every part is a published one,
// whole, in publication order, and the last published part is delivered.
TEST_CASE("no torn part at any write size, close clean at every point") {
  struct spec {
    const char* type;
    std::string payload;
  };
  std::vector<spec> published;
  for (int i = 0; i < 9; ++i) {
    const char* type = (i / 3) % 2 == 0 ? "image/jpeg" : "text/html";
    published.push_back({type, std::string(static_cast<std::size_t>(20 + 37 * i), static_cast<char>('a' + i)) +
                                   std::to_string(i)});
  }
  const header extra[] = {{"X-Part", "n"}};
  for (framing f : all_framings) {
    for (std::size_t chunk = 1; chunk <= 300; ++chunk) {
      for (int last_mode = 0; last_mode < 2; ++last_mode) {
        CAPTURE(static_cast<int>(f));
        CAPTURE(chunk);
        CAPTURE(last_mode);
        stream_serializer c(boundary, f, "HTTP/1.1 200 OK\r\n\r\n");
        fake_socket s{chunk, {}};
        std::uint32_t rng = static_cast<std::uint32_t>(chunk * 2654435761u + last_mode);
        auto next = [&rng] {
          rng = rng * 1664525u + 1013904223u;
          return rng >> 16;
        };
        std::size_t offered = 0;
        const std::size_t close_at = next() % 60;
        for (std::size_t step = 0; step < 100000 && !c.done(); ++step) {
          if (!c.closing() && offered < published.size() && next() % 3 == 0) {
            const bool last = last_mode == 1 && offered + 1 == published.size();
            c.offer(make_part(offered + 1, published[offered].type, published[offered].payload,
                              last, extra));
            ++offered;
          }
          if (offered == published.size() || step == close_at) c.close();
          if (next() % 5 == 0) continue;  // the socket is full this round
          s.write(c);
        }
        REQUIRE(c.done());
        REQUIRE(s.wire.substr(0, 19) == "HTTP/1.1 200 OK\r\n\r\n");
        const auto parsed = test::parse_multipart(std::string_view(s.wire).substr(19), boundary);
        REQUIRE(parsed.error.empty());
        REQUIRE(parsed.closed);
        std::size_t previous = 0;
        std::size_t real = 0;
        std::size_t empty = 0;
        for (const auto& p : parsed.parts) {
          if (p.body.empty()) {
            ++empty;  // announce_next retype, or the part open at close
            continue;
          }
          std::size_t index = 0;
          while (index < published.size() && published[index].payload != p.body) ++index;
          REQUIRE(index < published.size());
          CHECK(p.content_type == published[index].type);
          CHECK(index + 1 > previous);
          previous = index + 1;
          ++real;
        }
        // The newest part offered before the close always goes out.
        CHECK(previous == offered);
        CHECK(real == c.parts_sent());
        CHECK(real + c.parts_skipped() == offered);
        if (f == framing::content_length) CHECK(empty == 0);
        CHECK(c.bytes_sent() == s.wire.size());
        CHECK(c.bytes_queued() == 0);
      }
    }
  }
}

TEST_CASE("close at every point of a live stream leaves a valid body") {
  for (framing f : all_framings) {
    for (std::size_t close_at = 0; close_at < 60; ++close_at) {
      CAPTURE(static_cast<int>(f));
      CAPTURE(close_at);
      stream_serializer c(boundary, f, "");
      fake_socket s{7, {}};
      c.offer(make_part(1, "image/jpeg", std::string(50, 'p')));
      for (std::size_t step = 0; step < close_at; ++step) {
        if (step == 10) c.offer(make_part(2, "text/plain", std::string(30, 'q')));
        s.write(c);
      }
      c.close();
      s.drain(c);
      REQUIRE(c.done());
      const auto parsed = test::parse_multipart(s.wire, boundary);
      REQUIRE(parsed.error.empty());
      CHECK(parsed.closed);
      std::size_t real = 0;
      for (const auto& p : parsed.parts) real += p.body.empty() ? 0 : 1;
      CHECK(real == c.parts_sent());
      CHECK(real >= 1);
    }
  }
}

// The same stream written at every write size is the same bytes: a golden
// per framing (head, opening, a type change with extra headers, a last part
// and the close delimiter).
TEST_CASE("exact bytes at every write size, every framing") {
  const header extra[] = {{"X-Frame", "2"}};
  const std::string golden[] = {
      // content_length
      "H\r\n\r\n"
      "--BND\r\nContent-Type: image/jpeg\r\nContent-Length: 5\r\n\r\nfirst\r\n"
      "--BND\r\nContent-Type: text/html\r\nContent-Length: 6\r\nX-Frame: 2\r\n\r\nsecond\r\n"
      "--BND\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nthird\r\n"
      "--BND--\r\n",
      // eager_delimiter
      "H\r\n\r\n--BND\r\n"
      "Content-Type: image/jpeg\r\nContent-Length: 5\r\n\r\nfirst\r\n--BND\r\n"
      "Content-Type: text/html\r\nContent-Length: 6\r\nX-Frame: 2\r\n\r\nsecond\r\n--BND\r\n"
      "Content-Type: text/html\r\nContent-Length: 5\r\n\r\nthird\r\n"
      "--BND--\r\n",
      // announce_next: the type change ends the announced part empty
      "H\r\n\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n"
      "first\r\n--BND\r\nContent-Type: image/jpeg\r\n\r\n"
      "\r\n--BND\r\nContent-Type: text/html\r\nContent-Length: 6\r\nX-Frame: 2\r\n\r\n"
      "second\r\n--BND\r\nContent-Type: text/html\r\n\r\n"
      "third\r\n"
      "--BND--\r\n",
  };
  for (std::size_t i = 0; i < 3; ++i) {
    const framing f = all_framings[i];
    for (std::size_t chunk = 1; chunk <= golden[i].size() + 1; ++chunk) {
      CAPTURE(i);
      CAPTURE(chunk);
      stream_serializer c(boundary, f, "H\r\n\r\n");
      fake_socket s{chunk, {}};
      c.offer(make_part(1, "image/jpeg", "first"));
      s.drain(c);
      c.offer(make_part(2, "text/html", "second", false, extra));
      s.drain(c);
      c.offer(make_part(3, "text/html", "third", true));
      c.close();
      s.drain(c);
      CHECK(c.done());
      CHECK(s.wire == golden[i]);
    }
  }
}

// An asynchronous write is in flight between prepare() and consume(): a
// newer offer must neither free nor replace the bytes being written.
TEST_CASE("prepared buffers stay valid and committed when a newer part arrives mid-write") {
  for (framing f : all_framings) {
    stream_serializer c(boundary, f, "");
    std::string wire;
    c.offer(make_part(1, "text/plain", "old"));
    const auto bufs = c.prepare();
    std::string flat;
    for (const const_buffer& b : bufs) flat.append(b.data, b.size);
    c.offer(make_part(2, "text/plain", "new"));  // the first part's only owner is now c
    std::string again;
    for (const const_buffer& b : bufs) again.append(b.data, b.size);  // still readable
    CHECK(again == flat);
    wire += flat.substr(0, 3);
    c.consume(3);  // part 1 has begun: it is finished first
    fake_socket s{1 << 20, {}};
    s.drain(c);
    c.close();
    s.drain(c);
    wire += s.wire;
    const auto parsed = test::parse_multipart(wire, boundary);
    REQUIRE(parsed.error.empty());
    std::vector<std::string> bodies;
    for (const auto& p : parsed.parts) {
      if (!p.body.empty()) bodies.push_back(p.body);
    }
    CHECK(bodies == std::vector<std::string>{"old", "new"});
    CHECK(c.parts_skipped() == 0);
  }
}

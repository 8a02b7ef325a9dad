// http::response_reader: status line, head, body framings (Content-Length,
// chunked, until close, none), interim responses, every error; every input
// read in every two-chunk split and byte by byte.

#include "testing.hpp"

#include <serverpush/reader/http_response.hpp>

#include <string>
#include <vector>

using serverpush::reader_errc;
using serverpush::http::response_reader;

namespace {

struct result {
  std::string body;
  std::error_code error;
  bool complete = false;
  int status = 0;
  std::string content_type;
  std::size_t consumed = 0;
};

result read(const std::string& bytes, std::vector<std::size_t> cuts, bool at_eof = true) {
  response_reader r(256);
  result out;
  std::size_t pos = 0;
  cuts.push_back(bytes.size());
  for (std::size_t cut : cuts) {
    if (cut < pos) continue;
    const std::string chunk = bytes.substr(pos, cut - pos);
    out.consumed += r.feed(chunk, [&](std::string_view b) { out.body.append(b.data(), b.size()); }, out.error);
    pos = cut;
    if (out.error || r.body_complete()) break;
  }
  if (!out.error && at_eof) r.finish(out.error);
  out.complete = r.body_complete();
  out.status = r.status();
  out.content_type = std::string(r.header("content-type"));
  return out;
}

// Every two-chunk split and byte by byte give what one feed gives.
result read_every_split(const std::string& bytes, bool at_eof = true) {
  const result whole = read(bytes, {}, at_eof);
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    const result split = read(bytes, {cut}, at_eof);
    CAPTURE(cut);
    CHECK(split.error == whole.error);
    if (!whole.error) {
      CHECK(split.body == whole.body);
      CHECK(split.consumed == whole.consumed);
    }
  }
  std::vector<std::size_t> each;
  for (std::size_t i = 1; i < bytes.size(); ++i) each.push_back(i);
  const result bytewise = read(bytes, each, at_eof);
  CHECK(bytewise.error == whole.error);
  if (!whole.error) CHECK(bytewise.body == whole.body);
  return whole;
}

const std::string head =
    "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=MSBOB\r\n";

}  // namespace

TEST_CASE("a stream without length reads until the connection closes") {
  const result r = read_every_split(head + "Connection: close\r\n\r\n--MSBOB\r\nabc");
  CHECK_FALSE(r.error);
  CHECK(r.status == 200);
  CHECK(r.content_type == "multipart/x-mixed-replace; boundary=MSBOB");
  CHECK(r.body == "--MSBOB\r\nabc");
  CHECK(r.complete);
}

TEST_CASE("chunked transfer coding is removed, extensions and trailers skipped") {
  const result r = read_every_split(head +
                                    "Transfer-Encoding: chunked\r\n\r\n"
                                    "5\r\n--MSB\r\n1c;name=value\r\nOB\r\nContent-Type: a/b\r\n\r\nxyz\r\n"
                                    "0\r\nX-Trailer: 1\r\n\r\n");
  CHECK_FALSE(r.error);
  CHECK(r.body == "--MSBOB\r\nContent-Type: a/b\r\n\r\nxyz");
  CHECK(r.complete);
}

TEST_CASE("a Content-Length body ends there; what follows is not consumed") {
  const std::string bytes = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1";
  const result r = read_every_split(bytes, false);
  CHECK_FALSE(r.error);
  CHECK(r.body == "abc");
  CHECK(r.complete);
  CHECK(r.consumed == bytes.size() - 8);
}

TEST_CASE("interim responses are skipped; 204 and 304 have no body") {
  const result r = read_every_split("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  CHECK_FALSE(r.error);
  CHECK(r.status == 200);
  CHECK(r.body == "ok");
  const result none = read_every_split("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", false);
  CHECK_FALSE(none.error);
  CHECK(none.complete);
  CHECK(none.body.empty());
}

TEST_CASE("LF-only head lines are accepted, as RFC 9112 allows") {
  const result r = read_every_split("HTTP/1.1 404 Not Found\nContent-Length: 1\n\nx");
  CHECK_FALSE(r.error);
  CHECK(r.status == 404);
  CHECK(r.body == "x");
}

TEST_CASE("each malformed response has its own error") {
  struct bad {
    const char* name;
    std::string bytes;
    reader_errc error;
  };
  const std::vector<bad> cases = {
      {"not HTTP", "SSH-2.0-OpenSSH\r\n\r\n", reader_errc::status_line_invalid},
      {"HTTP/2", "HTTP/2 200\r\n\r\n", reader_errc::http_version_unsupported},
      {"HTTP/1.2", "HTTP/1.2 200 OK\r\n\r\n", reader_errc::http_version_unsupported},
      {"status not 3 digits", "HTTP/1.1 20 OK\r\n\r\n", reader_errc::status_line_invalid},
      {"status with letters", "HTTP/1.1 2x0 OK\r\n\r\n", reader_errc::status_line_invalid},
      {"header without colon", "HTTP/1.1 200 OK\r\nBad header\r\n\r\n", reader_errc::http_header_invalid},
      {"folded header", "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", reader_errc::http_header_invalid},
      {"bad Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 1,2\r\n\r\n", reader_errc::http_length_invalid},
      {"gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       reader_errc::transfer_coding_unsupported},
      {"chunked not last", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       reader_errc::transfer_coding_unsupported},
      {"head too large", "HTTP/1.1 200 OK\r\nX: " + std::string(300, 'a') + "\r\n\r\n",
       reader_errc::http_head_too_large},
      {"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
       reader_errc::chunk_size_invalid},
      {"chunk size overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n",
       reader_errc::chunk_size_invalid},
      {"chunk without CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
       reader_errc::chunk_data_invalid},
      {"cut inside the head", "HTTP/1.1 200 OK\r\nContent-", reader_errc::http_body_truncated},
      {"cut inside a chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
       reader_errc::http_body_truncated},
      {"cut inside a Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
       reader_errc::http_body_truncated},
  };
  for (const bad& c : cases) {
    const std::string name = c.name;
    CAPTURE(name);
    CHECK(read_every_split(c.bytes).error == c.error);
  }
}

TEST_CASE("reset() reads the next response") {
  response_reader r;
  std::error_code ec;
  std::string body;
  auto sink = [&](std::string_view b) { body.append(b.data(), b.size()); };
  r.feed("HTTP/1.1 200 OK\r\nBad\r\n\r\n", sink, ec);
  CHECK(ec == reader_errc::http_header_invalid);
  r.feed("x", sink, ec);
  CHECK(ec == reader_errc::reader_failed);
  r.reset();
  r.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", sink, ec);
  CHECK_FALSE(ec);
  CHECK(body == "hi");
}

#include <serverpush/sinks/chunked.hpp>
#include <serverpush/sinks/memory.hpp>
#include <serverpush/writer.hpp>

#include "testing.hpp"

#include <cstddef>
#include <string>
#include <type_traits>
#include <vector>

using serverpush::chunked_sink;
using serverpush::const_buffer;
using serverpush::string_sink;

namespace {

// Records every gather call so a test can check one chunk is one call.
struct recording_sink {
  std::vector<std::string> calls;
  std::size_t short_after = 0;  // nonzero: accept at most this many bytes per call
  std::size_t writev(const const_buffer* bufs, std::size_t count, std::error_code&) {
    std::string call;
    for (std::size_t i = 0; i < count; ++i) call.append(bufs[i].data, bufs[i].size);
    if (short_after != 0 && call.size() > short_after) call.resize(short_after);
    calls.push_back(call);
    return call.size();
  }
  std::string joined() const {
    std::string out;
    for (const std::string& c : calls) out += c;
    return out;
  }
};

struct failing_sink {
  std::size_t writev(const const_buffer*, std::size_t, std::error_code& ec) {
    ec = std::make_error_code(std::errc::broken_pipe);
    return 0;
  }
};

// Decodes a chunked body (RFC 9112 section 7.1) as a client would; sets
// `complete` when the last chunk was seen.
std::string dechunk(const std::string& wire, bool& complete) {
  std::string out;
  std::size_t pos = 0;
  complete = false;
  while (pos < wire.size()) {
    const std::size_t eol = wire.find("\r\n", pos);
    REQUIRE(eol != std::string::npos);
    const std::size_t size = std::stoul(wire.substr(pos, eol - pos), nullptr, 16);
    pos = eol + 2;
    if (size == 0) {
      CHECK(wire.substr(pos) == "\r\n");
      complete = true;
      return out;
    }
    out += wire.substr(pos, size);
    pos += size;
    CHECK(wire.substr(pos, 2) == "\r\n");
    pos += 2;
  }
  return out;
}

}  // namespace

TEST_CASE("chunked: one gather call becomes one chunk in one inner call") {
  chunked_sink<recording_sink> sink(recording_sink{});
  const const_buffer bufs[] = {{"abc", 3}, {"", 0}, {"0123456789abcdef!", 17}};
  std::error_code ec;
  CHECK(sink.writev(bufs, 3, ec) == 20);
  CHECK_FALSE(ec);
  REQUIRE(sink.inner().calls.size() == 1);
  CHECK(sink.inner().calls[0] == "14\r\nabc0123456789abcdef!\r\n");
}

TEST_CASE("chunked: nothing to write sends nothing, since an empty chunk ends the body") {
  chunked_sink<recording_sink> sink(recording_sink{});
  const const_buffer empty{"", 0};
  std::error_code ec;
  CHECK(sink.writev(&empty, 1, ec) == 0);
  CHECK_FALSE(ec);
  CHECK(sink.inner().calls.empty());
}

TEST_CASE("chunked: many buffers are split into several valid chunks") {
  chunked_sink<recording_sink> sink(recording_sink{});
  std::vector<std::string> pieces;
  for (int i = 0; i < 20; ++i) pieces.push_back(std::string(static_cast<std::size_t>(i + 1), char('a' + i)));
  std::vector<const_buffer> bufs;
  std::string expected;
  for (const std::string& p : pieces) {
    bufs.push_back({p.data(), p.size()});
    expected += p;
  }
  std::error_code ec;
  CHECK(sink.writev(bufs.data(), bufs.size(), ec) == expected.size());
  CHECK(sink.inner().calls.size() > 1);
  sink.finish(ec);
  bool complete = false;
  CHECK(dechunk(sink.inner().joined(), complete) == expected);
  CHECK(complete);
}

TEST_CASE("chunked: short writes of the inner sink are resumed") {
  recording_sink inner;
  inner.short_after = 3;
  chunked_sink<recording_sink&> sink(inner);
  const const_buffer buf{"hello, world", 12};
  std::error_code ec;
  CHECK(sink.writev(&buf, 1, ec) == 12);
  CHECK_FALSE(ec);
  CHECK(inner.joined() == "c\r\nhello, world\r\n");
}

TEST_CASE("chunked: a multipart body survives the round trip byte for byte") {
  string_sink plain;
  serverpush::MultipartWriter<string_sink&> reference(plain, "MSBOB");
  chunked_sink<string_sink> wire(string_sink{});
  serverpush::MultipartWriter<chunked_sink<string_sink>&> writer(wire, "MSBOB");
  std::error_code ec;
  for (serverpush::framing f : {serverpush::framing::announce_next, serverpush::framing::eager_delimiter,
                                serverpush::framing::content_length}) {
    reference.set_framing(f);
    writer.set_framing(f);
    reference.write_part("text/plain", "part one", ec);
    REQUIRE_FALSE(ec);
    writer.write_part("text/plain", "part one", ec);
    REQUIRE_FALSE(ec);
  }
  reference.close(ec);
  writer.close(ec);
  REQUIRE_FALSE(ec);
  wire.finish(ec);
  REQUIRE_FALSE(ec);
  CHECK(wire.finished());
  bool complete = false;
  CHECK(dechunk(wire.inner().container(), complete) == plain.container());
  CHECK(complete);
}

TEST_CASE("chunked: inner failures are reported and writes after finish are refused") {
  chunked_sink<failing_sink> broken(failing_sink{});
  const const_buffer buf{"x", 1};
  std::error_code ec;
  broken.writev(&buf, 1, ec);
  CHECK(ec == std::errc::broken_pipe);
  broken.finish(ec);
  CHECK(ec == std::errc::broken_pipe);
  CHECK_FALSE(broken.finished());

  chunked_sink<string_sink> sink(string_sink{});
  sink.finish(ec);
  sink.finish(ec);
  CHECK(sink.inner().container() == "0\r\n\r\n");
  sink.writev(&buf, 1, ec);
  CHECK(ec == serverpush::errc::stream_closed);
}

TEST_CASE("chunked: the writer's close() ends the body with the last chunk") {
  // Issue #10: forgetting finish() after close() left the body without it.
  chunked_sink<string_sink> wire(string_sink{});
  std::error_code ec;
  serverpush::MultipartWriter<chunked_sink<string_sink>&> writer(wire, "B", ec);
  writer.write_part("text/plain", "x", ec);
  writer.close(ec);
  REQUIRE_FALSE(ec);
  CHECK(wire.finished());
  const std::string body = wire.inner().container();
  CHECK(body == "37\r\n--B\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx\r\n\r\n"
                "7\r\n--B--\r\n\r\n0\r\n\r\n");
  bool complete = false;
  dechunk(body, complete);
  CHECK(complete);
  // A finish() of its own afterwards, as older code does, changes nothing.
  wire.finish(ec);
  CHECK_FALSE(ec);
  writer.close(ec);
  CHECK_FALSE(ec);
  CHECK(wire.inner().container() == body);
}

TEST_CASE("chunked: a failing last chunk fails close()") {
  struct fails_third_call {
    std::string out;
    int calls = 0;
    std::size_t writev(const const_buffer* bufs, std::size_t count, std::error_code& ec) {
      if (++calls == 3) {
        ec = std::make_error_code(std::errc::broken_pipe);
        return 0;
      }
      std::size_t n = 0;
      for (std::size_t i = 0; i < count; ++i) {
        out.append(bufs[i].data, bufs[i].size);
        n += bufs[i].size;
      }
      return n;
    }
  };
  std::error_code ec;
  serverpush::MultipartWriter<chunked_sink<fails_third_call>> writer(
      chunked_sink<fails_third_call>(fails_third_call{}), "B", ec);
  writer.write_part("text/plain", "x", ec);
  writer.close(ec);
  CHECK(ec == serverpush::errc::sink_failed);
  CHECK(serverpush::is_fatal(ec));
  CHECK(writer.sink_error() == std::errc::broken_pipe);
  CHECK(writer.is_failed());
  CHECK_FALSE(writer.sink().finished());
  writer.close(ec);
  CHECK(ec == serverpush::errc::writer_failed);
}

TEST_CASE("close() calls a sink's finish() without an error_code too") {
  struct finishing_sink {
    std::string out;
    int finishes = 0;
    void write(const char* data, std::size_t size) { out.append(data, size); }
    void finish() { ++finishes; }
  };
  finishing_sink sink;
  std::error_code ec;
  serverpush::MultipartWriter<finishing_sink&> writer(sink, "B", ec);
  writer.close(ec);
  CHECK_FALSE(ec);
  CHECK(sink.out == "--B--\r\n");
  CHECK(sink.finishes == 1);
  writer.close(ec);
  CHECK(sink.finishes == 1);
}

TEST_CASE("chunked: deduction refers to a named inner sink") {
  string_sink inner;
  chunked_sink wire(inner);
  static_assert(std::is_same_v<decltype(wire), chunked_sink<string_sink&>>);
  chunked_sink owned{string_sink{}};
  static_assert(std::is_same_v<decltype(owned), chunked_sink<string_sink>>);
  std::error_code ec;
  serverpush::MultipartWriter writer(wire, "B", ec);
  static_assert(std::is_same_v<decltype(writer), serverpush::MultipartWriter<chunked_sink<string_sink&>&>>);
  writer.close(ec);
  CHECK_FALSE(ec);
  CHECK(inner.container() == "7\r\n--B--\r\n\r\n0\r\n\r\n");
}

// Payload forms, sink ownership, and the documented usage program.

#include "test_sink.hpp"

#include <serverpush/serverpush.hpp>

#include "golden.hpp"
#include "testing.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#if SERVERPUSH_HAS_SPAN
#include <span>
#endif

using namespace std::string_view_literals;
using serverpush::MultipartWriter;
using serverpush::string_sink;

namespace {

// The bytes a one-part stream with payload "abc" must have.
constexpr std::string_view abc_stream =
    "--B\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\nabc\r\n--B--\r\n";
constexpr std::string_view abc_pieces =
    "--B\r\nContent-Type: application/octet-stream\r\n\r\nabc\r\n--B--\r\n";

template <class Payload>
std::string one_part(const Payload& payload) {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.write_part("application/octet-stream", payload, ec);
  CHECK_FALSE(ec);
  w.close(ec);
  CHECK_FALSE(ec);
  return w.sink().container();
}

template <class Payload>
std::string as_body(const Payload& payload) {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.begin_part("application/octet-stream", ec);
  w.write_body(payload, ec);
  CHECK_FALSE(ec);
  w.end_part(ec);
  w.close(ec);
  CHECK_FALSE(ec);
  return w.sink().container();
}

// Has both a gather and a plain write: the gather one must be used.
struct two_way_sink {
  std::string out;
  std::size_t writev_calls = 0;
  std::size_t write_calls = 0;
  void writev(const serverpush::const_buffer* bufs, std::size_t count) {
    ++writev_calls;
    for (std::size_t i = 0; i < count; ++i) out.append(bufs[i].data, bufs[i].size);
  }
  void write(const char* data, std::size_t size) {
    ++write_calls;
    out.append(data, size);
  }
};

// A sink that can only be moved.
struct move_only_sink {
  std::unique_ptr<std::string> out = std::make_unique<std::string>();
  void write(const char* data, std::size_t size) { out->append(data, size); }
};

}  // namespace

static_assert(serverpush::is_sink_v<string_sink>);
static_assert(serverpush::is_sink_v<serverpush::test::write_plain_sink&>);
static_assert(serverpush::is_gather_sink_v<string_sink>);
static_assert(serverpush::is_gather_sink_v<serverpush::test::writev_ec_sink>);
static_assert(!serverpush::is_gather_sink_v<serverpush::test::write_count_sink>);
static_assert(!serverpush::is_sink_v<int>);
static_assert(!serverpush::is_sink_v<std::string>);

TEST_CASE("every payload form writes the same bytes") {
  const std::string_view sv = "abc";
  const std::string str = "abc";
  const std::vector<unsigned char> uvec = {'a', 'b', 'c'};
  const std::vector<char> cvec = {'a', 'b', 'c'};
  const std::vector<std::byte> bvec = {std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
  const std::array<std::byte, 3> barr = {std::byte{'a'}, std::byte{'b'}, std::byte{'c'}};
  const std::array<unsigned char, 3> uarr = {'a', 'b', 'c'};
  const std::vector<signed char> svec = {'a', 'b', 'c'};

  CHECK(one_part(sv) == abc_stream);
  CHECK(one_part("abc") == abc_stream);
  CHECK(one_part(str) == abc_stream);
  CHECK(one_part(uvec) == abc_stream);
  CHECK(one_part(cvec) == abc_stream);
  CHECK(one_part(bvec) == abc_stream);
  CHECK(one_part(barr) == abc_stream);
  CHECK(one_part(uarr) == abc_stream);
  CHECK(one_part(svec) == abc_stream);
  CHECK(one_part(serverpush::bytes_view(str.data(), 3)) == abc_stream);

  CHECK(as_body(sv) == abc_pieces);
  CHECK(as_body("abc") == abc_pieces);
  CHECK(as_body(str) == abc_pieces);
  CHECK(as_body(uvec) == abc_pieces);
  CHECK(as_body(bvec) == abc_pieces);

#if SERVERPUSH_HAS_SPAN
  const std::span<const std::byte> span(bvec);
  CHECK(one_part(span) == abc_stream);
  CHECK(as_body(span) == abc_pieces);
  const std::span<const unsigned char> uspan(uvec);
  CHECK(one_part(uspan) == abc_stream);
#endif
}

TEST_CASE("(const void*, size_t) payloads, including embedded NULs") {
  const unsigned char raw[] = {'a', 0, 'c'};
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.write_part("application/octet-stream", raw, sizeof raw, ec);
  w.write_part("application/octet-stream", raw, sizeof raw, {{"X-N", "2"}}, ec);
  w.begin_part("application/octet-stream", 3, ec);
  w.write_body(static_cast<const void*>(raw), sizeof raw, ec);
  w.end_part(ec);
  w.close(ec);
  CHECK_FALSE(ec);
  CHECK(w.sink().container() ==
        "--B\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\na\0c\r\n"
        "--B\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\nX-N: 2\r\n\r\na\0c\r\n"
        "--B\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\na\0c\r\n"
        "--B--\r\n"sv);
}

TEST_CASE("{} for \"no extra headers\" keeps the payload") {
  // A braced {} must pick the header_list overload, never bind to the size
  // of the (pointer, size) overload and write an empty payload.
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.write_part("application/octet-stream", "abc", {}, ec);
  CHECK_FALSE(ec);
  w.close(ec);
  CHECK(w.sink().container() == abc_stream);
#if SERVERPUSH_HAS_EXCEPTIONS
  MultipartWriter<string_sink> t(string_sink{}, "B");
  const std::string payload = "abc";
  t.write_part("application/octet-stream", payload.c_str(), {});
  t.close();
  CHECK(t.sink().container() == abc_stream);
#endif
}

TEST_CASE("an owned sink is moved in; a referenced one is written in place") {
  string_sink start;
  start.container() = "prefix|";
  std::error_code ec;
  MultipartWriter<string_sink> owner(std::move(start), "B", ec);
  owner.write_part("application/octet-stream", "abc", ec);
  owner.close(ec);
  CHECK(owner.sink().container() == "prefix|" + std::string(abc_stream));

  string_sink mine;
  {
    MultipartWriter<string_sink&> ref(mine, "B", ec);
    ref.write_part("application/octet-stream", "abc", ec);
    CHECK(&ref.sink() == &mine);
    ref.close(ec);
  }
  CHECK(mine.container() == abc_stream);

  MultipartWriter<move_only_sink> m(move_only_sink{}, "B", ec);
  m.write_part("application/octet-stream", "abc", ec);
  m.close(ec);
  CHECK(*m.sink().out == abc_stream);
}

TEST_CASE("a moved writer carries on where it stopped") {
  std::error_code ec;
  MultipartWriter<string_sink> a(string_sink{}, "B", ec);
  a.set_framing(serverpush::framing::announce_next);
  a.set_strict(true);
  a.write_part("text/plain", "1", ec);
  MultipartWriter<string_sink> b(std::move(a));
  CHECK(b.boundary() == "B");
  CHECK(b.strict());
  CHECK(b.position() == serverpush::stream_position::after_header_block);
  b.write_part("text/plain", "2", ec);
  CHECK_FALSE(ec);
  b.write_part("text/other", "3", ec);
  CHECK_FALSE(ec);
  b.close(ec);
  CHECK_FALSE(ec);
  CHECK(b.sink().container() ==
        "--B\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n1\r\n--B\r\n"
        "Content-Type: text/plain\r\n\r\n2\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        "\r\n--B\r\nContent-Type: text/other\r\nContent-Length: 1\r\n\r\n3\r\n--B\r\n"
        "Content-Type: text/other\r\n\r\n\r\n--B--\r\n");
  CHECK(b.parts_written() == 3);
}

TEST_CASE("a sink with writev and write gets whole parts through writev") {
  two_way_sink sink;
  std::error_code ec;
  MultipartWriter<two_way_sink&> w(sink, "B", ec);
  w.write_part("application/octet-stream", "abc", ec);
  w.close(ec);
  CHECK(sink.out == abc_stream);
  CHECK(sink.writev_calls == 2);
  CHECK(sink.write_calls == 0);
}

TEST_CASE("a gather sink gets each whole part in one call") {
  serverpush::test::writev_ec_sink sink;
  std::error_code ec;
  MultipartWriter<serverpush::test::writev_ec_sink&> w(sink, "B", ec);
  for (int i = 0; i < 10; ++i) w.write_part("text/plain", "payload", {{"X-I", "i"}}, ec);
  CHECK_FALSE(ec);
  CHECK(sink.calls == 10);
}

// The usage program from the documentation, verbatim apart from jpeg_bytes.
namespace contract {
struct MySink {
  std::string out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};
}  // namespace contract

TEST_CASE("the documented usage program") {
  using contract::MySink;
  const std::vector<unsigned char> jpeg_bytes = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0xFF, 0xD9};

  MySink sink, other;
  serverpush::MultipartWriter<MySink&> w(sink, "MSBOB");
  serverpush::MultipartWriter<MySink&> r(other);
  std::string ct = w.content_type();  // "multipart/x-mixed-replace; boundary=MSBOB"
  std::string_view b = w.boundary();  // "MSBOB"
  std::error_code ec;
  w.write_part("text/html", "<p>First Page</p>", ec);
  w.write_part("text/html", "<p>Second Page</p>", ec);
  w.write_part("text/html", "<p>Third Page</p>", ec);
  w.close(ec);
#if SERVERPUSH_HAS_EXCEPTIONS
  r.write_part("image/jpeg", jpeg_bytes);  // throwing form
  r.close();
#else
  r.write_part("image/jpeg", jpeg_bytes, ec);
  r.close(ec);
#endif

  CHECK_FALSE(ec);
  CHECK(ct == "multipart/x-mixed-replace; boundary=MSBOB");
  CHECK(b == "MSBOB");
  CHECK(sink.out == golden::three_pages);
  const std::string rb(r.boundary());
  CHECK(rb.size() == 32);
  std::string expected = "--" + rb + "\r\nContent-Type: image/jpeg\r\nContent-Length: 8\r\n\r\n";
  expected += "\xFF\xD8\xFF\xE0\x00\x10\xFF\xD9"sv;
  expected += "\r\n--" + rb + "--\r\n";
  CHECK(other.out == expected);
}

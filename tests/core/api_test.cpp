// Traps the public API must not set (issue #10 section 3): deduction copying
// the sink, a chunked body left without its last chunk, errors the host
// cannot sort into "drop the client" and "fix the call".

#include "test_sink.hpp"

#include <serverpush/error.hpp>
#include <serverpush/sinks/memory.hpp>
#include <serverpush/writer.hpp>

#include "testing.hpp"

#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

using serverpush::errc;
using serverpush::MultipartWriter;
using serverpush::string_sink;

namespace {

constexpr std::string_view one_part =
    "--B\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx\r\n";

// The README's first sink.
struct plain_sink {
  std::string out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};

}  // namespace

TEST_CASE("deduction refers to a named sink") {
  string_sink s;
  MultipartWriter w(s, "B");
  static_assert(std::is_same_v<decltype(w), MultipartWriter<string_sink&>>);
  std::error_code ec;
  w.write_part("text/plain", "x", ec);
  CHECK_FALSE(ec);
  CHECK(s.container() == one_part);

  plain_sink p;
  MultipartWriter wp(p, "B", ec);
  static_assert(std::is_same_v<decltype(wp), MultipartWriter<plain_sink&>>);
  wp.write_part("text/plain", "x", ec);
  CHECK(p.out == one_part);

  plain_sink r;
  MultipartWriter wr(r, ec);  // random boundary
  static_assert(std::is_same_v<decltype(wr), MultipartWriter<plain_sink&>>);
  REQUIRE_FALSE(ec);
  wr.write_part("text/plain", "x", ec);
  CHECK(r.out.size() == one_part.size() + wr.boundary().size() - 1);

  const auto& named = p;  // a const sink cannot be written: not a sink
  static_assert(!serverpush::is_sink_v<decltype(named)>);
}

TEST_CASE("deduction moves a temporary sink in") {
  std::error_code ec;
  MultipartWriter w(string_sink{}, "B", ec);
  static_assert(std::is_same_v<decltype(w), MultipartWriter<string_sink>>);
  w.write_part("text/plain", "x", ec);
  CHECK(w.sink().container() == one_part);

  string_sink moved;
  MultipartWriter m(std::move(moved), "B");
  static_assert(std::is_same_v<decltype(m), MultipartWriter<string_sink>>);

  MultipartWriter again(std::move(w));  // a writer, not a writer of writers
  static_assert(std::is_same_v<decltype(again), MultipartWriter<string_sink>>);
  CHECK(again.sink().container() == one_part);
}

TEST_CASE("write_head is the one name; write_prologue still forwards to it") {
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, "B", ec);
  w.write_head("HEAD\r\n\r\n", ec);
  CHECK_FALSE(ec);
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
  w.write_prologue("MORE\r\n", ec);
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
  CHECK_FALSE(ec);
  w.write_part("text/plain", "x", ec);
  w.write_head("late", ec);
  CHECK(ec == errc::body_started);
  CHECK(w.sink().container() == "HEAD\r\n\r\nMORE\r\n" + std::string(one_part));
}

TEST_CASE("is_fatal: every errc, and codes from elsewhere") {
  struct expectation {
    errc code;
    bool fatal;
  };
  const expectation table[] = {
      {errc::boundary_empty, true},
      {errc::boundary_too_long, true},
      {errc::boundary_invalid_char, true},
      {errc::boundary_trailing_space, true},
      {errc::random_unavailable, true},
      {errc::content_type_invalid, false},
      {errc::header_name_invalid, false},
      {errc::header_value_invalid, false},
      {errc::header_reserved, false},
      {errc::header_block_already_sent, false},
      {errc::payload_contains_delimiter, false},
      {errc::part_in_progress, false},
      {errc::no_part_in_progress, false},
      {errc::length_exceeded, false},
      {errc::length_mismatch, false},
      {errc::stream_closed, false},
      {errc::sink_failed, true},
      {errc::writer_failed, true},
      {errc::sink_stalled, true},
      {errc::too_many_clients, false},
      {errc::body_started, false},
      {errc::content_type_parameter_invalid, false},
  };
  // The table names every enumerator, in order.
  int next = 1;
  for (const expectation& e : table) {
    CAPTURE(static_cast<int>(e.code));
    CHECK(static_cast<int>(e.code) == next++);
    CHECK(serverpush::is_fatal(e.code) == e.fatal);
    CHECK(serverpush::is_fatal(serverpush::make_error_code(e.code)) == e.fatal);
    const std::string message = serverpush::make_error_code(e.code).message();
    CHECK(message != "unknown serverpush error");
  }
  CHECK(serverpush::make_error_code(static_cast<errc>(next)).message() ==
        "unknown serverpush error");
  CHECK(serverpush::is_fatal(static_cast<errc>(next)));
  CHECK_FALSE(serverpush::is_fatal(std::error_code{}));
  CHECK(serverpush::is_fatal(std::make_error_code(std::errc::broken_pipe)));
  CHECK(serverpush::is_fatal(std::make_error_code(std::errc::timed_out)));
}

TEST_CASE("is_fatal agrees with what the writer does next") {
  // Refused calls: not fatal, and the stream carries on.
  serverpush::test::write_count_sink sink;
  std::error_code ec;
  MultipartWriter<serverpush::test::write_count_sink&> w(sink, "B", ec);
  w.write_part("bad", "x", ec);
  CHECK_FALSE(serverpush::is_fatal(ec));
  w.end_part(ec);
  CHECK_FALSE(serverpush::is_fatal(ec));
  w.write_part("text/plain", "x", ec);
  CHECK_FALSE(ec);
  // A sink failure: fatal, and every later call says so.
  sink.fail_on_call = sink.calls + 1;
  w.write_part("text/plain", "x", ec);
  CHECK(ec == errc::sink_failed);
  CHECK(serverpush::is_fatal(ec));
  w.write_part("text/plain", "x", ec);
  CHECK(ec == errc::writer_failed);
  CHECK(serverpush::is_fatal(ec));

  // A failed construction: fatal, and every call reports the reason.
  MultipartWriter<serverpush::test::write_count_sink> bad(serverpush::test::write_count_sink{},
                                                          "bad boundary ", ec);
  CHECK(ec == errc::boundary_trailing_space);
  CHECK(serverpush::is_fatal(ec));
  bad.write_part("text/plain", "x", ec);
  CHECK(ec == errc::boundary_trailing_space);
}

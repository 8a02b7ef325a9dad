// Short writes, sink errors, stalls and exceptions, for every sink form.

#include "golden.hpp"
#include "test_sink.hpp"

#include <serverpush/writer.hpp>

#include "testing.hpp"

#include <string>

using serverpush::errc;
using serverpush::MultipartWriter;

namespace {

// Each call a failed writer must refuse with writer_failed.
template <class W>
void check_failed_for_good(W& w) {
  const std::string out = w.sink().out;
  const std::size_t calls = w.sink().calls;
  std::error_code ec;
  w.write_part("text/plain", "x", ec);
  CHECK(ec == errc::writer_failed);
  w.write_last_part("text/plain", "x", ec);
  CHECK(ec == errc::writer_failed);
  w.begin_part("text/plain", ec);
  CHECK(ec == errc::writer_failed);
  w.write_body("x", ec);
  CHECK(ec == errc::writer_failed);
  w.end_part(ec);
  CHECK(ec == errc::writer_failed);
  w.close(ec);
  CHECK(ec == errc::writer_failed);
  CHECK(w.is_failed());
  CHECK_FALSE(w.is_closed());
  CHECK(w.sink().out == out);
  CHECK(w.sink().calls == calls);
}

// How many sink calls scenario `id` takes with a given per-call limit.
template <class Sink>
std::size_t calls_needed(std::size_t id, std::size_t max_per_call) {
  Sink sink;
  sink.max_per_call = max_per_call;
  std::error_code ec;
  MultipartWriter<Sink&> w(sink, golden::scenarios[id].boundary, ec);
  golden::run(id, w, ec);
  REQUIRE_FALSE(ec);
  return sink.calls;
}

}  // namespace

TEST_CASE_TEMPLATE("every per-call limit gives the golden bytes", Sink, SERVERPUSH_TEST_SINK_FORMS) {
  for (std::size_t id = 0; id < golden::scenario_count; ++id) {
    const golden::scenario& s = golden::scenarios[id];
    CAPTURE(s.name);
    for (std::size_t n = 1; n <= s.bytes.size() + 1; ++n) {
      CAPTURE(n);
      Sink sink;
      sink.max_per_call = n;
      sink.out.reserve(s.bytes.size());
      std::error_code ec;
      MultipartWriter<Sink&> w(sink, s.boundary, ec);
      golden::run(id, w, ec);
      REQUIRE_FALSE(ec);
      REQUIRE(sink.out == s.bytes);
      CHECK(w.bytes_written() == s.bytes.size());
      if (!Sink::short_writes) break;  // the limit does not apply: one pass is enough
    }
  }
}

TEST_CASE_TEMPLATE("a sink error on the k-th call fails the writer for good", Sink,
                   serverpush::test::writev_ec_sink, serverpush::test::write_count_sink,
                   serverpush::test::write_ec_sink) {
  for (std::size_t id = 0; id < golden::scenario_count; ++id) {
    const golden::scenario& s = golden::scenarios[id];
    for (std::size_t limit : {std::size_t{3}, std::size_t{1000}}) {
      const std::size_t total_calls = calls_needed<Sink>(id, limit);
      for (std::size_t k = 1; k <= total_calls; ++k) {
        CAPTURE(s.name);
        CAPTURE(limit);
        CAPTURE(k);
        Sink sink;
        sink.max_per_call = limit;
        sink.fail_on_call = k;
        sink.fail_with = std::make_error_code(std::errc::connection_reset);
        std::error_code ec;
        MultipartWriter<Sink&> w(sink, s.boundary, ec);
        golden::run(id, w, ec);
        CHECK(ec == errc::sink_failed);
        CHECK(w.sink_error() == std::errc::connection_reset);
        CHECK(w.is_failed());
        CHECK(sink.calls == k);
        // Whatever left is a prefix of the golden stream and is counted.
        CHECK(s.bytes.substr(0, sink.out.size()) == sink.out);
        CHECK(w.bytes_written() == sink.out.size());
        check_failed_for_good(w);
        CHECK(w.sink_error() == std::errc::connection_reset);
      }
    }
  }
}

TEST_CASE_TEMPLATE("a sink that accepts nothing without an error is stalled", Sink,
                   serverpush::test::writev_ec_sink, serverpush::test::write_count_sink) {
  for (std::size_t id = 0; id < golden::scenario_count; ++id) {
    const golden::scenario& s = golden::scenarios[id];
    const std::size_t total_calls = calls_needed<Sink>(id, 5);
    for (std::size_t k = 1; k <= total_calls; ++k) {
      CAPTURE(s.name);
      CAPTURE(k);
      Sink sink;
      sink.max_per_call = 5;
      sink.stall_on_call = k;
      std::error_code ec;
      MultipartWriter<Sink&> w(sink, s.boundary, ec);
      golden::run(id, w, ec);
      CHECK(ec == errc::sink_failed);
      CHECK(w.sink_error() == errc::sink_stalled);
      CHECK(sink.calls == k);
      CHECK(s.bytes.substr(0, sink.out.size()) == sink.out);
      check_failed_for_good(w);
    }
  }
}

TEST_CASE("a sink that claims more than it was offered cannot push past the end") {
  struct overcounting_sink {
    std::string out;
    std::size_t write(const char* data, std::size_t size, std::error_code&) {
      out.append(data, size);
      return size + 10;
    }
  };
  std::error_code ec;
  MultipartWriter<overcounting_sink> w(overcounting_sink{}, "MSBOB", ec);
  golden::run(0, w, ec);
  CHECK_FALSE(ec);
  CHECK(w.sink().out == golden::scenarios[0].bytes);
  CHECK(w.bytes_written() == golden::scenarios[0].bytes.size());
}

TEST_CASE("a gather sink that claims more than it was offered cannot push past the end") {
  struct overcounting_gather_sink {
    std::string out;
    std::size_t calls = 0;
    std::size_t writev(const serverpush::const_buffer* bufs, std::size_t count, std::error_code&) {
      ++calls;
      std::size_t total = 0;
      for (std::size_t i = 0; i < count; ++i) {
        out.append(bufs[i].data, bufs[i].size);
        total += bufs[i].size;
      }
      return total + 10;
    }
  };
  std::error_code ec;
  MultipartWriter<overcounting_gather_sink> w(overcounting_gather_sink{}, "MSBOB", ec);
  golden::run(0, w, ec);
  CHECK_FALSE(ec);
  CHECK(w.sink().out == golden::scenarios[0].bytes);
  CHECK(w.sink().calls == 4);
  CHECK(w.bytes_written() == golden::scenarios[0].bytes.size());
}

#if SERVERPUSH_HAS_EXCEPTIONS
TEST_CASE_TEMPLATE("a sink that throws leaves the writer failed", Sink, SERVERPUSH_TEST_SINK_FORMS) {
  for (std::size_t id = 0; id < golden::scenario_count; ++id) {
    const golden::scenario& s = golden::scenarios[id];
    const std::size_t limit = Sink::short_writes ? 4 : 1000;
    const std::size_t total_calls = calls_needed<Sink>(id, limit);
    for (std::size_t k = 1; k <= total_calls; ++k) {
      CAPTURE(s.name);
      CAPTURE(k);
      Sink sink;
      sink.max_per_call = limit;
      sink.throw_on_call = k;
      std::error_code ec;
      MultipartWriter<Sink&> w(sink, s.boundary, ec);
      CHECK_THROWS_AS(golden::run(id, w, ec), serverpush::test::sink_exception);
      CHECK(w.is_failed());
      CHECK(s.bytes.substr(0, sink.out.size()) == sink.out);
      check_failed_for_good(w);
    }
  }
}

TEST_CASE("the throwing API reports a sink failure with the sink's message") {
  serverpush::test::writev_ec_sink sink;  // one call per part
  sink.fail_on_call = 2;
  sink.fail_with = std::make_error_code(std::errc::broken_pipe);
  MultipartWriter<serverpush::test::writev_ec_sink&> w(sink, "MSBOB");
  w.write_part("text/plain", "one");
  try {
    w.write_part("text/plain", "two");
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == errc::sink_failed);
    CHECK(std::string(e.what()).find(sink.fail_with.message()) != std::string::npos);
  }
  CHECK(w.sink_error() == std::errc::broken_pipe);
  try {
    w.close();
    FAIL("no exception");
  } catch (const std::system_error& e) {
    CHECK(e.code() == errc::writer_failed);
  }
}
#endif

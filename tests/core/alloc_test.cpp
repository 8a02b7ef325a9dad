// Once a writer exists, writing parts allocates nothing: global operator new
// is replaced by a counting one (alloc_counter.cpp) for this executable.

#include "alloc_counter.hpp"
#include "fd_reader.hpp"
#include "test_sink.hpp"

#include <serverpush/sinks/callable.hpp>
#include <serverpush/sinks/fd.hpp>
#include <serverpush/sinks/memory.hpp>
#include <serverpush/writer.hpp>

#include "testing.hpp"

#include <array>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

using serverpush::framing;
using serverpush::header;
using serverpush::MultipartWriter;
using serverpush::test::allocation_scope;
using header_list_type = serverpush::header_list;
using bytes_view_type = serverpush::bytes_view;

namespace {

constexpr int part_count = 1000;
constexpr framing framings[] = {framing::content_length, framing::eager_delimiter,
                                framing::announce_next};

struct outcome {
  std::size_t allocations = 0;
  std::size_t errors = 0;
};

// Writes part_count parts of each kind (whole, last, in pieces) with extra
// headers and counts allocations and errors; no doctest macro inside the
// measured region.
template <class W>
outcome write_many(W& w, framing f) {
  static const std::array<unsigned char, 300> payload{};
  const header headers[] = {{"X-Timestamp", "1700000000.123"}, {"X-Frame", "42"},
                            {"Cache-Control", "no-cache"}};
  const bool announce = f == framing::announce_next;
  outcome result;
  std::error_code ec;
  allocation_scope scope;
  w.set_framing(f);
  w.set_strict(true);
  for (int i = 0; i < part_count; ++i) {
    // announce_next sent this part's header block already: same type, no extras.
    const header_list_type list = announce ? header_list_type{} : header_list_type(headers);
    const std::string_view type = announce || i % 2 == 0 ? "image/jpeg" : "text/html; charset=utf-8";
    switch (i % 4) {
      case 0:
      case 1:
        w.write_part(type, payload, list, ec);
        break;
      case 2:
        w.begin_part(type, payload.size(), list, ec);
        if (!ec) w.write_body(payload.data(), 100, ec);
        if (!ec) w.write_body(bytes_view_type(payload.data() + 100, 200), ec);
        if (!ec) w.end_part(ec);
        break;
      case 3:
        w.begin_part(type, serverpush::unknown_length, list, ec);
        if (!ec) w.write_body(payload, ec);
        if (!ec) w.end_part(ec);
        break;
    }
    if (ec) ++result.errors;
  }
  w.write_last_part("image/jpeg", payload, announce ? header_list_type{} : header_list_type(headers),
                    ec);
  if (ec) ++result.errors;
  w.close(ec);
  if (ec) ++result.errors;
  result.allocations = scope.count();
  return result;
}

template <class Sink>
void check_no_allocations(const char* what) {
  for (framing f : framings) {
    CAPTURE(what);
    CAPTURE(static_cast<int>(f));
    Sink sink;
    sink.out.reserve(8u << 20);
    std::error_code ec;
    MultipartWriter<Sink&> w(sink, ec);
    REQUIRE_FALSE(ec);
    const outcome r = write_many(w, f);
    CHECK(r.errors == 0);
    CHECK(r.allocations == 0);
    CHECK(w.parts_written() == part_count + 1);
    CHECK(sink.out.size() == w.bytes_written());
  }
}

}  // namespace

TEST_CASE("the counter sees allocations") {
  // Optimisers may drop a new/delete pair whose pointer never escapes; a
  // volatile pointer escapes. Counts are read before any CHECK, which may
  // allocate itself.
  allocation_scope scope;
  int* volatile number = new int(7);
  const std::size_t after_int = scope.count();
  std::string* volatile text = new std::string(1000, 'x');
  const std::size_t after_string = scope.count();
  delete text;
  delete number;
  CHECK(after_int == 1);
  CHECK(after_string == 3);  // the string object and its 1000 characters
}

TEST_CASE("no allocation per part, for every sink form and framing") {
  check_no_allocations<serverpush::test::writev_ec_sink>("writev_ec");
  check_no_allocations<serverpush::test::writev_void_sink>("writev_void");
  check_no_allocations<serverpush::test::write_count_sink>("write_count");
  check_no_allocations<serverpush::test::write_ec_sink>("write_ec");
  check_no_allocations<serverpush::test::write_plain_sink>("write_plain");
}

TEST_CASE("no allocation per part through short writes") {
  serverpush::test::writev_ec_sink sink;
  sink.max_per_call = 7;
  sink.out.reserve(8u << 20);
  std::error_code ec;
  MultipartWriter<serverpush::test::writev_ec_sink&> w(sink, "MSBOB", ec);
  const outcome r = write_many(w, framing::content_length);
  CHECK(r.errors == 0);
  CHECK(r.allocations == 0);
}

TEST_CASE("no allocation per part with the library's sinks") {
  for (framing f : framings) {
    CAPTURE(static_cast<int>(f));
    {
      std::string storage;
      storage.reserve(8u << 20);
      std::error_code ec;
      MultipartWriter<serverpush::string_sink> w(serverpush::string_sink(std::move(storage)), ec);
      const outcome r = write_many(w, f);
      CHECK(r.errors == 0);
      CHECK(r.allocations == 0);
    }
    {
      std::size_t total = 0;
      auto count = [&total](const char*, std::size_t size) { total += size; };
      std::error_code ec;
      MultipartWriter<serverpush::callable_sink<decltype(count)>> w(
          serverpush::make_callable_sink(count), ec);
      const outcome r = write_many(w, f);
      CHECK(r.errors == 0);
      CHECK(r.allocations == 0);
      CHECK(total == w.bytes_written());
    }
    {
      int fds[2];
      REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
      std::size_t received = 0;
      {
        serverpush::test::fd_reader reader(fds[0]);  // allocates on its own thread only
        std::error_code ec;
        MultipartWriter<serverpush::fd_sink> w(serverpush::fd_sink(fds[1]), ec);
        const outcome r = write_many(w, f);
        CHECK(r.errors == 0);
        CHECK(r.allocations == 0);
        ::close(fds[1]);
        received = reader.finish().size();
        CHECK(received == w.bytes_written());
      }
      ::close(fds[0]);
    }
  }
}

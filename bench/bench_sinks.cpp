// Every form of the sink contract, each appending into a reused std::string
// (the README's first sink is `plain`), written by MultipartWriter and by a
// naive writer of the same bytes: the baseline a user would write instead of
// the library.
//
//   <writer>/<sink>/<size>   writer: serverpush_cl, serverpush_an, naive_cl, naive_an
//                            sink:   plain, write_ec, write_count, writev, writev_ec
//   serverpush_cl/ostream_plain/<size>, poco/plain/<size>
//                            MultipartWriter (ostream_sink) and Poco's
//                            Net::MultipartWriter (peers/poco.cpp) on a std::ostream
//                            whose buffer appends to the same kind of reused std::string

#include "naive_writer.hpp"
#include "sinks.hpp"
#include "support.hpp"

#include <serverpush/sinks/ostream.hpp>
#include <serverpush/writer.hpp>

#include <cstring>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace {

using namespace spbench;
namespace sp = serverpush;

template <class Sink>
void serverpush_part(benchmark::State& state, std::size_t size, sp::framing f) {
  const std::string& data = payload(size);
  Sink sink;
  std::error_code ec;
  sp::MultipartWriter<Sink&> writer(sink, boundary, ec);
  writer.set_framing(f);
  // A first part outside the loop: the steady state is a part after a part.
  writer.write_part(content_type, data, ec);
  part_meter meter(state);
  for (auto _ : state) {
    sink.out.clear();
    writer.write_part(content_type, data, ec);
    benchmark::DoNotOptimize(sink.out.data());
  }
  meter.finish(size);
  if (ec) state.SkipWithError(ec.message().c_str());
}

template <class Sink>
void naive_part(benchmark::State& state, std::size_t size, bool announce) {
  const std::string& data = payload(size);
  Sink sink;
  naive_writer<Sink> writer(sink, boundary, announce);
  writer.write_part(content_type, data);
  part_meter meter(state);
  for (auto _ : state) {
    sink.out.clear();
    writer.write_part(content_type, data);
    benchmark::DoNotOptimize(sink.out.data());
  }
  meter.finish(size);
}

template <class Sink>
void register_sink(const char* name) {
  register_parts("serverpush_cl", name, [](benchmark::State& s, std::size_t n) {
    serverpush_part<Sink>(s, n, sp::framing::content_length);
  });
  register_parts("serverpush_an", name, [](benchmark::State& s, std::size_t n) {
    serverpush_part<Sink>(s, n, sp::framing::announce_next);
  });
  register_parts("naive_cl", name,
                 [](benchmark::State& s, std::size_t n) { naive_part<Sink>(s, n, false); });
  register_parts("naive_an", name,
                 [](benchmark::State& s, std::size_t n) { naive_part<Sink>(s, n, true); });
}

// MultipartWriter through ostream_sink onto the same appending buffer as
// poco/plain.
void serverpush_ostream_plain(benchmark::State& state, std::size_t size) {
  const std::string& data = payload(size);
  string_appending_buf buf;
  std::ostream os(&buf);
  sp::ostream_sink sink(os);
  std::error_code ec;
  sp::MultipartWriter<sp::ostream_sink&> writer(sink, boundary, ec);
  writer.write_part(content_type, data, ec);
  part_meter meter(state);
  for (auto _ : state) {
    buf.out.clear();
    writer.write_part(content_type, data, ec);
    benchmark::DoNotOptimize(buf.out.data());
  }
  meter.finish(size);
  if (ec) state.SkipWithError(ec.message().c_str());
}

const bool registered = [] {
  register_parts("serverpush_cl", "ostream_plain", serverpush_ostream_plain);
  register_sink<plain_sink>("plain");
  register_sink<write_ec_sink>("write_ec");
  register_sink<write_count_sink>("write_count");
  register_sink<writev_sink>("writev");
  register_sink<writev_ec_sink>("writev_ec");
  return true;
}();

}  // namespace

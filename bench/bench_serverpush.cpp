// MultipartWriter to every kind of sink, in the default (content_length) and
// the announce_next framing. The writer is built before the timed loop; the
// loop writes one part per iteration.

#include "support.hpp"

#include <serverpush/serverpush.hpp>

#include <sstream>
#include <string>

namespace {

using namespace spbench;
namespace sp = serverpush;

// A gather sink that keeps nothing: the cost of framing alone.
struct counting_sink {
  std::size_t bytes = 0;
  void writev(const sp::const_buffer* bufs, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) bytes += bufs[i].size;
  }
};

const char* framing_name(sp::framing f) {
  return f == sp::framing::announce_next ? "serverpush_an" : "serverpush_cl";
}

template <class Sink, class Reset>
void run_writer(benchmark::State& state, std::size_t size, sp::framing f, Sink&& sink,
                Reset reset) {
  const std::string& data = payload(size);
  std::error_code ec;
  sp::MultipartWriter<std::remove_reference_t<Sink>&> writer(sink, boundary, ec);
  writer.set_framing(f);
  // A first part outside the loop: the steady state is a part after a part.
  writer.write_part(content_type, data, ec);
  reset(sink);
  part_meter meter(state);
  for (auto _ : state) {
    writer.write_part(content_type, data, ec);
    reset(sink);
  }
  meter.finish(size);
  if (ec) state.SkipWithError(ec.message().c_str());
}

void to_memory(benchmark::State& state, std::size_t size, sp::framing f) {
  sp::string_sink sink;
  run_writer(state, size, f, sink, [](sp::string_sink& s) { s.clear(); });
  benchmark::DoNotOptimize(sink.container().data());
}

void to_counting(benchmark::State& state, std::size_t size, sp::framing f) {
  counting_sink sink;
  run_writer(state, size, f, sink, [](counting_sink& s) { benchmark::DoNotOptimize(s.bytes); });
}

void to_ostream(benchmark::State& state, std::size_t size, sp::framing f) {
  std::ostringstream os;
  sp::ostream_sink sink(os);
  // seekp(0) rewinds and keeps the buffer: no allocation once it has grown.
  run_writer(state, size, f, sink, [&os](sp::ostream_sink&) { os.seekp(0); });
}

void to_fd(benchmark::State& state, std::size_t size, sp::framing f, fd_target_kind kind) {
  const std::string& data = payload(size);
  fd_target target(kind);
  if (!target.ok()) {
    state.SkipWithError("cannot open the descriptor");
    return;
  }
  std::error_code ec;
  sp::MultipartWriter<sp::basic_fd_sink<counting_io>> writer(
      sp::basic_fd_sink<counting_io>(target.fd()), boundary, ec);
  writer.set_framing(f);
  writer.write_part(content_type, data, ec);
  writer.sink().io().calls = 0;
  auto write_one = [&] { writer.write_part(content_type, data, ec); };
  part_meter meter(state);
  for (auto _ : state) write_one();
  meter.finish(size, &writer.sink().io().calls);
  meter.count_kernel_syscalls(write_one);
  if (ec) state.SkipWithError(writer.sink_error().message().c_str());
}

const bool registered = [] {
  for (sp::framing f : {sp::framing::content_length, sp::framing::announce_next}) {
    const std::string writer = framing_name(f);
    register_parts(writer, "memory",
                   [f](benchmark::State& s, std::size_t n) { to_memory(s, n, f); });
    register_parts(writer, "counting",
                   [f](benchmark::State& s, std::size_t n) { to_counting(s, n, f); });
    register_parts(writer, "ostream",
                   [f](benchmark::State& s, std::size_t n) { to_ostream(s, n, f); });
    for (fd_target_kind kind : fd_targets) {
      register_parts(writer, name_of(kind),
                     [f, kind](benchmark::State& s, std::size_t n) { to_fd(s, n, f, kind); });
    }
  }
  return true;
}();

}  // namespace

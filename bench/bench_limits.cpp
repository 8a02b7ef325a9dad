// The limits every writer is measured against: copying the payload, and one
// gather system call carrying the framed part (head, payload, CRLF) that was
// prepared outside the timed loop.

#include "support.hpp"

#include <sys/uio.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace spbench;

void raw_memcpy(benchmark::State& state, std::size_t size) {
  const std::string& data = payload(size);
  std::vector<char> out(size);
  part_meter meter(state);
  for (auto _ : state) {
    std::memcpy(out.data(), data.data(), size);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  meter.finish(size);
}

void raw_writev(benchmark::State& state, std::size_t size, fd_target_kind kind) {
  const std::string& data = payload(size);
  const std::string head = framed_head(size);
  fd_target target(kind);
  if (!target.ok()) {
    state.SkipWithError("cannot open the descriptor");
    return;
  }
  counting_io io;
  std::uint64_t short_writes = 0;
  auto write_one = [&] {
    ::iovec iov[3] = {{const_cast<char*>(head.data()), head.size()},
                      {const_cast<char*>(data.data()), data.size()},
                      {const_cast<char*>("\r\n"), 2}};
    const ssize_t wrote = io.writev(target.fd(), iov, 3);
    if (wrote != static_cast<ssize_t>(head.size() + size + 2)) ++short_writes;
  };
  part_meter meter(state);
  for (auto _ : state) write_one();
  meter.finish(size, &io.calls);
  meter.count_kernel_syscalls(write_one);
  if (short_writes != 0) state.SkipWithError("short or failed writev");
}

// The harness's own cost per iteration: the Debian Google Benchmark library
// is a debug build, and this shows what that adds to every case (the loop's
// iteration step is inline in the header, so it should add nothing).
void empty_loop(benchmark::State& state) {
  for (auto _ : state) benchmark::ClobberMemory();
}

const bool registered = [] {
  benchmark::RegisterBenchmark("harness/empty_loop", empty_loop)->UseRealTime();
  register_parts("raw_memcpy", "memory", raw_memcpy);
  for (fd_target_kind kind : fd_targets) {
    register_parts("raw_writev", name_of(kind), [kind](benchmark::State& state, std::size_t size) {
      raw_writev(state, size, kind);
    });
  }
  return true;
}();

}  // namespace

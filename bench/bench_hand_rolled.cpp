// What servers commonly write by hand: the part concatenated into a fresh
// std::string, then one write.

#include "support.hpp"

#include <unistd.h>

#include <string>

namespace {

using namespace spbench;

std::string frame_by_hand(const std::string& boundary_text, const std::string& data) {
  std::string frame = "--" + boundary_text + "\r\n" + "Content-Type: image/jpeg" + "\r\n" +
                      "Content-Length: " + std::to_string(data.size()) + "\r\n" + "\r\n";
  frame += data;
  frame += "\r\n";
  return frame;
}

void to_memory(benchmark::State& state, std::size_t size) {
  const std::string& data = payload(size);
  const std::string boundary_text(boundary);
  std::string out;
  out.reserve(size + 256);
  part_meter meter(state);
  for (auto _ : state) {
    out.clear();
    out += frame_by_hand(boundary_text, data);
    benchmark::DoNotOptimize(out.data());
  }
  meter.finish(size);
}

void to_fd(benchmark::State& state, std::size_t size, fd_target_kind kind) {
  const std::string& data = payload(size);
  const std::string boundary_text(boundary);
  fd_target target(kind);
  if (!target.ok()) {
    state.SkipWithError("cannot open the descriptor");
    return;
  }
  counting_io io;
  bool failed = false;
  auto write_one = [&] {
    const std::string frame = frame_by_hand(boundary_text, data);
    std::size_t done = 0;
    while (done < frame.size()) {
      const ssize_t wrote = io.write(target.fd(), frame.data() + done, frame.size() - done);
      if (wrote <= 0) {
        failed = true;
        return;
      }
      done += static_cast<std::size_t>(wrote);
    }
  };
  part_meter meter(state);
  for (auto _ : state) write_one();
  meter.finish(size, &io.calls);
  meter.count_kernel_syscalls(write_one);
  if (failed) state.SkipWithError("write failed");
}

const bool registered = [] {
  register_parts("hand_rolled", "memory", to_memory);
  for (fd_target_kind kind : fd_targets) {
    register_parts("hand_rolled", name_of(kind),
                   [kind](benchmark::State& s, std::size_t n) { to_fd(s, n, kind); });
  }
  return true;
}();

}  // namespace

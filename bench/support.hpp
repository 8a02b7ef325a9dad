#ifndef SERVERPUSH_BENCH_SUPPORT_HPP
#define SERVERPUSH_BENCH_SUPPORT_HPP

// Shared by every benchmark source: the part sizes, payloads, the heap
// allocation counter (operator new is replaced in alloc_counter.cpp), a
// system-call counting Io layer for basic_fd_sink, and descriptors drained by
// a reader thread.

#include <serverpush/detail/posix_io.hpp>

#include "alloc_counter.hpp"

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace spbench {

// Every writer frames the same parts.
inline const std::vector<std::int64_t>& part_sizes() {
  static const std::vector<std::int64_t> sizes = {64, 1024, 16 * 1024, 100 * 1024, 1024 * 1024};
  return sizes;
}

// Fixed so that every writer sends the same delimiter lines.
inline constexpr std::string_view boundary = "Zk3qW8xTn2VbR7mLp4sYd9HcF6jG1uQe";
inline constexpr std::string_view content_type = "image/jpeg";

// Pseudo-random bytes that never contain CR or LF, so no payload holds a
// delimiter; built once per size and shared.
const std::string& payload(std::size_t size);

// The head of a Content-Length framed part exactly as MultipartWriter writes
// it after the first part; the trailer is CRLF.
std::string framed_head(std::size_t size);

// Heap allocations (every operator new) made by the calling thread so far:
// the timed loop's own, not the reader threads'.
inline std::uint64_t allocations() noexcept { return serverpush::test::allocations(); }

// Counts the calls a basic_fd_sink makes, then makes them.
struct counting_io {
  std::uint64_t calls = 0;
  ssize_t sendmsg(int fd, const ::msghdr* msg, int flags) noexcept {
    ++calls;
    return ::sendmsg(fd, msg, flags);
  }
  ssize_t writev(int fd, const ::iovec* iov, int count) noexcept {
    ++calls;
    return ::writev(fd, iov, count);
  }
  int poll(::pollfd* fds, ::nfds_t count, int timeout_ms) noexcept {
    ++calls;
    return ::poll(fds, count, timeout_ms);
  }
  ssize_t write(int fd, const void* data, std::size_t size) noexcept {
    ++calls;
    return ::write(fd, data, size);
  }
  // The signal calls a pipe write may make (see fd_sink) count too.
  int sigaction(int sig, const struct ::sigaction* act, struct ::sigaction* old) noexcept {
    ++calls;
    return ::sigaction(sig, act, old);
  }
  int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) noexcept {
    ++calls;
    return ::pthread_sigmask(how, set, old);
  }
};

// Where fd benchmarks write.
enum class fd_target_kind { socketpair, pipe, devnull };

const char* name_of(fd_target_kind kind) noexcept;
inline constexpr fd_target_kind fd_targets[] = {fd_target_kind::socketpair, fd_target_kind::pipe,
                                                fd_target_kind::devnull};

// A writable descriptor; for a socketpair or pipe a reader thread drains the
// other end until the write end is closed (in the destructor).
class fd_target {
 public:
  explicit fd_target(fd_target_kind kind);
  ~fd_target();
  fd_target(const fd_target&) = delete;
  fd_target& operator=(const fd_target&) = delete;

  int fd() const noexcept { return write_fd_; }
  bool ok() const noexcept { return write_fd_ >= 0; }

 private:
  int write_fd_ = -1;
  int read_fd_ = -1;
  std::vector<char> drain_buffer_;
  std::thread reader_;
};

// Counts every system call the calling thread enters, through the kernel's
// raw_syscalls:sys_enter tracepoint (perf_event_open). It sees what a counting
// Io layer cannot, e.g. signal-mask calls around a write. available() is false
// where perf events or tracefs are not accessible.
class kernel_syscall_counter {
 public:
  kernel_syscall_counter() noexcept;
  ~kernel_syscall_counter();
  kernel_syscall_counter(const kernel_syscall_counter&) = delete;
  kernel_syscall_counter& operator=(const kernel_syscall_counter&) = delete;

  bool available() const noexcept { return fd_ >= 0; }
  void start() noexcept;
  // System calls since start(), not counting the one that stops the count.
  std::uint64_t stop() noexcept;

 private:
  int fd_ = -1;
};

// Measures the timed loop of one benchmark: heap allocations and system calls
// per part, payload bytes per second, nanoseconds per part. Construct right
// before `for (auto _ : state)`, call finish() right after it.
class part_meter {
 public:
  explicit part_meter(benchmark::State& state) noexcept
      : state_(state), allocations_before_(allocations()) {}

  // `syscalls`: the calls a counting Io layer saw, for cases that write to a
  // descriptor.
  void finish(std::size_t part_size, const std::uint64_t* syscalls = nullptr) {
    const std::uint64_t allocs = allocations() - allocations_before_;
    const auto iterations = static_cast<double>(state_.iterations());
    state_.SetBytesProcessed(state_.iterations() * static_cast<std::int64_t>(part_size));
    state_.counters["allocs_per_part"] =
        benchmark::Counter(static_cast<double>(allocs), benchmark::Counter::kAvgIterations);
    // A rate of (iterations * 1e-9) per second, inverted: nanoseconds per part.
    state_.counters["ns_per_part"] = benchmark::Counter(
        iterations * 1e-9, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    if (syscalls != nullptr) {
      state_.counters["syscalls_per_part"] =
          benchmark::Counter(static_cast<double>(*syscalls), benchmark::Counter::kAvgIterations);
    }
  }

  // After the timed loop: writes `parts` more parts with write_one() while
  // the kernel counts this thread's system calls (a tracepoint slows every
  // call, so it stays out of the timing) -> kernel_syscalls_per_part.
  template <class WriteOne>
  void count_kernel_syscalls(WriteOne write_one, int parts = 256) {
    kernel_syscall_counter kernel;
    if (!kernel.available()) return;
    kernel.start();
    for (int i = 0; i < parts; ++i) write_one();
    const std::uint64_t calls = kernel.stop();
    state_.counters["kernel_syscalls_per_part"] = static_cast<double>(calls) / parts;
  }

 private:
  benchmark::State& state_;
  std::uint64_t allocations_before_;
};

// Registers fn(state, size) as "<writer>/<sink>/<size>" for every part size,
// timed in wall-clock time (fd cases wait on a reader thread).
template <class Fn>
void register_parts(const std::string& writer, const std::string& sink, Fn fn) {
  const std::string name = writer + "/" + sink;
  auto* b = benchmark::RegisterBenchmark(name.c_str(), [fn](benchmark::State& state) {
    fn(state, static_cast<std::size_t>(state.range(0)));
  });
  for (std::int64_t size : part_sizes()) b->Arg(size);
  b->UseRealTime();
}

}  // namespace spbench

#endif

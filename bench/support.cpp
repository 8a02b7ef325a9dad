#include "support.hpp"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <string>

namespace spbench {

const std::string& payload(std::size_t size) {
  // Built before any timed loop runs (benchmarks ask for theirs first), so the
  // map's allocations never land inside a measurement.
  static std::map<std::size_t, std::string> cache;
  auto it = cache.find(size);
  if (it != cache.end()) return it->second;
  std::string bytes(size, '\0');
  std::uint32_t state = 0x9e3779b9u ^ static_cast<std::uint32_t>(size);
  for (char& c : bytes) {
    state = state * 1664525u + 1013904223u;
    auto b = static_cast<unsigned char>(state >> 24);
    if (b == '\r' || b == '\n') b = 0xff;
    c = static_cast<char>(b);
  }
  return cache.emplace(size, std::move(bytes)).first->second;
}

std::string framed_head(std::size_t size) {
  std::string head = "--";
  head.append(boundary);
  head += "\r\nContent-Type: ";
  head.append(content_type);
  head += "\r\nContent-Length: ";
  head += std::to_string(size);
  head += "\r\n\r\n";
  return head;
}

const char* name_of(fd_target_kind kind) noexcept {
  switch (kind) {
    case fd_target_kind::socketpair:
      return "socketpair";
    case fd_target_kind::pipe:
      return "pipe";
    case fd_target_kind::devnull:
      break;
  }
  return "devnull";
}

namespace {

// The tracepoint's id, or -1 when tracefs is not readable.
long sys_enter_tracepoint_id() noexcept {
  for (const char* path : {"/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
                           "/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id"}) {
    if (std::FILE* f = std::fopen(path, "r")) {
      long id = -1;
      if (std::fscanf(f, "%ld", &id) != 1) id = -1;
      std::fclose(f);
      if (id >= 0) return id;
    }
  }
  return -1;
}

}  // namespace

kernel_syscall_counter::kernel_syscall_counter() noexcept {
  static const long id = sys_enter_tracepoint_id();
  if (id < 0) return;
  ::perf_event_attr attr{};
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.size = sizeof attr;
  attr.config = static_cast<std::uint64_t>(id);
  attr.disabled = 1;
  attr.exclude_hv = 1;
  // This thread only, on any CPU: reader threads are not counted.
  fd_ = static_cast<int>(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

kernel_syscall_counter::~kernel_syscall_counter() {
  if (fd_ >= 0) ::close(fd_);
}

void kernel_syscall_counter::start() noexcept {
  if (fd_ < 0) return;
  ::ioctl(fd_, PERF_EVENT_IOC_RESET, 0);
  ::ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
}

std::uint64_t kernel_syscall_counter::stop() noexcept {
  if (fd_ < 0) return 0;
  ::ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);  // entered while counting: one too many
  std::uint64_t count = 0;
  if (::read(fd_, &count, sizeof count) != static_cast<ssize_t>(sizeof count)) return 0;
  return count > 0 ? count - 1 : 0;
}

fd_target::fd_target(fd_target_kind kind) {
  int fds[2] = {-1, -1};
  switch (kind) {
    case fd_target_kind::socketpair:
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return;
      break;
    case fd_target_kind::pipe:
      if (::pipe2(fds, O_CLOEXEC) != 0) return;
      break;
    case fd_target_kind::devnull:
      write_fd_ = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
      return;
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  // Allocated here, before the timed loop, not in the reader thread.
  drain_buffer_.resize(1024 * 1024);
  reader_ = std::thread([fd = read_fd_, buf = drain_buffer_.data(), n = drain_buffer_.size()] {
    for (;;) {
      const ssize_t got = ::read(fd, buf, n);
      if (got > 0) continue;
      if (got < 0 && errno == EINTR) continue;
      return;
    }
  });
}

fd_target::~fd_target() {
  if (write_fd_ >= 0) ::close(write_fd_);
  if (reader_.joinable()) reader_.join();
  if (read_fd_ >= 0) ::close(read_fd_);
}

}  // namespace spbench

#include "support.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
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

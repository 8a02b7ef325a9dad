#ifndef SERVERPUSH_SINKS_FD_HPP
#define SERVERPUSH_SINKS_FD_HPP

#include <serverpush/buffer.hpp>
#include <serverpush/detail/posix_io.hpp>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <system_error>

namespace serverpush {

// Writes to a POSIX file descriptor the caller owns (socket, pipe, file).
// - A whole part goes out in one sendmsg (sockets, with MSG_NOSIGNAL) or
//   writev (pipes, files): header block, payload and trailer gathered, no copy.
// - A short write is returned as such; the writer offers the rest again.
// - EINTR is retried. A dead peer is reported as EPIPE or ECONNRESET and never
//   raises SIGPIPE; the host's signal handlers are never touched.
// - On a non-blocking descriptor that is full, the sink waits for it with
//   poll() up to the timeout (default: no limit), then reports timed_out.
// Errors are std::generic_category() errno values.
template <class Io = posix_io>
class basic_fd_sink {
 public:
  explicit basic_fd_sink(int fd, Io io = Io{}) noexcept
      : io_(io), fd_(fd), kind_(detail::classify_fd(fd)) {}

  // How long to wait for a full non-blocking descriptor; negative: forever.
  // poll() takes an int: longer timeouts wait INT_MAX ms (about 24.8 days).
  void set_timeout(std::chrono::milliseconds timeout) noexcept {
    const auto ms = timeout.count();
    timeout_ms_ = ms < 0 ? -1 : ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }

  std::size_t writev(const const_buffer* bufs, std::size_t count, std::error_code& ec) {
    for (;;) {
      const std::size_t wrote = detail::gather_write_once(io_, fd_, kind_, bufs, count, ec);
      if (!ec || !detail::is_would_block(ec)) return wrote;
      ec.clear();
      if (!wait_writable(ec)) return 0;
    }
  }

  int fd() const noexcept { return fd_; }
  fd_kind kind() const noexcept { return kind_; }
  Io& io() noexcept { return io_; }

 private:
  bool wait_writable(std::error_code& ec) {
    ::pollfd pfd{fd_, POLLOUT, 0};
    for (;;) {
      const int ready = io_.poll(&pfd, 1, timeout_ms_);
      if (ready > 0) return true;
      if (ready == 0) {
        ec = make_error_code(std::errc::timed_out);
        return false;
      }
      if (errno == EINTR) continue;
      ec = std::error_code(errno, std::generic_category());
      return false;
    }
  }

  Io io_;
  int fd_;
  fd_kind kind_;
  int timeout_ms_ = -1;
};

using fd_sink = basic_fd_sink<>;

}  // namespace serverpush

#endif

#ifndef SERVERPUSH_DETAIL_POSIX_IO_HPP
#define SERVERPUSH_DETAIL_POSIX_IO_HPP

#include <serverpush/buffer.hpp>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <csignal>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <system_error>

namespace serverpush {

// The system calls the fd sink and the broadcaster make. Tests substitute a
// type with the same members to count calls or to force EINTR, EAGAIN and
// short writes.
struct posix_io {
  ssize_t sendmsg(int fd, const ::msghdr* msg, int flags) noexcept { return ::sendmsg(fd, msg, flags); }
  ssize_t writev(int fd, const ::iovec* iov, int count) noexcept { return ::writev(fd, iov, count); }
  int poll(::pollfd* fds, ::nfds_t count, int timeout_ms) noexcept { return ::poll(fds, count, timeout_ms); }
};

// What a descriptor is decides how SIGPIPE is kept away from the process.
enum class fd_kind : unsigned char { socket, pipe, other };

namespace detail {

inline fd_kind classify_fd(int fd) noexcept {
  struct ::stat st {};
  if (::fstat(fd, &st) != 0) return fd_kind::other;
  if (S_ISSOCK(st.st_mode)) return fd_kind::socket;
  if (S_ISFIFO(st.st_mode)) return fd_kind::pipe;
  return fd_kind::other;
}

#if defined(MSG_NOSIGNAL)
inline constexpr int send_flags = MSG_NOSIGNAL;
#else
inline constexpr int send_flags = 0;  // BSDs: the socket carries SO_NOSIGPIPE instead
#endif

// Most iovecs handed to one system call; POSIX promises at least 16.
#if defined(IOV_MAX)
inline constexpr int max_iov = IOV_MAX < 64 ? IOV_MAX : 64;
#else
inline constexpr int max_iov = 16;
#endif

// A write to a pipe whose reader is gone raises SIGPIPE before it returns
// EPIPE. Block it in this thread only, and swallow the one the write raised,
// so neither the host's handlers nor other threads are touched. Costs two
// sigprocmask calls per write; nothing when the thread already blocks SIGPIPE.
class sigpipe_guard {
 public:
  sigpipe_guard() noexcept {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_mask_);
    // Blocked by the host already: a SIGPIPE our write raises stays pending
    // exactly as one from the host's own write would, so leave it alone.
    already_blocked_ = sigismember(&old_mask_, SIGPIPE) == 1;
  }
  sigpipe_guard(const sigpipe_guard&) = delete;
  sigpipe_guard& operator=(const sigpipe_guard&) = delete;

  // Call after EPIPE. While SIGPIPE was unblocked none could be pending (it
  // would have been delivered, or discarded if ignored), so a pending one now
  // is the one this write raised.
  void consume_if_raised() noexcept {
    if (already_blocked_) return;
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      int sig = 0;
      sigwait(&pipe_set_, &sig);
    }
  }

  ~sigpipe_guard() {
    if (!already_blocked_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  sigset_t pipe_set_{};
  sigset_t old_mask_{};
  bool already_blocked_ = false;
};

// One gather system call, retried on EINTR. Returns the bytes written; sets
// `ec` on failure, including std::errc::resource_unavailable_try_again when a
// non-blocking descriptor is full.
template <class Io>
std::size_t gather_write_once(Io& io, int fd, fd_kind kind, const const_buffer* bufs,
                              std::size_t count, std::error_code& ec) noexcept {
  ::iovec iov[max_iov];
  const int n = static_cast<int>(count < static_cast<std::size_t>(max_iov) ? count : max_iov);
  for (int i = 0; i < n; ++i) {
    iov[i].iov_base = const_cast<char*>(bufs[i].data);  // iovec is not const-correct
    iov[i].iov_len = bufs[i].size;
  }
  for (;;) {
    ssize_t wrote = 0;
    if (kind == fd_kind::socket) {
      ::msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(n);
      wrote = io.sendmsg(fd, &msg, send_flags);
    } else if (kind == fd_kind::pipe) {
      sigpipe_guard guard;
      wrote = io.writev(fd, iov, n);
      if (wrote < 0 && errno == EPIPE) guard.consume_if_raised();
    } else {
      wrote = io.writev(fd, iov, n);
    }
    if (wrote >= 0) return static_cast<std::size_t>(wrote);
    if (errno == EINTR) continue;
    const int err = (errno == EWOULDBLOCK) ? EAGAIN : errno;
    ec = std::error_code(err, std::generic_category());
    return 0;
  }
}

inline bool is_would_block(const std::error_code& ec) noexcept {
  return ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block;
}

}  // namespace detail
}  // namespace serverpush

#endif

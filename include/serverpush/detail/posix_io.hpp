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
#include <type_traits>
#include <utility>

namespace serverpush {

// The system calls the fd sink and the broadcaster make. Tests substitute a
// type with the same members to count calls or to force EINTR, EAGAIN and
// short writes.
// The signal calls (sigaction, pthread_sigmask) are optional members: a
// substitute without them gets the real ones.
struct posix_io {
  ssize_t sendmsg(int fd, const ::msghdr* msg, int flags) noexcept { return ::sendmsg(fd, msg, flags); }
  ssize_t writev(int fd, const ::iovec* iov, int count) noexcept { return ::writev(fd, iov, count); }
  int poll(::pollfd* fds, ::nfds_t count, int timeout_ms) noexcept { return ::poll(fds, count, timeout_ms); }
  int sigaction(int sig, const struct ::sigaction* act, struct ::sigaction* old) noexcept {
    return ::sigaction(sig, act, old);
  }
  int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) noexcept {
    return ::pthread_sigmask(how, set, old);
  }
};

// What a descriptor is decides how SIGPIPE is kept away from the process.
enum class fd_kind : unsigned char { socket, pipe, other };

// How a write to a pipe keeps SIGPIPE away from the process.
enum class sigpipe_handling : unsigned char {
  unknown,         // not asked yet
  mask_per_write,  // block it in the writing thread around each write
  not_needed,      // the process ignores SIGPIPE, or the thread blocks it
};

namespace detail {

template <class Io, class = void>
struct io_has_sigaction : std::false_type {};
template <class Io>
struct io_has_sigaction<Io, std::void_t<decltype(std::declval<Io&>().sigaction(
                                0, static_cast<const struct ::sigaction*>(nullptr),
                                static_cast<struct ::sigaction*>(nullptr)))>> : std::true_type {};

template <class Io, class = void>
struct io_has_sigmask : std::false_type {};
template <class Io>
struct io_has_sigmask<Io, std::void_t<decltype(std::declval<Io&>().pthread_sigmask(
                              0, static_cast<const sigset_t*>(nullptr),
                              static_cast<sigset_t*>(nullptr)))>> : std::true_type {};

template <class Io>
int io_sigaction(Io& io, int sig, const struct ::sigaction* act, struct ::sigaction* old) noexcept {
  if constexpr (io_has_sigaction<Io>::value) {
    return io.sigaction(sig, act, old);
  } else {
    return ::sigaction(sig, act, old);
  }
}

template <class Io>
int io_sigmask(Io& io, int how, const sigset_t* set, sigset_t* old) noexcept {
  if constexpr (io_has_sigmask<Io>::value) {
    return io.pthread_sigmask(how, set, old);
  } else {
    return ::pthread_sigmask(how, set, old);
  }
}

// Asks once whether writes to a pipe need the per-write mask: not when the
// process ignores SIGPIPE (a raised one is discarded) or the calling thread
// blocks it (a raised one stays pending, exactly as after the host's own
// write). Two queries, no change to any signal state.
template <class Io>
sigpipe_handling current_sigpipe_handling(Io& io) noexcept {
  struct ::sigaction action {};
  if (io_sigaction(io, SIGPIPE, nullptr, &action) == 0 && (action.sa_flags & SA_SIGINFO) == 0 &&
      action.sa_handler == SIG_IGN) {
    return sigpipe_handling::not_needed;
  }
  sigset_t mask;
  sigemptyset(&mask);
  if (io_sigmask(io, SIG_BLOCK, nullptr, &mask) == 0 && sigismember(&mask, SIGPIPE) == 1) {
    return sigpipe_handling::not_needed;
  }
  return sigpipe_handling::mask_per_write;
}

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
template <class Io>
class sigpipe_guard {
 public:
  explicit sigpipe_guard(Io& io) noexcept : io_(io) {
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    io_sigmask(io_, SIG_BLOCK, &pipe_set_, &old_mask_);
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
    if (!already_blocked_) io_sigmask(io_, SIG_SETMASK, &old_mask_, nullptr);
  }

 private:
  Io& io_;
  sigset_t pipe_set_{};
  sigset_t old_mask_{};
  bool already_blocked_ = false;
};

// One gather system call, retried on EINTR. Returns the bytes written; sets
// `ec` on failure, including std::errc::resource_unavailable_try_again when a
// non-blocking descriptor is full. `pipes`: how a pipe keeps SIGPIPE away
// (unknown: mask around this write).
template <class Io>
std::size_t gather_write_once(Io& io, int fd, fd_kind kind, const const_buffer* bufs,
                              std::size_t count, std::error_code& ec,
                              sigpipe_handling pipes = sigpipe_handling::mask_per_write) noexcept {
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
    } else if (kind == fd_kind::pipe && pipes != sigpipe_handling::not_needed) {
      sigpipe_guard<Io> guard(io);
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

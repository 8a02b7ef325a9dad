#ifndef SERVERPUSH_DETAIL_POLLER_HPP
#define SERVERPUSH_DETAIL_POLLER_HPP

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <fcntl.h>
#include <poll.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <vector>

// SERVERPUSH_NO_EPOLL selects the portable poll() loop on Linux too (tests).
#if defined(__linux__) && !defined(SERVERPUSH_NO_EPOLL)
#include <sys/epoll.h>
#include <sys/eventfd.h>
#define SERVERPUSH_USE_EPOLL 1
#else
#define SERVERPUSH_USE_EPOLL 0
#endif

namespace serverpush::detail {

// What the poller saw on one registered descriptor.
struct io_event {
  std::uint64_t key = 0;
  bool readable = false;
  bool writable = false;
  bool failed = false;  // error or hang-up
};

// Readiness for the broadcaster's event loop: epoll on Linux, poll()
// elsewhere, plus a wake-up descriptor (eventfd or a pipe) that any thread may
// signal. Level-triggered: a client asks for writability only while its socket
// is full, so an idle loop sleeps. Every member but wake() belongs to the one
// thread driving the loop.
class poller {
 public:
  poller() = default;
  poller(const poller&) = delete;
  poller& operator=(const poller&) = delete;
  ~poller() { shut(); }

  std::error_code open() {
#if SERVERPUSH_USE_EPOLL
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) return last_error();
    wake_read_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_read_ < 0) return fail();
    wake_write_ = wake_read_;
    ::epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = wake_key;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_read_, &ev) != 0) return fail();
#else
    int fds[2];
    if (::pipe(fds) != 0) return last_error();
    wake_read_ = fds[0];
    wake_write_ = fds[1];
    for (int fd : fds) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    fds_.push_back(::pollfd{wake_read_, POLLIN, 0});
    keys_.push_back(wake_key);
#endif
    return {};
  }

  std::error_code add(int fd, std::uint64_t key) {
#if SERVERPUSH_USE_EPOLL
    ::epoll_event ev{};
    ev.events = interest(true, false);
    ev.data.u64 = key;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) return last_error();
#else
    index_[fd] = fds_.size();
    fds_.push_back(::pollfd{fd, static_cast<short>(interest(true, false)), 0});
    keys_.push_back(key);
#endif
    return {};
  }

  // What to wait for on a registered descriptor: input (until its end was
  // seen), writability (while its socket is full). Errors always show.
  void watch(int fd, std::uint64_t key, bool read, bool write) {
#if SERVERPUSH_USE_EPOLL
    ::epoll_event ev{};
    ev.events = interest(read, write);
    ev.data.u64 = key;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
#else
    (void)key;
    const auto it = index_.find(fd);
    if (it != index_.end()) fds_[it->second].events = static_cast<short>(interest(read, write));
#endif
  }

  // Call before the descriptor is closed.
  void remove(int fd) {
#if SERVERPUSH_USE_EPOLL
    ::epoll_event ev{};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev);
#else
    const auto it = index_.find(fd);
    if (it == index_.end()) return;
    const std::size_t at = it->second;
    index_.erase(it);
    if (at + 1 != fds_.size()) {
      fds_[at] = fds_.back();
      keys_[at] = keys_.back();
      index_[fds_[at].fd] = at;
    }
    fds_.pop_back();
    keys_.pop_back();
#endif
  }

  // Waits up to timeout_ms (negative: no limit) and fills `out`. A wake-up is
  // consumed here and shows as no event.
  void wait(std::vector<io_event>& out, int timeout_ms) {
    out.clear();
#if SERVERPUSH_USE_EPOLL
    ::epoll_event events[256];
    const int n = ::epoll_wait(epoll_fd_, events, 256, timeout_ms);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == wake_key) {
        drain_wake();
        continue;
      }
      io_event e;
      e.key = events[i].data.u64;
      e.readable = (events[i].events & (EPOLLIN | EPOLLRDHUP)) != 0;
      e.writable = (events[i].events & EPOLLOUT) != 0;
      e.failed = (events[i].events & (EPOLLERR | EPOLLHUP)) != 0;
      out.push_back(e);
    }
#else
    const int n = ::poll(fds_.data(), static_cast<::nfds_t>(fds_.size()), timeout_ms);
    if (n <= 0) return;
    for (std::size_t i = 0; i < fds_.size(); ++i) {
      const short got = fds_[i].revents;
      if (got == 0) continue;
      if (keys_[i] == wake_key) {
        drain_wake();
        continue;
      }
      io_event e;
      e.key = keys_[i];
      e.readable = (got & POLLIN) != 0;
      e.writable = (got & POLLOUT) != 0;
      e.failed = (got & (POLLERR | POLLHUP | POLLNVAL)) != 0;
      out.push_back(e);
    }
#endif
  }

  // Interrupts wait() from any thread. A full pipe already holds a wake-up.
  void wake() noexcept {
    const std::uint64_t one = 1;
    ssize_t r;
    do {
      r = ::write(wake_write_, &one, sizeof one);
    } while (r < 0 && errno == EINTR);
  }

 private:
  static constexpr std::uint64_t wake_key = ~std::uint64_t{0};

  static unsigned interest(bool read, bool write) noexcept {
#if SERVERPUSH_USE_EPOLL
    return (read ? static_cast<unsigned>(EPOLLIN | EPOLLRDHUP) : 0u) |
           (write ? static_cast<unsigned>(EPOLLOUT) : 0u);
#else
    return (read ? POLLIN : 0) | (write ? POLLOUT : 0);
#endif
  }

  static std::error_code last_error() { return {errno, std::generic_category()}; }

  std::error_code fail() {
    const std::error_code ec = last_error();
    shut();
    return ec;
  }

  void drain_wake() noexcept {
    char sink[64];
    while (::read(wake_read_, sink, sizeof sink) > 0) {
    }
  }

  void shut() noexcept {
    if (wake_write_ >= 0 && wake_write_ != wake_read_) ::close(wake_write_);
    if (wake_read_ >= 0) ::close(wake_read_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    wake_read_ = wake_write_ = epoll_fd_ = -1;
  }

  int epoll_fd_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;
#if !SERVERPUSH_USE_EPOLL
  std::vector<::pollfd> fds_;
  std::vector<std::uint64_t> keys_;
  std::unordered_map<int, std::size_t> index_;
#endif
};

}  // namespace serverpush::detail

#endif

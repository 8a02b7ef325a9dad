#ifndef SERVERPUSH_TESTS_SUPPORT_FD_READER_HPP
#define SERVERPUSH_TESTS_SUPPORT_FD_READER_HPP

// Reads a descriptor to end of file on its own thread, so a test can write
// more than a pipe or socket buffer holds and compare the bytes afterwards.
// The destructor stops reading even if the writing end is still open (a test
// that failed half way), so it never hangs.

#include <atomic>
#include <cerrno>
#include <poll.h>
#include <string>
#include <thread>
#include <unistd.h>

namespace serverpush::test {

class fd_reader {
 public:
  explicit fd_reader(int fd) : thread_([this, fd] { drain(fd); }) {}
  fd_reader(const fd_reader&) = delete;
  fd_reader& operator=(const fd_reader&) = delete;
  ~fd_reader() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  // Waits for end of file (the writing end closed) and returns every byte.
  std::string finish() {
    if (thread_.joinable()) thread_.join();
    return bytes_;
  }
  int error() const noexcept { return error_; }

 private:
  void drain(int fd) {
    char chunk[65536];
    while (!stop_) {
      ::pollfd pfd{fd, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, 50);
      if (ready == 0 || (ready < 0 && errno == EINTR)) continue;
      if (ready < 0) {
        error_ = errno;
        return;
      }
      const ssize_t got = ::read(fd, chunk, sizeof chunk);
      if (got > 0) {
        bytes_.append(chunk, static_cast<std::size_t>(got));
      } else if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
        continue;
      } else {
        if (got < 0) error_ = errno;
        return;
      }
    }
  }

  std::string bytes_;
  int error_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace serverpush::test

#endif

#ifndef SERVERPUSH_DETAIL_RANDOM_HPP
#define SERVERPUSH_DETAIL_RANDOM_HPP

#include <serverpush/error.hpp>

#include <cerrno>
#include <cstddef>
#include <fcntl.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/random.h>
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__)
#include <stdlib.h>
#define SERVERPUSH_HAS_ARC4RANDOM 1
#endif

namespace serverpush::detail {

// Fills the buffer from the operating system's CSPRNG. Never falls back to a
// predictable generator: a failure is reported, not papered over.
inline std::error_code os_random_bytes(unsigned char* out, std::size_t size) noexcept {
#if defined(SERVERPUSH_HAS_ARC4RANDOM)
  arc4random_buf(out, size);
  return {};
#else
#if defined(__linux__)
  std::size_t filled = 0;
  while (filled < size) {
    const ssize_t got = ::getrandom(out + filled, size - filled, 0);
    if (got > 0) {
      filled += static_cast<std::size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else if (got < 0 && errno == ENOSYS) {
      break;  // old kernel: /dev/urandom below
    } else {
      return make_error_code(errc::random_unavailable);
    }
  }
  if (filled == size) return {};
#endif
  const int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error_code(errc::random_unavailable);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got = ::read(fd, out + done, size - done);
    if (got > 0) {
      done += static_cast<std::size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      ::close(fd);
      return make_error_code(errc::random_unavailable);
    }
  }
  ::close(fd);
  return {};
#endif
}

}  // namespace serverpush::detail

#endif

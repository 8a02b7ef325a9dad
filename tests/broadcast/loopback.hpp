#ifndef SERVERPUSH_TESTS_BROADCAST_LOOPBACK_HPP
#define SERVERPUSH_TESTS_BROADCAST_LOOPBACK_HPP

// What the Broadcaster's loopback tests share: 127.0.0.1 socket pairs, fd
// counting, bounded waits, and the error_code forms of add and publish.

#include "testing.hpp"

#include "multipart_reader.hpp"

#include <serverpush/broadcaster.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using serverpush::Broadcaster;
using serverpush::broadcaster_options;
using serverpush::client_options;
using serverpush::framing;

namespace loopback {

inline int open_fd_count() {
  int count = 0;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count - 1;  // the directory stream itself
}

// A listening socket on 127.0.0.1 with a free port.
class listener {
 public:
  listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 4096) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = addr.sin_port;
  }
  ~listener() { ::close(fd_); }

  // A connected pair: the client end and the server end. rcvbuf/sndbuf > 0
  // shrink the buffers so a client that stops reading fills up quickly.
  std::pair<int, int> connect_pair(int rcvbuf = 0, int sndbuf = 0) {
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(client >= 0);
    if (rcvbuf > 0) ::setsockopt(client, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = port_;
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const int server = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    REQUIRE(server >= 0);
    if (sndbuf > 0) ::setsockopt(server, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    return {client, server};
  }

 private:
  int fd_ = -1;
  in_port_t port_ = 0;
};

// Reads a socket to EOF.
inline std::string read_all(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got > 0) {
      out.append(buf, static_cast<std::size_t>(got));
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else {
      return out;
    }
  }
}

// A read that would wait forever fails instead, so a broken stream ends the
// test rather than hanging it.
inline void bound_reads(int fd) {
  timeval limit{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
}

// Polls `done` up to `tries` times, 1 ms apart.
template <class F>
bool eventually(F done, int tries = 20000) {
  for (int i = 0; i < tries; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return done();
}

// The error_code forms, so the tests also build without exceptions.
inline serverpush::client_id add_ok(Broadcaster& hub, int fd, client_options options = {}) {
  std::error_code ec;
  const serverpush::client_id id = hub.add(fd, std::move(options), ec);
  REQUIRE_FALSE(ec);
  return id;
}
inline void publish_ok(Broadcaster& hub, std::string_view type, serverpush::bytes_view payload,
                serverpush::header_list headers = {}) {
  std::error_code ec;
  hub.publish(type, payload, headers, ec);
  REQUIRE_FALSE(ec);
}
inline void publish_last_ok(Broadcaster& hub, std::string_view type, serverpush::bytes_view payload) {
  std::error_code ec;
  hub.publish_last(type, payload, ec);
  REQUIRE_FALSE(ec);
}

inline std::vector<std::string> bodies_of(const test::parsed_stream& s) {
  std::vector<std::string> out;
  for (const auto& p : s.parts) {
    if (!p.body.empty()) out.push_back(p.body);
  }
  return out;
}

inline const std::string http_head =
    "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=LOOPBACK\r\n\r\n";

inline broadcaster_options loopback_options() {
  broadcaster_options o;
  o.boundary = "LOOPBACK";
  return o;
}

}  // namespace loopback

using namespace loopback;  // NOLINT: test helpers, read like local ones

#endif

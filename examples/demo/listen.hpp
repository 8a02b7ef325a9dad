#ifndef SERVERPUSH_DEMO_LISTEN_HPP
#define SERVERPUSH_DEMO_LISTEN_HPP

// The listening socket and address formatting that the demo, the relay and
// the NATS edge share.

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

namespace demo {

// The address without the port.
inline std::string host_of(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, host, sizeof host);
  } else if (ss.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, host, sizeof host);
  }
  return host;
}

// "host:port", "[v6]:port" for IPv6.
inline std::string host_port(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) {
    return host_of(ss) + ":" + std::to_string(ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    return "[" + host_of(ss) + "]:" +
           std::to_string(ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port));
  }
  return host_of(ss);
}

// A non-blocking listening socket on host:port (port 0: a free one);
// `address` gets the bound "host:port". On failure prints why, prefixed with
// `program`, and returns -1.
inline int listen_tcp(const char* program, const std::string& host, int port, int backlog,
                      std::string& address) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    std::fprintf(stderr, "%s: %s: %s\n", program, host.c_str(), ::gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, backlog) != 0) {
      std::fprintf(stderr, "%s: cannot listen on %s:%s: %s\n", program, host.c_str(),
                   service.c_str(), std::strerror(errno));
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return -1;
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  address = host_port(bound);
  return fd;
}

}  // namespace demo

#endif

#ifndef SERVERPUSH_EXAMPLES_READER_UPSTREAM_HPP
#define SERVERPUSH_EXAMPLES_READER_UPSTREAM_HPP

// The client side shared by serverpush-fetch and serverpush-relay: parse an
// http:// URL, connect, send GET, and read the multipart response with
// http::response_reader and MultipartReader, handing each event to a
// MultipartReader handler.

#include <serverpush/reader.hpp>
#include <serverpush/reader/http_response.hpp>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace upstream {

struct url {
  std::string host;
  std::string port = "80";
  std::string path = "/";
};

// http://host[:port][/path]; IPv6 hosts in brackets.
inline bool parse_url(std::string_view text, url& out) {
  constexpr std::string_view scheme = "http://";
  if (text.substr(0, scheme.size()) != scheme) return false;
  text.remove_prefix(scheme.size());
  const std::size_t slash = text.find('/');
  std::string_view authority = text.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/" : std::string(text.substr(slash));
  std::size_t colon = authority.rfind(':');
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    out.host = std::string(authority.substr(1, close - 1));
    colon = authority.size() > close + 1 && authority[close + 1] == ':' ? close + 1 : std::string_view::npos;
  } else {
    out.host = std::string(authority.substr(0, colon));
  }
  if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  if (out.host.empty() || out.port.empty()) return false;
  for (char c : out.port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

inline int connect_to(const url& u, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &found); rc != 0) {
    error = u.host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      error = "connect to " + u.host + ":" + u.port + ": " + std::strerror(errno);
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  return fd;
}

// Reads one multipart response from u into handler until the stream ends,
// an error occurs, or keep_going() turns false (checked at least every
// 200 ms). Returns an empty string when the stream ended with its close
// delimiter or keep_going() stopped it; otherwise what went wrong. A part
// that the connection's end cuts short gets no on_part_end.
// boundary: when not empty, used whatever the Content-Type says. Otherwise
// the Content-Type's boundary; and in lenient mode, when the Content-Type has
// none (FFmpeg's HTTP server says application/octet-stream), the one the
// body's first line "--boundary" names.
template <class Handler, class KeepGoing>
std::string read_stream(const url& u, Handler& handler, const serverpush::reader_options& options,
                        KeepGoing keep_going, std::string_view boundary = {}) {
  std::string error;
  const int fd = connect_to(u, error);
  if (fd < 0) return error;
  const std::string request = "GET " + u.path + " HTTP/1.1\r\nHost: " + u.host + ":" + u.port +
                              "\r\nAccept: multipart/x-mixed-replace, */*\r\nConnection: close\r\n"
                              "User-Agent: serverpush-reader\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return std::string("send: ") + std::strerror(errno);
    }
    sent += static_cast<std::size_t>(n);
  }

  serverpush::http::response_reader response;
  serverpush::MultipartReader parts("x");  // replaced once the head names the boundary
  bool have_parts = false;
  std::error_code part_error;
  bool sniffing = false;
  std::string first_line;
  // Called once the head is complete, before any body byte.
  auto start_body = [&] {
    have_parts = true;
    if (response.status() != 200) {
      error = "upstream answered " + std::to_string(response.status()) + " " +
              std::string(response.reason());
      return;
    }
    if (!boundary.empty()) {
      parts = serverpush::MultipartReader(boundary, options, part_error);
    } else {
      parts = serverpush::MultipartReader::from_content_type(response.header("Content-Type"), options,
                                                             part_error);
      if (part_error && options.lenient) {
        part_error.clear();
        sniffing = true;
        return;
      }
    }
    if (part_error) error = "Content-Type: " + part_error.message();
  };
  auto on_body = [&](std::string_view bytes) {
    if (!have_parts) start_body();
    if (sniffing) {
      // Keep the first line, then read it again as the start of the body.
      const std::size_t before = first_line.size();
      first_line.append(bytes.data(), bytes.size() < 80 ? bytes.size() : 80);
      const std::size_t nl = first_line.find('\n');
      if (nl == std::string::npos) {
        if (first_line.size() >= 80) error = "no multipart boundary in the Content-Type or the body";
        return;
      }
      std::string_view line(first_line.data(), nl);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
        line.remove_suffix(1);
      }
      if (line.size() < 3 || line.substr(0, 2) != "--") {
        error = "no multipart boundary in the Content-Type or the body";
        return;
      }
      parts = serverpush::MultipartReader(line.substr(2), options, part_error);
      sniffing = false;
      if (part_error) {
        error = "boundary in the body: " + part_error.message();
        return;
      }
      parts.feed(std::string_view(first_line.data(), before), handler, part_error);
    }
    if (error.empty() && !part_error) parts.feed(bytes, handler, part_error);
  };
  static thread_local char buffer[64 * 1024];
  while (error.empty() && keep_going()) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 200);
    if (ready < 0 && errno != EINTR) {
      error = std::string("poll: ") + std::strerror(errno);
      break;
    }
    if (ready <= 0) continue;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = std::string("recv: ") + std::strerror(errno);
      break;
    }
    std::error_code ec;
    if (n == 0) {
      response.finish(ec);
      if (ec) {
        error = "response: " + ec.message();
      } else if (!have_parts) {
        error = "the response has no body";
      } else if (!part_error && !parts.is_done()) {
        // Not finish(): a part cut by the end of the connection is torn, and
        // the handler never sees its on_part_end.
        error = "the stream ended before its close delimiter";
      }
      if (error.empty() && part_error) error = "multipart body: " + part_error.message();
      break;
    }
    response.feed(std::string_view(buffer, static_cast<std::size_t>(n)), on_body, ec);
    if (!ec && response.head_complete() && !have_parts) start_body();
    if (error.empty() && ec) error = "response: " + ec.message();
    if (error.empty() && part_error) error = "multipart body: " + part_error.message();
    if (have_parts && parts.is_done()) break;
  }
  ::close(fd);
  return error;
}

}  // namespace upstream

#endif

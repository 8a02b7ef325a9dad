// fanout: one generated stream served to every viewer, on 127.0.0.1.
//
//   fanout [port] [parts]          (defaults: 8080, 100 parts, 10 a second)
//   curl -N http://127.0.0.1:8080/ in as many terminals as you like
//
// The Broadcaster does the sending; this program only accepts connections,
// reads each request head, and hands the socket over with the HTTP response
// head to send first. A slow viewer skips parts instead of slowing the rest.

#include <serverpush/broadcaster.hpp>
#include <serverpush/http.hpp>

#include <arpa/inet.h>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <system_error>
#include <unistd.h>

namespace {

// Reads the request head. A real server would parse it; this one only wants
// to know whether a browser asks for an <img>.
std::string read_request(int fd) {
  timeval limit{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::string request;
  char buf[1024];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 8192) {
    const ssize_t got = ::read(fd, buf, sizeof buf);
    if (got <= 0) break;
    request.append(buf, static_cast<std::size_t>(got));
  }
  for (char& c : request) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return request;
}

// The value of a request header (the request is lowercased), or "".
std::string header_value(const std::string& request, const std::string& name) {
  const std::size_t at = request.find("\r\n" + name + ":");
  if (at == std::string::npos) return {};
  std::size_t begin = at + name.size() + 3;
  const std::size_t end = request.find("\r\n", begin);
  while (begin < end && (request[begin] == ' ' || request[begin] == '\t')) ++begin;
  std::size_t last = end;
  while (last > begin && (request[last - 1] == ' ' || request[last - 1] == '\t')) --last;
  return request.substr(begin, last - begin);
}

void accept_viewer(int listener, serverpush::Broadcaster& hub, const std::string& head) {
  const int fd = ::accept(listener, nullptr, nullptr);
  if (fd < 0) return;
  const std::string request = read_request(fd);
  serverpush::client_options options;
  // Browsers show a part in <img> only once the next header block is in:
  // they get it announced right after each payload. Parsers get exact parts.
  options.framing = serverpush::http::framing_for(header_value(request, "sec-fetch-dest"));
  options.head = head;
  std::error_code ec;
  const serverpush::client_id id = hub.add(fd, std::move(options), ec);  // fd is the hub's now
  if (ec) {
    std::fprintf(stderr, "viewer refused: %s\n", ec.message().c_str());
  } else {
    std::printf("viewer %llu joined\n", static_cast<unsigned long long>(id));
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 8080;
  const int parts = argc > 2 ? std::atoi(argv[2]) : 100;

  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int on = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 128) != 0) {
    std::perror("fanout: cannot listen on 127.0.0.1");
    return 1;
  }

  serverpush::broadcaster_options options;
  options.stall_timeout = std::chrono::seconds(5);
  options.on_client_removed = [](const serverpush::client_stats& viewer, std::error_code why) {
    std::printf("viewer %llu left after %llu parts (%llu skipped): %s\n",
                static_cast<unsigned long long>(viewer.id),
                static_cast<unsigned long long>(viewer.parts_sent),
                static_cast<unsigned long long>(viewer.parts_skipped),
                why ? why.message().c_str() : "stream ended");
  };
  serverpush::Broadcaster hub(options);

  // The response head names the hub's boundary, so head and body agree.
  std::error_code ec;
  const std::string head = serverpush::http::response_head(hub.content_type(), ec);
  if (ec) {
    std::fprintf(stderr, "fanout: %s\n", ec.message().c_str());
    return 1;
  }
  std::printf("serving %d parts on http://127.0.0.1:%d/\n", parts, port);

  using clock = std::chrono::steady_clock;
  auto due = clock::now();
  for (int n = 1; n <= parts;) {
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(due - clock::now());
    ::pollfd incoming{listener, POLLIN, 0};
    if (::poll(&incoming, 1, wait.count() > 0 ? static_cast<int>(wait.count()) : 0) > 0) {
      accept_viewer(listener, hub, head);
      continue;
    }
    if (clock::now() < due) continue;
    const std::string text = "part " + std::to_string(n) + " of " + std::to_string(parts) + "\n";
    std::error_code ec;
    if (n < parts) {
      hub.publish("text/plain", text, ec);  // returns at once, whatever the viewers do
    } else {
      hub.publish_last("text/plain", text, ec);
    }
    if (ec) std::fprintf(stderr, "part refused: %s\n", ec.message().c_str());
    ++n;
    due += std::chrono::milliseconds(100);
  }

  // Every viewer gets the last part and the close delimiter, then EOF.
  hub.close();
  ::close(listener);
  return 0;
}

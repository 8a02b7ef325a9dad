// serverpush-relay: reads one upstream multipart stream (a camera, FFmpeg,
// another serverpush) and serves it to any number of viewers through a
// Broadcaster, without re-encoding.
//
//   serverpush-relay --upstream http://camera.local/video.mjpg --port 8090
//
// - The first line on stdout is the URL of /stream.mjpg; /snapshot.jpg is
//   the newest frame; / is a page showing the stream.
// - Each viewer gets its own framing: announce_next for browsers' <img>
//   (Sec-Fetch-Dest: image: zero display lag even when the camera frames
//   with a lag), content_length for FFmpeg, GStreamer and other parsers.
// - When the upstream fails or ends, the relay reconnects with backoff
//   (0.1 s doubling to 5 s) while viewers stay connected on the last frame.
// - SIGINT or SIGTERM: every viewer gets the close delimiter, exit 0.

#include "listen.hpp"
#include "request.hpp"
#include "upstream.hpp"

#include <serverpush/broadcaster.hpp>
#include <serverpush/http.hpp>
#include <serverpush/sinks/fd.hpp>
#include <serverpush/writer.hpp>

#include <arpa/inet.h>
#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace {

const char* const program = "serverpush-relay";

struct options {
  std::string upstream;
  std::string host = "127.0.0.1";
  int port = 8090;
  double stall_timeout = 10;
  std::string boundary;
  bool strict = false;
  // While the upstream is away: re-send the newest frame (keeps viewers and
  // proxies from timing out), end the streams, or wait.
  serverpush::offline_action offline = serverpush::offline_action::repeat_last;
  double offline_after = 2;
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: %s --upstream http://HOST[:PORT]/PATH [--port N] [--host ADDR]\n"
               "          [--stall-timeout SECS] [--boundary B] [--strict]\n"
               "          [--offline repeat|end|wait] [--offline-after SECS]\n"
               "  --upstream URL        the multipart stream to relay\n"
               "  --port N              port to serve on (default 8090; 0 picks a free one)\n"
               "  --host ADDR           address to listen on (default 127.0.0.1)\n"
               "  --stall-timeout SECS  drop a viewer that accepts no byte this long (default 10)\n"
               "  --boundary B          the upstream's boundary, whatever its Content-Type says\n"
               "  --strict              refuse upstream bytes RFC 2046 does not allow\n"
               "  --offline ACTION      with no new frame for --offline-after seconds (the\n"
               "                        upstream away): repeat the newest frame (default),\n"
               "                        end every stream, or wait\n"
               "  --offline-after SECS  default 2\n",
               program);
}

int signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(signal_pipe[1], &byte, 1);
  errno = saved;
}

// The newest complete frame, for /snapshot.jpg.
struct snapshot {
  std::mutex mutex;
  std::string type;
  std::string bytes;
};

// Upstream events to the hub: a part is gathered, then published whole.
struct publisher {
  serverpush::Broadcaster& hub;
  snapshot& latest;
  std::string type;
  std::string frame;
  unsigned long long frames = 0;

  void on_part_begin(const serverpush::part_info& part) {
    type.assign(part.content_type());
    if (type.empty()) type = "application/octet-stream";
    frame.clear();
  }
  void on_part_data(std::string_view bytes) { frame.append(bytes.data(), bytes.size()); }
  void on_part_end() {
    if (frame.empty()) return;  // the empty part some framings end with
    std::error_code ec;
    hub.publish(type, frame, ec);
    if (ec) std::fprintf(stderr, "%s: publish: %s\n", program, ec.message().c_str());
    std::lock_guard<std::mutex> lock(latest.mutex);
    latest.type = type;
    latest.bytes.assign(frame);
    ++frames;
  }
  void on_stream_end() {}
};

class stop_flag {
 public:
  void stop() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stopped_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() {
    std::lock_guard<std::mutex> lock(m_);
    return stopped_;
  }
  // True when stopped before the time is up.
  bool wait_for(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_for(lock, d, [&] { return stopped_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

void relay_upstream(const upstream::url& url, const options& opt, publisher& out, stop_flag& stop) {
  serverpush::reader_options ro;
  ro.lenient = !opt.strict;
  auto backoff = 100ms;
  while (!stop.stopped()) {
    const unsigned long long before = out.frames;
    const std::string error = upstream::read_stream(url, out, ro, [&] { return !stop.stopped(); }, opt.boundary);
    if (stop.stopped()) break;
    if (out.frames > before) backoff = 100ms;
    std::fprintf(stderr, "%s: upstream %s after %llu frames; reconnecting in %lld ms\n", program,
                 error.empty() ? "ended" : error.c_str(), out.frames - before,
                 static_cast<long long>(backoff.count()));
    if (stop.wait_for(backoff)) break;
    backoff = backoff * 2 > 5000ms ? 5000ms : backoff * 2;
  }
}

bool send_all(int fd, std::string_view head, std::string_view body = {}) {
  serverpush::fd_sink sink(fd);
  sink.set_timeout(2s);
  const serverpush::const_buffer bufs[2] = {{head.data(), head.size()}, {body.data(), body.size()}};
  std::error_code ec;
  serverpush::write_all(sink, bufs, 2, ec);
  return !ec;
}

void respond(int fd, int minor, int status, std::string_view reason, std::string_view type,
             std::string_view body, std::string_view extra = {}, bool head_only = false) {
  std::string head = "HTTP/1." + std::to_string(minor) + " " + std::to_string(status) + " " +
                     std::string(reason) + "\r\nContent-Type: " + std::string(type) +
                     "\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\nCache-Control: no-cache, no-store, must-revalidate\r\nConnection: close\r\n";
  head += extra;
  head += "\r\n";
  send_all(fd, head, head_only ? std::string_view{} : body);
  ::close(fd);
}

const char* const index_page =
    "<!doctype html><title>serverpush-relay</title>"
    "<img src=\"/stream.mjpg\" alt=\"live stream\">";

struct pending {
  int fd;
  std::string data;
  std::chrono::steady_clock::time_point deadline;
};

void dispatch(int fd, const demo::request& r, serverpush::Broadcaster& hub, snapshot& latest) {
  const int minor = r.minor_version;
  if (r.method != "GET" && r.method != "HEAD") {
    return respond(fd, minor, 405, "Method Not Allowed", "text/plain", "405\n", "Allow: GET, HEAD\r\n");
  }
  const bool head_only = r.method == "HEAD";
  if (r.path == "/stream.mjpg") {
    serverpush::http::response_options ro;
    ro.http_version = minor == 0 ? serverpush::http::version::http_1_0 : serverpush::http::version::http_1_1;
    std::error_code ec;
    std::string head = serverpush::http::response_head(hub.content_type(), ro, ec);
    if (head_only) {
      send_all(fd, head);
      ::close(fd);
      return;
    }
    serverpush::client_options co;
    co.framing = serverpush::http::framing_for(r.header("Sec-Fetch-Dest"));
    co.head = std::move(head);
    hub.add(fd, std::move(co), ec);  // the hub owns fd now, even on error
    if (ec) std::fprintf(stderr, "%s: viewer not added: %s\n", program, ec.message().c_str());
    return;
  }
  if (r.path == "/snapshot.jpg") {
    std::string type, bytes;
    {
      std::lock_guard<std::mutex> lock(latest.mutex);
      type = latest.type;
      bytes = latest.bytes;
    }
    if (bytes.empty()) {
      return respond(fd, minor, 503, "Service Unavailable", "text/plain", "no frame from upstream yet\n",
                     "Retry-After: 1\r\n");
    }
    return respond(fd, minor, 200, "OK", type, bytes, {}, head_only);
  }
  if (r.path == "/") return respond(fd, minor, 200, "OK", "text/html; charset=utf-8", index_page);
  respond(fd, minor, 404, "Not Found", "text/plain", "404\n");
}

int listen_on(const options& o, std::string& url) {
  std::string address;
  const int fd = demo::listen_tcp(program, o.host, o.port, 512, address);
  if (fd >= 0) url = "http://" + address + "/stream.mjpg";
  return fd;
}

int parse_options(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 1;
    } else if (arg == "--strict") {
      o.strict = true;
    } else if (arg == "--upstream" && has_value) {
      o.upstream = argv[++i];
    } else if (arg == "--boundary" && has_value) {
      o.boundary = argv[++i];
    } else if (arg == "--host" && has_value) {
      o.host = argv[++i];
    } else if (arg == "--port" && has_value) {
      char* end = nullptr;
      const long port = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || port < 0 || port > 65535) return 2;
      o.port = static_cast<int>(port);
    } else if (arg == "--stall-timeout" && has_value) {
      char* end = nullptr;
      o.stall_timeout = std::strtod(argv[++i], &end);
      if (*end != '\0' || !(o.stall_timeout > 0)) return 2;
    } else if (arg == "--offline-after" && has_value) {
      char* end = nullptr;
      o.offline_after = std::strtod(argv[++i], &end);
      if (*end != '\0' || !(o.offline_after > 0 && o.offline_after < 86400)) return 2;
    } else if (arg == "--offline" && has_value) {
      const std::string_view action = argv[++i];
      if (action == "repeat") {
        o.offline = serverpush::offline_action::repeat_last;
      } else if (action == "end") {
        o.offline = serverpush::offline_action::end_stream;
      } else if (action == "wait") {
        o.offline = serverpush::offline_action::none;
      } else {
        return 2;
      }
    } else {
      return 2;
    }
  }
  return o.upstream.empty() ? 2 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (const int rc = parse_options(argc, argv, opt); rc != 0) {
    if (rc == 2) usage(stderr);
    return rc == 1 ? 0 : 2;
  }
  upstream::url url;
  if (!upstream::parse_url(opt.upstream, url)) {
    std::fprintf(stderr, "%s: --upstream needs an http://HOST[:PORT]/PATH URL\n", program);
    return 2;
  }
  if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::perror("pipe2");
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  serverpush::broadcaster_options bo;
  bo.stall_timeout = std::chrono::milliseconds(static_cast<long long>(opt.stall_timeout * 1000));
  bo.offline.action = opt.offline;
  bo.offline.after = std::chrono::milliseconds(static_cast<long long>(opt.offline_after * 1000));
  serverpush::Broadcaster hub(std::move(bo));
  snapshot latest;
  std::string stream_url;
  const int listen_fd = listen_on(opt, stream_url);
  if (listen_fd < 0) return 1;
  std::printf("%s\n", stream_url.c_str());
  std::fflush(stdout);

  stop_flag stop;
  publisher out{hub, latest, {}, {}, 0};
  std::thread reader([&] { relay_upstream(url, opt, out, stop); });

  std::vector<pending> waiting;
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({signal_pipe[0], POLLIN, 0});
    fds.push_back({listen_fd, POLLIN, 0});
    for (const pending& p : waiting) fds.push_back({p.fd, POLLIN, 0});
    if (::poll(fds.data(), static_cast<nfds_t>(fds.size()), 250) < 0 && errno != EINTR) break;
    if (fds[0].revents != 0) break;
    const auto now = std::chrono::steady_clock::now();
    std::vector<pending> still;
    for (std::size_t i = 0; i < waiting.size(); ++i) {
      pending& p = waiting[i];
      bool done = false;
      if (fds[2 + i].revents != 0) {
        char buf[4096];
        const ssize_t n = ::recv(p.fd, buf, sizeof buf, 0);
        if (n > 0) p.data.append(buf, static_cast<std::size_t>(n));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
          ::close(p.fd);
          done = true;
        }
      }
      if (!done) {
        demo::request r;
        switch (demo::parse_request(p.data, r)) {
          case demo::parse_result::incomplete:
            if (now > p.deadline) {
              respond(p.fd, 1, 408, "Request Timeout", "text/plain", "408\n");
              done = true;
            }
            break;
          case demo::parse_result::complete:
            dispatch(p.fd, r, hub, latest);
            done = true;
            break;
          case demo::parse_result::head_too_large:
            respond(p.fd, 1, 431, "Request Header Fields Too Large", "text/plain", "431\n");
            done = true;
            break;
          case demo::parse_result::bad_request:
          case demo::parse_result::version_unsupported:
            respond(p.fd, 1, 400, "Bad Request", "text/plain", "400\n");
            done = true;
            break;
        }
      }
      if (!done) still.push_back(std::move(p));
    }
    waiting = std::move(still);
    if (fds[1].revents != 0) {
      for (;;) {
        const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        if (waiting.size() >= 1024) {
          ::close(fd);
          continue;
        }
        waiting.push_back({fd, {}, now + 10s});
      }
    }
  }
  std::fprintf(stderr, "%s: stopping\n", program);
  stop.stop();
  reader.join();
  hub.close();  // the close delimiter to every viewer, then EOF
  for (const pending& p : waiting) ::close(p.fd);
  ::close(listen_fd);
  return 0;
}

// serverpush-demo: a small HTTP/1.x server for the library.
//
//   /              HTML index with the live stream in an <img>
//   /stream.mjpg   live MJPEG through one Broadcaster shared by every viewer
//   /pages         the classic three pushed HTML pages (MultipartWriter, one thread each)
//   /pull          the same pages by client pull (meta refresh and Refresh header)
//   /snapshot.jpg  the newest frame; /frame/N.jpg frame N of the set
//   /wall?n=24     N live streams on one page (1..64)
//
// Run with --help for the options. SIGINT/SIGTERM end every stream with its
// close delimiter and exit 0.
#include <serverpush/broadcaster.hpp>
#include <serverpush/http.hpp>
#include <serverpush/sinks/chunked.hpp>
#include <serverpush/sinks/fd.hpp>
#include <serverpush/writer.hpp>

#include "content.hpp"
#include "frames.hpp"
#include "request.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <list>
#include <memory>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace http = serverpush::http;

constexpr const char* program = "serverpush-demo";

// ---- options --------------------------------------------------------------

struct options {
  std::string host = "127.0.0.1";
  int port = 8080;
  double fps = 10;
  long long frames = -1;       // parts before the close delimiter; -1: endless
  double page_delay = 10;      // seconds between the pushed pages
  std::string dir;             // stream these .jpg files instead of the built-in ones
  long long pause_after = -1;  // test hook: stop publishing after this frame, stream stays open
  long long viewers = -1;      // wait for this many viewers before frame 0; -1: 1 with --frames
  double stall_timeout = 10;   // seconds a stream viewer may accept no byte before it is dropped
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: %s [options]\n"
               "  --host ADDR          address to listen on (default 127.0.0.1)\n"
               "  --port N             port (default 8080; 0 picks a free one and prints it)\n"
               "  --fps N              frames per second on /stream.mjpg (default 10)\n"
               "  --frames N           end /stream.mjpg with the close delimiter after N parts\n"
               "                       (default: endless); the first frame waits for a viewer\n"
               "  --viewers N          wait for N viewers of /stream.mjpg before the first frame\n"
               "  --page-delay SECS    delay between the pushed pages (default 10, fractional ok)\n"
               "  --dir DIR            stream the .jpg files of DIR instead of the built-in frames\n"
               "  --stall-timeout SECS drop a stream viewer that reads nothing this long (default 10)\n"
               "  --pause-after K      stop publishing after frame K, keeping streams open (tests)\n"
               "  --help               this text\n",
               program);
}

bool parse_int(const char* text, long long min, long long& out) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min) return false;
  out = v;
  return true;
}

bool parse_seconds(const char* text, double& out) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v >= 0) || v > 1e6) return false;
  out = v;
  return true;
}

// Returns 0 to go on, 1 after --help, 2 on a bad command line.
int parse_options(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    std::string name = argv[i];
    std::string inline_value;
    bool has_inline = false;
    if (const std::size_t eq = name.find('='); eq != std::string::npos && name.rfind("--", 0) == 0) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
      has_inline = true;
    }
    if (name == "--help" || name == "-h") {
      usage(stdout);
      return 1;
    }
    const char* value = nullptr;
    if (has_inline) {
      value = inline_value.c_str();
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::fprintf(stderr, "%s: %s needs a value\n", program, name.c_str());
      return 2;
    }
    long long n = 0;
    bool ok = true;
    if (name == "--host") {
      o.host = value;
    } else if (name == "--port") {
      ok = parse_int(value, 0, n) && n <= 65535;
      o.port = static_cast<int>(n);
    } else if (name == "--fps") {
      ok = parse_seconds(value, o.fps) && o.fps > 0 && o.fps <= 1000;
    } else if (name == "--frames") {
      ok = parse_int(value, 1, o.frames);
    } else if (name == "--viewers") {
      ok = parse_int(value, 0, o.viewers);
    } else if (name == "--page-delay") {
      ok = parse_seconds(value, o.page_delay);
    } else if (name == "--dir") {
      o.dir = value;
    } else if (name == "--stall-timeout") {
      ok = parse_seconds(value, o.stall_timeout) && o.stall_timeout >= 0.01;
    } else if (name == "--pause-after") {
      ok = parse_int(value, 0, o.pause_after);
    } else {
      std::fprintf(stderr, "%s: unknown option %s (see --help)\n", program, name.c_str());
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "%s: bad value for %s: %s\n", program, name.c_str(), value);
      return 2;
    }
  }
  if (o.viewers < 0) o.viewers = o.frames > 0 ? 1 : 0;
  return 0;
}

// ---- frames ---------------------------------------------------------------

struct frame_set {
  std::vector<std::string> owned;  // frames read from --dir
  std::vector<serverpush::bytes_view> frames;
};

bool ends_with_jpg(std::string_view name) {
  const auto ends = [&](std::string_view ext) {
    if (name.size() <= ext.size()) return false;
    for (std::size_t i = 0; i < ext.size(); ++i) {
      char c = name[name.size() - ext.size() + i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != ext[i]) return false;
    }
    return true;
  };
  return ends(".jpg") || ends(".jpeg");
}

bool load_frames(const std::string& dir, frame_set& out) {
  if (dir.empty()) {
    for (std::size_t i = 0; i < demo::builtin_frame_count; ++i) {
      out.frames.emplace_back(demo::builtin_frames[i].data, demo::builtin_frames[i].size);
    }
    return true;
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    std::fprintf(stderr, "%s: cannot open %s: %s\n", program, dir.c_str(), std::strerror(errno));
    return false;
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(d)) {
    if (entry->d_name[0] != '.' && ends_with_jpg(entry->d_name)) names.emplace_back(entry->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 4 || static_cast<unsigned char>(bytes[0]) != 0xff ||
        static_cast<unsigned char>(bytes[1]) != 0xd8) {
      std::fprintf(stderr, "%s: skipping %s: not a JPEG\n", program, name.c_str());
      continue;
    }
    out.owned.push_back(std::move(bytes));
  }
  for (const std::string& f : out.owned) out.frames.emplace_back(f);
  if (out.frames.empty()) {
    std::fprintf(stderr, "%s: no .jpg files in %s\n", program, dir.c_str());
    return false;
  }
  return true;
}

// ---- shutdown ---------------------------------------------------------------

// Lets the producer and the page threads sleep until their next step or until
// the server stops, whichever comes first.
class stop_signal {
 public:
  void stop() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stopping_ = true;
    }
    cv_.notify_all();
  }
  bool stopped() {
    std::lock_guard<std::mutex> lock(m_);
    return stopping_;
  }
  // True when the server is stopping.
  bool wait_until(clock_type::time_point t) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_until(lock, t, [&] { return stopping_; });
  }
  bool wait_for(clock_type::duration d) { return wait_until(clock_type::now() + d); }
  void wait() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [&] { return stopping_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

// Self-pipe: the handler only writes one byte; the poll loop does the work.
int signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(signal_pipe[1], &byte, 1);
  errno = saved;
}

// ---- small responses ------------------------------------------------------

// Sends every byte or gives up after two seconds of a full socket buffer.
bool send_all(int fd, std::string_view head, std::string_view body = {}) {
  serverpush::fd_sink sink(fd);
  sink.set_timeout(2s);
  const serverpush::const_buffer bufs[2] = {{head.data(), head.size()}, {body.data(), body.size()}};
  std::error_code ec;
  serverpush::write_all(sink, bufs, 2, ec);
  return !ec;
}

std::string status_line(int minor, int status, std::string_view reason) {
  return "HTTP/1." + std::to_string(minor) + " " + std::to_string(status) + " " + std::string(reason) + "\r\n";
}

std::string plain_head(int minor, int status, std::string_view reason, std::string_view type,
                       std::size_t length, std::string_view extra = {}) {
  std::string out = status_line(minor, status, reason);
  out += "Content-Type: ";
  out += type;
  out += "\r\nContent-Length: " + std::to_string(length) + "\r\n";
  out += "Cache-Control: no-cache, no-store, must-revalidate\r\nConnection: close\r\n";
  out += extra;
  out += "\r\n";
  return out;
}

std::string peer_name(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    port = ntohs(in6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return host;
}

const char* framing_name(serverpush::framing f) {
  switch (f) {
    case serverpush::framing::content_length: return "content_length";
    case serverpush::framing::eager_delimiter: return "eager";
    case serverpush::framing::announce_next: return "announce";
  }
  return "?";
}

// ?framing= wins; otherwise `fallback`.
bool choose_framing(const demo::request& r, serverpush::framing fallback, serverpush::framing& out) {
  const std::string_view asked = r.param("framing");
  if (asked.empty()) {
    out = fallback;
    return true;
  }
  if (asked == "content_length") {
    out = serverpush::framing::content_length;
  } else if (asked == "eager") {
    out = serverpush::framing::eager_delimiter;
  } else if (asked == "announce") {
    out = serverpush::framing::announce_next;
  } else {
    return false;
  }
  return true;
}

// ---- the server -------------------------------------------------------------

class server {
 public:
  server(const options& o, frame_set frames, serverpush::Broadcaster& hub)
      : opt_(o), frames_(std::move(frames)), hub_(hub) {}

  int listen_on(std::string& url);
  int run();

 private:
  struct pending {
    int fd;
    std::string peer;
    std::string data;
    clock_type::time_point deadline;
  };
  struct lingering {
    int fd;
    clock_type::time_point deadline;
  };
  struct page_session {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void accept_all();
  // True when the connection is finished with (handed over or closed).
  bool on_readable(pending& p);
  void respond(pending& p, int minor, int status, std::string_view reason,
               std::string_view extra = {}, std::string_view detail = {});
  void finish(int fd);
  void dispatch(pending& p, const demo::request& r);
  void serve_stream(pending& p, const demo::request& r);
  void serve_pages(pending& p, const demo::request& r);
  void serve_pull(pending& p, const demo::request& r);
  void serve_wall(pending& p, const demo::request& r);
  void serve_jpeg(pending& p, const demo::request& r, std::size_t index);
  void log(const std::string& peer, const demo::request* r, int status, std::string_view note);
  void produce();
  void reap_pages(bool all);

  options opt_;
  frame_set frames_;
  serverpush::Broadcaster& hub_;
  stop_signal stop_;
  int listen_fd_ = -1;
  std::vector<pending> pending_;
  std::vector<lingering> lingering_;
  std::list<std::unique_ptr<page_session>> pages_;
  std::atomic<long long> newest_{-1};
  std::atomic<bool> stream_ended_{false};
};

int server::listen_on(std::string& url) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(opt_.port);
  if (const int rc = ::getaddrinfo(opt_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    std::fprintf(stderr, "%s: %s: %s\n", program, opt_.host.c_str(), ::gai_strerror(rc));
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 512) != 0) {
      std::fprintf(stderr, "%s: cannot listen on %s:%s: %s\n", program, opt_.host.c_str(),
                   port.c_str(), std::strerror(errno));
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return -1;
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  url = "http://" + peer_name(bound) + "/";
  listen_fd_ = fd;
  return fd;
}

void server::log(const std::string& peer, const demo::request* r, int status, std::string_view note) {
  if (r != nullptr) {
    std::fprintf(stderr, "%s: %s \"%s %s HTTP/1.%d\" %d%s%.*s\n", program, peer.c_str(),
                 r->method.c_str(), r->target.c_str(), r->minor_version, status,
                 note.empty() ? "" : " ", static_cast<int>(note.size()), note.data());
  } else {
    std::fprintf(stderr, "%s: %s - %d%s%.*s\n", program, peer.c_str(), status,
                 note.empty() ? "" : " ", static_cast<int>(note.size()), note.data());
  }
}

// Half-closes, then drains what the client still sends before closing, so an
// unread request body does not turn the close into a reset that eats the
// response.
void server::finish(int fd) {
  ::shutdown(fd, SHUT_WR);
  lingering_.push_back({fd, clock_type::now() + 2s});
}

void server::respond(pending& p, int minor, int status, std::string_view reason,
                     std::string_view extra, std::string_view detail) {
  const std::string body = std::to_string(status) + " " + std::string(reason) +
                           (detail.empty() ? "" : ": ") + std::string(detail) + "\n";
  send_all(p.fd, plain_head(minor, status, reason, "text/plain; charset=utf-8", body.size(), extra), body);
  finish(p.fd);
}

void server::accept_all() {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN, or out of descriptors: try again on the next wake-up
    }
    if (pending_.size() >= 1024) {
      ::close(fd);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pending_.push_back({fd, peer_name(ss), {}, clock_type::now() + 10s});
  }
}

bool server::on_readable(pending& p) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(p.fd, buf, sizeof buf, 0);
    if (n > 0) {
      p.data.append(buf, static_cast<std::size_t>(n));
      if (p.data.size() > demo::max_request_head) break;
      continue;
    }
    if (n == 0) {
      if (!p.data.empty()) log(p.peer, nullptr, 0, "closed before the request was complete");
      ::close(p.fd);
      return true;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    ::close(p.fd);
    return true;
  }
  demo::request r;
  switch (demo::parse_request(p.data, r)) {
    case demo::parse_result::incomplete:
      return false;
    case demo::parse_result::bad_request:
      log(p.peer, nullptr, 400, "malformed request");
      respond(p, 1, 400, "Bad Request");
      return true;
    case demo::parse_result::head_too_large:
      log(p.peer, nullptr, 431, "request head over 8 KiB");
      respond(p, 1, 431, "Request Header Fields Too Large");
      return true;
    case demo::parse_result::version_unsupported:
      log(p.peer, nullptr, 505, "not HTTP/1.0 or HTTP/1.1");
      respond(p, 1, 505, "HTTP Version Not Supported");
      return true;
    case demo::parse_result::complete:
      break;
  }
  dispatch(p, r);
  return true;
}

void server::dispatch(pending& p, const demo::request& r) {
  const int minor = r.minor_version;
  if (r.method != "GET" && r.method != "HEAD") {
    log(p.peer, &r, 405, "");
    respond(p, minor, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
    return;
  }
  const bool head_only = r.method == "HEAD";
  if (r.path == "/stream.mjpg") return serve_stream(p, r);
  if (r.path == "/pages") return serve_pages(p, r);
  if (r.path == "/pull") return serve_pull(p, r);
  if (r.path == "/snapshot.jpg") {
    const long long newest = newest_.load();
    return serve_jpeg(p, r, newest < 0 ? 0 : static_cast<std::size_t>(newest));
  }
  if (r.path.rfind("/frame/", 0) == 0 && r.path.size() > 11 &&
      r.path.compare(r.path.size() - 4, 4, ".jpg") == 0) {
    long long index = -1;
    const std::string number = r.path.substr(7, r.path.size() - 11);
    if (parse_int(number.c_str(), 0, index) && static_cast<std::size_t>(index) < frames_.frames.size()) {
      return serve_jpeg(p, r, static_cast<std::size_t>(index));
    }
  }
  if (r.path == "/") {
    serverpush::framing f{};
    if (!choose_framing(r, serverpush::framing::content_length, f)) {
      log(p.peer, &r, 400, "unknown framing");
      return respond(p, minor, 400, "Bad Request", {}, "framing is content_length, eager or announce");
    }
    const std::string q = r.param("framing").empty() ? "" : "?framing=" + std::string(framing_name(f));
    const std::string body = demo::index_page(q);
    send_all(p.fd, plain_head(minor, 200, "OK", "text/html; charset=utf-8", body.size()),
             head_only ? std::string_view() : body);
    log(p.peer, &r, 200, "");
    return finish(p.fd);
  }
  if (r.path == "/wall") return serve_wall(p, r);
  log(p.peer, &r, 404, "");
  respond(p, minor, 404, "Not Found");
}

void server::serve_wall(pending& p, const demo::request& r) {
  long long n = demo::wall_default;
  const std::string asked(r.param("n"));
  if (!asked.empty() && (!parse_int(asked.c_str(), 1, n) || n > demo::wall_max)) {
    log(p.peer, &r, 400, "bad stream count");
    return respond(p, r.minor_version, 400, "Bad Request", {}, "n is 1 to 64");
  }
  serverpush::framing f{};
  if (!choose_framing(r, serverpush::framing::announce_next, f)) {
    log(p.peer, &r, 400, "unknown framing");
    return respond(p, r.minor_version, 400, "Bad Request", {}, "framing is content_length, eager or announce");
  }
  const std::string q = r.param("framing").empty() ? "" : "&framing=" + std::string(framing_name(f));
  const std::string body = demo::wall_page(static_cast<int>(n), q);
  send_all(p.fd, plain_head(r.minor_version, 200, "OK", "text/html; charset=utf-8", body.size()),
           r.method == "HEAD" ? std::string_view() : body);
  log(p.peer, &r, 200, std::to_string(n) + " streams");
  finish(p.fd);
}

void server::serve_jpeg(pending& p, const demo::request& r, std::size_t index) {
  const serverpush::bytes_view frame = frames_.frames[index];
  send_all(p.fd, plain_head(r.minor_version, 200, "OK", "image/jpeg", frame.size()),
           r.method == "HEAD" ? std::string_view() : frame.as_string_view());
  log(p.peer, &r, 200, "frame " + std::to_string(index));
  finish(p.fd);
}

void server::serve_pull(pending& p, const demo::request& r) {
  long long page = 1;
  const std::string asked(r.param("page"));
  if (!asked.empty() && (!parse_int(asked.c_str(), 1, page) || page > demo::page_count)) {
    log(p.peer, &r, 404, "no such page");
    return respond(p, r.minor_version, 404, "Not Found");
  }
  // Refresh takes whole seconds; round a fractional delay up.
  const long long delay = static_cast<long long>(opt_.page_delay + 0.999);
  std::string refresh;
  if (page < demo::page_count) {
    refresh = std::to_string(delay) + "; url=/pull?page=" + std::to_string(page + 1);
  }
  const std::string body = demo::pulled_page(static_cast<int>(page - 1), refresh);
  const std::string extra = refresh.empty() ? "" : "Refresh: " + refresh + "\r\n";
  send_all(p.fd, plain_head(r.minor_version, 200, "OK", "text/html; charset=utf-8", body.size(), extra),
           r.method == "HEAD" ? std::string_view() : body);
  log(p.peer, &r, 200, "page " + std::to_string(page));
  finish(p.fd);
}

void server::serve_stream(pending& p, const demo::request& r) {
  // Browsers' <img> requests get announce_next (no display lag in Chromium
  // or Firefox); parsers such as FFmpeg and GStreamer get content_length.
  const bool image = r.header("Sec-Fetch-Dest") == "image";
  serverpush::framing f{};
  if (!choose_framing(r, image ? serverpush::framing::announce_next : serverpush::framing::content_length, f)) {
    log(p.peer, &r, 400, "unknown framing");
    return respond(p, r.minor_version, 400, "Bad Request", {}, "framing is content_length, eager or announce");
  }
  if (stream_ended_.load()) {
    log(p.peer, &r, 410, "the finite stream has ended");
    return respond(p, r.minor_version, 410, "Gone", {}, "the stream ended after --frames parts");
  }
  http::response_options ro;
  ro.http_version = r.minor_version == 0 ? http::version::http_1_0 : http::version::http_1_1;
  std::error_code ec;
  std::string head = http::stream_response_head(hub_.content_type(), ro, ec);
  if (r.method == "HEAD") {
    send_all(p.fd, head);
    log(p.peer, &r, 200, "head only");
    return finish(p.fd);
  }
  serverpush::client_options co;
  co.framing = f;
  co.head = std::move(head);
  const serverpush::client_id id = hub_.add(p.fd, std::move(co), ec);  // takes the fd
  if (ec) {
    log(p.peer, &r, 503, "not added: " + ec.message());
    return;
  }
  log(p.peer, &r, 200, "stream client " + std::to_string(id) + " " + framing_name(f));
}

// Writes the three pages with a sink of type Sink; returns the writer's error.
template <class Sink>
std::error_code push_pages(serverpush::MultipartWriter<Sink>& writer, serverpush::framing f,
                           double delay, stop_signal& stop) {
  // Eager or announcing framing puts each page's end on the wire with the
  // page itself, so Firefox shows it at once instead of when the next arrives.
  writer.set_framing(f);
  std::error_code ec;
  const auto pause = std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(delay));
  for (int i = 0; i < demo::page_count && !ec; ++i) {
    if (i > 0 && stop.wait_for(pause)) break;  // stopping: end the stream now
    const std::string page = demo::pushed_page(i);
    if (i + 1 == demo::page_count) {
      writer.write_last_part("text/html; charset=utf-8", page, ec);
    } else {
      writer.write_part("text/html; charset=utf-8", page, ec);
    }
  }
  if (!ec) writer.close(ec);
  return ec;
}

void server::serve_pages(pending& p, const demo::request& r) {
  serverpush::framing f{};
  if (!choose_framing(r, serverpush::framing::eager_delimiter, f)) {
    log(p.peer, &r, 400, "unknown framing");
    return respond(p, r.minor_version, 400, "Bad Request", {}, "framing is content_length, eager or announce");
  }
  const bool chunked = r.param("transfer") == "chunked" && r.minor_version == 1;
  http::response_options ro;
  ro.http_version = r.minor_version == 0 ? http::version::http_1_0 : http::version::http_1_1;
  ro.keep_alive = chunked;
  std::error_code ec;
  const std::string head =
      http::stream_response_head("multipart/x-mixed-replace; boundary=MSBOB", ro, ec);
  if (r.method == "HEAD") {
    send_all(p.fd, head);
    log(p.peer, &r, 200, "head only");
    return finish(p.fd);
  }
  reap_pages(false);
  if (pages_.size() >= 64) {
    log(p.peer, &r, 503, "too many page streams");
    return respond(p, r.minor_version, 503, "Service Unavailable", "Retry-After: 5\r\n");
  }
  log(p.peer, &r, 200, std::string("pages ") + framing_name(f) + (chunked ? " chunked" : ""));

  // One thread per /pages request: the stream is short, finite and paced by
  // sleeps, so a plain blocking MultipartWriter over the socket is the whole
  // job; the Broadcaster is for one stream shared by many viewers.
  auto session = std::make_unique<page_session>();
  page_session* s = session.get();
  const int fd = p.fd;
  const std::string peer = p.peer;
  const double delay = opt_.page_delay;
  s->thread = std::thread([this, s, fd, f, chunked, delay, head, peer] {
    serverpush::fd_sink sink(fd);
    sink.set_timeout(5s);  // a client that stops reading is dropped
    std::error_code ec;
    if (!send_all(fd, head)) {
      ec = std::make_error_code(std::errc::connection_aborted);
    } else if (chunked) {
      serverpush::chunked_sink<serverpush::fd_sink&> body(sink);
      serverpush::MultipartWriter<serverpush::chunked_sink<serverpush::fd_sink&>&> writer(body, "MSBOB", ec);
      if (!ec) ec = push_pages(writer, f, delay, stop_);
      if (!ec) body.finish(ec);
    } else {
      serverpush::MultipartWriter<serverpush::fd_sink&> writer(sink, "MSBOB", ec);
      if (!ec) ec = push_pages(writer, f, delay, stop_);
    }
    if (ec) {
      std::fprintf(stderr, "%s: %s pages ended early: %s\n", program, peer.c_str(), ec.message().c_str());
    }
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
    s->done.store(true);
  });
  pages_.push_back(std::move(session));
}

void server::reap_pages(bool all) {
  for (auto it = pages_.begin(); it != pages_.end();) {
    if (all || (*it)->done.load()) {
      (*it)->thread.join();
      it = pages_.erase(it);
    } else {
      ++it;
    }
  }
}

void server::produce() {
  const std::size_t count = frames_.frames.size();
  while (opt_.viewers > 0 && hub_.stats().clients < static_cast<std::size_t>(opt_.viewers)) {
    if (stop_.wait_for(20ms)) return;
  }
  const auto interval =
      std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1.0 / opt_.fps));
  auto next = clock_type::now();
  for (long long i = 0; opt_.frames < 0 || i < opt_.frames; ++i) {
    const std::size_t index = static_cast<std::size_t>(i) % count;
    const bool last = opt_.frames > 0 && i + 1 == opt_.frames;
    std::error_code ec;
    if (last) {
      hub_.publish_last("image/jpeg", frames_.frames[index], ec);
    } else {
      hub_.publish("image/jpeg", frames_.frames[index], ec);
    }
    newest_.store(static_cast<long long>(index));
    if (ec) std::fprintf(stderr, "%s: publish failed: %s\n", program, ec.message().c_str());
    if (i == opt_.pause_after) {
      std::fprintf(stderr, "%s: paused after frame %lld\n", program, i);
      stop_.wait();
      return;
    }
    if (last) break;
    next += interval;
    if (stop_.wait_until(next)) return;
  }
  stream_ended_.store(true);
  hub_.close();
  std::fprintf(stderr, "%s: stream ended after %lld parts\n", program, opt_.frames);
}

int server::run() {
  std::thread producer([this] { produce(); });
  std::vector<pollfd> fds;
  for (;;) {
    fds.clear();
    fds.push_back({signal_pipe[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const pending& p : pending_) fds.push_back({p.fd, POLLIN, 0});
    for (const lingering& l : lingering_) fds.push_back({l.fd, POLLIN, 0});
    const int ready = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), 250);
    if (ready < 0 && errno != EINTR) {
      std::fprintf(stderr, "%s: poll: %s\n", program, std::strerror(errno));
      break;
    }
    if (fds[0].revents != 0) break;  // SIGINT or SIGTERM
    const auto now = clock_type::now();
    // Both lists are walked in poll order before anything is appended.
    const std::size_t pending_count = pending_.size();
    const std::size_t lingering_count = lingering_.size();
    std::vector<pending> still_pending;
    for (std::size_t i = 0; i < pending_count; ++i) {
      pending& p = pending_[i];
      const short ev = fds[2 + i].revents;
      if (ev != 0) {
        if (!on_readable(p)) still_pending.push_back(std::move(p));
      } else if (now > p.deadline) {
        log(p.peer, nullptr, 408, "no complete request in 10 s");
        respond(p, 1, 408, "Request Timeout");
      } else {
        still_pending.push_back(std::move(p));
      }
    }
    std::vector<lingering> still_lingering;
    for (std::size_t i = 0; i < lingering_count; ++i) {
      const lingering l = lingering_[i];
      const short ev = fds[2 + pending_count + i].revents;
      bool done = now > l.deadline;
      if (ev != 0) {
        char sink[4096];
        const ssize_t n = ::recv(l.fd, sink, sizeof sink, 0);
        done = done || n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
      }
      if (done) {
        ::close(l.fd);
      } else {
        still_lingering.push_back(l);
      }
    }
    // Responses sent above queued their sockets at the end of lingering_.
    for (std::size_t i = lingering_count; i < lingering_.size(); ++i) still_lingering.push_back(lingering_[i]);
    lingering_ = std::move(still_lingering);
    pending_ = std::move(still_pending);
    if (fds[1].revents != 0) accept_all();
    reap_pages(false);
  }

  std::fprintf(stderr, "%s: stopping: closing every stream\n", program);
  stop_.stop();
  producer.join();
  hub_.close();  // close delimiter to every viewer, then EOF
  reap_pages(true);
  for (const pending& p : pending_) ::close(p.fd);
  for (const lingering& l : lingering_) ::close(l.fd);
  ::close(listen_fd_);
  std::fprintf(stderr, "%s: stopped\n", program);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (const int rc = parse_options(argc, argv, opt); rc != 0) return rc == 1 ? 0 : 2;
  frame_set frames;
  if (!load_frames(opt.dir, frames)) return 1;

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
  bo.on_client_removed = [](const serverpush::client_stats& c, std::error_code reason) {
    std::fprintf(stderr, "%s: stream client %llu done: %llu parts sent, %llu skipped (%s)\n", program,
                 static_cast<unsigned long long>(c.id), static_cast<unsigned long long>(c.parts_sent),
                 static_cast<unsigned long long>(c.parts_skipped),
                 reason ? reason.message().c_str() : "closed");
  };
  serverpush::Broadcaster hub(std::move(bo));

  const std::size_t frame_count = frames.frames.size();
  server srv(opt, std::move(frames), hub);
  std::string url;
  if (srv.listen_on(url) < 0) return 1;
  std::printf("%s: open %s\n", program, url.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %zu frames at %g fps%s\n", program, frame_count, opt.fps,
               opt.frames > 0 ? (", " + std::to_string(opt.frames) + " parts then close").c_str() : "");
  return srv.run();
}

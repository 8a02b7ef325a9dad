// serverpush-edge: serves the frames published on one NATS subject to HTTP
// viewers through a serverpush::Broadcaster. Many edges subscribe to the same
// subject; a load balancer (nginx) spreads viewers over them.
//
//   serverpush-edge --nats nats://127.0.0.1:4222[,nats://...] --subject S --port N
//
//   /stream.mjpg   the live stream (announce_next for <img>, content_length else)
//   /snapshot.jpg  the newest frame
//
// The first line on stdout is the URL of /stream.mjpg. SIGINT/SIGTERM close
// every stream with its close delimiter and exit 0.
//
// Latest frame wins end to end: the NATS server never waits for a slow edge
// (it drops the edge's connection as a slow consumer instead), the
// subscription holds few pending messages and drops the rest, and
// Broadcaster::publish() returns at once; inside the edge a slow viewer skips
// frames without holding up the others.
#include <serverpush/broadcaster.hpp>
#include <serverpush/http.hpp>
#include <serverpush/sink.hpp>
#include <serverpush/sinks/fd.hpp>

#include "listen.hpp"
#include "request.hpp"

#include <nats/nats.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace http = serverpush::http;

constexpr const char* program = "serverpush-edge";

struct options {
  std::string nats;
  std::string subject;
  std::string host = "127.0.0.1";
  int port = 8080;
  double stall_timeout = 10;
  int pending_frames = 4;  // NATS messages the subscription may hold before it drops
};

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: %s --nats URL[,URL...] --subject S [options]\n"
               "  --host ADDR           address to listen on (default 127.0.0.1)\n"
               "  --port N              port (default 8080; 0 picks a free one)\n"
               "  --stall-timeout SECS  drop a viewer that reads nothing this long (default 10)\n"
               "  --pending N           frames the NATS subscription may queue before dropping (default 4)\n",
               program);
}

int parse_options(int argc, char** argv, options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string name = argv[i];
    if (name == "--help" || name == "-h") {
      usage(stdout);
      return 1;
    }
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s: %s needs a value\n", program, name.c_str());
      return 2;
    }
    const char* value = argv[++i];
    char* end = nullptr;
    bool ok = true;
    if (name == "--nats") {
      o.nats = value;
    } else if (name == "--subject") {
      o.subject = value;
    } else if (name == "--host") {
      o.host = value;
    } else if (name == "--port") {
      const long v = std::strtol(value, &end, 10);
      ok = *end == '\0' && end != value && v >= 0 && v <= 65535;
      o.port = static_cast<int>(v);
    } else if (name == "--stall-timeout") {
      o.stall_timeout = std::strtod(value, &end);
      ok = *end == '\0' && end != value && o.stall_timeout >= 0.01 && o.stall_timeout <= 1e6;
    } else if (name == "--pending") {
      const long v = std::strtol(value, &end, 10);
      ok = *end == '\0' && end != value && v >= 1 && v <= 1000;
      o.pending_frames = static_cast<int>(v);
    } else {
      std::fprintf(stderr, "%s: unknown option %s (see --help)\n", program, name.c_str());
      return 2;
    }
    if (!ok) {
      std::fprintf(stderr, "%s: bad value for %s: %s\n", program, name.c_str(), value);
      return 2;
    }
  }
  if (o.nats.empty() || o.subject.empty()) {
    std::fprintf(stderr, "%s: --nats and --subject are required (see --help)\n", program);
    return 2;
  }
  return 0;
}

int signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(signal_pipe[1], &byte, 1);
  errno = saved;
}

// ---- frames from NATS -------------------------------------------------------

struct frame {
  std::string content_type;
  std::string payload;
  std::vector<std::pair<std::string, std::string>> headers;  // passed on as part headers
  std::string sequence;   // Serverpush-Sequence
  std::string timestamp;  // Serverpush-Timestamp
};

// Reads a NATS message: Content-Type is required; every other header but
// Content-Length travels on as an extra part header.
bool to_frame(natsMsg* msg, frame& out) {
  const char* type = nullptr;
  if (natsMsgHeader_Get(msg, "Content-Type", &type) != NATS_OK || type == nullptr) return false;
  out.content_type = type;
  const char** keys = nullptr;
  int key_count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &key_count) == NATS_OK) {
    for (int k = 0; k < key_count; ++k) {
      const std::string_view key = keys[k];
      if (key == "Content-Type" || key == "Content-Length") continue;
      const char** values = nullptr;
      int value_count = 0;
      if (natsMsgHeader_Values(msg, keys[k], &values, &value_count) != NATS_OK) continue;
      for (int v = 0; v < value_count; ++v) {
        if (key == "Serverpush-Sequence") out.sequence = values[v];
        if (key == "Serverpush-Timestamp") out.timestamp = values[v];
        out.headers.emplace_back(keys[k], values[v]);
      }
      std::free(static_cast<void*>(values));
    }
    std::free(static_cast<void*>(keys));
  }
  const char* data = natsMsg_GetData(msg);
  out.payload.assign(data == nullptr ? "" : data, static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  return true;
}

class frame_source {
 public:
  explicit frame_source(serverpush::Broadcaster& hub) : hub_(hub) {}

  // From the subscription (live) or the answer to "<subject>.last" (not live:
  // used only while no live frame has come).
  void on_frame(natsMsg* msg, bool live) {
    auto f = std::make_shared<frame>();
    if (!to_frame(msg, *f)) {
      rejected_.fetch_add(1);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (newest_ && (!live || (newest_->sequence == f->sequence && newest_->timestamp == f->timestamp))) {
        return;  // a late answer, or the frame a reconnected source sent again
      }
      newest_ = f;
    }
    std::vector<serverpush::header> extra;
    for (const auto& h : f->headers) extra.push_back({h.first, h.second});
    std::error_code ec;
    hub_.publish(f->content_type, f->payload, extra, ec);
    if (ec == serverpush::errc::header_name_invalid || ec == serverpush::errc::header_value_invalid ||
        ec == serverpush::errc::header_reserved) {
      hub_.publish(f->content_type, f->payload, ec);  // the frame without the headers it cannot carry
    }
    if (ec) {
      rejected_.fetch_add(1);
      return;
    }
    received_.fetch_add(1);
    if (live && !f->timestamp.empty()) record_delay(f->timestamp);
  }

  // Time from the source's publish() to this edge, over the last frames:
  // "p50 ms, p99 ms, samples" (clocks of both machines must agree).
  std::string delay_summary() const {
    std::vector<double> d;
    {
      std::lock_guard<std::mutex> lock(mu_);
      d = delays_;
    }
    if (d.empty()) return "no samples";
    std::sort(d.begin(), d.end());
    char out[96];
    std::snprintf(out, sizeof out, "p50 %.2f ms, p99 %.2f ms over %zu frames", d[d.size() / 2] * 1e3,
                  d[std::min(d.size() - 1, d.size() * 99 / 100)] * 1e3, d.size());
    return out;
  }

  std::shared_ptr<const frame> newest() const {
    std::lock_guard<std::mutex> lock(mu_);
    return newest_;
  }
  std::uint64_t received() const { return received_.load(); }
  std::uint64_t rejected() const { return rejected_.load(); }

 private:
  void record_delay(const std::string& timestamp) {
    const double sent = std::strtod(timestamp.c_str(), nullptr);
    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::lock_guard<std::mutex> lock(mu_);
    if (delays_.size() < max_delay_samples) {
      delays_.push_back(now - sent);
    } else {
      delays_[next_delay_++ % max_delay_samples] = now - sent;
    }
  }

  static constexpr std::size_t max_delay_samples = 4096;
  serverpush::Broadcaster& hub_;
  mutable std::mutex mu_;
  std::shared_ptr<const frame> newest_;
  std::vector<double> delays_;
  std::size_t next_delay_ = 0;
  std::atomic<std::uint64_t> received_{0};
  std::atomic<std::uint64_t> rejected_{0};
};

extern "C" void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  static_cast<frame_source*>(closure)->on_frame(msg, true);
  natsMsg_Destroy(msg);
}

extern "C" void on_disconnected(natsConnection*, void*) {
  std::fprintf(stderr, "%s: NATS disconnected\n", program);
}

extern "C" void on_reconnected(natsConnection* nc, void*) {
  char url[256] = "?";
  natsConnection_GetConnectedUrl(nc, url, sizeof url);
  std::fprintf(stderr, "%s: NATS reconnected to %s\n", program, url);
}

// The NATS side: a connection that reconnects for ever, one subscription.
class nats_link {
 public:
  ~nats_link() {
    if (sub_ != nullptr) natsSubscription_Destroy(sub_);
    if (nc_ != nullptr) natsConnection_Destroy(nc_);
    if (opts_ != nullptr) natsOptions_Destroy(opts_);
  }

  bool open(const options& o, frame_source& source) {
    std::vector<std::string> urls;
    for (std::string_view rest = o.nats; !rest.empty();) {
      const std::size_t comma = rest.find(',');
      urls.emplace_back(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    std::vector<const char*> servers;
    for (const std::string& u : urls) servers.push_back(u.c_str());
    natsStatus s = natsOptions_Create(&opts_);
    if (s == NATS_OK) s = natsOptions_SetServers(opts_, servers.data(), static_cast<int>(servers.size()));
    if (s == NATS_OK) s = natsOptions_SetNoRandomize(opts_, true);  // the first URL is this edge's own server
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts_, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts_, 100);
    if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts_, 100, 1000);
    if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts_, true, nullptr, nullptr);
    if (s == NATS_OK) s = natsOptions_SetPingInterval(opts_, 2000);
    if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(opts_, 2);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts_, on_disconnected, nullptr);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts_, on_reconnected, nullptr);
    if (s == NATS_OK) s = natsOptions_SetName(opts_, program);
    if (s == NATS_OK) {
      s = natsConnection_Connect(&nc_, opts_);
      if (s == NATS_NOT_YET_CONNECTED) s = NATS_OK;  // keeps trying in the background
    }
    if (s == NATS_OK) s = natsConnection_Subscribe(&sub_, nc_, o.subject.c_str(), on_message, &source);
    // A few messages pending, then drop: an edge that falls behind skips
    // frames instead of queueing them.
    if (s == NATS_OK) s = natsSubscription_SetPendingLimits(sub_, o.pending_frames, 256 * 1024 * 1024);
    if (s != NATS_OK) {
      std::fprintf(stderr, "%s: NATS: %s\n", program, natsStatus_GetText(s));
      return false;
    }
    // A late joiner gets the newest frame at once from the source.
    natsMsg* reply = nullptr;
    const std::string last = o.subject + ".last";
    if (natsConnection_Request(&reply, nc_, last.c_str(), nullptr, 0, 1000) == NATS_OK) {
      const char* sequence = nullptr;
      natsMsgHeader_Get(reply, "Serverpush-Sequence", &sequence);
      std::fprintf(stderr, "%s: newest frame from %s: sequence %s\n", program, last.c_str(),
                   sequence != nullptr ? sequence : "?");
      source.on_frame(reply, false);
      natsMsg_Destroy(reply);
    }
    return true;
  }

  std::int64_t dropped() const {
    int64_t dropped = 0;
    return natsSubscription_GetDropped(sub_, &dropped) == NATS_OK ? dropped : 0;
  }

 private:
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
};

// ---- HTTP -------------------------------------------------------------------

bool send_all(int fd, std::string_view head, std::string_view body = {}) {
  serverpush::fd_sink sink(fd);
  sink.set_timeout(2s);
  const serverpush::const_buffer bufs[2] = {{head.data(), head.size()}, {body.data(), body.size()}};
  std::error_code ec;
  serverpush::write_all(sink, bufs, 2, ec);
  return !ec;
}

std::string plain_head(int minor, std::string_view status, std::string_view type, std::size_t length) {
  std::string out = "HTTP/1." + std::to_string(minor) + " ";
  out += status;
  out += "\r\nContent-Type: ";
  out += type;
  out += "\r\nContent-Length: " + std::to_string(length) +
         "\r\nCache-Control: no-cache, no-store, must-revalidate\r\nConnection: close\r\n\r\n";
  return out;
}

int listen_on(const options& o, std::string& address) {
  return demo::listen_tcp(program, o.host, o.port, 1024, address);
}

struct pending {
  int fd;
  std::string data;
  clock_type::time_point deadline;
};

// Answers one complete request; the fd is handed to the hub or closed.
void respond(int fd, const demo::request& r, serverpush::Broadcaster& hub, const frame_source& source) {
  const int minor = r.minor_version;
  const bool head_only = r.method == "HEAD";
  if (r.method != "GET" && !head_only) {
    send_all(fd, "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  } else if (r.path == "/stream.mjpg") {
    http::response_options ro;
    ro.http_version = minor == 0 ? http::version::http_1_0 : http::version::http_1_1;
    std::error_code ec;
    std::string head = http::response_head(hub.content_type(), ro, ec);
    if (!head_only && !ec) {
      // Browsers' <img> show a part at once only with the next header block sent.
      serverpush::client_options co;
      co.framing = http::framing_for(r.header("Sec-Fetch-Dest"));
      // The frame's metadata is for parsers; a browser's announced header
      // blocks stay intact without it.
      co.part_headers = co.framing != serverpush::framing::announce_next;
      co.head = std::move(head);
      hub.add(fd, std::move(co), ec);  // the hub owns fd now, even on error
      return;
    }
    send_all(fd, head);
  } else if (r.path == "/snapshot.jpg") {
    const std::shared_ptr<const frame> f = source.newest();
    if (f) {
      send_all(fd, plain_head(minor, "200 OK", f->content_type, f->payload.size()),
               head_only ? std::string_view() : std::string_view(f->payload));
    } else {
      const std::string_view body = "no frame yet\n";
      send_all(fd, plain_head(minor, "503 Service Unavailable", "text/plain", body.size()), body);
    }
  } else {
    const std::string_view body = "not found\n";
    send_all(fd, plain_head(minor, "404 Not Found", "text/plain", body.size()), head_only ? "" : body);
  }
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

// Reads what the client sent; true when the connection is dealt with.
bool on_readable(pending& p, serverpush::Broadcaster& hub, const frame_source& source) {
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(p.fd, buf, sizeof buf, 0);
    if (n > 0) {
      p.data.append(buf, static_cast<std::size_t>(n));
      if (p.data.size() > demo::max_request_head) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    ::close(p.fd);
    return true;
  }
  demo::request r;
  switch (demo::parse_request(p.data, r)) {
    case demo::parse_result::incomplete:
      return false;
    case demo::parse_result::complete:
      respond(p.fd, r, hub, source);
      return true;
    default:
      send_all(p.fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      ::close(p.fd);
      return true;
  }
}

int serve(int listen_fd, serverpush::Broadcaster& hub, const frame_source& source) {
  std::vector<pending> waiting;
  std::vector<pollfd> fds;
  // Out of descriptors, the listening socket stays readable: stop polling it
  // for a moment instead of spinning.
  clock_type::time_point accept_paused_until{};
  for (;;) {
    fds.clear();
    fds.push_back({signal_pipe[0], POLLIN, 0});
    fds.push_back({listen_fd, static_cast<short>(clock_type::now() < accept_paused_until ? 0 : POLLIN), 0});
    for (const pending& p : waiting) fds.push_back({p.fd, POLLIN, 0});
    if (::poll(fds.data(), static_cast<nfds_t>(fds.size()), 500) < 0 && errno != EINTR) {
      std::fprintf(stderr, "%s: poll: %s\n", program, std::strerror(errno));
      return 1;
    }
    if (fds[0].revents != 0) return 0;
    const auto now = clock_type::now();
    std::vector<pending> still;
    for (std::size_t i = 0; i < waiting.size(); ++i) {
      pending& p = waiting[i];
      if (fds[2 + i].revents != 0) {
        if (!on_readable(p, hub, source)) still.push_back(std::move(p));
      } else if (now > p.deadline) {
        ::close(p.fd);
      } else {
        still.push_back(std::move(p));
      }
    }
    waiting = std::move(still);
    if (fds[1].revents != 0) {
      for (;;) {
        const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
          if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            accept_paused_until = now + 100ms;
          }
          break;
        }
        if (waiting.size() >= 4096) {  // a flood of idle connections: refuse the newest
          ::close(fd);
          continue;
        }
        waiting.push_back({fd, {}, now + 10s});
      }
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (const int rc = parse_options(argc, argv, opt); rc != 0) return rc == 1 ? 0 : 2;

  if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::perror("pipe2");
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  // One descriptor per viewer: allow as many as the hard limit does.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }

  std::string address;
  const int listen_fd = listen_on(opt, address);
  if (listen_fd < 0) return 1;

  serverpush::broadcaster_options bo;
  bo.stall_timeout = std::chrono::milliseconds(static_cast<long long>(opt.stall_timeout * 1000));
  serverpush::Broadcaster hub(std::move(bo));
  frame_source source(hub);
  int rc = 0;
  {
    nats_link link;
    if (!link.open(opt, source)) {
      rc = 1;
    } else {
      std::printf("http://%s/stream.mjpg\n", address.c_str());
      std::fflush(stdout);
      std::fprintf(stderr, "%s: serving %s from %s\n", program, opt.subject.c_str(), opt.nats.c_str());
      rc = serve(listen_fd, hub, source);
      std::fprintf(stderr,
                   "%s: stopping: %llu frames received, %llu rejected, %lld dropped by the subscription; "
                   "publish to edge %s\n",
                   program, static_cast<unsigned long long>(source.received()),
                   static_cast<unsigned long long>(source.rejected()), static_cast<long long>(link.dropped()),
                   source.delay_summary().c_str());
    }
  }  // the subscription ends before the hub closes
  hub.close();
  ::close(listen_fd);
  nats_Close();
  return rc;
}

#include "options.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/resource.h>

namespace demo {
namespace {

// Descriptors kept for the demo itself (stdio, listener, signal pipe, the
// hub's event loop) when --max-connections is derived from the fd limit.
constexpr std::size_t reserved_fds = 32;
constexpr std::size_t default_max_connections = 16384;

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
               "  --pause-after K      stop publishing after frame K, keeping streams open (tests)\n"
               "  --nats URL[,URL...]  also publish every frame to NATS, for serverpush-edge\n"
               "  --subject S          the NATS subject for --nats\n"
               "limits (the oldest idle connection is closed to make room for a new one):\n"
               "  --max-fds N          file descriptor limit (default: the hard RLIMIT_NOFILE)\n"
               "  --max-connections N  sockets open at once, viewers included\n"
               "                       (default: max-fds - 32, at most 16384)\n"
               "  --max-pending N      connections still sending their request head (default 1024)\n"
               "  --max-pending-per-peer N  the same, per client address (default 128)\n"
               "  --request-timeout SECS    time to send a complete request head (default 10)\n"
               "  --response-timeout SECS   time to take a whole page or JPEG (default 60)\n"
               "  --stall-timeout SECS drop a stream viewer that reads nothing this long (default 10)\n"
               "  --max-viewers N      /stream.mjpg viewers (default 4096)\n"
               "  --viewer-sndbuf-kib N     kernel send buffer per viewer (default 256)\n"
               "  --max-page-streams N /pages streams, one thread each (default 64)\n"
               "  --max-pinned-mib N   memory the hub may hold for frames pinned by slow viewers\n"
               "                       (default 256; kept for the hub, which has no such budget yet)\n"
               "  --help               this text\n",
               program);
}

bool parse_seconds(const char* text, double& out) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(v >= 0) || v > 1e6) return false;
  out = v;
  return true;
}

// A count of at least 1.
bool parse_size(const char* text, std::size_t& out) {
  long long v = 0;
  if (!parse_int(text, 1, v)) return false;
  out = static_cast<std::size_t>(v);
  return true;
}

}  // namespace

bool parse_int(const char* text, long long min, long long& out) {
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min) return false;
  out = v;
  return true;
}

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
    } else if (name == "--nats") {
      o.nats = value;
    } else if (name == "--subject") {
      o.subject = value;
    } else if (name == "--stall-timeout") {
      ok = parse_seconds(value, o.stall_timeout) && o.stall_timeout >= 0.01;
    } else if (name == "--pause-after") {
      ok = parse_int(value, 0, o.pause_after);
    } else if (name == "--max-fds") {
      ok = parse_int(value, 16, n);
      o.max_fds = static_cast<unsigned long long>(n);
    } else if (name == "--max-connections") {
      ok = parse_size(value, o.max_connections);
    } else if (name == "--max-pending") {
      ok = parse_size(value, o.max_pending);
    } else if (name == "--max-pending-per-peer") {
      ok = parse_size(value, o.max_pending_per_peer);
    } else if (name == "--request-timeout") {
      ok = parse_seconds(value, o.request_timeout) && o.request_timeout >= 0.01;
    } else if (name == "--response-timeout") {
      ok = parse_seconds(value, o.response_timeout) && o.response_timeout >= 0.01;
    } else if (name == "--max-viewers") {
      ok = parse_size(value, o.max_viewers);
    } else if (name == "--max-page-streams") {
      ok = parse_size(value, o.max_page_streams);
    } else if (name == "--viewer-sndbuf-kib") {
      ok = parse_size(value, o.viewer_sndbuf_kib) && o.viewer_sndbuf_kib <= 1024 * 1024;
    } else if (name == "--max-pinned-mib") {
      ok = parse_size(value, o.max_pinned_mib);
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

bool apply_fd_limit(options& o) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    std::fprintf(stderr, "%s: getrlimit: %s\n", program, std::strerror(errno));
    return false;
  }
  const rlim_t wanted = o.max_fds != 0 ? static_cast<rlim_t>(o.max_fds) : lim.rlim_max;
  if (lim.rlim_max != RLIM_INFINITY && wanted > lim.rlim_max) {
    std::fprintf(stderr, "%s: --max-fds %llu is over the hard limit %llu\n", program, o.max_fds,
                 static_cast<unsigned long long>(lim.rlim_max));
    return false;
  }
  lim.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
    std::fprintf(stderr, "%s: setrlimit: %s\n", program, std::strerror(errno));
    return false;
  }
  o.max_fds = static_cast<unsigned long long>(wanted);
  if (o.max_connections == 0) {
    const unsigned long long room = o.max_fds > reserved_fds * 2 ? o.max_fds - reserved_fds : reserved_fds;
    o.max_connections = static_cast<std::size_t>(std::min<unsigned long long>(room, default_max_connections));
  }
  return true;
}

}  // namespace demo

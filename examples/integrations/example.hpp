#ifndef SERVERPUSH_EXAMPLE_INTEGRATIONS_EXAMPLE_HPP
#define SERVERPUSH_EXAMPLE_INTEGRATIONS_EXAMPLE_HPP

// What the four host-server examples share and is not about the host: their
// command line, the demo's embedded test pattern, the URL they print, and
// SIGINT/SIGTERM for the hosts that run their own threads.

#include "frames.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <string>
#include <string_view>

namespace example {

struct options {
  unsigned short port = 8080;  // 0: the OS picks a free one
  std::string cert, key;       // --tls CERT KEY (PEM files)
  double fps = 10;
  long frames = -1;  // publish this many frames, then keep the streams open; -1: endless

  bool tls() const { return !cert.empty(); }
  std::chrono::microseconds frame_interval() const {
    return std::chrono::microseconds(static_cast<long long>(1e6 / fps));
  }
};

// Parses the command line; prints the usage and exits on --help or a mistake.
inline options parse_options(int argc, char** argv, bool tls_supported) {
  options o;
  const auto usage = [&](int status) {
    std::fprintf(status ? stderr : stdout,
                 "usage: %s [--port N] %s[--fps N] [--frames N]\n"
                 "  serves the demo's test pattern on /stream.mjpg of 127.0.0.1:N\n"
                 "  --port N     port (default 8080; 0 picks a free one)\n%s"
                 "  --fps N      frames per second (default 10)\n"
                 "  --frames N   stop publishing after N frames; streams stay open\n",
                 argv[0], tls_supported ? "[--tls CERT KEY] " : "",
                 tls_supported ? "  --tls C K    serve https with this PEM certificate and key\n"
                               : "");
    std::exit(status);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--port" && has_value) {
      const long port = std::strtol(argv[++i], nullptr, 10);
      if (port < 0 || port > 65535) usage(2);
      o.port = static_cast<unsigned short>(port);
    } else if (arg == "--tls" && tls_supported && i + 2 < argc) {
      o.cert = argv[++i];
      o.key = argv[++i];
    } else if (arg == "--fps" && has_value) {
      o.fps = std::strtod(argv[++i], nullptr);
      if (!(o.fps > 0 && o.fps <= 1000)) usage(2);
    } else if (arg == "--frames" && has_value) {
      o.frames = std::strtol(argv[++i], nullptr, 10);
      if (o.frames < 0) usage(2);
    } else {
      usage(arg == "--help" ? 0 : 2);
    }
  }
  return o;
}

// Frame `n` of the demo's test pattern (60 JPEG frames, 320x240), cycling.
inline std::string_view test_frame(unsigned long long n) {
  const demo::embedded_frame& f = demo::builtin_frames[n % demo::builtin_frame_count];
  return {reinterpret_cast<const char*>(f.data), f.size};
}

// The first line on stdout, flushed: tests and scripts read the port from it.
inline void print_stream_url(bool tls, unsigned short port) {
  std::printf("%s://127.0.0.1:%u/stream.mjpg\n", tls ? "https" : "http", port);
  std::fflush(stdout);
}

// For hosts that start threads of their own: call first in main(), so that
// every thread inherits the blocked SIGINT and SIGTERM, then wait for one
// with wait_for_termination().
inline void block_termination_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

inline int wait_for_termination() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

}  // namespace example

#endif

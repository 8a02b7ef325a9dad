#ifndef SERVERPUSH_DEMO_OPTIONS_HPP
#define SERVERPUSH_DEMO_OPTIONS_HPP

// The demo's command line: what it serves, and a limit for every resource a
// client can hold (README: "What the demo withstands").

#include <chrono>
#include <cstddef>
#include <string>

namespace demo {

inline constexpr const char* program = "serverpush-demo";

struct options {
  std::string host = "127.0.0.1";
  int port = 8080;
  double fps = 10;
  long long frames = -1;       // parts before the close delimiter; -1: endless
  double page_delay = 10;      // seconds between the pushed pages
  std::string dir;             // stream these .jpg files instead of the built-in ones
  std::string nats;            // also publish each frame to these NATS servers...
  std::string subject;         // ...on this subject (for serverpush-edge)
  long long pause_after = -1;  // test hook: stop publishing after this frame, stream stays open
  long long viewers = -1;      // wait for this many viewers before frame 0; -1: 1 with --frames
  double stall_timeout = 10;   // seconds a stream viewer may accept no byte before it is dropped
  // Limits: every resource a client can hold has one (README: "What the demo withstands").
  unsigned long long max_fds = 0;      // RLIMIT_NOFILE to run with; 0: raise to the hard limit
  std::size_t max_connections = 0;     // sockets held at once, of every kind; 0: from max_fds
  std::size_t max_pending = 1024;      // connections whose request head is not complete yet
  std::size_t max_pending_per_peer = 128;
  double request_timeout = 10;         // seconds from accept to a complete request head
  double response_timeout = 60;        // seconds to take a whole plain response (page, JPEG)
  std::size_t max_viewers = 4096;      // /stream.mjpg viewers
  std::size_t max_page_streams = 64;   // /pages streams, one thread each
  std::size_t max_pinned_mib = 256;    // the hub's budget for frames pinned by slow viewers
  std::size_t viewer_sndbuf_kib = 256; // kernel send buffer of each viewer's socket
};

// Returns 0 to go on, 1 after --help, 2 on a bad command line.
int parse_options(int argc, char** argv, options& o);

// Sets RLIMIT_NOFILE (--max-fds, else the hard limit) and derives the
// connection limit from it.
bool apply_fd_limit(options& o);

// A whole number of at least `min`, for options and request parameters.
bool parse_int(const char* text, long long min, long long& out);

inline std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace demo

#endif

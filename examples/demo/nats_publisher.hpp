#ifndef SERVERPUSH_DEMO_NATS_PUBLISHER_HPP
#define SERVERPUSH_DEMO_NATS_PUBLISHER_HPP

// demo::nats_publisher: sends each published frame to a NATS subject, with
// its metadata as NATS message headers, for serverpush-edge to serve. It
// speaks the NATS text protocol over a POSIX socket itself (INFO, CONNECT
// with headers:true, HPUB, SUB, HMSG/MSG, PING/PONG), so the demo needs no
// NATS library.
//
// - publish() copies the frame into a one-frame slot and returns: latest
//   frame wins. One I/O thread sends the newest frame whenever the socket has
//   taken the previous one, so a slow or dead NATS connection drops frames
//   and never stalls the caller.
// - Late joiners: the publisher subscribes to "<subject>.last" and answers
//   every request there with the newest frame (an edge that starts asks once).
// - The URL list ("nats://h1:4222,nats://h2:4222") is tried in turn; a lost
//   connection is retried with backoff (50 ms doubling to 2 s), and the newest
//   frame is sent again on the new connection. Client PINGs every 2 s find a
//   server that stopped answering.
// - stop() returns within its grace period: the I/O thread gets that long to
//   flush what is queued, then closes the socket.
//
// Each message: HPUB <subject> <header bytes> <total bytes>, headers
//   NATS/1.0
//   Content-Type: image/jpeg
//   Serverpush-Sequence: 41          (0, 1, 2... per run of the publisher)
//   Serverpush-Timestamp: 1764115200.250123   (publish() time, Unix seconds)
//   <the frame's extra part headers, as given>
// and the payload bytes unchanged.

#include <serverpush/buffer.hpp>
#include <serverpush/header.hpp>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <random>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace demo {

struct nats_publisher_stats {
  std::uint64_t published = 0;  // publish() calls accepted
  std::uint64_t sent = 0;       // frames handed to a socket in full
  std::uint64_t dropped = 0;    // replaced in the slot before they could be sent
  std::uint64_t connects = 0;   // successful connections, the first one included
  std::uint64_t answered = 0;   // "<subject>.last" requests answered
};

class nats_publisher {
 public:
  using clock = std::chrono::steady_clock;

  // `urls`: comma-separated nats://host:port (or host:port). Call start().
  nats_publisher(std::string urls, std::string subject)
      : urls_text_(std::move(urls)), subject_(std::move(subject)) {}
  nats_publisher(const nats_publisher&) = delete;
  nats_publisher& operator=(const nats_publisher&) = delete;
  ~nats_publisher() { stop(std::chrono::milliseconds(0)); }

  // Checks the URLs and the subject and starts the I/O thread; false with a
  // reason otherwise. Connecting happens on the thread, in the background.
  bool start(std::string& error) {
    if (!parse_urls(urls_text_, servers_, error)) return false;
    if (!valid_subject(subject_)) {
      error = "bad NATS subject: " + subject_;
      return false;
    }
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
      error = std::string("pipe2: ") + std::strerror(errno);
      return false;
    }
    thread_ = std::thread([this] { run(); });
    return true;
  }

  // Puts the frame in the slot (a copy) and returns; an unsent older frame
  // is dropped. False, and nothing published, for a content type or extra
  // header that is not valid in a part.
  bool publish(std::string_view content_type, serverpush::bytes_view payload,
               serverpush::header_list headers = {}) {
    if (serverpush::validate_content_type(content_type)) return false;
    for (const serverpush::header& h : headers) {
      if (serverpush::validate_header(h)) return false;
    }
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
    char stamp[40];
    std::snprintf(stamp, sizeof stamp, "%lld.%06lld", static_cast<long long>(micros / 1000000),
                  static_cast<long long>(micros % 1000000));

    // The copy is made before taking the lock the I/O thread shares.
    auto f = std::make_shared<frame>();
    f->payload.assign(payload.data(), payload.size());
    std::string rest = "\r\nServerpush-Timestamp: ";
    rest += stamp;
    for (const serverpush::header& h : headers) {
      rest += "\r\n";
      rest.append(h.name.data(), h.name.size());
      rest += ": ";
      rest.append(h.value.data(), h.value.size());
    }
    rest += "\r\n\r\n";
    std::lock_guard<std::mutex> lock(mu_);
    f->header_block = "NATS/1.0\r\nContent-Type: ";
    f->header_block.append(content_type.data(), content_type.size());
    f->header_block += "\r\nServerpush-Sequence: " + std::to_string(next_sequence_++);
    f->header_block += rest;
    if (unsent_) ++stats_.dropped;
    newest_ = std::move(f);
    unsent_ = true;
    ++stats_.published;
    wake();
    return true;
  }

  // Stops the I/O thread; it flushes for at most `grace`, then closes.
  void stop(std::chrono::milliseconds grace) {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_deadline_ = clock::now() + grace;
      stopping_ = true;
    }
    wake();
    thread_.join();
    ::close(wake_[0]);
    ::close(wake_[1]);
  }

  nats_publisher_stats stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

 private:
  struct frame {
    std::string header_block;  // "NATS/1.0\r\n...\r\n\r\n"
    std::string payload;
  };
  struct server_address {
    std::string host;
    std::string port;
  };

  static bool valid_subject(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u >= 0x7f || c == '*' || c == '>') return false;
    }
    return s.find("..") == std::string_view::npos;
  }

  static bool parse_urls(std::string_view text, std::vector<server_address>& out, std::string& error) {
    while (!text.empty()) {
      const std::size_t comma = text.find(',');
      std::string_view url = text.substr(0, comma);
      text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
      if (url.rfind("nats://", 0) == 0) url.remove_prefix(7);
      if (const std::size_t slash = url.find('/'); slash != std::string_view::npos) url = url.substr(0, slash);
      server_address a;
      const std::size_t colon = url.rfind(':');
      if (!url.empty() && url.front() == '[') {  // [v6]:port
        const std::size_t close = url.find(']');
        if (close == std::string_view::npos) break;
        a.host = std::string(url.substr(1, close - 1));
        a.port = close + 1 < url.size() && url[close + 1] == ':' ? std::string(url.substr(close + 2)) : "4222";
      } else if (colon != std::string_view::npos) {
        a.host = std::string(url.substr(0, colon));
        a.port = std::string(url.substr(colon + 1));
      } else {
        a.host = std::string(url);
        a.port = "4222";
      }
      if (a.host.empty() || a.port.empty() || a.port.find_first_not_of("0123456789") != std::string::npos) {
        error = "bad NATS URL: " + std::string(url);
        return false;
      }
      out.push_back(std::move(a));
    }
    if (out.empty()) error = "no NATS URL";
    return !out.empty();
  }

  void wake() {
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_[1], &byte, 1);
  }

  void drain_wake() {
    char buf[64];
    while (::read(wake_[0], buf, sizeof buf) > 0) {
    }
  }

  bool stopping(clock::time_point& deadline) {
    std::lock_guard<std::mutex> lock(mu_);
    deadline = stop_deadline_;
    return stopping_;
  }

  // Waits up to `d` unless stop() is called; true when stopping.
  bool sleep_for(clock::duration d) {
    pollfd p{wake_[0], POLLIN, 0};
    const auto until = clock::now() + d;
    for (;;) {
      clock::time_point unused;
      if (stopping(unused)) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
      if (left <= 0) return false;
      ::poll(&p, 1, static_cast<int>(left));
      drain_wake();
    }
  }

  // Non-blocking connect with a 1 s limit; -1 on failure.
  static int connect_to(const server_address& a) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    if (::getaddrinfo(a.host.c_str(), a.port.c_str(), &hints, &found) != 0) return -1;
    int fd = -1;
    for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
      fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
        ::close(fd);
        fd = -1;
        continue;
      }
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      if (::poll(&p, 1, 1000) != 1 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        ::close(fd);
        fd = -1;
      }
    }
    ::freeaddrinfo(found);
    if (fd >= 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
  }

  void run() {
    std::mt19937 jitter(std::random_device{}());
    auto backoff = std::chrono::milliseconds(50);
    for (std::size_t attempt = 0;; ++attempt) {
      clock::time_point deadline;
      if (stopping(deadline)) return;
      const server_address& a = servers_[attempt % servers_.size()];
      const int fd = connect_to(a);
      if (fd >= 0) {
        const bool was_up = session(fd);
        ::close(fd);
        if (was_up) backoff = std::chrono::milliseconds(50);
      }
      if (stopping(deadline)) return;
      // Full backoff only after every server was tried once.
      if ((attempt + 1) % servers_.size() != 0 && fd < 0) continue;
      const auto wait = backoff / 2 + std::chrono::milliseconds(jitter() % (backoff.count() / 2 + 1));
      if (sleep_for(wait)) return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
  }

  // Appends HPUB for `f` on `subject` to out_.
  void append_frame(std::string_view subject, const frame& f) {
    out_ += "HPUB ";
    out_.append(subject.data(), subject.size());
    out_ += " " + std::to_string(f.header_block.size()) + " " +
            std::to_string(f.header_block.size() + f.payload.size()) + "\r\n";
    out_ += f.header_block;
    out_ += f.payload;
    out_ += "\r\n";
  }

  // One connection: handshake, then send and answer until it fails or stop()
  // is called. True when the handshake went through.
  bool session(int fd) {
    out_.clear();
    out_sent_ = 0;
    in_.clear();
    // The server speaks first: INFO {...}.
    const auto handshake_end = clock::now() + std::chrono::seconds(2);
    while (in_.find("\r\n") == std::string::npos) {
      if (!read_some(fd, handshake_end)) return false;
    }
    if (in_.rfind("INFO ", 0) != 0 || in_.find("\"headers\":true") == std::string::npos) {
      std::fprintf(stderr, "nats publisher: server does not support headers\n");
      return false;
    }
    in_.erase(0, in_.find("\r\n") + 2);
    out_ = "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,"
           "\"name\":\"serverpush-demo\",\"lang\":\"c++\",\"version\":\"0.1\",\"protocol\":1}\r\n"
           "SUB " + subject_ + ".last 1\r\nPING\r\n";
    bool handshake_done = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++stats_.connects;
      if (newest_) unsent_ = true;  // the new connection gets the newest frame again
    }
    auto next_ping = clock::now() + std::chrono::seconds(2);
    int pings_out = 1;
    std::shared_ptr<const frame> in_flight;
    for (;;) {
      clock::time_point deadline;
      const bool stop = stopping(deadline);
      if (stop && (out_sent_ == out_.size() || clock::now() >= deadline)) return handshake_done;
      // Take the newest frame only once the socket has taken everything before.
      if (!stop && handshake_done && out_sent_ == out_.size()) {
        if (in_flight) {
          std::lock_guard<std::mutex> lock(mu_);
          ++stats_.sent;
          in_flight.reset();
        }
        out_.clear();
        out_sent_ = 0;
        std::lock_guard<std::mutex> lock(mu_);
        if (unsent_) {
          in_flight = newest_;
          unsent_ = false;
          append_frame(subject_, *in_flight);
        }
      }
      const auto now = clock::now();
      if (now >= next_ping) {
        if (pings_out >= 2) return handshake_done;  // two PINGs unanswered: server gone
        out_ += "PING\r\n";
        ++pings_out;
        next_ping = now + std::chrono::seconds(2);
      }
      pollfd p[2] = {{fd, static_cast<short>(POLLIN | (out_sent_ < out_.size() ? POLLOUT : 0)), 0},
                     {wake_[0], POLLIN, 0}};
      auto until = stop ? deadline : next_ping;
      const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(until - now).count();
      if (::poll(p, 2, static_cast<int>(std::max<long long>(0, std::min<long long>(wait, 2000)))) < 0 &&
          errno != EINTR) {
        return handshake_done;
      }
      if (p[1].revents != 0) drain_wake();
      if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL)) return handshake_done;
      if (p[0].revents & POLLOUT) {
        const ssize_t n = ::send(fd, out_.data() + out_sent_, out_.size() - out_sent_, MSG_NOSIGNAL);
        if (n > 0) {
          out_sent_ += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          return handshake_done;
        }
      }
      if (p[0].revents & POLLIN) {
        if (!read_some(fd, clock::time_point())) return handshake_done;
        if (!handle_input(handshake_done, pings_out)) return handshake_done;
      }
    }
  }

  // Reads what is there (waiting until `until` when it is set); false on EOF or error.
  bool read_some(int fd, clock::time_point until) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        in_.append(buf, static_cast<std::size_t>(n));
        return in_.size() < 1024 * 1024;  // a server line never gets this long
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      if (until == clock::time_point()) return true;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
      if (left <= 0) return false;
      pollfd p{fd, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left));
    }
  }

  // Handles every complete server message in in_; false when the server
  // reports an error.
  bool handle_input(bool& handshake_done, int& pings_out) {
    for (;;) {
      const std::size_t eol = in_.find("\r\n");
      if (eol == std::string::npos) return true;
      const std::string_view line(in_.data(), eol);
      std::size_t consumed = eol + 2;
      if (line == "PING") {
        out_ += "PONG\r\n";
      } else if (line == "PONG") {
        handshake_done = true;  // the answer to the CONNECT's PING: the server accepted us
        pings_out = 0;
      } else if (line.rfind("-ERR", 0) == 0) {
        std::fprintf(stderr, "nats publisher: server says %.*s\n", static_cast<int>(line.size()), line.data());
        return false;
      } else if (line.rfind("MSG ", 0) == 0 || line.rfind("HMSG ", 0) == 0) {
        // MSG <subject> <sid> [reply-to] <bytes>; HMSG ... <header bytes> <bytes>
        std::vector<std::string_view> words;
        for (std::size_t i = 0; i < line.size();) {
          const std::size_t sp = line.find(' ', i);
          const std::size_t end = sp == std::string_view::npos ? line.size() : sp;
          if (end > i) words.push_back(line.substr(i, end - i));
          i = end + 1;
        }
        const bool has_headers = words[0] == "HMSG";
        const std::size_t fixed = has_headers ? 5 : 4;
        if (words.size() != fixed && words.size() != fixed + 1) return false;
        const std::size_t total = std::strtoull(std::string(words.back()).c_str(), nullptr, 10);
        if (in_.size() < consumed + total + 2) return true;  // body not complete yet
        consumed += total + 2;
        if (words.size() == fixed + 1) answer_last(words[3]);
      }
      in_.erase(0, consumed);
    }
  }

  void answer_last(std::string_view reply_to) {
    std::shared_ptr<const frame> f;
    {
      std::lock_guard<std::mutex> lock(mu_);
      f = newest_;
      if (f) ++stats_.answered;
    }
    // No frame yet: no answer; the asker gets the first one live.
    if (f && out_.size() < 16 * 1024 * 1024) append_frame(reply_to, *f);
  }

  std::string urls_text_;
  std::string subject_;
  std::vector<server_address> servers_;
  int wake_[2] = {-1, -1};
  std::thread thread_;

  mutable std::mutex mu_;  // guards the fields below
  std::shared_ptr<const frame> newest_;
  bool unsent_ = false;
  std::uint64_t next_sequence_ = 0;
  bool stopping_ = false;
  clock::time_point stop_deadline_;
  nats_publisher_stats stats_;

  // I/O thread only.
  std::string out_;
  std::size_t out_sent_ = 0;
  std::string in_;
};

}  // namespace demo

#endif

#include "server.hpp"

#include <serverpush/http.hpp>
#include <serverpush/sinks/chunked.hpp>
#include <serverpush/sinks/fd.hpp>
#include <serverpush/writer.hpp>

#include "content.hpp"
#include "listen.hpp"
#include "nats_publisher.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

namespace demo {
namespace {

using namespace std::chrono_literals;
namespace http = serverpush::http;

constexpr auto accept_backoff = std::chrono::milliseconds(250);
// Out of descriptors, a pending connection silent this long gives up its own
// to a new one; a younger one is probably sending its request right now.
constexpr auto min_idle_for_fd = std::chrono::seconds(1);
constexpr auto linger_time = std::chrono::seconds(2);

// Sends every byte or gives up after two seconds of a full socket buffer. It
// blocks, so only the page threads use it, never the poll thread.
bool send_all(int fd, std::string_view bytes) {
  serverpush::fd_sink sink(fd);
  sink.set_timeout(2s);
  const serverpush::const_buffer buf{bytes.data(), bytes.size()};
  std::error_code ec;
  serverpush::write_all(sink, &buf, 1, ec);
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

// Writes the three pages with a sink of type Sink; returns the writer's error.
template <class Sink>
std::error_code push_pages(serverpush::MultipartWriter<Sink>& writer, serverpush::framing f,
                           double delay, stop_signal& stop) {
  // Eager or announcing framing puts each page's end on the wire with the
  // page itself, so Firefox shows it at once instead of when the next arrives.
  writer.set_framing(f);
  std::error_code ec;
  const auto pause = seconds(delay);
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

}  // namespace

int server::listen_on(std::string& url) {
  std::string address;
  const int fd = listen_tcp(program, opt_.host, opt_.port, 512, address);
  if (fd < 0) return -1;
  url = "http://" + address + "/";
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

std::size_t server::open_connections() const {
  const long long viewers = viewers_.load();
  return conns_.size() + pages_.size() + static_cast<std::size_t>(viewers > 0 ? viewers : 0);
}

void server::leave_reading(connection& c) {
  if (c.state != phase::reading) return;
  c.state = phase::writing;
  --pending_;
  const auto it = pending_by_address_.find(c.address);
  if (it != pending_by_address_.end() && --it->second == 0) pending_by_address_.erase(it);
}

void server::close_connection(connection& c) {
  leave_reading(c);
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
  c.closed = true;
}

// The fd now belongs to the caller (the Broadcaster or a page thread).
int server::hand_over(connection& c) {
  leave_reading(c);
  const int fd = c.fd;
  c.fd = -1;
  c.closed = true;
  return fd;
}

void server::accept_all() {
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      if (out_of_fds_) std::fprintf(stderr, "%s: accepting again\n", program);
      out_of_fds_ = false;
      admit(fd, ss);
      continue;
    }
    const int error = errno;
    if (error == EINTR || error == ECONNABORTED) continue;
    if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
      // An idle connection gives its descriptor to the one waiting; with
      // none to give, stop polling the listener for a while: it stays
      // readable, and retrying at once would spin.
      if (evict_oldest_pending(nullptr, "idle, closed to free a descriptor", min_idle_for_fd)) continue;
      if (!out_of_fds_) {
        std::fprintf(stderr, "%s: accept: %s; retrying every %lld ms\n", program,
                     std::strerror(error), static_cast<long long>(accept_backoff.count()));
      }
      out_of_fds_ = true;
      listen_paused_until_ = clock_type::now() + accept_backoff;
    }
    return;  // EAGAIN: the backlog is empty
  }
}

// Makes room by the limits, oldest idle connection first, so a flood of idle
// connections never shuts out a fresh request.
void server::admit(int fd, const sockaddr_storage& ss) {
  connection c;
  c.fd = fd;
  c.peer = host_port(ss);
  c.address = host_of(ss);
  const auto by_address = pending_by_address_.find(c.address);
  if (by_address != pending_by_address_.end() && by_address->second >= opt_.max_pending_per_peer) {
    evict_oldest_pending(&c.address, "idle, over --max-pending-per-peer");
  } else if (pending_ >= opt_.max_pending) {
    evict_oldest_pending(nullptr, "idle, over --max-pending");
  }
  while (open_connections() >= opt_.max_connections) {
    if (!evict_oldest_pending(nullptr, "idle, over --max-connections")) {
      log(c.peer, nullptr, 503, "refused: --max-connections reached");
      ::close(fd);
      return;
    }
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c.last_input = clock_type::now();
  c.deadline = c.last_input + seconds(opt_.request_timeout);
  ++pending_;
  ++pending_by_address_[c.address];
  const auto it = conns_.emplace(next_key_++, std::move(c)).first;
  read_request(it->second);  // on loopback the request is often there already
  if (it->second.closed) conns_.erase(it);
}

// Frees one pending slot: the oldest pending connection (of `address` when
// given, silent for `min_idle` at least) is served if its request has
// arrived, else closed. False when there is none.
bool server::evict_oldest_pending(const std::string* address, std::string_view why,
                                  clock_type::duration min_idle) {
  const auto idle_since = clock_type::now() - min_idle;
  for (auto it = conns_.begin(); it != conns_.end(); ++it) {
    connection& c = it->second;
    if (c.state != phase::reading || (address != nullptr && c.address != *address)) continue;
    if (c.last_input > idle_since) continue;
    read_request(c);
    if (c.state == phase::reading && !c.closed) {
      log(c.peer, nullptr, 0, why);
      close_connection(c);
    }
    if (c.closed) conns_.erase(it);
    return true;
  }
  return false;
}

void server::on_event(connection& c) {
  switch (c.state) {
    case phase::reading: return read_request(c);
    case phase::writing: return flush(c);
    case phase::lingering: return drain(c);
  }
}

void server::on_deadline(connection& c) {
  switch (c.state) {
    case phase::reading:
      log(c.peer, nullptr, 408, "no complete request within --request-timeout");
      return respond(c, 1, 408, "Request Timeout");
    case phase::writing:
      log(c.peer, nullptr, 0, "response not taken within --response-timeout: closed");
      return close_connection(c);
    case phase::lingering:
      return close_connection(c);
  }
}

void server::read_request(connection& c) {
  char buf[4096];
  while (!c.peer_done && c.in.size() <= demo::max_request_head) {
    const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      c.last_input = clock_type::now();
    } else if (n == 0) {
      c.peer_done = true;  // a half-closed client still gets its response
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      break;
    } else if (errno != EINTR) {
      return close_connection(c);
    }
  }
  demo::request r;
  switch (demo::parse_request(c.in, r)) {
    case demo::parse_result::incomplete:
      if (c.peer_done) {
        if (!c.in.empty()) log(c.peer, nullptr, 0, "closed before the request was complete");
        close_connection(c);
      }
      return;
    case demo::parse_result::bad_request:
      log(c.peer, nullptr, 400, "malformed request");
      return respond(c, 1, 400, "Bad Request");
    case demo::parse_result::head_too_large:
      log(c.peer, nullptr, 431, "request head over 8 KiB");
      return respond(c, 1, 431, "Request Header Fields Too Large");
    case demo::parse_result::version_unsupported:
      log(c.peer, nullptr, 505, "not HTTP/1.0 or HTTP/1.1");
      return respond(c, 1, 505, "HTTP Version Not Supported");
    case demo::parse_result::complete:
      return dispatch(c, r);
  }
}

void server::start_response(connection& c, std::string out, serverpush::bytes_view body) {
  leave_reading(c);
  c.state = phase::writing;
  c.out = std::move(out);
  c.body = body;
  c.sent = 0;
  c.deadline = clock_type::now() + seconds(opt_.response_timeout);
  flush(c);
}

void server::respond(connection& c, int minor, int status, std::string_view reason,
                     std::string_view extra, std::string_view detail) {
  const std::string body = std::to_string(status) + " " + std::string(reason) +
                           (detail.empty() ? "" : ": ") + std::string(detail) + "\n";
  start_response(c, plain_head(minor, status, reason, "text/plain; charset=utf-8", body.size(), extra) + body);
}

// Writes what the socket takes now; the rest waits for POLLOUT.
void server::flush(connection& c) {
  serverpush::fd_sink sink(c.fd);
  sink.set_timeout(0ms);  // never wait: a full socket comes back as timed_out
  for (;;) {
    serverpush::const_buffer bufs[2];
    std::size_t count = 0;
    if (c.sent < c.out.size()) bufs[count++] = {c.out.data() + c.sent, c.out.size() - c.sent};
    const std::size_t body_sent = c.sent > c.out.size() ? c.sent - c.out.size() : 0;
    if (body_sent < c.body.size()) bufs[count++] = {c.body.data() + body_sent, c.body.size() - body_sent};
    if (count == 0) return finish(c);
    std::error_code ec;
    c.sent += sink.writev(bufs, count, ec);
    if (ec == std::errc::timed_out) return;
    if (ec) return close_connection(c);
  }
}

// Half-closes, then drains what the client still sends before closing, so an
// unread request body does not turn the close into a reset that eats the
// response.
void server::finish(connection& c) {
  c.out = std::string();
  if (c.peer_done) return close_connection(c);
  ::shutdown(c.fd, SHUT_WR);
  c.state = phase::lingering;
  c.deadline = clock_type::now() + linger_time;
}

// Reads and drops at most 64 KiB per wake-up, so a client that keeps sending
// cannot hold the poll thread.
void server::drain(connection& c) {
  char sink[4096];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(c.fd, sink, sizeof sink, 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return close_connection(c);
  }
}

void server::dispatch(connection& c, const demo::request& r) {
  const int minor = r.minor_version;
  if (r.method != "GET" && r.method != "HEAD") {
    log(c.peer, &r, 405, "");
    return respond(c, minor, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n");
  }
  const bool head_only = r.method == "HEAD";
  if (r.path == "/stream.mjpg") return serve_stream(c, r);
  if (r.path == "/pages") return serve_pages(c, r);
  if (r.path == "/pull") return serve_pull(c, r);
  if (r.path == "/wall") return serve_wall(c, r);
  if (r.path == "/snapshot.jpg") {
    const long long newest = newest_.load();
    return serve_jpeg(c, r, newest < 0 ? 0 : static_cast<std::size_t>(newest));
  }
  if (r.path.rfind("/frame/", 0) == 0 && r.path.size() > 11 &&
      r.path.compare(r.path.size() - 4, 4, ".jpg") == 0) {
    long long index = -1;
    const std::string number = r.path.substr(7, r.path.size() - 11);
    if (parse_int(number.c_str(), 0, index) && static_cast<std::size_t>(index) < frames_.frames.size()) {
      return serve_jpeg(c, r, static_cast<std::size_t>(index));
    }
  }
  if (r.path == "/") {
    serverpush::framing f{};
    if (!choose_framing(r, serverpush::framing::content_length, f)) {
      log(c.peer, &r, 400, "unknown framing");
      return respond(c, minor, 400, "Bad Request", {}, "framing is content_length, eager or announce");
    }
    const std::string q = r.param("framing").empty() ? "" : "?framing=" + std::string(framing_name(f));
    const std::string body = demo::index_page(q);
    log(c.peer, &r, 200, "");
    return start_response(c, plain_head(minor, 200, "OK", "text/html; charset=utf-8", body.size()) +
                                 (head_only ? std::string() : body));
  }
  log(c.peer, &r, 404, "");
  respond(c, minor, 404, "Not Found");
}

void server::serve_wall(connection& c, const demo::request& r) {
  long long n = demo::wall_default;
  const std::string asked(r.param("n"));
  if (!asked.empty() && (!parse_int(asked.c_str(), 1, n) || n > demo::wall_max)) {
    log(c.peer, &r, 400, "bad stream count");
    return respond(c, r.minor_version, 400, "Bad Request", {}, "n is 1 to 64");
  }
  serverpush::framing f{};
  if (!choose_framing(r, serverpush::framing::announce_next, f)) {
    log(c.peer, &r, 400, "unknown framing");
    return respond(c, r.minor_version, 400, "Bad Request", {}, "framing is content_length, eager or announce");
  }
  const std::string q = r.param("framing").empty() ? "" : "&framing=" + std::string(framing_name(f));
  const std::string body = demo::wall_page(static_cast<int>(n), q);
  log(c.peer, &r, 200, std::to_string(n) + " streams");
  start_response(c, plain_head(r.minor_version, 200, "OK", "text/html; charset=utf-8", body.size()) +
                        (r.method == "HEAD" ? std::string() : body));
}

void server::serve_jpeg(connection& c, const demo::request& r, std::size_t index) {
  const serverpush::bytes_view frame = frames_.frames[index];
  log(c.peer, &r, 200, "frame " + std::to_string(index));
  start_response(c, plain_head(r.minor_version, 200, "OK", "image/jpeg", frame.size()),
                 r.method == "HEAD" ? serverpush::bytes_view() : frame);
}

void server::serve_pull(connection& c, const demo::request& r) {
  long long page = 1;
  const std::string asked(r.param("page"));
  if (!asked.empty() && (!parse_int(asked.c_str(), 1, page) || page > demo::page_count)) {
    log(c.peer, &r, 404, "no such page");
    return respond(c, r.minor_version, 404, "Not Found");
  }
  // Refresh takes whole seconds; round a fractional delay up.
  const long long delay = static_cast<long long>(opt_.page_delay + 0.999);
  std::string refresh;
  if (page < demo::page_count) {
    refresh = std::to_string(delay) + "; url=/pull?page=" + std::to_string(page + 1);
  }
  const std::string body = demo::pulled_page(static_cast<int>(page - 1), refresh);
  const std::string extra = refresh.empty() ? "" : "Refresh: " + refresh + "\r\n";
  log(c.peer, &r, 200, "page " + std::to_string(page));
  start_response(c, plain_head(r.minor_version, 200, "OK", "text/html; charset=utf-8", body.size(), extra) +
                        (r.method == "HEAD" ? std::string() : body));
}

void server::serve_stream(connection& c, const demo::request& r) {
  // Browsers' <img> requests get announce_next (no display lag in Chromium
  // or Firefox); parsers such as FFmpeg and GStreamer get content_length.
  serverpush::framing f{};
  if (!choose_framing(r, http::framing_for(r.header("Sec-Fetch-Dest")), f)) {
    log(c.peer, &r, 400, "unknown framing");
    return respond(c, r.minor_version, 400, "Bad Request", {}, "framing is content_length, eager or announce");
  }
  if (stream_ended_.load()) {
    log(c.peer, &r, 410, "the finite stream has ended");
    return respond(c, r.minor_version, 410, "Gone", {}, "the stream ended after --frames parts");
  }
  http::response_options ro;
  ro.http_version = r.minor_version == 0 ? http::version::http_1_0 : http::version::http_1_1;
  std::error_code ec;
  std::string head = http::response_head(hub_.content_type(), ro, ec);
  if (r.method == "HEAD") {
    log(c.peer, &r, 200, "head only");
    return start_response(c, std::move(head));
  }
  if (viewers_.load() >= static_cast<long long>(opt_.max_viewers)) {
    log(c.peer, &r, 503, "--max-viewers reached");
    return respond(c, r.minor_version, 503, "Service Unavailable", "Retry-After: 5\r\n");
  }
  // A fixed send buffer bounds the kernel memory each viewer holds (loopback
  // autotuning grows it to megabytes) and keeps a reader that takes a little
  // at a time visibly progressing: with megabytes queued, a steady slow
  // reader frees no room for a whole --stall-timeout and is dropped.
  const int sndbuf = static_cast<int>(opt_.viewer_sndbuf_kib * 1024);
  ::setsockopt(c.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  serverpush::client_options co;
  co.framing = f;
  co.head = std::move(head);
  const serverpush::client_id id = hub_.add(hand_over(c), std::move(co), ec);  // takes the fd
  if (ec) {
    log(c.peer, &r, 503, "not added: " + ec.message());
    return;
  }
  ++viewers_;
  log(c.peer, &r, 200, "stream client " + std::to_string(id) + " " + framing_name(f));
}

void server::serve_pages(connection& c, const demo::request& r) {
  serverpush::framing f{};
  if (!choose_framing(r, serverpush::framing::eager_delimiter, f)) {
    log(c.peer, &r, 400, "unknown framing");
    return respond(c, r.minor_version, 400, "Bad Request", {}, "framing is content_length, eager or announce");
  }
  const bool chunked = r.param("transfer") == "chunked" && r.minor_version == 1;
  http::response_options ro;
  ro.http_version = r.minor_version == 0 ? http::version::http_1_0 : http::version::http_1_1;
  ro.keep_alive = chunked;
  std::error_code ec;
  std::string head = http::response_head("multipart/x-mixed-replace; boundary=MSBOB", ro, ec);
  if (r.method == "HEAD") {
    log(c.peer, &r, 200, "head only");
    return start_response(c, std::move(head));
  }
  reap_pages(false);
  if (pages_.size() >= opt_.max_page_streams) {
    log(c.peer, &r, 503, "--max-page-streams reached");
    return respond(c, r.minor_version, 503, "Service Unavailable", "Retry-After: 5\r\n");
  }
  log(c.peer, &r, 200, std::string("pages ") + framing_name(f) + (chunked ? " chunked" : ""));

  // One thread per /pages request: the stream is short, finite and paced by
  // sleeps, so a plain blocking MultipartWriter over the socket is the whole
  // job; the Broadcaster is for one stream shared by many viewers.
  auto session = std::make_unique<page_session>();
  page_session* s = session.get();
  const int fd = hand_over(c);
  const std::string peer = c.peer;
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
    if (nats_ != nullptr) nats_->publish("image/jpeg", frames_.frames[index]);
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
  std::vector<std::uint64_t> keys;
  for (;;) {
    fds.clear();
    keys.clear();
    const bool listening = clock_type::now() >= listen_paused_until_;
    fds.push_back({stop_fd_, POLLIN, 0});
    fds.push_back({listening ? listen_fd_ : -1, POLLIN, 0});
    for (const auto& [key, c] : conns_) {
      fds.push_back({c.fd, static_cast<short>(c.state == phase::writing ? POLLOUT : POLLIN), 0});
      keys.push_back(key);
    }
    const int ready = ::poll(fds.data(), static_cast<nfds_t>(fds.size()), 250);
    if (ready < 0 && errno != EINTR) {
      std::fprintf(stderr, "%s: poll: %s\n", program, std::strerror(errno));
      break;
    }
    if (fds[0].revents != 0) break;  // SIGINT or SIGTERM
    const auto now = clock_type::now();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const auto it = conns_.find(keys[i]);
      if (it == conns_.end()) continue;
      connection& c = it->second;
      if (fds[2 + i].revents != 0) {
        on_event(c);
      } else if (now > c.deadline) {
        on_deadline(c);
      }
      if (c.closed) conns_.erase(it);
    }
    if (fds[1].revents != 0) accept_all();
    reap_pages(false);
  }

  std::fprintf(stderr, "%s: stopping: closing every stream\n", program);
  stop_.stop();
  producer.join();
  hub_.close();  // close delimiter to every viewer, then EOF
  reap_pages(true);
  for (auto& entry : conns_) close_connection(entry.second);
  conns_.clear();
  ::close(listen_fd_);
  std::fprintf(stderr, "%s: stopped\n", program);
  return 0;
}

}  // namespace demo

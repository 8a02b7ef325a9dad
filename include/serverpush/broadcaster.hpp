#ifndef SERVERPUSH_BROADCASTER_HPP
#define SERVERPUSH_BROADCASTER_HPP

// serverpush::Broadcaster serves one live stream to many clients without ever
// blocking the producer.
//
// - publish() validates and frames a part once; every client shares that one
//   immutable, reference-counted copy.
// - Latest frame wins: a client busy with part k when k+1 and k+2 arrive
//   finishes k, then gets k+2. A part is never sent partly and abandoned.
//   Each client holds at most the part in flight and the newest one.
// - Per client: the caller's head bytes (e.g. the HTTP response head), the
//   framing's opening, parts, and at close() the close delimiter, then EOF.
// - A new client gets the newest part at once.
// - A client that accepts no byte for stall_timeout is dropped; one that
//   disconnects is dropped on the error. Its fd is closed exactly once.
//
// announce_next and content types: such a client has the next part's header
// block (its Content-Type only) on the wire before the part exists. When a
// part of another content type comes, that announced part is ended with an
// empty body and a complete new part (Content-Type, Content-Length, extra
// headers) follows. Otherwise announce_next clients do not receive a part's
// extra headers: their header block left before the part was published.
//
// Finite streams: publish(), ..., publish_last(), close(). Every client gets
// the last part and the close delimiter; a client slower than the producer
// may still skip parts in between (latest wins). Parts published some time
// apart, as in a slide show, reach every client that keeps reading.
//
// Threads: add(), publish(), publish_last(), close() and stats() may be called
// from any thread at the same time. publish() and add() only hand over to the
// I/O thread and return at once; stats() may wait for one I/O round. The I/O
// thread (start_thread = true) or the caller of run_once() does every read,
// write and close of client sockets. on_client_removed runs on that thread;
// it may call add(), publish() and stats(), and close() there only asks for
// the close without waiting. Do not destroy the Broadcaster from it.
//
// Sockets: the Broadcaster owns every added fd, makes it non-blocking, sets
// TCP_NODELAY on TCP sockets (each part leaves in one gather write; Nagle
// would hold back the tail of a part cut by a short write), sends with
// MSG_NOSIGNAL | MSG_DONTWAIT and never touches signal handlers. Only sockets
// and pipes are accepted (errc::not_a_stream); an fd already added is refused
// (errc::viewer_already_added) and left to its viewer. Input from clients is
// read and discarded; end of input is not a disconnect (a half-closed client
// still reads): only a write error or a stall ends a client.

#include <serverpush/boundary.hpp>
#include <serverpush/broadcast/client_state.hpp>
#include <serverpush/broadcast/poller.hpp>
#include <serverpush/broadcast/shared_part.hpp>
#include <serverpush/buffer.hpp>
#include <serverpush/detail/config.hpp>
#include <serverpush/detail/posix_io.hpp>
#include <serverpush/error.hpp>
#include <serverpush/framer.hpp>
#include <serverpush/header.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace serverpush {
namespace detail {

// The hub's system calls: MSG_DONTWAIT on sockets, so a send never blocks
// even on a socket whose flags the host changed after add().
struct nonblocking_io {
  ssize_t sendmsg(int fd, const ::msghdr* msg, int flags) noexcept {
    return ::sendmsg(fd, msg, flags | MSG_DONTWAIT);
  }
  ssize_t writev(int fd, const ::iovec* iov, int count) noexcept { return ::writev(fd, iov, count); }
};

}  // namespace detail

using client_id = std::uint64_t;

struct client_options {
  // Per client: announce_next for browsers' <img>, content_length for parsers.
  serverpush::framing framing = serverpush::framing::content_length;
  std::string head;  // bytes sent before the body (e.g. the HTTP response head); may be empty
};

struct client_stats {
  client_id id = 0;
  int fd = -1;
  serverpush::framing framing = serverpush::framing::content_length;
  std::uint64_t parts_sent = 0;
  std::uint64_t parts_skipped = 0;  // published while connected, never sent (latest wins)
  std::uint64_t bytes_sent = 0;
  std::size_t bytes_queued = 0;  // still to send; a waiting part counts in full though shared
};

struct broadcaster_stats {
  std::size_t clients = 0;  // accepted and not yet removed
  std::uint64_t parts_published = 0;
  std::size_t bytes_queued = 0;
  std::vector<client_stats> per_client;
};

struct broadcaster_options {
  std::string boundary;                            // empty: random from the OS CSPRNG
  std::chrono::milliseconds stall_timeout{10000};  // drop a client that accepts no byte this long (0: never)
  // close() and the destructor wait at most this long for clients to take
  // what is queued and the close delimiter, then close them anyway. Shutdown
  // is bounded whatever stall_timeout says (negative counts as 0).
  std::chrono::milliseconds close_grace{5000};
  std::chrono::milliseconds resend_interval{0};    // 0: off; else re-send newest part when idle
  std::size_t max_clients = 0;                     // 0: no limit
  bool start_thread = true;                        // false: the caller drives run_once()
  // Called on the I/O thread once per removed client, after its fd is closed.
  // `reason` is empty after a clean close, std::errc::timed_out for a stalled
  // client, else the socket error (peer gone: connection_reset or broken_pipe).
  std::function<void(const client_stats&, std::error_code reason)> on_client_removed;
};

class Broadcaster {
 public:
  Broadcaster() : Broadcaster(broadcaster_options{}) {}

  // Throws std::system_error for an invalid boundary or when the OS refuses
  // the random source or the event loop's descriptors (without exceptions,
  // every later call reports that error instead).
  explicit Broadcaster(broadcaster_options options) : options_(std::move(options)) {
    std::error_code ec;
    init(ec);
#if SERVERPUSH_HAS_EXCEPTIONS
    if (ec) detail::throw_error(ec);
#endif
  }
  // Without exceptions: a failure is returned here, and every later call
  // reports it too.
  Broadcaster(broadcaster_options options, std::error_code& ec) : options_(std::move(options)) {
    init(ec);
  }

  Broadcaster(const Broadcaster&) = delete;
  Broadcaster& operator=(const Broadcaster&) = delete;

  // close(), then joins the I/O thread.
  ~Broadcaster() {
    close();
    if (thread_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(inbox_mu_);
        stop_ = true;
      }
      poller_.wake();
      thread_.join();
    }
    for (auto& entry : clients_) {
      if (entry.second->fd >= 0) ::close(entry.second->fd);
    }
    for (auto& pending : adds_) ::close(pending.fd);
  }

  // "multipart/x-mixed-replace; boundary=..." for the HTTP response head.
  std::string content_type() const { return boundary_.content_type(); }
  std::string_view boundary() const noexcept { return boundary_.view(); }

  // Takes ownership of fd: it is made non-blocking and closed exactly once,
  // also when add fails (too_many_clients, stream_closed after close()).
  client_id add(int fd, client_options options, std::error_code& ec) {
    ec.clear();
    if (fd < 0) {
      ec = std::make_error_code(std::errc::bad_file_descriptor);
      return 0;
    }
    {
      // A duplicate is refused before anything touches the fd: it is the
      // live viewer's, and closing it would cut that viewer off.
      std::lock_guard<std::mutex> lock(inbox_mu_);
      if (fds_in_use_.count(fd) != 0) {
        ec = make_error_code(errc::viewer_already_added);
        return 0;
      }
    }
    if (init_error_) {
      ec = init_error_;
    } else {
      ec = prepare_socket(fd);
    }
    client_id id = 0;
    if (!ec) {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      if (fds_in_use_.count(fd) != 0) {
        ec = make_error_code(errc::viewer_already_added);
        return 0;
      }
      if (closing_) {
        ec = make_error_code(errc::stream_closed);
      } else if (options_.max_clients != 0 && client_count_ >= options_.max_clients) {
        ec = make_error_code(errc::too_many_clients);
      } else {
        id = next_id_++;
        ++client_count_;
        fds_in_use_.insert(fd);
        adds_.push_back(pending_client{id, fd, std::move(options)});
      }
    }
    if (ec) {
      ::close(fd);
      return 0;
    }
    poller_.wake();
    return id;
  }

  // Frames the part once (payload copied once into an immutable shared
  // buffer) and returns at once. Rejected, with nothing sent: an invalid
  // content type or header (validate_headers), a payload holding
  // CRLF--boundary (payload_contains_delimiter), a stream already closed or
  // ended with publish_last (stream_closed).
  void publish(std::string_view content_type, bytes_view payload, std::error_code& ec) {
    publish_part(content_type, payload, {}, false, ec);
  }
  void publish(std::string_view content_type, bytes_view payload, header_list headers,
               std::error_code& ec) {
    publish_part(content_type, payload, headers, false, ec);
  }

  // The last part of a finite stream: no early bytes after it, so close()
  // adds only "--B--". Later publish calls report stream_closed.
  void publish_last(std::string_view content_type, bytes_view payload, std::error_code& ec) {
    publish_part(content_type, payload, {}, true, ec);
  }
  void publish_last(std::string_view content_type, bytes_view payload, header_list headers,
                    std::error_code& ec) {
    publish_part(content_type, payload, headers, true, ec);
  }

  // Every client finishes its part in flight and gets the newest part it has
  // not had yet, then the close delimiter, then EOF (fd closed). Idempotent.
  // Waits at most close_grace for slow clients, then closes them anyway.
  void close() {
    if (init_error_) return;
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      if (!closing_) {
        closing_ = true;
        close_deadline_ = clock::now() + std::max(options_.close_grace, std::chrono::milliseconds(0));
      }
    }
    poller_.wake();
    if (driving_thread_.load() == std::this_thread::get_id()) return;  // from on_client_removed
    if (thread_.joinable()) {
      std::unique_lock<std::mutex> lock(inbox_mu_);
      drained_cv_.wait(lock, [this] { return drained_; });
      return;
    }
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(inbox_mu_);
        if (drained_) return;
      }
      round(std::chrono::milliseconds(100));
    }
  }

  broadcaster_stats stats() const {
    broadcaster_stats out;
    out.parts_published = parts_published_.load();
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      out.clients = client_count_;
    }
    std::lock_guard<std::mutex> lock(clients_mu_);
    out.per_client.reserve(clients_.size());
    for (const auto& entry : clients_) {
      if (entry.second->fd < 0) continue;
      out.per_client.push_back(snapshot(*entry.second));
      out.bytes_queued += out.per_client.back().bytes_queued;
    }
    return out;
  }

  // Caller-driven mode (start_thread = false): one round of I/O, waiting at
  // most timeout (negative: until something happens).
  void run_once(std::chrono::milliseconds timeout) { round(timeout); }

#if SERVERPUSH_HAS_EXCEPTIONS
  client_id add(int fd, client_options options = {}) {
    std::error_code ec;
    const client_id id = add(fd, std::move(options), ec);
    if (ec) detail::throw_error(ec);
    return id;
  }
  void publish(std::string_view content_type, bytes_view payload, header_list headers = {}) {
    std::error_code ec;
    publish(content_type, payload, headers, ec);
    if (ec) detail::throw_error(ec);
  }
  void publish_last(std::string_view content_type, bytes_view payload,
                    header_list headers = {}) {
    std::error_code ec;
    publish_last(content_type, payload, headers, ec);
    if (ec) detail::throw_error(ec);
  }
#endif

 private:
  using clock = std::chrono::steady_clock;

  struct client {
    client(client_id i, int f, framing fr, std::string head, std::string_view boundary,
           clock::time_point now)
        : id(i), fd(f), kind(detail::classify_fd(f)), state(boundary, fr, std::move(head)),
          last_progress(now), last_offer(now) {}

    client_id id;
    int fd;  // -1 once closed
    fd_kind kind;
    detail::client_state state;
    clock::time_point last_progress;  // last byte accepted, or when output began waiting
    clock::time_point last_offer;
    bool blocked = false;     // the socket is full: wait for writability
    bool want_write = false;  // writability is being polled for
    bool input_ended = false; // the viewer shut down its sending side
  };

  struct pending_client {
    client_id id;
    int fd;
    client_options options;
  };

  struct removal {
    client_stats stats;
    std::error_code reason;
  };

  void init(std::error_code& ec) {
    boundary_ = options_.boundary.empty() ? boundary_string::generate(ec)
                                          : boundary_string::from(options_.boundary, ec);
    if (!ec) ec = poller_.open();
    if (ec) {
      init_error_ = ec;
      return;
    }
    if (options_.start_thread) thread_ = std::thread([this] { loop(); });
  }

  static std::error_code prepare_socket(int fd) {
    const fd_kind kind = detail::classify_fd(fd);
    if (kind == fd_kind::other) return make_error_code(errc::not_a_stream);
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
      return {errno, std::generic_category()};
    }
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
    const int on_pipe = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on_pipe, sizeof on_pipe);
#endif
    // Fails harmlessly on anything but TCP.
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    return {};
  }

  void publish_part(std::string_view content_type, bytes_view payload, header_list headers,
                    bool last, std::error_code& ec) {
    ec.clear();
    if (init_error_) {
      ec = init_error_;
      return;
    }
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      if (closing_ || last_published_) {
        ec = make_error_code(errc::stream_closed);
        return;
      }
    }
    std::shared_ptr<detail::shared_part> part =
        detail::shared_part::make(boundary_.view(), content_type, payload, headers, last, ec);
    if (ec) return;
    std::shared_ptr<const detail::shared_part> replaced;
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      if (closing_ || last_published_) {
        ec = make_error_code(errc::stream_closed);
        return;
      }
      part->set_sequence(++sequence_);
      replaced = std::move(newest_);
      newest_ = std::move(part);
      last_published_ = last;
      parts_published_.fetch_add(1);
    }
    poller_.wake();
  }

  void loop() {
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(inbox_mu_);
        if (stop_) return;
      }
      round(std::chrono::milliseconds(1000));
    }
  }

  // One round of the event loop: wait, take what other threads handed over,
  // then serve every client that can make progress.
  void round(std::chrono::milliseconds timeout) {
    if (init_error_) return;
    std::lock_guard<std::mutex> drive(driver_mu_);
    driving_thread_.store(std::this_thread::get_id());
    poller_.wait(events_, wait_budget(timeout));
    const clock::time_point now = clock::now();

    std::vector<pending_client> adds;
    std::shared_ptr<const detail::shared_part> newest;
    bool closing = false;
    clock::time_point deadline;
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      adds.swap(adds_);
      newest = newest_;
      closing = closing_;
      deadline = close_deadline_;
    }

    std::vector<removal> gone;
    {
      std::lock_guard<std::mutex> lock(clients_mu_);
      if (newest && (!newest_seen_ || newest->sequence() != newest_seen_->sequence())) {
        newest_seen_ = newest;
        for (auto& entry : clients_) offer(*entry.second, now);
      }
      for (pending_client& pending : adds) admit(pending, now, gone);
      if (closing && !close_applied_) {
        close_applied_ = true;
        close_deadline_seen_ = deadline;
        for (auto& entry : clients_) entry.second->state.close();
      }
      for (const detail::io_event& e : events_) handle(e, gone);
      serve_all(now, gone);
      for (auto it = clients_.begin(); it != clients_.end();) {
        it = it->second->fd < 0 ? clients_.erase(it) : std::next(it);
      }
    }

    if (options_.on_client_removed) {
      for (const removal& r : gone) options_.on_client_removed(r.stats, r.reason);
    }
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      client_count_ -= gone.size();
      if (closing_ && client_count_ == 0 && adds_.empty() && !drained_) {
        drained_ = true;
        drained_cv_.notify_all();
      }
    }
    driving_thread_.store(std::thread::id());
  }

  void admit(pending_client& pending, clock::time_point now, std::vector<removal>& gone) {
    auto c = std::make_unique<client>(pending.id, pending.fd, pending.options.framing,
                                      std::move(pending.options.head), boundary_.view(), now);
    if (const std::error_code ec = poller_.add(c->fd, c->id)) {
      release_fd(c->fd);
      gone.push_back({snapshot(*c), ec});
      return;
    }
    if (newest_seen_) offer(*c, now);
    clients_.emplace(c->id, std::move(c));
  }

  void offer(client& c, clock::time_point now) {
    if (!c.state.has_output()) c.last_progress = now;  // the stall clock starts now
    c.state.offer(newest_seen_);
    c.last_offer = now;
  }

  void handle(const detail::io_event& e, std::vector<removal>& gone) {
    const auto it = clients_.find(e.key);
    if (it == clients_.end() || it->second->fd < 0) return;
    client& c = *it->second;
    if (e.failed) {
      int err = 0;
      ::socklen_t len = sizeof err;
      ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      drop(c, err != 0 ? std::error_code(err, std::generic_category())
                       : std::make_error_code(std::errc::connection_reset),
           gone);
      return;
    }
    if (e.readable && !c.input_ended) {
      bool ended = false;
      const std::error_code ec = discard_input(c.fd, c.kind, ended);
      if (ec) {
        drop(c, ec, gone);
        return;
      }
      if (ended) {
        // A half-closed viewer (request sent, then SHUT_WR) still reads:
        // only a write error or a stall ends it. Stop watching its input.
        c.input_ended = true;
        poller_.watch(c.fd, c.id, false, c.want_write);
      }
    }
    if (e.writable) c.blocked = false;
  }

  void serve_all(clock::time_point now, std::vector<removal>& gone) {
    const bool resend = options_.resend_interval.count() > 0 && newest_seen_ &&
                        !newest_seen_->is_last() && !close_applied_;
    const bool stall_limit = options_.stall_timeout.count() > 0;
    for (auto& entry : clients_) {
      client& c = *entry.second;
      if (c.fd < 0) continue;
      if (resend && !c.state.has_output() &&
          c.state.last_sequence() == newest_seen_->sequence() &&
          now - c.last_offer >= options_.resend_interval) {
        offer(c, now);
      }
      if (!c.blocked && c.state.has_output()) flush(c, now, gone);
      if (c.fd < 0) continue;
      if (c.blocked && stall_limit && now - c.last_progress >= options_.stall_timeout) {
        drop(c, std::make_error_code(std::errc::timed_out), gone);
      } else if (close_applied_ && now >= close_deadline_seen_) {
        drop(c, std::make_error_code(std::errc::timed_out), gone);
      }
    }
  }

  // Writes until the client has nothing left or its socket is full.
  void flush(client& c, clock::time_point now, std::vector<removal>& gone) {
    const_buffer bufs[detail::client_state::max_buffers];
    for (;;) {
      const std::size_t count = c.state.prepare(bufs);
      if (count == 0) {
        set_want_write(c, false);
        return;
      }
      std::error_code ec;
      const std::size_t wrote = detail::gather_write_once(io_, c.fd, c.kind, bufs, count, ec);
      if (ec && !detail::is_would_block(ec)) {
        drop(c, ec, gone);
        return;
      }
      if (wrote == 0) {
        c.blocked = true;
        set_want_write(c, true);
        return;
      }
      c.state.consume(wrote);
      c.last_progress = now;
      if (c.state.finished()) {
        drop(c, {}, gone);
        return;
      }
    }
  }

  void set_want_write(client& c, bool on) {
    if (c.want_write == on) return;
    c.want_write = on;
    poller_.watch(c.fd, c.id, !c.input_ended, on);
  }

  // Reads and throws away what a client sent; `ended` tells end of input.
  // MSG_DONTWAIT: never blocks, even on a socket whose flags the host
  // changed. Pipes given to the hub are write ends: nothing to read.
  static std::error_code discard_input(int fd, fd_kind kind, bool& ended) {
    if (kind != fd_kind::socket) return {};
    char scratch[4096];
    for (int i = 0; i < 16; ++i) {
      const ssize_t got = ::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
      if (got > 0) continue;
      if (got == 0) {
        ended = true;
        return {};
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
      return {errno, std::generic_category()};
    }
    return {};
  }

  void drop(client& c, std::error_code reason, std::vector<removal>& gone) {
    if (c.fd < 0) return;
    poller_.remove(c.fd);
    // Unread input would make close() reset the connection, and a reset may
    // discard the close delimiter still in flight to the client.
    bool ended = false;
    if (!reason && !c.input_ended) discard_input(c.fd, c.kind, ended);
    release_fd(c.fd);
    gone.push_back({snapshot(c), reason});
    c.fd = -1;
  }

  // The number may be reused by the host as soon as it is closed: forget it
  // first, so a new add() of that number is not taken for a duplicate.
  void release_fd(int fd) {
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      fds_in_use_.erase(fd);
    }
    ::close(fd);
  }

  static client_stats snapshot(const client& c) {
    client_stats s;
    s.id = c.id;
    s.fd = c.fd;
    s.framing = c.state.framing_used();
    s.parts_sent = c.state.parts_sent();
    s.parts_skipped = c.state.parts_skipped();
    s.bytes_sent = c.state.bytes_sent();
    s.bytes_queued = c.state.bytes_queued();
    return s;
  }

  // How long the poller may sleep: until the caller's timeout, the next stall
  // or resend deadline, or the close deadline.
  int wait_budget(std::chrono::milliseconds timeout) const {
    const clock::time_point now = clock::now();
    clock::time_point until =
        timeout.count() < 0 ? clock::time_point::max() : now + timeout;
    const bool resend = options_.resend_interval.count() > 0 && newest_seen_ &&
                        !newest_seen_->is_last() && !close_applied_;
    for (const auto& entry : clients_) {
      const client& c = *entry.second;
      if (c.blocked && options_.stall_timeout.count() > 0) {
        until = std::min(until, c.last_progress + options_.stall_timeout);
      } else if (resend && !c.state.has_output()) {
        until = std::min(until, c.last_offer + options_.resend_interval);
      }
    }
    if (close_applied_) until = std::min(until, close_deadline_seen_);
    if (until == clock::time_point::max()) return -1;
    if (until <= now) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }

  broadcaster_options options_;
  boundary_string boundary_;
  std::error_code init_error_;
  detail::poller poller_;
  detail::nonblocking_io io_;

  // Handed over by other threads (inbox_mu_).
  mutable std::mutex inbox_mu_;
  std::condition_variable drained_cv_;
  std::vector<pending_client> adds_;
  std::unordered_set<int> fds_in_use_;  // added and not yet closed
  std::shared_ptr<const detail::shared_part> newest_;
  std::uint64_t sequence_ = 0;
  std::size_t client_count_ = 0;  // accepted, not yet removed
  client_id next_id_ = 1;
  clock::time_point close_deadline_{};
  bool closing_ = false;
  bool last_published_ = false;
  bool drained_ = false;
  bool stop_ = false;
  std::atomic<std::uint64_t> parts_published_{0};

  // The event loop's own state: changed by the driving thread only, under
  // clients_mu_ so stats() can read it.
  std::mutex driver_mu_;
  mutable std::mutex clients_mu_;
  std::atomic<std::thread::id> driving_thread_{};
  std::unordered_map<client_id, std::unique_ptr<client>> clients_;
  std::shared_ptr<const detail::shared_part> newest_seen_;
  std::vector<detail::io_event> events_;
  clock::time_point close_deadline_seen_{};
  bool close_applied_ = false;

  std::thread thread_;
};

}  // namespace serverpush

#endif

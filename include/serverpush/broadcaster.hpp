#ifndef SERVERPUSH_BROADCASTER_HPP
#define SERVERPUSH_BROADCASTER_HPP

// serverpush::Broadcaster serves one live stream to many viewers without
// ever blocking the producer: the thread-safe front of a serverpush::hub
// (hub/hub.hpp) with the POSIX driver (epoll on Linux, poll elsewhere) on
// its own I/O thread, or on the caller's with run_once().
//
// Viewers: a non-blocking socket or pipe (add), a callback that takes bytes
// (add_callback), or a pull source the host's framework reads (add_pull).
// For Asio streams (plain TCP or ssl::stream) see asio/broadcaster.hpp.
//
// - publish() validates and frames a part once (framed_part); every viewer
//   shares that one immutable copy. Latest frame wins, never a torn part
//   (stream_serializer). A new viewer gets the newest part at once.
// - A viewer that accepts no byte for stall_timeout is dropped; one whose
//   transport fails is dropped on the error. Its fd is closed exactly once.
// - Hooks, per-viewer fps cap, source-offline policy, X-Timestamp, pinned
//   frame budget: see hub/options.hpp.
//
// Finite streams: publish(), ..., publish_last(), close(). Every viewer gets
// the last part and the close delimiter; a viewer slower than the producer
// may still skip parts in between (latest wins).
//
// Threads: add*, publish*, close, resume and stats may be called from any
// thread at the same time. publish() and add() only hand over to the I/O
// thread and return at once; stats() may wait for one I/O round. The I/O
// thread (start_thread = true) or the caller of run_once() does every read,
// write and close of viewer sockets and calls every hook and callback
// viewer. Hooks may call add, publish and stats; close() there only asks for
// the close without waiting. Do not destroy the Broadcaster from a hook.
//
// Sockets: the Broadcaster owns every added fd, makes it non-blocking, sets
// TCP_NODELAY on TCP sockets (each part leaves in one gather write; Nagle
// would hold back the tail of a part cut by a short write), sends with
// MSG_NOSIGNAL | MSG_DONTWAIT and never touches signal handlers. Only sockets
// and pipes are accepted (errc::not_a_stream); an fd already added is refused
// (errc::viewer_already_added) and left to its viewer. Input from viewers is
// read and discarded; end of input is not a disconnect (a half-closed viewer
// still reads): only a write error or a stall ends a viewer.

#include <serverpush/buffer.hpp>
#include <serverpush/detail/config.hpp>
#include <serverpush/detail/poller.hpp>
#include <serverpush/detail/posix_io.hpp>
#include <serverpush/error.hpp>
#include <serverpush/header.hpp>
#include <serverpush/hub/hub.hpp>
#include <serverpush/hub/options.hpp>
#include <serverpush/hub/pull_source.hpp>

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

// The driver's system calls: MSG_DONTWAIT on sockets, so a send never blocks
// even on a socket whose flags the host changed after add().
struct nonblocking_io {
  ssize_t sendmsg(int fd, const ::msghdr* msg, int flags) noexcept {
    return ::sendmsg(fd, msg, flags | MSG_DONTWAIT);
  }
  ssize_t writev(int fd, const ::iovec* iov, int count) noexcept { return ::writev(fd, iov, count); }
};

}  // namespace detail

struct broadcaster_options : hub_options {
  bool start_thread = true;  // false: the caller drives run_once()
};

// A viewer that takes bytes through a function, called on the I/O thread:
// it returns how many of the offered bytes it took (all of them, or fewer
// when full: then call Broadcaster::resume(id) once it has room), or sets
// `ec` to end the viewer. It must not block.
using viewer_callback =
    std::function<std::size_t(const const_buffer* bufs, std::size_t count, std::error_code& ec)>;

class Broadcaster {
 public:
  Broadcaster() : Broadcaster(broadcaster_options{}) {}

  // Throws std::system_error for an invalid boundary or placeholder, or when
  // the OS refuses the random source or the event loop's descriptors
  // (without exceptions, every later call reports that error instead).
  explicit Broadcaster(broadcaster_options options)
      : start_thread_(options.start_thread), hub_(std::move(options), init_error_) {
    init();
#if SERVERPUSH_HAS_EXCEPTIONS
    if (init_error_) detail::throw_error(init_error_);
#endif
  }
  // Without exceptions: a failure is returned here, and every later call
  // reports it too.
  Broadcaster(broadcaster_options options, std::error_code& ec)
      : start_thread_(options.start_thread), hub_(std::move(options), init_error_) {
    init();
    ec = init_error_;
  }

  Broadcaster(const Broadcaster&) = delete;
  Broadcaster& operator=(const Broadcaster&) = delete;

  // close() (bounded by close_grace), then joins the I/O thread.
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
    for (auto& entry : transports_) end_transport(entry.second, {});
    for (auto& pending : adds_) end_transport(pending.how, make_error_code(errc::stream_closed));
  }

  // "multipart/x-mixed-replace; boundary=..." for the HTTP response head.
  std::string content_type() const { return hub_.content_type(); }
  std::string_view boundary() const noexcept { return hub_.boundary(); }

  // Takes ownership of fd (a socket or a pipe): it is made non-blocking and
  // closed exactly once, also when add fails (too_many_clients,
  // stream_closed after close(), not_a_stream), except for a duplicate
  // (viewer_already_added), which is left to the viewer that has it.
  client_id add(int fd, client_options options, std::error_code& ec) {
    ec.clear();
    if (fd < 0) {
      ec = std::make_error_code(std::errc::bad_file_descriptor);
      return 0;
    }
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      if (fds_in_use_.count(fd) != 0) {
        ec = make_error_code(errc::viewer_already_added);
        return 0;
      }
    }
    transport how;
    how.fd = fd;
    how.kind = detail::classify_fd(fd);
    ec = init_error_ ? init_error_ : prepare_socket(fd, how.kind);
    if (ec) {
      ::close(fd);
      return 0;
    }
    return enqueue(std::move(how), std::move(options), ec);
  }

  // A viewer that takes bytes through `take` (see viewer_callback).
  client_id add_callback(viewer_callback take, client_options options, std::error_code& ec) {
    ec = init_error_;
    if (ec) return 0;
    transport how;
    how.callback = std::move(take);
    return enqueue(std::move(how), std::move(options), ec);
  }

  // A viewer the host's framework reads (see pull_source). Null on error.
  std::unique_ptr<pull_source> add_pull(client_options options, std::error_code& ec) {
    ec = init_error_;
    if (ec) return nullptr;
    transport how;
    how.pull = std::make_shared<detail::pull_channel>();
    how.pull->wake = [this] { poller_.wake(); };
    auto channel = how.pull;
    const client_id id = enqueue(std::move(how), std::move(options), ec);
    if (ec) return nullptr;
    return std::make_unique<pull_source>(id, std::move(channel));
  }

  // A callback viewer has room again: offer it the rest.
  void resume(client_id id) {
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      resumed_.push_back(id);
    }
    poller_.wake();
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

  // Every viewer finishes its part in flight and gets the newest part it has
  // not had yet, then the close delimiter, then EOF (fd closed). Idempotent.
  // Waits at most close_grace for slow viewers, then drops them.
  void close() {
    if (init_error_) return;
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      closing_ = true;
    }
    poller_.wake();
    if (driving_thread_.load() == std::this_thread::get_id()) return;  // from a hook
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
    std::size_t clients = 0;
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      clients = client_count_;
    }
    broadcaster_stats out;
    {
      std::lock_guard<std::mutex> lock(hub_mu_);
      out = hub_.stats();
    }
    out.clients = clients;
    out.parts_published = parts_published_.load();
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
  using clock = hub::clock;

  // How bytes reach one viewer: exactly one of fd, callback, pull.
  struct transport {
    int fd = -1;
    fd_kind kind = fd_kind::other;
    viewer_callback callback;
    std::shared_ptr<detail::pull_channel> pull;
    bool blocked = false;      // full: wait for writability (fd) or resume() (callback)
    bool want_write = false;   // writability is being polled for
    bool input_ended = false;  // the peer shut down its sending side
  };

  struct pending_viewer {
    client_id id;  // the front's number, kept by the hub's numbering
    transport how;
    client_options options;
  };

  void init() {
    if (!init_error_) init_error_ = poller_.open();
    if (!init_error_ && start_thread_) thread_ = std::thread([this] { loop(); });
  }

  static std::error_code prepare_socket(int fd, fd_kind kind) {
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

  // Checks what can be checked at once, then hands the viewer to the I/O
  // thread. A refused fd is closed (pull and callback viewers just end).
  client_id enqueue(transport how, client_options options, std::error_code& ec) {
    client_id id = 0;
    if (!(options.max_fps >= 0)) {
      ec = std::make_error_code(std::errc::invalid_argument);
    } else {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      const std::size_t limit = hub_.options().max_clients;
      if (how.fd >= 0 && fds_in_use_.count(how.fd) != 0) {
        ec = make_error_code(errc::viewer_already_added);
        return 0;
      }
      if (closing_) {
        ec = make_error_code(errc::stream_closed);
      } else if (limit != 0 && client_count_ >= limit) {
        ec = make_error_code(errc::too_many_clients);
      } else {
        id = ++enqueued_;
        ++client_count_;
        if (how.fd >= 0) fds_in_use_.insert(how.fd);
        adds_.push_back(pending_viewer{id, std::move(how), std::move(options)});
      }
    }
    if (ec) {
      if (how.fd >= 0) ::close(how.fd);
      return 0;
    }
    poller_.wake();
    return id;
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
    std::shared_ptr<framed_part> part = hub_.frame(content_type, payload, headers, last, ec);
    if (ec) return;
    std::shared_ptr<framed_part> replaced;
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
  // serve every viewer that can make progress, then run the hooks.
  void round(std::chrono::milliseconds timeout) {
    if (init_error_) return;
    std::lock_guard<std::mutex> drive(driver_mu_);
    driving_thread_.store(std::this_thread::get_id());
    poller_.wait(io_events_, wait_budget(timeout));

    std::vector<pending_viewer> adds;
    std::vector<client_id> resumed;
    std::shared_ptr<framed_part> newest;
    bool closing = false;
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      adds.swap(adds_);
      resumed.swap(resumed_);
      newest = std::move(newest_);
      closing = closing_;
    }

    std::vector<hub_event> events;
    std::vector<std::shared_ptr<detail::pull_channel>> woken;
    {
      std::lock_guard<std::mutex> lock(hub_mu_);
      const clock::time_point now = clock::now();
      for (pending_viewer& p : adds) admit(p, now, events);
      if (newest) {
        std::error_code ignored;  // checked by publish_part already
        hub_.publish(std::move(newest), now, ignored);
      }
      if (closing) hub_.close(now);
      for (const detail::io_event& e : io_events_) handle(e, now);
      for (client_id id : resumed) {
        const auto it = transports_.find(id);
        if (it != transports_.end()) it->second.blocked = false;
        ready_.push_back(id);
      }
      hub_.tick(now);
      serve(now, woken);
      const std::size_t refused = events.size();
      hub_.take_events(events);
      for (std::size_t i = refused; i < events.size(); ++i) {
        const hub_event& e = events[i];
        if (e.kind != hub_event_kind::removed) continue;
        const auto it = transports_.find(e.viewer.id);
        if (it == transports_.end()) continue;
        end_transport(it->second, e.reason);
        if (it->second.pull) pull_ids_.erase(std::find(pull_ids_.begin(), pull_ids_.end(), it->first));
        transports_.erase(it);
        hub_.release(e.viewer.id);
      }
      next_deadline_ = hub_.next_deadline();
    }
    for (const auto& channel : woken) channel->changed.notify_all();

    std::size_t removed = 0;
    const hub_options& o = hub_.options();
    for (const hub_event& e : events) {
      switch (e.kind) {
        case hub_event_kind::first_viewer:
          if (o.on_first_viewer) o.on_first_viewer();
          break;
        case hub_event_kind::last_viewer:
          if (o.on_last_viewer) o.on_last_viewer();
          break;
        case hub_event_kind::removed:
          ++removed;
          if (o.on_client_removed) o.on_client_removed(e.viewer, e.reason);
          break;
      }
    }
    {
      std::lock_guard<std::mutex> lock(inbox_mu_);
      client_count_ -= removed;
      if (closing_ && client_count_ == 0 && adds_.empty() && !drained_) {
        drained_ = true;
        drained_cv_.notify_all();
      }
    }
    driving_thread_.store(std::thread::id());
  }

  // A viewer the hub refuses here (the front checked the same rules, so this
  // is a race with close) is reported like a removal.
  void admit(pending_viewer& p, clock::time_point now, std::vector<hub_event>& refused) {
    std::error_code ec;
    const framing f = p.options.framing;
    const client_id id = hub_.add(std::move(p.options), now, ec, p.how.fd, p.id);
    if (ec) {
      client_stats s;
      s.id = p.id;
      s.fd = p.how.fd;
      s.framing = f;
      refused.push_back({hub_event_kind::removed, s, ec});
      end_transport(p.how, ec);
      return;
    }
    if (p.how.fd >= 0) ec = poller_.add(p.how.fd, id);
    if (p.how.pull) pull_ids_.push_back(id);
    transports_.emplace(id, std::move(p.how));
    if (ec) {
      hub_.fail(id, ec);
      return;
    }
    ready_.push_back(id);
  }

  void handle(const detail::io_event& e, clock::time_point now) {
    const auto it = transports_.find(e.key);
    if (it == transports_.end()) return;
    transport& t = it->second;
    if (e.failed) {
      int err = 0;
      ::socklen_t len = sizeof err;
      ::getsockopt(t.fd, SOL_SOCKET, SO_ERROR, &err, &len);
      hub_.fail(e.key, err != 0 ? std::error_code(err, std::generic_category())
                                : std::make_error_code(std::errc::connection_reset));
      return;
    }
    if (e.readable && !t.input_ended) {
      bool ended = false;
      const std::error_code ec = discard_input(t.fd, t.kind, ended);
      if (ec) {
        hub_.fail(e.key, ec);
        return;
      }
      if (ended) {
        // A half-closed viewer (request sent, then SHUT_WR) still reads:
        // only a write error or a stall ends it. Stop watching its input.
        t.input_ended = true;
        poller_.watch(t.fd, e.key, false, t.want_write);
      }
    }
    if (e.writable) {
      t.blocked = false;
      flush(e.key, t, now);
    }
  }

  // Serves the viewers the hub says have bytes waiting, and the pull viewers
  // whose reader made room.
  void serve(clock::time_point now, std::vector<std::shared_ptr<detail::pull_channel>>& woken) {
    hub_.take_ready(ready_);
    for (client_id id : ready_) {
      const auto it = transports_.find(id);
      if (it != transports_.end() && !it->second.blocked) flush(id, it->second, now);
    }
    ready_.clear();
    for (client_id id : pull_ids_) {
      transport& t = transports_.at(id);
      bool cancelled = false;
      {
        std::lock_guard<std::mutex> lock(t.pull->mu);
        cancelled = t.pull->cancelled;
      }
      if (cancelled) {
        hub_.fail(id, std::make_error_code(std::errc::operation_canceled));
      } else if (hub_.has_output(id) && fill(id, t, now)) {
        woken.push_back(t.pull);
      }
    }
  }

  // Writes until the viewer has nothing left or its transport is full.
  void flush(client_id id, transport& t, clock::time_point now) {
    if (t.pull) return;  // filled in serve()
    for (;;) {
      const stream_serializer::buffers bufs = hub_.prepare(id);
      if (bufs.empty()) {
        set_want_write(id, t, false);
        return;
      }
      std::error_code ec;
      std::size_t wrote = 0;
      if (t.callback) {
        wrote = t.callback(bufs.data(), bufs.size(), ec);
      } else {
        wrote = detail::gather_write_once(io_, t.fd, t.kind, bufs.data(), bufs.size(), ec);
        if (detail::is_would_block(ec)) ec.clear();
      }
      if (ec) {
        hub_.consume(id, 0, now);
        hub_.fail(id, ec);
        return;
      }
      hub_.consume(id, wrote, now);
      if (wrote == 0) {
        t.blocked = true;
        set_want_write(id, t, true);
        return;
      }
      if (!hub_.contains(id)) return;  // done: its close delimiter is out
    }
  }

  // Moves a pull viewer's bytes into its channel, up to the capacity.
  // Returns whether bytes were added.
  bool fill(client_id id, transport& t, clock::time_point now) {
    bool added = false;
    std::lock_guard<std::mutex> lock(t.pull->mu);
    detail::pull_channel& c = *t.pull;
    while (c.waiting() < pull_source::capacity) {
      const stream_serializer::buffers bufs = hub_.prepare(id);
      if (bufs.empty()) break;
      std::size_t room = pull_source::capacity - c.waiting();
      std::size_t moved = 0;
      for (const const_buffer& b : bufs) {
        const std::size_t n = b.size < room ? b.size : room;
        c.bytes.append(b.data, n);
        room -= n;
        moved += n;
        if (n < b.size) break;
      }
      hub_.consume(id, moved, now);
      added = added || moved > 0;
      if (!hub_.contains(id)) break;
    }
    return added;
  }

  void set_want_write(client_id id, transport& t, bool on) {
    if (t.fd < 0 || t.want_write == on) return;
    t.want_write = on;
    poller_.watch(t.fd, id, !t.input_ended, on);
  }

  // Reads and throws away what a viewer sent; `ended` tells end of input.
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

  // Closes a removed viewer's transport: the fd exactly once, a pull
  // channel marked ended.
  void end_transport(transport& t, std::error_code reason) {
    if (t.fd >= 0) {
      poller_.remove(t.fd);
      // Unread input would make close() reset the connection, and a reset
      // may discard the close delimiter still in flight to the viewer.
      bool ended = false;
      if (!reason && !t.input_ended) discard_input(t.fd, t.kind, ended);
      {
        // The number may be reused by the host as soon as it is closed:
        // forget it first, so a new add() of it is not taken for a duplicate.
        std::lock_guard<std::mutex> lock(inbox_mu_);
        fds_in_use_.erase(t.fd);
      }
      ::close(t.fd);
      t.fd = -1;
    }
    if (t.pull) {
      {
        std::lock_guard<std::mutex> lock(t.pull->mu);
        t.pull->ended = true;
        t.pull->reason = reason;
        t.pull->wake = nullptr;
      }
      t.pull->changed.notify_all();
    }
  }

  // How long the poller may sleep: until the caller's timeout or the hub's
  // next deadline.
  int wait_budget(std::chrono::milliseconds timeout) const {
    const clock::time_point now = clock::now();
    clock::time_point until = timeout.count() < 0 ? clock::time_point::max() : now + timeout;
    until = std::min(until, next_deadline_);
    if (until == clock::time_point::max()) return -1;
    if (until <= now) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
  }

  bool start_thread_;
  std::error_code init_error_;
  detail::poller poller_;
  detail::nonblocking_io io_;

  // Handed over by other threads (inbox_mu_).
  mutable std::mutex inbox_mu_;
  std::condition_variable drained_cv_;
  std::vector<pending_viewer> adds_;
  std::vector<client_id> resumed_;
  std::unordered_set<int> fds_in_use_;  // added and not yet closed
  std::shared_ptr<framed_part> newest_;
  std::uint64_t sequence_ = 0;
  std::size_t client_count_ = 0;  // accepted, not yet removed
  client_id enqueued_ = 0;
  bool closing_ = false;
  bool last_published_ = false;
  bool drained_ = false;
  bool stop_ = false;
  std::atomic<std::uint64_t> parts_published_{0};

  // The event loop's state: changed by the driving thread only, under
  // hub_mu_ so stats() can read it.
  std::mutex driver_mu_;
  mutable std::mutex hub_mu_;
  hub hub_;
  std::atomic<std::thread::id> driving_thread_{};
  std::unordered_map<client_id, transport> transports_;
  std::vector<client_id> ready_;
  std::vector<client_id> pull_ids_;
  std::vector<detail::io_event> io_events_;
  clock::time_point next_deadline_ = clock::time_point::max();

  std::thread thread_;
};

}  // namespace serverpush

#endif

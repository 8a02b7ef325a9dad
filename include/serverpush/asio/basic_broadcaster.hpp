#ifndef SERVERPUSH_ASIO_BASIC_BROADCASTER_HPP
#define SERVERPUSH_ASIO_BASIC_BROADCASTER_HPP

// serverpush::asio_driver::basic_broadcaster<Net>: the hub (hub/hub.hpp)
// driven by Asio on the host's own executor: no thread of its own. Viewers
// are any AsyncWriteStream (asio::ip::tcp::socket, ssl::stream<tcp::socket>,
// beast::tcp_stream, ...), moved in once the host has read the request.
//
// Do not include this header directly: include serverpush/asio/standalone.hpp
// (standalone Asio, `#include <asio.hpp>`) or serverpush/asio/boost.hpp
// (Boost.Asio), which give `Net` and the names serverpush::asio_broadcaster
// and serverpush::boost_asio_broadcaster.
//
// - add(), publish(), publish_last(), close() and stats() are safe from any
//   thread; publish() frames the part and returns at once, the writes start
//   on the executor.
// - Each viewer has at most one async_write_some in flight; progress is
//   counted per completed write, so stall_timeout means "no byte accepted".
// - Completion handlers and the deadline timer run on the executor given at
//   construction and on each stream's executor. With an io_context run by
//   several threads, give each stream a strand (asio::make_strand), as Asio
//   requires for any object used from several threads.
// - Hooks (hub_options) run on the executor, outside the driver's lock.
// - A removed viewer's stream is closed (its lowest layer, when it has one)
//   and destroyed once no write is in flight.

#include <serverpush/buffer.hpp>
#include <serverpush/detail/config.hpp>
#include <serverpush/error.hpp>
#include <serverpush/header.hpp>
#include <serverpush/hub/hub.hpp>
#include <serverpush/hub/options.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace serverpush::asio_driver {
namespace detail {

template <class T, class = void>
struct has_lowest_layer : std::false_type {};
template <class T>
struct has_lowest_layer<T, std::void_t<decltype(std::declval<T&>().lowest_layer())>>
    : std::true_type {};

// beast::tcp_stream has no lowest_layer(); it hands out its socket().
template <class T, class = void>
struct has_socket : std::false_type {};
template <class T>
struct has_socket<T, std::void_t<decltype(std::declval<T&>().socket())>> : std::true_type {};

}  // namespace detail

template <class Net>
class basic_broadcaster {
 public:
  using executor_type = typename Net::executor_type;

  // Fails (ec) on an invalid boundary or placeholder, or a failed random
  // source; every later call reports it too.
  basic_broadcaster(executor_type executor, hub_options options, std::error_code& ec)
      : state_(make_state(std::move(executor), std::move(options), ec)) {}

#if SERVERPUSH_HAS_EXCEPTIONS
  // Throws std::system_error instead.
  explicit basic_broadcaster(executor_type executor, hub_options options = {}) {
    std::error_code ec;
    state_ = make_state(std::move(executor), std::move(options), ec);
    if (ec) serverpush::detail::throw_error(ec);
  }
#endif

  basic_broadcaster(const basic_broadcaster&) = delete;
  basic_broadcaster& operator=(const basic_broadcaster&) = delete;

  // Asks for close(); in-flight work finishes on the executor (bounded by
  // close_grace) and keeps what it needs alive.
  ~basic_broadcaster() { close(); }

  executor_type get_executor() const noexcept { return state_->executor; }
  std::string content_type() const { return state_->hub.content_type(); }
  std::string_view boundary() const noexcept { return state_->hub.boundary(); }

  // Moves `stream` in as a viewer: it gets options.head, then the newest
  // part, then every newer one (latest wins). Refused (the stream is
  // destroyed): stream_closed after close(), too_many_clients,
  // invalid_argument for a negative max_fps.
  template <class AsyncWriteStream>
  client_id add(AsyncWriteStream stream, client_options options, std::error_code& ec) {
    auto v = std::make_unique<stream_viewer<AsyncWriteStream>>(std::move(stream));
    client_id id = 0;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      id = state_->hub.add(std::move(options), clock::now(), ec);
      if (ec) return 0;
      state_->viewers.emplace(id, std::move(v));
    }
    state::schedule_pump(state_);
    return id;
  }

  void publish(std::string_view content_type, bytes_view payload, std::error_code& ec) {
    publish_part(content_type, payload, {}, false, ec);
  }
  void publish(std::string_view content_type, bytes_view payload, header_list headers,
               std::error_code& ec) {
    publish_part(content_type, payload, headers, false, ec);
  }
  void publish_last(std::string_view content_type, bytes_view payload, std::error_code& ec) {
    publish_part(content_type, payload, {}, true, ec);
  }
  void publish_last(std::string_view content_type, bytes_view payload, header_list headers,
                    std::error_code& ec) {
    publish_part(content_type, payload, headers, true, ec);
  }

  // Every viewer gets the newest part it has not had, the close delimiter,
  // then its stream is closed; after close_grace the rest are dropped.
  // Returns at once; `on_drained` runs on the executor once every viewer is
  // gone. Idempotent (a later on_drained replaces an earlier one).
  void close(std::function<void()> on_drained = {}) {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->hub.close(clock::now());
      if (on_drained) state_->on_drained = std::move(on_drained);
    }
    state::schedule_pump(state_);
  }

  broadcaster_stats stats() const {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->hub.stats();
  }

#if SERVERPUSH_HAS_EXCEPTIONS
  template <class AsyncWriteStream>
  client_id add(AsyncWriteStream stream, client_options options = {}) {
    std::error_code ec;
    const client_id id = add(std::move(stream), std::move(options), ec);
    if (ec) serverpush::detail::throw_error(ec);
    return id;
  }
  void publish(std::string_view content_type, bytes_view payload, header_list headers = {}) {
    std::error_code ec;
    publish(content_type, payload, headers, ec);
    if (ec) serverpush::detail::throw_error(ec);
  }
  void publish_last(std::string_view content_type, bytes_view payload, header_list headers = {}) {
    std::error_code ec;
    publish_last(content_type, payload, headers, ec);
    if (ec) serverpush::detail::throw_error(ec);
  }
#endif

 private:
  using clock = hub::clock;
  using buffer_array = std::array<typename Net::const_buffer, stream_serializer::max_buffers>;
  struct state;

  // One viewer's transport, its type erased.
  struct viewer_base {
    virtual ~viewer_base() = default;
    virtual void write(const std::shared_ptr<state>& self, client_id id,
                       const buffer_array& bufs) = 0;
    virtual void shut() = 0;
    bool writing = false;
    bool removed = false;
  };

  template <class Stream>
  struct stream_viewer final : viewer_base {
    explicit stream_viewer(Stream s) : stream(std::move(s)) {}

    void write(const std::shared_ptr<state>& self, client_id id, const buffer_array& bufs) override {
      this->writing = true;
      stream.async_write_some(bufs, [self, id](const typename Net::error_code& ec, std::size_t n) {
        self->written(id, ec, n);
      });
    }

    void shut() override {
      if constexpr (detail::has_lowest_layer<Stream>::value) {
        shut(stream.lowest_layer());
      } else if constexpr (detail::has_socket<Stream>::value) {
        shut(stream.socket());
      }
    }

    template <class Socket>
    static void shut(Socket& socket) {
      typename Net::error_code ignored;
      socket.shutdown(Net::shutdown_both, ignored);
      socket.close(ignored);
    }

    Stream stream;
  };

  struct state {
    state(executor_type ex, hub_options options, std::error_code& ec)
        : executor(ex), hub(std::move(options), ec), timer(ex) {}

    executor_type executor;
    std::mutex mu;
    serverpush::hub hub;
    typename Net::steady_timer timer;
    clock::time_point armed = clock::time_point::max();
    std::unordered_map<client_id, std::unique_ptr<viewer_base>> viewers;
    std::vector<client_id> ready;
    std::vector<hub_event> events;
    std::vector<client_id> finished;  // removed: free once no write is in flight
    std::function<void()> on_drained;
    bool pump_posted = false;

    // Runs pump() on the executor soon (once for any number of requests).
    static void schedule_pump(const std::shared_ptr<state>& self) {
      {
        std::lock_guard<std::mutex> lock(self->mu);
        if (self->pump_posted) return;
        self->pump_posted = true;
      }
      Net::post(self->executor, [self] { self->pump(); });
    }

    // Applies deadlines, starts writes for viewers with bytes waiting,
    // re-arms the timer, then runs the hooks.
    void pump() {
      std::vector<hub_event> happened;
      std::function<void()> drained;
      {
        std::lock_guard<std::mutex> lock(mu);
        pump_posted = false;
        hub.tick(clock::now());
        start_ready();
        settle(happened, drained);
        arm();
      }
      dispatch(happened, drained);
    }

    void written(client_id id, const typename Net::error_code& ec, std::size_t n) {
      std::vector<hub_event> happened;
      std::function<void()> drained;
      {
        std::lock_guard<std::mutex> lock(mu);
        const auto it = viewers.find(id);
        if (it == viewers.end()) return;
        viewer_base& v = *it->second;
        v.writing = false;
        if (v.removed) {
          finished.push_back(id);  // its write came back: free it now
        } else {
          if (ec) {
            hub.consume(id, 0, clock::now());
            hub.fail(id, std::error_code(ec));
          } else {
            hub.consume(id, n, clock::now());
            if (hub.contains(id)) start(id, v);
          }
        }
        start_ready();
        settle(happened, drained);
      }
      dispatch(happened, drained);
    }

    void start_ready() {
      hub.take_ready(ready);
      for (client_id id : ready) {
        const auto it = viewers.find(id);
        if (it != viewers.end() && !it->second->writing && !it->second->removed) {
          start(id, *it->second);
        }
      }
      ready.clear();
    }

    void start(client_id id, viewer_base& v) {
      const stream_serializer::buffers bufs = hub.prepare(id);
      if (bufs.empty()) return;
      buffer_array out{};
      for (std::size_t i = 0; i < bufs.size(); ++i) {
        out[i] = typename Net::const_buffer(bufs[i].data, bufs[i].size);
      }
      v.write(self(), id, out);
    }

    std::shared_ptr<state> self() { return self_.lock(); }

    // Closes the transports of removed viewers; frees those with no write in
    // flight (the others when their write comes back).
    void settle(std::vector<hub_event>& happened, std::function<void()>& drained) {
      hub.take_events(events);
      for (const hub_event& e : events) {
        if (e.kind != hub_event_kind::removed) continue;
        const auto it = viewers.find(e.viewer.id);
        if (it == viewers.end()) continue;
        it->second->removed = true;
        it->second->shut();
        finished.push_back(e.viewer.id);
      }
      happened.insert(happened.end(), events.begin(), events.end());
      events.clear();
      for (client_id id : finished) {
        const auto it = viewers.find(id);
        if (it != viewers.end() && !it->second->writing) {
          hub.release(id);
          viewers.erase(it);
        }
      }
      finished.clear();
      // Once drained nothing is left to wait for: the timer goes too, so the
      // host's io_context runs out of work and run() returns.
      if (is_finished()) {
        if (on_drained) {
          drained = std::move(on_drained);
          on_drained = nullptr;
        }
        timer.cancel();
        armed = clock::time_point::max();
      }
    }

    bool is_finished() const { return hub.drained() && viewers.empty(); }

    void arm() {
      if (is_finished()) return;
      const clock::time_point next = hub.next_deadline();
      if (next == armed) return;
      armed = next;
      if (next == clock::time_point::max()) {
        timer.cancel();
        return;
      }
      timer.expires_at(next);
      std::weak_ptr<state> weak = self_;
      timer.async_wait([weak, next](const typename Net::error_code& ec) {
        if (ec) return;  // re-armed or cancelled
        if (auto s = weak.lock()) {
          {
            std::lock_guard<std::mutex> lock(s->mu);
            if (s->armed == next) s->armed = clock::time_point::max();
          }
          s->pump();
        }
      });
    }

    void dispatch(const std::vector<hub_event>& happened, const std::function<void()>& drained) {
      const hub_options& o = hub.options();
      for (const hub_event& e : happened) {
        switch (e.kind) {
          case hub_event_kind::first_viewer:
            if (o.on_first_viewer) o.on_first_viewer();
            break;
          case hub_event_kind::last_viewer:
            if (o.on_last_viewer) o.on_last_viewer();
            break;
          case hub_event_kind::removed:
            if (o.on_client_removed) o.on_client_removed(e.viewer, e.reason);
            break;
        }
      }
      if (drained) drained();
    }

    std::weak_ptr<state> self_;
  };


  void publish_part(std::string_view content_type, bytes_view payload, header_list headers,
                    bool last, std::error_code& ec) {
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      if (state_->hub.closing() || state_->hub.last_published()) {
        ec = state_->hub.error() ? state_->hub.error() : make_error_code(errc::stream_closed);
        return;
      }
    }
    // Framed outside the lock: the payload copy does not hold up the writes.
    std::shared_ptr<framed_part> part = state_->hub.frame(content_type, payload, headers, last, ec);
    if (ec) return;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->hub.publish(std::move(part), clock::now(), ec);
      if (ec) return;
    }
    state::schedule_pump(state_);
  }

  static std::shared_ptr<state> make_state(executor_type ex, hub_options o, std::error_code& ec) {
    auto s = std::make_shared<state>(std::move(ex), std::move(o), ec);
    s->self_ = s;
    return s;
  }

  std::shared_ptr<state> state_;
};

}  // namespace serverpush::asio_driver

#endif

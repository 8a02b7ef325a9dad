#ifndef SERVERPUSH_DEMO_SERVER_HPP
#define SERVERPUSH_DEMO_SERVER_HPP

// The demo's HTTP/1.x server: one poll thread for requests and plain
// responses, the Broadcaster for /stream.mjpg, a thread per /pages stream.

#include <serverpush/broadcaster.hpp>
#include <serverpush/buffer.hpp>

#include "options.hpp"
#include "request.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unordered_map>
#include <vector>

namespace demo {

class nats_publisher;

using clock_type = std::chrono::steady_clock;

struct frame_set {
  std::vector<std::string> owned;  // frames read from --dir
  std::vector<serverpush::bytes_view> frames;
};

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

// One poll thread owns every connection until its request is answered: it
// reads request heads, writes plain responses without ever blocking (the rest
// of a response waits in the connection for POLLOUT), and hands streams over
// to the Broadcaster (/stream.mjpg) or to a thread of their own (/pages).
class server {
 public:
  // `stop_fd` becomes readable when the server is to stop; `viewers` counts
  // the hub's stream viewers (the hub's on_client_removed counts them down).
  server(const options& o, frame_set frames, serverpush::Broadcaster& hub,
         std::atomic<long long>& viewers, int stop_fd)
      : opt_(o), frames_(std::move(frames)), hub_(hub), viewers_(viewers), stop_fd_(stop_fd) {}

  int listen_on(std::string& url);
  int run();
  // Every frame also goes to `nats` (may be null), which outlives run().
  void publish_to(nats_publisher* nats) { nats_ = nats; }

 private:
  enum class phase { reading, writing, lingering };
  struct connection {
    int fd = -1;
    std::string peer;     // address:port, for the log
    std::string address;  // the per-peer limit counts by address
    phase state = phase::reading;
    bool closed = false;     // closed or handed over; erased right after
    bool peer_done = false;  // the client shut down its sending side
    std::string in;
    std::string out;              // response head, and small bodies
    serverpush::bytes_view body;  // a frame: lives as long as the server
    std::size_t sent = 0;
    clock_type::time_point deadline;
    clock_type::time_point last_input;  // accept time, then the last byte received
  };
  // By accept order: the first reading connection is the oldest pending one.
  using connection_map = std::map<std::uint64_t, connection>;

  struct page_session {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void accept_all();
  void admit(int fd, const sockaddr_storage& ss);
  bool evict_oldest_pending(const std::string* address, std::string_view why,
                            clock_type::duration min_idle = {});
  std::size_t open_connections() const;
  void on_event(connection& c);
  void on_deadline(connection& c);
  void read_request(connection& c);
  void dispatch(connection& c, const demo::request& r);
  void start_response(connection& c, std::string out, serverpush::bytes_view body = {});
  void respond(connection& c, int minor, int status, std::string_view reason,
               std::string_view extra = {}, std::string_view detail = {});
  void flush(connection& c);
  void finish(connection& c);
  void drain(connection& c);
  void leave_reading(connection& c);
  void close_connection(connection& c);
  int hand_over(connection& c);
  void serve_stream(connection& c, const demo::request& r);
  void serve_pages(connection& c, const demo::request& r);
  void serve_pull(connection& c, const demo::request& r);
  void serve_wall(connection& c, const demo::request& r);
  void serve_jpeg(connection& c, const demo::request& r, std::size_t index);
  void log(const std::string& peer, const demo::request* r, int status, std::string_view note);
  void produce();
  void reap_pages(bool all);

  options opt_;
  frame_set frames_;
  serverpush::Broadcaster& hub_;
  std::atomic<long long>& viewers_;  // streams the hub holds; it counts them down
  nats_publisher* nats_ = nullptr;
  int stop_fd_;
  stop_signal stop_;
  int listen_fd_ = -1;
  clock_type::time_point listen_paused_until_{};
  bool out_of_fds_ = false;
  connection_map conns_;
  std::uint64_t next_key_ = 0;
  std::size_t pending_ = 0;
  std::unordered_map<std::string, std::size_t> pending_by_address_;
  std::list<std::unique_ptr<page_session>> pages_;
  std::atomic<long long> newest_{-1};
  std::atomic<bool> stream_ended_{false};
};

}  // namespace demo

#endif

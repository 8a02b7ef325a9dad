// Fan-out on loopback TCP: one part delivered to N viewers, per iteration
// (publish, then wait until every viewer has read all of it, so no part is
// skipped and every delivery is counted: items = parts x viewers, bytes =
// bytes on the wire, framing included). One epoll thread drains every viewer
// socket. Side by side in one run:
//
//   BM_RawWritevFanout    the baseline: one blocking writev of the framed part
//                         (head, payload, CRLF prepared outside the loop) per
//                         viewer, from the benchmark thread
//   BM_BroadcasterFanout  Broadcaster: the POSIX driver's I/O thread
//   BM_AsioFanout         asio_broadcaster on an io_context run by one thread
//
// Counters: cpu_ns_per_frame_viewer is the process's CPU time (user + system,
// the reader thread included, the same for every case) per delivered part per
// viewer; the ratio of each driver's real time to BM_RawWritevFanout's is the
// issue #12 fan-out target (1.15).

#include <serverpush/broadcaster.hpp>

#if __has_include(<asio.hpp>)
#include <serverpush/asio/standalone.hpp>
#define SERVERPUSH_BENCH_ASIO 1
#else
#define SERVERPUSH_BENCH_ASIO 0
#endif

#include <benchmark/benchmark.h>

#include <sys/resource.h>
#include <sys/uio.h>

#include <arpa/inet.h>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace {

// Reads every client socket and counts the bytes that arrived.
class fanout_readers {
 public:
  explicit fanout_readers(const std::vector<int>& fds) : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    for (int fd : fds) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      ::epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = fd;
      ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
    }
    thread_ = std::thread([this] { run(); });
  }
  ~fanout_readers() {
    stop_ = true;
    thread_.join();
    ::close(epoll_);
  }
  fanout_readers(const fanout_readers&) = delete;
  fanout_readers& operator=(const fanout_readers&) = delete;

  // Blocks until `total` bytes have arrived across all clients.
  void wait_for(std::uint64_t total) {
    std::unique_lock<std::mutex> lock(mu_);
    want_ = total;
    arrived_.wait(lock, [&] { return received_ >= total; });
  }

 private:
  void run() {
    std::vector<char> scratch(256 * 1024);
    ::epoll_event events[256];
    while (!stop_) {
      const int n = ::epoll_wait(epoll_, events, 256, 50);
      std::uint64_t got = 0;
      for (int i = 0; i < n; ++i) {
        for (;;) {
          const ssize_t r = ::read(events[i].data.fd, scratch.data(), scratch.size());
          if (r <= 0) break;
          got += static_cast<std::uint64_t>(r);
        }
      }
      if (got == 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      received_ += got;
      if (received_ >= want_) arrived_.notify_one();
    }
  }

  int epoll_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable arrived_;
  std::uint64_t received_ = 0;
  std::uint64_t want_ = ~std::uint64_t{0};
  std::thread thread_;
};

// N connected loopback pairs: client ends for the readers, server ends for the hub.
bool connect_clients(std::size_t count, std::vector<int>& clients, std::vector<int>& servers) {
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 4096) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (listener >= 0) ::close(listener);
    return false;
  }
  for (std::size_t i = 0; i < count; ++i) {
    const int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (client < 0 || ::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (client >= 0) ::close(client);
      break;
    }
    const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (server < 0) {
      ::close(client);
      break;
    }
    clients.push_back(client);
    servers.push_back(server);
  }
  ::close(listener);
  return clients.size() == count;
}

void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

const char* const bench_boundary = "Zk3qW8xTn2VbR7mLp4sYd9HcF6jG1uQe";

// What every fan-out case shares: N loopback pairs, the reader thread, the
// wire size of one part, and the counters.
class fanout_case {
 public:
  explicit fanout_case(benchmark::State& state)
      : state_(state), part_size_(static_cast<std::size_t>(state.range(1))), payload_(part_size_, 'j') {
    raise_fd_limit();
    ok_ = connect_clients(static_cast<std::size_t>(state.range(0)), clients_, servers_);
    if (!ok_) state.SkipWithError("could not open enough loopback connections (RLIMIT_NOFILE?)");
    serverpush::framer(bench_boundary)
        .part_head(head_, serverpush::stream_position::after_part,
                   serverpush::part_spec{"image/jpeg", {}, part_size_});
    wire_per_client_ = head_.size() + part_size_ + 2;  // + CRLF trailer
  }
  ~fanout_case() {
    for (int fd : clients_) ::close(fd);
    for (int fd : servers_) ::close(fd);  // those the drivers did not take
  }
  fanout_case(const fanout_case&) = delete;
  fanout_case& operator=(const fanout_case&) = delete;

  bool ok() const { return ok_; }
  const std::vector<int>& servers() const { return servers_; }
  // The drivers own the server ends from now on.
  void hand_over_servers() { servers_.clear(); }
  const std::string& payload() const { return payload_; }
  const std::string& head() const { return head_; }

  // The timed loop: publish(), then wait until every viewer has all of it.
  template <class Publish>
  void run(Publish publish) {
    std::uint64_t delivered = 0;
    fanout_readers readers(clients_);
    const double cpu_before = cpu_seconds();
    for (auto _ : state_) {
      publish();
      delivered += wire_per_client_ * clients_.size();
      readers.wait_for(delivered);
    }
    const double cpu = cpu_seconds() - cpu_before;
    const double deliveries = static_cast<double>(state_.iterations()) * static_cast<double>(clients_.size());
    state_.SetItemsProcessed(state_.iterations() * static_cast<std::int64_t>(clients_.size()));
    state_.SetBytesProcessed(static_cast<std::int64_t>(delivered));
    state_.counters["clients"] = static_cast<double>(clients_.size());
    state_.counters["cpu_ns_per_frame_viewer"] = deliveries > 0 ? cpu * 1e9 / deliveries : 0;
  }

 private:
  benchmark::State& state_;
  std::size_t part_size_;
  std::string payload_;
  std::string head_;
  std::uint64_t wire_per_client_ = 0;
  std::vector<int> clients_;
  std::vector<int> servers_;
  bool ok_ = false;
};

void BM_RawWritevFanout(benchmark::State& state) {
  fanout_case c(state);
  if (!c.ok()) return;
  static const char crlf[] = "\r\n";
  c.run([&] {
    for (int fd : c.servers()) {
      ::iovec iov[3] = {{const_cast<char*>(c.head().data()), c.head().size()},
                        {const_cast<char*>(c.payload().data()), c.payload().size()},
                        {const_cast<char*>(crlf), 2}};
      int first = 0;
      while (first < 3) {
        const ssize_t wrote = ::writev(fd, iov + first, 3 - first);
        if (wrote < 0) {
          if (errno == EINTR) continue;
          return;
        }
        auto left = static_cast<std::size_t>(wrote);
        while (first < 3 && left >= iov[first].iov_len) left -= iov[first++].iov_len;
        if (first < 3) {
          iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
          iov[first].iov_len -= left;
        }
      }
    }
  });
}

void BM_BroadcasterFanout(benchmark::State& state) {
  fanout_case c(state);
  if (!c.ok()) return;
  serverpush::broadcaster_options options;
  options.boundary = bench_boundary;
  serverpush::Broadcaster hub(options);
  for (int fd : c.servers()) hub.add(fd, serverpush::client_options{});
  c.hand_over_servers();
  c.run([&] { hub.publish("image/jpeg", c.payload()); });
  hub.close();
}

#if SERVERPUSH_BENCH_ASIO
void BM_AsioFanout(benchmark::State& state) {
  fanout_case c(state);
  if (!c.ok()) return;
  asio::io_context ioc;
  auto guard = asio::make_work_guard(ioc);
  std::thread io([&] { ioc.run(); });
  {
    serverpush::hub_options options;
    options.boundary = bench_boundary;
    serverpush::asio_broadcaster hub(ioc.get_executor(), options);
    for (int fd : c.servers()) {
      asio::ip::tcp::socket socket(ioc);
      socket.assign(asio::ip::tcp::v4(), fd);
      hub.add(std::move(socket));
    }
    c.hand_over_servers();
    c.run([&] { hub.publish("image/jpeg", c.payload()); });
    std::mutex mu;
    std::condition_variable cv;
    bool drained = false;
    hub.close([&] {
      std::lock_guard<std::mutex> lock(mu);
      drained = true;
      cv.notify_one();
    });
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return drained; });
  }
  guard.reset();
  io.join();
}
#endif

#define SERVERPUSH_FANOUT_ARGS                                     \
  ArgNames({"clients", "part_bytes"})                              \
      ->ArgsProduct({{1, 10, 100, 1000}, {10 * 1024, 100 * 1024}}) \
      ->UseRealTime()                                              \
      ->Unit(benchmark::kMicrosecond)

BENCHMARK(BM_RawWritevFanout)->SERVERPUSH_FANOUT_ARGS;
BENCHMARK(BM_BroadcasterFanout)->SERVERPUSH_FANOUT_ARGS;
#if SERVERPUSH_BENCH_ASIO
BENCHMARK(BM_AsioFanout)->SERVERPUSH_FANOUT_ARGS;
#endif

}  // namespace

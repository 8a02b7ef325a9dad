// Broadcaster fan-out on loopback TCP: parts per second delivered to N
// clients. Each iteration publishes one part and waits until every client has
// read all of it, so no part is skipped and every delivery is counted:
// items = parts x clients, bytes = bytes on the wire (framing included).
// One epoll thread drains every client socket.

#include <serverpush/broadcaster.hpp>

#include <benchmark/benchmark.h>

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

void BM_BroadcasterFanout(benchmark::State& state) {
  const auto clients_wanted = static_cast<std::size_t>(state.range(0));
  const auto part_size = static_cast<std::size_t>(state.range(1));
  raise_fd_limit();

  std::vector<int> clients;
  std::vector<int> servers;
  if (!connect_clients(clients_wanted, clients, servers)) {
    for (int fd : clients) ::close(fd);
    for (int fd : servers) ::close(fd);
    state.SkipWithError("could not open enough loopback connections (RLIMIT_NOFILE?)");
    return;
  }

  serverpush::broadcaster_options options;
  options.boundary = "Zk3qW8xTn2VbR7mLp4sYd9HcF6jG1uQe";
  serverpush::Broadcaster hub(options);
  for (int fd : servers) hub.add(fd, serverpush::client_options{});

  const std::string payload(part_size, 'j');
  std::string head;
  serverpush::framer(hub.boundary())
      .part_head(head, serverpush::stream_position::after_part,
                 serverpush::part_spec{"image/jpeg", {}, part_size});
  const std::uint64_t wire_per_client = head.size() + part_size + 2;  // + CRLF trailer

  std::uint64_t delivered = 0;
  {
    fanout_readers readers(clients);
    for (auto _ : state) {
      hub.publish("image/jpeg", payload);
      delivered += wire_per_client * clients.size();
      readers.wait_for(delivered);
    }
    hub.close();
  }
  for (int fd : clients) ::close(fd);

  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(clients.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(delivered));
  state.counters["clients"] = static_cast<double>(clients.size());
}

BENCHMARK(BM_BroadcasterFanout)
    ->ArgNames({"clients", "part_bytes"})
    ->ArgsProduct({{1, 10, 100, 1000}, {10 * 1024, 100 * 1024}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

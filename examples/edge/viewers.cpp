// serverpush-viewers: N simultaneous viewers of one stream, for measuring
// what an edge (or the demo, or nginx in front of either) sustains. Each
// viewer asks without Sec-Fetch-Dest, so it gets content_length framing, and
// the parts' Serverpush-Timestamp (set by the publisher) gives the latency
// from publish() to the last byte of the part at the viewer (same clock: run
// on one machine or with synchronised clocks).
//
//   serverpush-viewers --url http://127.0.0.1:8080/stream.mjpg --viewers 500 --seconds 10
//
// Prints one line: viewers still connected, parts per viewer per second
// (min, median), the share of published parts each viewer got (min, median;
// from Serverpush-Sequence: the rest were skipped, latest frame wins),
// latency percentiles, and the total rate received.
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <string_view>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

struct viewer {
  int fd = -1;
  bool head_done = false;
  bool open = true;
  std::string header;         // the HTTP head, then each part's header block
  std::size_t body_left = 0;  // payload bytes (plus its CRLF) still to skip
  double stamp = 0;           // Serverpush-Timestamp of the part being read
  long long sequence = -1;    // Serverpush-Sequence of the part being read
  long long first = -1;       // first and last sequence counted
  long long last = -1;
  long long parts = 0;
};

double now_unix() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Value of a header line "Name: value" in a header block, or "".
std::string_view field(std::string_view block, std::string_view name) {
  for (std::size_t at = 0; at < block.size();) {
    const std::size_t eol = std::min(block.find("\r\n", at), block.size());
    const std::string_view line = block.substr(at, eol - at);
    if (line.size() > name.size() + 1 && line.compare(0, name.size(), name) == 0 && line[name.size()] == ':') {
      std::string_view v = line.substr(name.size() + 1);
      while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      return v;
    }
    at = eol + 2;
  }
  return {};
}

// Consumes received bytes; records a latency sample per complete part.
void consume(viewer& v, const char* data, std::size_t size, bool counting, std::vector<double>& latencies) {
  while (size > 0) {
    if (v.body_left > 0) {
      const std::size_t n = std::min(v.body_left, size);
      v.body_left -= n;
      data += n;
      size -= n;
      if (v.body_left == 0 && counting) {
        ++v.parts;
        if (v.stamp > 0) latencies.push_back(now_unix() - v.stamp);
        if (v.first < 0) v.first = v.sequence;
        v.last = v.sequence;
      }
      continue;
    }
    // Header bytes: up to and including the blank line.
    const std::size_t before = v.header.size();
    v.header.append(data, size);
    const std::size_t end = v.header.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
    if (end == std::string::npos) {
      if (v.header.size() > 65536) v.open = false;
      return;
    }
    const std::size_t used = end + 4 - before;
    data += used;
    size -= used;
    const std::string_view block(v.header.data(), end);
    if (!v.head_done) {
      v.head_done = true;
      if (block.compare(0, 12, "HTTP/1.1 200") != 0 && block.compare(0, 12, "HTTP/1.0 200") != 0) v.open = false;
    } else {
      const std::string_view length = field(block, "Content-Length");
      const std::string_view stamp = field(block, "Serverpush-Timestamp");
      const std::string_view sequence = field(block, "Serverpush-Sequence");
      v.sequence = sequence.empty() ? -1 : std::strtoll(std::string(sequence).c_str(), nullptr, 10);
      v.body_left = static_cast<std::size_t>(std::strtoull(std::string(length).c_str(), nullptr, 10)) + 2;
      v.stamp = stamp.empty() ? 0 : std::strtod(std::string(stamp).c_str(), nullptr);
      if (length.empty()) v.open = false;  // not content_length framing
    }
    v.header.clear();
  }
}

double percentile(std::vector<double>& xs, double p) {
  if (xs.empty()) return 0;
  const std::size_t k = std::min(xs.size() - 1, static_cast<std::size_t>(p * static_cast<double>(xs.size())));
  std::nth_element(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(k), xs.end());
  return xs[k];
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int count = 100;
  double seconds = 10;
  double warmup = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--url") url = argv[i + 1];
    else if (name == "--viewers") count = std::atoi(argv[i + 1]);
    else if (name == "--seconds") seconds = std::atof(argv[i + 1]);
    else if (name == "--warmup") warmup = std::atof(argv[i + 1]);
  }
  // http://127.0.0.1:PORT/path
  unsigned port = 0;
  char host[64] = {};
  char path[256] = "/";
  if (count < 1 || std::sscanf(url.c_str(), "http://%63[0-9.]:%u%255s", host, &port, path) < 2) {
    std::fprintf(stderr, "usage: serverpush-viewers --url http://IPV4:PORT/PATH [--viewers N] [--seconds S] [--warmup S]\n");
    return 2;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, host, &addr.sin_addr);
  // HTTP/1.0: a proxy in between passes the body as it is, without chunked coding.
  const std::string request = std::string("GET ") + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n";

  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<viewer> viewers(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < viewers.size(); ++i) {
    viewer& v = viewers[i];
    v.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (v.fd < 0 || ::connect(v.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::send(v.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      std::fprintf(stderr, "viewer %zu: cannot connect: %s\n", i, std::strerror(errno));
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, v.fd, &ev);
  }

  std::vector<double> latencies;
  std::vector<char> buf(1 << 20);
  std::vector<epoll_event> events(256);
  unsigned long long bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto count_from = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(warmup));
  const auto stop = count_from + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(seconds));
  for (auto now = start; now < stop; now = std::chrono::steady_clock::now()) {
    const bool counting = now >= count_from;
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int k = 0; k < n; ++k) {
      viewer& v = viewers[events[static_cast<std::size_t>(k)].data.u64];
      const ssize_t got = ::recv(v.fd, buf.data(), buf.size(), MSG_DONTWAIT);
      if (got > 0) {
        if (counting) bytes += static_cast<unsigned long long>(got);
        consume(v, buf.data(), static_cast<std::size_t>(got), counting, latencies);
      }
      if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) v.open = false;
      if (!v.open) {
        ::epoll_ctl(ep, EPOLL_CTL_DEL, v.fd, nullptr);
      }
    }
  }
  std::vector<double> rates;
  std::vector<double> shares;  // parts received / parts published while counting (from sequence numbers)
  std::size_t open = 0;
  for (viewer& v : viewers) {
    open += v.open ? 1 : 0;
    rates.push_back(static_cast<double>(v.parts) / seconds);
    if (v.first >= 0 && v.last > v.first) {
      shares.push_back(static_cast<double>(v.parts) / static_cast<double>(v.last - v.first + 1));
    }
    ::close(v.fd);
  }
  std::sort(shares.begin(), shares.end());
  if (shares.empty()) shares.push_back(0);
  ::close(ep);
  std::sort(rates.begin(), rates.end());
  std::printf("viewers %d open %zu fps_min %.1f fps_median %.1f delivered_min %.3f delivered_median %.3f "
              "latency_ms_p50 %.2f p90 %.2f p99 %.2f max %.2f "
              "MiB_per_s %.1f\n",
              count, open, rates.front(), rates[rates.size() / 2], shares.front(), shares[shares.size() / 2],
              percentile(latencies, 0.5) * 1e3,
              percentile(latencies, 0.9) * 1e3, percentile(latencies, 0.99) * 1e3,
              percentile(latencies, 1.0) * 1e3, static_cast<double>(bytes) / seconds / (1 << 20));
  return 0;
}

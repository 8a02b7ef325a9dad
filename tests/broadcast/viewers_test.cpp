// Viewers that are not descriptors (a pull source read by the host's
// framework, a callback that takes bytes) and the hooks, on the Broadcaster's
// I/O thread.

#include "loopback.hpp"

namespace {

// Reads a pull source to its end, as a framework's content provider would.
std::string read_to_end(serverpush::pull_source& source) {
  std::string out;
  char buf[1000];
  for (int rounds = 0; rounds < 100000; ++rounds) {
    if (!source.wait(10s)) break;
    std::error_code ec;
    const std::size_t n = source.read(buf, sizeof buf, ec);
    if (n == 0 && !ec) break;
    out.append(buf, n);
  }
  return out;
}

}  // namespace

TEST_CASE("a pull source reads the exact stream, and ends after the close delimiter") {
  Broadcaster hub(loopback_options());
  std::error_code ec;
  auto source = hub.add_pull({framing::content_length, "HEAD\r\n\r\n"}, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(source != nullptr);
  char buf[16];
  std::string wire;
  // Nothing yet but the head: would-block, not the end.
  REQUIRE(source->wait(10s));
  wire.append(buf, source->read(buf, sizeof buf, ec));
  CHECK_FALSE(ec);
  CHECK(source->read(buf, sizeof buf, ec) == 0);
  CHECK(ec == std::errc::operation_would_block);
  CHECK_FALSE(source->done());
  const std::string big(600 * 1024, 'j');  // more than the source's buffer holds
  publish_last_ok(hub, "image/jpeg", big);
  std::thread closer([&] { hub.close(); });
  wire += read_to_end(*source);
  closer.join();
  CHECK(source->done());
  CHECK_FALSE(source->end_reason());
  CHECK(wire == "HEAD\r\n\r\n--LOOPBACK\r\nContent-Type: image/jpeg\r\nContent-Length: 614400\r\n\r\n" +
                    big + "\r\n--LOOPBACK--\r\n");
}

TEST_CASE("a pull source destroyed by its reader removes the viewer") {
  std::atomic<int> removed{0};
  std::error_code why;
  broadcaster_options o = loopback_options();
  o.on_client_removed = [&](const serverpush::client_stats&, std::error_code reason) {
    why = reason;
    ++removed;
  };
  Broadcaster hub(o);
  std::error_code ec;
  auto source = hub.add_pull({}, ec);
  REQUIRE_FALSE(ec);
  publish_ok(hub, "text/plain", "x");
  REQUIRE(eventually([&] { return hub.stats().per_client.size() == 1; }));
  source.reset();
  CHECK(eventually([&] { return removed.load() == 1; }));
  CHECK(why == std::errc::operation_canceled);
  CHECK(hub.stats().clients == 0);
}

TEST_CASE("a callback viewer that takes a few bytes at a time, resumed by the host") {
  Broadcaster hub(loopback_options());
  std::mutex mu;
  std::string wire;
  std::atomic<bool> full{false};
  std::error_code ec;
  const auto id = hub.add_callback(
      [&](const serverpush::const_buffer* bufs, std::size_t count, std::error_code&) -> std::size_t {
        if (full.exchange(true)) return 0;  // full until the host resumes it
        std::lock_guard<std::mutex> lock(mu);
        const std::size_t n = std::min<std::size_t>(bufs[0].size, 7);
        (void)count;
        wire.append(bufs[0].data, n);
        return n;
      },
      {framing::eager_delimiter, ""}, ec);
  REQUIRE_FALSE(ec);
  publish_last_ok(hub, "text/plain", "callback viewer");
  std::thread closer([&] { hub.close(); });
  for (int i = 0; i < 100000 && hub.stats().clients != 0; ++i) {
    full = false;
    hub.resume(id);
    std::this_thread::sleep_for(100us);
  }
  closer.join();
  std::lock_guard<std::mutex> lock(mu);
  CHECK(wire ==
        "--LOOPBACK\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\ncallback viewer\r\n"
        "--LOOPBACK--\r\n");
}

TEST_CASE("on_first_viewer and on_last_viewer: a camera runs only while someone watches") {
  std::atomic<int> starts{0};
  std::atomic<int> stops{0};
  broadcaster_options o = loopback_options();
  o.on_first_viewer = [&] { ++starts; };
  o.on_last_viewer = [&] { ++stops; };
  Broadcaster hub(o);
  listener l;
  for (int round = 1; round <= 2; ++round) {
    const auto a = l.connect_pair();
    const auto b = l.connect_pair();
    add_ok(hub, a.second);
    add_ok(hub, b.second);
    CHECK(eventually([&] { return starts.load() == round; }));
    ::close(a.first);
    ::close(b.first);
    CHECK(eventually([&] {
      publish_ok(hub, "text/plain", "frame");  // the writes find them gone
      return stops.load() == round;
    }));
    CHECK(starts.load() == round);
  }
}

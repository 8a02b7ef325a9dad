// The Broadcaster against host mistakes and misbehaving viewers (issue #9):
// the same fd added twice, a socket switched back to blocking, a viewer that
// never reads with stall_timeout = 0, half-closed viewers, regular files, and
// the memory budget for frames pinned by stalled viewers.

#include "loopback.hpp"

#include <cstdio>
#include <future>

namespace {

// Runs f on its own thread and reports whether it returned within the limit.
// The limit only stops a hung test; `unstick` then frees the thread.
template <class F, class U>
bool returns_within(std::chrono::seconds limit, F f, U unstick) {
  auto done = std::async(std::launch::async, f);
  if (done.wait_for(limit) == std::future_status::ready) return true;
  unstick();
  done.wait();
  return false;
}

}  // namespace

TEST_CASE("the same fd added twice: the duplicate is refused and the fd left to its viewer") {
  listener l;
  Broadcaster hub(loopback_options());
  const auto [client, server] = l.connect_pair();
  add_ok(hub, server, {framing::content_length, ""});
  std::error_code ec;
  CHECK(hub.add(server, {framing::content_length, ""}, ec) == 0);
  CHECK(ec == serverpush::errc::viewer_already_added);
  CHECK(::fcntl(server, F_GETFD) != -1);  // still open: it belongs to the first viewer
  publish_last_ok(hub, "text/plain", "x");
  hub.close();
  CHECK(read_all(client) ==
        "--LOOPBACK\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx\r\n--LOOPBACK--\r\n");
  ::close(client);
}

TEST_CASE("a socket the host switched back to blocking never blocks the hub's shutdown") {
  listener l;
  Broadcaster hub(loopback_options());
  const auto [client, server] = l.connect_pair();
  add_ok(hub, server, {framing::content_length, ""});
  publish_last_ok(hub, "text/plain", "x");
  REQUIRE(eventually([&] {
    const auto s = hub.stats();
    return !s.per_client.empty() && s.per_client[0].parts_sent == 1;
  }));
  // The host's mistake: the fd is the hub's, but its flags are changed under it.
  ::fcntl(server, F_SETFL, ::fcntl(server, F_GETFL) & ~O_NONBLOCK);
  const int reader = client;  // structured bindings cannot be captured in C++17
  CHECK(returns_within(20s, [&] { hub.close(); }, [reader] { ::shutdown(reader, SHUT_WR); }));
  ::close(client);
}

TEST_CASE("stall_timeout = 0: close() and the destructor are bounded by close_grace") {
  listener l;
  broadcaster_options o = loopback_options();
  o.stall_timeout = 0ms;  // never drop a stalled viewer while the stream runs
  o.close_grace = 200ms;
  auto hub = std::make_unique<Broadcaster>(o);
  const auto [client, server] = l.connect_pair(4096, 4096);
  add_ok(*hub, server, {framing::content_length, ""});
  publish_ok(*hub, "application/octet-stream", std::string(4 << 20, 'z'));  // never read
  int reader = client;  // closing it with unread data resets the connection
  CHECK(returns_within(20s, [&] { hub.reset(); }, [&reader] { ::close(std::exchange(reader, -1)); }));
  if (reader >= 0) ::close(reader);
}

TEST_CASE("a half-closed viewer (request sent, then SHUT_WR) still gets the whole stream") {
  listener l;
  Broadcaster hub(loopback_options());
  const auto [client, server] = l.connect_pair();
  const std::string request = "GET / HTTP/1.1\r\n\r\n";
  REQUIRE(::write(client, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  REQUIRE(::shutdown(client, SHUT_WR) == 0);
  bound_reads(client);
  add_ok(hub, server, {framing::content_length, "HEAD\r\n\r\n"});
  // The end of its input is on the socket before the hub sees it.
  REQUIRE(eventually([&] { return hub.stats().per_client.size() == 1; }));
  publish_ok(hub, "text/plain", "one");
  publish_last_ok(hub, "text/plain", "two");
  hub.close();
  const std::string wire = read_all(client);
  ::close(client);
  REQUIRE(wire.compare(0, 8, "HEAD\r\n\r\n") == 0);
  const auto parsed = test::parse_multipart(std::string_view(wire).substr(8), "LOOPBACK");
  REQUIRE(parsed.error.empty());
  CHECK(parsed.closed);
  REQUIRE_FALSE(bodies_of(parsed).empty());
  CHECK(bodies_of(parsed).back() == "two");
}

TEST_CASE("add() of a regular file is refused with not_a_stream and the fd closed") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  const int fd = ::dup(::fileno(file));
  std::fclose(file);
  Broadcaster hub(loopback_options());
  std::error_code ec;
  CHECK(hub.add(fd, {}, ec) == 0);
  CHECK(ec == serverpush::errc::not_a_stream);
  CHECK(::fcntl(fd, F_GETFD) == -1);
  CHECK(hub.stats().clients == 0);
}

// The Broadcaster on 127.0.0.1 TCP sockets: many clients, slow and vanishing
// clients, finite streams, limits. Waits are bounded by counts of rounds or
// polls, never asserted on time.

#include "loopback.hpp"

TEST_CASE("1000 concurrent clients each receive a valid stream") {
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  // Two descriptors per client (both ends live in this process), plus spare.
  std::size_t clients = 1000;
  const std::size_t room = limit.rlim_cur > 64 ? (limit.rlim_cur - 64) / 2 : 0;
  if (room < clients) {
    MESSAGE("RLIMIT_NOFILE allows only " << room << " clients instead of 1000");
    clients = room;
  }
  REQUIRE(clients > 0);

  listener l;
  const int fds_before = open_fd_count();
  std::vector<int> readers;
  {
    Broadcaster hub(loopback_options());
    for (std::size_t i = 0; i < clients; ++i) {
      const auto [client, server] = l.connect_pair();
      readers.push_back(client);
      const framing f = static_cast<framing>(i % 3);
      add_ok(hub, server, client_options{f, http_head});
    }
    publish_ok(hub, "image/jpeg", std::string(1000, 'a'));
    publish_ok(hub, "image/jpeg", std::string(1000, 'b'));
    publish_last_ok(hub, "image/jpeg", std::string(1000, 'c'));
    // Parts this small fit the socket buffers: close() completes without readers.
    hub.close();
    CHECK(hub.stats().clients == 0);
  }
  std::size_t valid = 0;
  for (int fd : readers) {
    const std::string wire = read_all(fd);
    ::close(fd);
    if (wire.compare(0, http_head.size(), http_head) != 0) continue;
    const auto parsed = test::parse_multipart(std::string_view(wire).substr(http_head.size()), "LOOPBACK");
    if (!parsed.error.empty() || !parsed.closed) continue;
    const auto bodies = bodies_of(parsed);
    if (bodies.empty() || bodies.back() != std::string(1000, 'c')) continue;
    ++valid;
  }
  CHECK(valid == clients);
  CHECK(open_fd_count() == fds_before);
}

TEST_CASE("a client that stops reading does not stop one that reads") {
  listener l;
  std::atomic<int> removed{0};
  broadcaster_options o = loopback_options();
  o.on_client_removed = [&](const serverpush::client_stats&, std::error_code) { ++removed; };
  o.stall_timeout = 600s;  // the slow client is kept, not dropped, during the test
  Broadcaster hub(o);
  const auto [slow_client, slow_server] = l.connect_pair(4096, 4096);
  const auto [fast_client, fast_server] = l.connect_pair();
  bound_reads(fast_client);
  const auto slow_id = add_ok(hub, slow_server, {framing::content_length, ""});
  add_ok(hub, fast_server, {framing::content_length, ""});

  constexpr int parts = 12;
  const std::size_t part_size = 256 * 1024;
  std::string received;
  std::size_t expected = 0;
  int complete = 0;
  char buf[65536];
  for (int i = 0; i < parts; ++i) {
    const std::string payload(part_size, static_cast<char>('A' + i));
    publish_ok(hub, "application/octet-stream", payload);
    // Read until part i is whole on the fast client.
    expected += std::string("--LOOPBACK\r\nContent-Type: application/octet-stream\r\n"
                            "Content-Length: 262144\r\n\r\n").size() +
                part_size + 2;
    while (received.size() < expected) {
      const ssize_t got = ::read(fast_client, buf, sizeof buf);
      REQUIRE(got > 0);
      received.append(buf, static_cast<std::size_t>(got));
    }
    ++complete;
  }
  CHECK(complete == parts);

  std::uint64_t slow_sent = 0;
  std::uint64_t slow_skipped = 0;
  for (const auto& c : hub.stats().per_client) {
    if (c.id == slow_id) {
      slow_sent = c.parts_sent;
      slow_skipped = c.parts_skipped;
    }
  }
  CHECK(slow_sent < static_cast<std::uint64_t>(parts));
  CHECK(slow_skipped > 0);

  // The slow viewer leaves; the broadcaster notices and lets it go.
  ::close(slow_client);
  CHECK(eventually([&] { return removed.load() == 1; }));
  hub.close();
  const std::string rest = read_all(fast_client);
  ::close(fast_client);
  const auto parsed = test::parse_multipart(received + rest, "LOOPBACK");
  REQUIRE(parsed.error.empty());
  CHECK(parsed.closed);
  CHECK(bodies_of(parsed).size() == static_cast<std::size_t>(parts));
}

TEST_CASE("clients that disconnect mid-part are removed and their fds closed") {
  listener l;
  const int fds_before = open_fd_count();
  {
    std::atomic<int> removed{0};
    std::atomic<int> with_error{0};
    broadcaster_options o = loopback_options();
    o.on_client_removed = [&](const serverpush::client_stats&, std::error_code reason) {
      ++removed;
      if (reason) ++with_error;
    };
    Broadcaster hub(o);
    std::vector<int> clients;
    for (int i = 0; i < 50; ++i) {
      const auto [client, server] = l.connect_pair(8192, 8192);
      clients.push_back(client);
      add_ok(hub, server, {static_cast<framing>(i % 3), http_head});
    }
    publish_ok(hub, "image/jpeg", std::string(1 << 20, 'x'));
    for (int fd : clients) {
      // Read a little of the part, then vanish with unread data (a reset).
      char buf[100];
      REQUIRE(::read(fd, buf, sizeof buf) > 0);
      ::close(fd);
    }
    CHECK(eventually([&] { return removed.load() == 50; }));
    CHECK(with_error.load() == 50);
    CHECK(hub.stats().clients == 0);
    CHECK(hub.stats().per_client.empty());
    publish_ok(hub, "image/jpeg", "after");  // nobody left: nothing breaks
  }
  CHECK(open_fd_count() == fds_before);
}

TEST_CASE("fds return to the starting level after clients leave") {
  listener l;
  const int fds_before = open_fd_count();
  {
    Broadcaster hub(loopback_options());
    const int with_hub = open_fd_count();
    std::atomic<int> left{0};
    for (int round = 0; round < 3; ++round) {
      std::vector<int> clients;
      for (int i = 0; i < 20; ++i) {
        const auto [client, server] = l.connect_pair();
        clients.push_back(client);
        add_ok(hub, server, {framing::announce_next, ""});
      }
      publish_ok(hub, "image/jpeg", "frame");
      CHECK(eventually([&] { return hub.stats().clients == 20; }));
      for (int fd : clients) ::close(fd);  // orderly EOF, nothing in flight
      // End of input is not a disconnect (a half-closed viewer still reads):
      // the next parts find the sockets gone.
      CHECK(eventually([&] {
        publish_ok(hub, "image/jpeg", "frame");
        return hub.stats().clients == 0;
      }));
      CHECK(eventually([&] { return open_fd_count() == with_hub; }));
      ++left;
    }
    CHECK(left == 3);
  }
  CHECK(open_fd_count() == fds_before);
}

TEST_CASE("finite stream: exactly the published parts, the close delimiter, then EOF") {
  listener l;
  Broadcaster hub(loopback_options());
  std::vector<int> clients;
  for (int i = 0; i < 3; ++i) {
    const auto [client, server] = l.connect_pair();
    clients.push_back(client);
    add_ok(hub, server, {static_cast<framing>(i), http_head});
  }
  auto all_sent = [&](std::uint64_t n) {
    return eventually([&] {
      const auto s = hub.stats();
      if (s.per_client.size() != 3) return false;
      for (const auto& c : s.per_client) {
        if (c.parts_sent != n) return false;
      }
      return true;
    });
  };
  // Waiting between parts, as a slide show does, so no client skips one.
  publish_ok(hub, "text/html", "<h1>First Page</h1>");
  REQUIRE(all_sent(1));
  publish_ok(hub, "text/html", "<h1>Second Page</h1>");
  REQUIRE(all_sent(2));
  publish_last_ok(hub, "text/html", "<h1>Third Page</h1>");
  hub.close();
  std::error_code ec;
  hub.publish("text/html", "late", ec);
  CHECK(ec == serverpush::errc::stream_closed);

  for (int i = 0; i < 3; ++i) {
    const std::string wire = read_all(clients[static_cast<std::size_t>(i)]);
    ::close(clients[static_cast<std::size_t>(i)]);
    REQUIRE(wire.compare(0, http_head.size(), http_head) == 0);
    const auto parsed = test::parse_multipart(std::string_view(wire).substr(http_head.size()), "LOOPBACK");
    REQUIRE(parsed.error.empty());
    CHECK(parsed.closed);
    // Exactly three parts, no filler: the last part left without early bytes.
    REQUIRE(parsed.parts.size() == 3);
    CHECK(parsed.parts[0].body == "<h1>First Page</h1>");
    CHECK(parsed.parts[1].body == "<h1>Second Page</h1>");
    CHECK(parsed.parts[2].body == "<h1>Third Page</h1>");
    CHECK(wire.substr(wire.size() - 25) == "Page</h1>\r\n--LOOPBACK--\r\n");
  }
}

TEST_CASE("content_length framing on the wire, byte-exact") {
  listener l;
  Broadcaster hub(loopback_options());
  const auto [client, server] = l.connect_pair();
  add_ok(hub, server, {framing::content_length, "HEAD\r\n\r\n"});
  const serverpush::header extra[] = {{"X-Frame", "1"}};
  publish_ok(hub, "image/jpeg", "JPEG", extra);
  hub.close();
  CHECK(read_all(client) ==
        "HEAD\r\n\r\n--LOOPBACK\r\nContent-Type: image/jpeg\r\nContent-Length: 4\r\n"
        "X-Frame: 1\r\n\r\nJPEG\r\n--LOOPBACK--\r\n");
  ::close(client);
}

TEST_CASE("publish rejects bad input with a precise error and sends nothing") {
  listener l;
  Broadcaster hub(loopback_options());
  const auto [client, server] = l.connect_pair();
  add_ok(hub, server, {framing::content_length, ""});
  std::error_code ec;
  hub.publish("image jpeg", "x", ec);
  CHECK(ec == serverpush::errc::content_type_invalid);
  const serverpush::header injected[] = {{"X-A", "1\r\nX-Forged: 2"}};
  hub.publish("image/jpeg", "x", injected, ec);
  CHECK(ec == serverpush::errc::header_value_invalid);
  const serverpush::header reserved[] = {{"Content-Length", "3"}};
  hub.publish("image/jpeg", "x", reserved, ec);
  CHECK(ec == serverpush::errc::header_reserved);
  hub.publish("text/plain", "a\r\n--LOOPBACK\r\nb", ec);
  CHECK(ec == serverpush::errc::payload_contains_delimiter);
  CHECK(hub.stats().parts_published == 0);
  hub.publish_last("text/plain", "ok", ec);
  CHECK_FALSE(ec);
  hub.publish("text/plain", "more", ec);
  CHECK(ec == serverpush::errc::stream_closed);
  hub.close();
  CHECK(read_all(client) ==
        "--LOOPBACK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok\r\n--LOOPBACK--\r\n");
  ::close(client);
}

TEST_CASE("max_clients: one more is refused with too_many_clients and its fd closed") {
  listener l;
  broadcaster_options o = loopback_options();
  o.max_clients = 2;
  Broadcaster hub(o);
  std::vector<int> clients;
  std::error_code ec;
  for (int i = 0; i < 2; ++i) {
    const auto [client, server] = l.connect_pair();
    clients.push_back(client);
    CHECK(hub.add(server, {}, ec) != 0);
    CHECK_FALSE(ec);
  }
  const auto [extra_client, extra_server] = l.connect_pair();
  CHECK(hub.add(extra_server, {}, ec) == 0);
  CHECK(ec == serverpush::errc::too_many_clients);
  CHECK(::fcntl(extra_server, F_GETFD) == -1);
  CHECK(read_all(extra_client).empty());  // EOF: the refused client was closed
  ::close(extra_client);
  CHECK(hub.stats().clients == 2);
#if SERVERPUSH_HAS_EXCEPTIONS
  const auto [thrown_client, thrown_server] = l.connect_pair();
  CHECK_THROWS_AS(hub.add(thrown_server), std::system_error);
  ::close(thrown_client);
#endif
  hub.close();
  const auto [late_client, late_server] = l.connect_pair();
  CHECK(hub.add(late_server, {}, ec) == 0);
  CHECK(ec == serverpush::errc::stream_closed);
  ::close(late_client);
  for (int fd : clients) ::close(fd);
}

TEST_CASE("a client that accepts no byte for stall_timeout is dropped") {
  listener l;
  std::mutex mu;
  std::vector<std::error_code> reasons;
  broadcaster_options o = loopback_options();
  o.stall_timeout = 200ms;
  o.on_client_removed = [&](const serverpush::client_stats&, std::error_code reason) {
    std::lock_guard<std::mutex> lock(mu);
    reasons.push_back(reason);
  };
  Broadcaster hub(o);
  const auto [client, server] = l.connect_pair(4096, 4096);
  add_ok(hub, server, {});
  publish_ok(hub, "application/octet-stream", std::string(4 << 20, 'z'));
  CHECK(eventually([&] {
    std::lock_guard<std::mutex> lock(mu);
    return reasons.size() == 1;
  }));
  {
    std::lock_guard<std::mutex> lock(mu);
    REQUIRE(reasons.size() == 1);
    CHECK(reasons[0] == std::errc::timed_out);
  }
  ::close(client);
}

TEST_CASE("resend_interval re-sends the newest part to an idle client") {
  listener l;
  broadcaster_options o = loopback_options();
  o.resend_interval = 20ms;
  Broadcaster hub(o);
  const auto [client, server] = l.connect_pair();
  bound_reads(client);
  add_ok(hub, server, {framing::announce_next, ""});
  publish_ok(hub, "image/jpeg", "FRAME");
  std::string wire;
  char buf[4096];
  auto copies = [&] {
    std::size_t n = 0;
    for (std::size_t at = wire.find("FRAME"); at != std::string::npos; at = wire.find("FRAME", at + 1)) ++n;
    return n;
  };
  while (copies() < 3) {
    const ssize_t got = ::read(client, buf, sizeof buf);
    REQUIRE(got > 0);
    wire.append(buf, static_cast<std::size_t>(got));
  }
  hub.close();
  wire += read_all(client);
  ::close(client);
  const auto parsed = test::parse_multipart(wire, "LOOPBACK");
  REQUIRE(parsed.error.empty());
  CHECK(parsed.closed);
  const auto bodies = bodies_of(parsed);
  CHECK(bodies.size() >= 3);
  for (const auto& b : bodies) CHECK(b == "FRAME");
}

TEST_CASE("caller-driven mode: run_once does the I/O, close() drives it to the end") {
  listener l;
  broadcaster_options o = loopback_options();
  o.start_thread = false;
  Broadcaster hub(o);
  const auto [client, server] = l.connect_pair();
  add_ok(hub, server, {framing::eager_delimiter, ""});
  publish_ok(hub, "text/plain", "one");
  for (int i = 0; i < 1000 && hub.stats().per_client.empty(); ++i) hub.run_once(10ms);
  for (int i = 0; i < 1000; ++i) {
    const auto s = hub.stats();
    if (!s.per_client.empty() && s.per_client[0].parts_sent == 1) break;
    hub.run_once(10ms);
  }
  publish_last_ok(hub, "text/plain", "two");
  hub.close();
  const std::string wire = read_all(client);
  ::close(client);
  const auto parsed = test::parse_multipart(wire, "LOOPBACK");
  REQUIRE(parsed.error.empty());
  CHECK(parsed.closed);
  CHECK(bodies_of(parsed) == std::vector<std::string>{"one", "two"});
  CHECK(parsed.parts.size() == 2);
}

TEST_CASE("a random boundary by default; content_type names it") {
  Broadcaster hub;
  CHECK(hub.boundary().size() == serverpush::generated_boundary_size);
  CHECK(hub.content_type() == "multipart/x-mixed-replace; boundary=" + std::string(hub.boundary()));
  broadcaster_options bad;
  bad.boundary = "bad\r\nboundary";
  std::error_code ec;
  Broadcaster refused(bad, ec);
  CHECK(ec == serverpush::errc::boundary_invalid_char);
  refused.publish("text/plain", "x", ec);
  CHECK(ec == serverpush::errc::boundary_invalid_char);
}

TEST_CASE("publish, add and stats from several threads at once") {
  listener l;
  Broadcaster hub(loopback_options());
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < 24; ++i) pairs.push_back(l.connect_pair());
  std::atomic<bool> go{false};
  auto publisher = [&](char tag) {
    while (!go) std::this_thread::yield();
    for (int i = 0; i < 200; ++i) {
      publish_ok(hub, "text/plain", std::string(1, tag) + "-" + std::to_string(i));
    }
  };
  std::thread first(publisher, 'a');
  std::thread second(publisher, 'b');
  std::thread adder([&] {
    while (!go) std::this_thread::yield();
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      add_ok(hub, pairs[i].second, {static_cast<framing>(i % 3), ""});
    }
  });
  std::thread watcher([&] {
    while (!go) std::this_thread::yield();
    for (int i = 0; i < 200; ++i) CHECK(hub.stats().clients <= pairs.size());
  });
  go = true;
  first.join();
  second.join();
  adder.join();
  watcher.join();
  CHECK(hub.stats().parts_published == 400);
  hub.close();
  for (const auto& p : pairs) {
    const std::string wire = read_all(p.first);
    ::close(p.first);
    const auto parsed = test::parse_multipart(wire, "LOOPBACK");
    CHECK(parsed.error.empty());
    CHECK(parsed.closed);
    CHECK_FALSE(bodies_of(parsed).empty());
  }
}

TEST_CASE("close() from on_client_removed asks for the close without waiting") {
  listener l;
  Broadcaster* self = nullptr;
  std::atomic<int> removed{0};
  broadcaster_options o = loopback_options();
  o.on_client_removed = [&](const serverpush::client_stats&, std::error_code) {
    ++removed;
    self->close();
  };
  Broadcaster hub(o);
  self = &hub;
  const auto first = l.connect_pair();
  const auto second = l.connect_pair();
  add_ok(hub, first.second);
  add_ok(hub, second.second);
  publish_ok(hub, "text/plain", "x");
  ::close(first.first);  // its removal closes the stream for the other one
  const auto parsed = test::parse_multipart(read_all(second.first), "LOOPBACK");
  ::close(second.first);
  CHECK(parsed.error.empty());
  CHECK(parsed.closed);
  CHECK(eventually([&] { return removed.load() == 2; }));
}

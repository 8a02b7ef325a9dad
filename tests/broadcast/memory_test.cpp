// The Broadcaster's memory returns to its starting level after clients leave:
// every heap block it allocated for them (client state, queued parts) is freed.
// Counted with the tests' operator new replacement, so no allocator statistics
// or timing are involved.

#include "alloc_counter.hpp"
#include "loopback.hpp"

namespace {

// One round: 20 viewers join, receive parts mid-flight and leave.
void viewers_come_and_go(listener& l, Broadcaster& hub, int round) {
  std::vector<int> clients;
  for (int i = 0; i < 20; ++i) {
    const auto [client, server] = l.connect_pair();
    clients.push_back(client);
    const framing f = i % 3 == 0   ? framing::content_length
                      : i % 3 == 1 ? framing::eager_delimiter
                                   : framing::announce_next;
    add_ok(hub, server, {f, http_head});
  }
  const std::string frame(64 * 1024, static_cast<char>('a' + round));
  for (int part = 0; part < 5; ++part) publish_ok(hub, "image/jpeg", frame);
  REQUIRE(eventually([&] { return hub.stats().clients == 20; }));
  for (int fd : clients) ::close(fd);  // leave with parts still queued
  REQUIRE(eventually([&] { return hub.stats().clients == 0; }));
}

}  // namespace

TEST_CASE("heap blocks return to their starting level after viewers leave") {
  listener l;
  Broadcaster hub(loopback_options());
  // The first round grows the hub's own tables to their working size.
  viewers_come_and_go(l, hub, 0);
  REQUIRE(eventually([&] { return hub.stats().bytes_queued == 0; }));
  const long settled = serverpush::test::live_allocations();
  for (int round = 1; round <= 3; ++round) {
    viewers_come_and_go(l, hub, round);
    CHECK(eventually([&] { return serverpush::test::live_allocations() <= settled; }));
    CHECK(hub.stats().bytes_queued == 0);
  }
}

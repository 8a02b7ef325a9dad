// The sans-I/O hub with a fake clock: hooks, the per-viewer fps cap, the
// source-offline policy, stalls, the close grace, X-Timestamp and the memory
// budget for pinned parts. No socket, no thread, no sleep.

#include "testing.hpp"

#include "multipart_reader.hpp"

#include <serverpush/hub/hub.hpp>

#include <string>
#include <vector>

using namespace std::chrono_literals;
using serverpush::client_id;
using serverpush::client_options;
using serverpush::framing;
using serverpush::hub;
using serverpush::hub_event;
using serverpush::hub_event_kind;
using serverpush::hub_options;

namespace {

const hub::clock::time_point t0{};

hub_options with_boundary() {
  hub_options o;
  o.boundary = "HUB";
  return o;
}

// Sends everything the viewer is owed, at most `limit` bytes.
std::string drain(hub& h, client_id id, hub::clock::time_point now, std::size_t limit = ~std::size_t{0}) {
  std::string out;
  while (out.size() < limit) {
    const auto bufs = h.prepare(id);
    if (bufs.empty()) break;
    std::size_t took = 0;
    for (const auto& b : bufs) {
      const std::size_t n = std::min(b.size, limit - out.size());
      out.append(b.data, n);
      took += n;
      if (n < b.size) break;
    }
    h.consume(id, took, now);
  }
  return out;
}

// Bodies of a content_length stream cut anywhere between parts (the close
// delimiter is added when missing).
std::vector<std::string> bodies(std::string wire) {
  const std::string close = "--HUB--\r\n";
  if (wire.size() < close.size() || wire.compare(wire.size() - close.size(), close.size(), close) != 0) {
    wire += close;
  }
  const auto parsed = test::parse_multipart(wire, "HUB");
  std::vector<std::string> out;
  for (const auto& p : parsed.parts) {
    if (!p.body.empty()) out.push_back(p.body);
  }
  return out;
}

void publish(hub& h, std::string_view payload, hub::clock::time_point now) {
  std::error_code ec;
  h.publish("text/plain", payload, {}, now, ec);
  REQUIRE_FALSE(ec);
}

client_id add(hub& h, client_options o, hub::clock::time_point now) {
  std::error_code ec;
  const client_id id = h.add(std::move(o), now, ec);
  REQUIRE_FALSE(ec);
  return id;
}

std::vector<hub_event> events(hub& h) {
  std::vector<hub_event> out;
  h.take_events(out);
  return out;
}

}  // namespace

TEST_CASE("first and last viewer events frame the viewers' comings and goings") {
  std::error_code ec;
  hub h(with_boundary(), ec, t0);
  REQUIRE_FALSE(ec);
  const client_id a = add(h, {}, t0);
  const client_id b = add(h, {}, t0);
  auto e = events(h);
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == hub_event_kind::first_viewer);
  h.fail(a, std::make_error_code(std::errc::connection_reset));
  e = events(h);
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == hub_event_kind::removed);
  CHECK(e[0].viewer.id == a);
  CHECK(e[0].reason == std::errc::connection_reset);
  h.fail(b, std::make_error_code(std::errc::broken_pipe));
  e = events(h);
  REQUIRE(e.size() == 2);
  CHECK(e[1].kind == hub_event_kind::last_viewer);
  h.release(a);
  h.release(b);
  add(h, {}, t0);
  e = events(h);
  REQUIRE(e.size() == 1);
  CHECK(e[0].kind == hub_event_kind::first_viewer);
}

TEST_CASE("fps cap: a 2 fps viewer gets the newest part every 500 ms beside a full-rate one") {
  std::error_code ec;
  hub h(with_boundary(), ec, t0);
  client_options thumb;
  thumb.max_fps = 2;
  const client_id full = add(h, {}, t0);
  const client_id capped = add(h, thumb, t0);
  std::string full_wire, capped_wire;
  for (int i = 0; i < 10; ++i) {
    const auto now = t0 + i * 100ms;
    h.tick(now);
    publish(h, "p" + std::to_string(i), now);
    full_wire += drain(h, full, now);
    capped_wire += drain(h, capped, now);
  }
  h.tick(t0 + 1000ms);  // the cap lets the newest held part go
  capped_wire += drain(h, capped, t0 + 1000ms);
  CHECK(h.next_deadline() == hub::clock::time_point::max());  // nothing waiting, nothing held
  CHECK(bodies(full_wire) ==
        std::vector<std::string>{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"});
  // p4 leaves at 500 ms (the tick before p5), p9 at 1000 ms.
  CHECK(bodies(capped_wire) == std::vector<std::string>{"p0", "p4", "p9"});
  CHECK(h.stats(capped).parts_skipped == 7);
}

TEST_CASE("fps cap: the deadline says when the held part may go") {
  std::error_code ec;
  hub h(with_boundary(), ec, t0);
  client_options thumb;
  thumb.max_fps = 4;
  const client_id v = add(h, thumb, t0);
  publish(h, "a", t0);
  drain(h, v, t0);
  publish(h, "b", t0 + 10ms);
  CHECK(h.prepare(v).empty());
  CHECK(h.next_deadline() == t0 + 250ms);
  h.tick(t0 + 250ms);
  CHECK(bodies(drain(h, v, t0 + 250ms)) == std::vector<std::string>{"b"});
}

TEST_CASE("offline policy: repeat the last part every `after`") {
  hub_options o = with_boundary();
  o.offline.after = 2s;
  o.offline.action = serverpush::offline_action::repeat_last;
  std::error_code ec;
  hub h(o, ec, t0);
  const client_id v = add(h, {framing::announce_next, ""}, t0);
  publish(h, "frame", t0);
  std::string wire = drain(h, v, t0);
  CHECK(h.next_deadline() == t0 + 2s);
  h.tick(t0 + 1s);
  CHECK(h.prepare(v).empty());
  h.tick(t0 + 2s);
  wire += drain(h, v, t0 + 2s);
  h.tick(t0 + 4s);
  wire += drain(h, v, t0 + 4s);
  CHECK(wire ==
        "--HUB\r\nContent-Type: text/plain\r\n\r\n"
        "frame\r\n--HUB\r\nContent-Type: text/plain\r\n\r\n"
        "frame\r\n--HUB\r\nContent-Type: text/plain\r\n\r\n"
        "frame\r\n--HUB\r\nContent-Type: text/plain\r\n\r\n");
}

TEST_CASE("offline policy: a placeholder part once, then the source takes over again") {
  hub_options o = with_boundary();
  o.offline.after = 3s;
  o.offline.action = serverpush::offline_action::placeholder;
  o.offline.placeholder_type = "image/jpeg";
  o.offline.placeholder = "OFFLINE";
  std::error_code ec;
  hub h(o, ec, t0);
  REQUIRE_FALSE(ec);
  const client_id v = add(h, {}, t0);
  publish(h, "live", t0);
  std::string wire = drain(h, v, t0);
  h.tick(t0 + 3s);
  wire += drain(h, v, t0 + 3s);
  h.tick(t0 + 9s);  // once only
  wire += drain(h, v, t0 + 9s);
  publish(h, "back", t0 + 10s);
  wire += drain(h, v, t0 + 10s);
  CHECK(bodies(wire) == std::vector<std::string>{"live", "OFFLINE", "back"});
  const auto parsed = test::parse_multipart(wire + "--HUB--\r\n", "HUB");
  REQUIRE(parsed.parts.size() == 3);
  CHECK(parsed.parts[1].content_type == "image/jpeg");
  CHECK(h.parts_published() == 2);  // the placeholder is not the source's
}

TEST_CASE("offline policy: an invalid placeholder is refused at construction") {
  hub_options o = with_boundary();
  o.offline.after = 3s;
  o.offline.action = serverpush::offline_action::placeholder;
  o.offline.placeholder_type = "image jpeg";
  std::error_code ec;
  hub h(o, ec, t0);
  CHECK(ec == serverpush::errc::content_type_invalid);
  h.add({}, t0, ec);
  CHECK(ec == serverpush::errc::content_type_invalid);
}

TEST_CASE("offline policy: end every stream; the offline clock runs only while someone watches") {
  hub_options o = with_boundary();
  o.offline.after = 5s;
  o.offline.action = serverpush::offline_action::end_stream;
  std::error_code ec;
  hub h(o, ec, t0);
  const client_id v = add(h, {framing::announce_next, "H"}, t0);
  publish(h, "last-seen", t0);
  std::string wire = drain(h, v, t0);
  h.tick(t0 + 5s);
  wire += drain(h, v, t0 + 5s);
  CHECK(wire ==
        "H--HUB\r\nContent-Type: text/plain\r\n\r\n"
        "last-seen\r\n--HUB\r\nContent-Type: text/plain\r\n\r\n"
        "\r\n--HUB--\r\n");
  auto e = events(h);
  REQUIRE(e.size() == 3);
  CHECK(e[1].kind == hub_event_kind::removed);
  CHECK_FALSE(e[1].reason);  // a clean end: the page reconnects
  h.release(v);
  // Nobody watches: no deadline. A viewer reconnecting at 60 s gets the last
  // part and `after` for the source (started by on_first_viewer) to deliver.
  CHECK(h.next_deadline() == hub::clock::time_point::max());
  const client_id back = add(h, {framing::content_length, ""}, t0 + 60s);
  const client_id joining = add(h, {framing::content_length, ""}, t0 + 61s);
  CHECK(bodies(drain(h, back, t0 + 60s)) == std::vector<std::string>{"last-seen"});
  drain(h, joining, t0 + 61s);
  CHECK(h.next_deadline() == t0 + 65s);
  h.tick(t0 + 65s);
  CHECK(drain(h, back, t0 + 65s) == "--HUB--\r\n");
  // Joining while it is offline and others watch: ended at once.
  const client_id late = add(h, {framing::content_length, "H"}, t0 + 65s);
  CHECK(drain(h, late, t0 + 65s) == "H--HUB--\r\n");
  publish(h, "fresh", t0 + 66s);
  const client_id again = add(h, {framing::content_length, ""}, t0 + 66s);
  CHECK(bodies(drain(h, again, t0 + 66s)) == std::vector<std::string>{"fresh"});
}

TEST_CASE("a viewer with bytes waiting and none taken for stall_timeout is removed") {
  hub_options o = with_boundary();
  o.stall_timeout = 10s;
  std::error_code ec;
  hub h(o, ec, t0);
  const client_id slow = add(h, {}, t0);
  const client_id idle = add(h, {}, t0);
  publish(h, std::string(100, 'x'), t0);
  drain(h, idle, t0);
  drain(h, slow, t0 + 1s, 10);  // some progress at 1 s, then nothing
  CHECK(h.next_deadline() == t0 + 11s);
  h.tick(t0 + 10s);
  CHECK(h.contains(slow));
  h.tick(t0 + 11s);
  CHECK_FALSE(h.contains(slow));
  CHECK(h.contains(idle));  // nothing waiting: not stalled
  auto e = events(h);
  REQUIRE(e.size() == 2);
  CHECK(e[1].viewer.id == slow);
  CHECK(e[1].reason == std::errc::timed_out);
}

TEST_CASE("stall_timeout = 0 never stalls, and close_grace still bounds close") {
  hub_options o = with_boundary();
  o.stall_timeout = 0ms;
  o.close_grace = 3s;
  std::error_code ec;
  hub h(o, ec, t0);
  const client_id v = add(h, {}, t0);
  publish(h, "x", t0);
  h.tick(t0 + 1000s);
  CHECK(h.contains(v));
  h.close(t0 + 1000s);
  CHECK(h.next_deadline() == t0 + 1003s);
  h.tick(t0 + 1003s);
  CHECK_FALSE(h.contains(v));
  CHECK(h.drained());
  std::error_code refused;
  h.add({}, t0 + 1003s, refused);
  CHECK(refused == serverpush::errc::stream_closed);
}

TEST_CASE("X-Timestamp on every part for viewers that ask, by the one rule with announce_next") {
  std::error_code ec;
  hub h(with_boundary(), ec, t0);
  client_options stamped;
  stamped.timestamps = true;
  const client_id v = add(h, stamped, t0);
  const client_id plain = add(h, {}, t0);
  publish(h, "x", t0);
  const auto parsed = test::parse_multipart(drain(h, v, t0) + "--HUB--\r\n", "HUB");
  REQUIRE(parsed.parts.size() == 1);
  REQUIRE(parsed.parts[0].headers.size() == 1);
  CHECK(parsed.parts[0].headers[0].first == "X-Timestamp");
  const std::string& value = parsed.parts[0].headers[0].second;
  REQUIRE(value.size() > 4);
  CHECK(value[value.size() - 4] == '.');
  CHECK(drain(h, plain, t0).find("X-Timestamp") == std::string::npos);
  stamped.framing = framing::announce_next;
  const client_id announced = add(h, stamped, t0);
  publish(h, "y", t0);
  const std::string wire = drain(h, announced, t0);
  // Opened complete (delimiter line, full header block), then the announced
  // block ended empty before the next stamped part.
  CHECK(wire.rfind("--HUB\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nX-Timestamp: ", 0) == 0);
  publish(h, "z", t0);
  const std::string next = drain(h, announced, t0);
  CHECK(next.rfind("\r\n--HUB\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nX-Timestamp: ", 0) == 0);
}

TEST_CASE("pinned frame budget: viewers holding the oldest parts go first") {
  hub_options o = with_boundary();
  const std::size_t part = 10000;
  std::error_code ec;
  // Room for about two pinned parts besides the newest.
  o.pinned_frame_budget = 2 * part + part / 2;
  hub h(o, ec, t0);
  const client_id fast = add(h, {}, t0);
  const client_id oldest = add(h, {}, t0);
  const client_id middle = add(h, {}, t0);
  const client_id newer = add(h, {}, t0);
  publish(h, std::string(part, 'a'), t0);
  drain(h, fast, t0);
  drain(h, oldest, t0, 100);  // stuck in part 1
  publish(h, std::string(part, 'b'), t0 + 1s);
  drain(h, fast, t0 + 1s);
  drain(h, middle, t0 + 1s, 100);  // stuck in part 2
  publish(h, std::string(part, 'c'), t0 + 2s);
  drain(h, fast, t0 + 2s);
  drain(h, newer, t0 + 2s, 100);  // stuck in part 3
  CHECK(h.pinned_bytes() <= o.pinned_frame_budget);  // parts 1 and 2 pinned
  auto e = events(h);
  CHECK(e.size() == 1);  // first_viewer only
  publish(h, std::string(part, 'd'), t0 + 3s);  // part 3 pinned too: over the budget
  e = events(h);
  REQUIRE(e.size() == 1);
  CHECK(e[0].viewer.id == oldest);
  CHECK(e[0].reason == serverpush::errc::pinned_budget_exceeded);
  CHECK(h.contains(middle));
  CHECK(h.contains(newer));
  CHECK(h.contains(fast));
  CHECK(h.pinned_bytes() <= o.pinned_frame_budget);
  // The survivors still get whole parts.
  h.release(oldest);
  CHECK(bodies(drain(h, fast, t0 + 3s)) ==
        std::vector<std::string>{std::string(part, 'd')});
}

TEST_CASE("resend_interval re-offers the newest part to idle viewers only") {
  hub_options o = with_boundary();
  o.resend_interval = 1s;
  std::error_code ec;
  hub h(o, ec, t0);
  const client_id v = add(h, {framing::eager_delimiter, ""}, t0);
  publish(h, "same", t0);
  std::string wire = drain(h, v, t0);
  CHECK(h.next_deadline() == t0 + 1s);
  h.tick(t0 + 1s);
  wire += drain(h, v, t0 + 1s);
  CHECK(wire ==
        "--HUB\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nsame\r\n--HUB\r\n"
        "Content-Type: text/plain\r\nContent-Length: 4\r\n\r\nsame\r\n--HUB\r\n");
}

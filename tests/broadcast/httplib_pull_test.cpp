// A pull source served by cpp-httplib's content provider, as the README shows
// it: the exact stream reaches a client on 127.0.0.1 (chunked by httplib).

#include "loopback.hpp"

#include <httplib.h>

#include <serverpush/http.hpp>

TEST_CASE("cpp-httplib: a content provider reading a pull source serves the exact stream") {
  Broadcaster hub(loopback_options());
  httplib::Server svr;
  svr.Get("/stream.mjpg", [&](const httplib::Request& req, httplib::Response& res) {
    std::error_code ec;
    serverpush::client_options viewer;
    viewer.framing = serverpush::http::framing_for(req.get_header_value("Sec-Fetch-Dest"));
    std::shared_ptr<serverpush::pull_source> source = hub.add_pull(viewer, ec);
    if (ec) {
      res.status = 503;
      return;
    }
    res.set_header("Cache-Control", "no-cache, no-store, must-revalidate");
    res.set_header("X-Accel-Buffering", "no");
    res.set_content_provider(hub.content_type(), [source](std::size_t, httplib::DataSink& sink) {
      char buf[16384];
      if (!source->wait(std::chrono::seconds(1))) return true;  // nothing yet: ask again
      std::error_code read_ec;
      const std::size_t n = source->read(buf, sizeof buf, read_ec);
      if (n == 0 && !read_ec) {
        sink.done();  // the stream ended
        return true;
      }
      return n == 0 || sink.write(buf, n);  // false: the client left
    });
  });
  const int port = svr.bind_to_any_port("127.0.0.1");
  REQUIRE(port > 0);
  std::thread server([&] { svr.listen_after_bind(); });

  std::thread producer([&] {
    CHECK(eventually([&] { return hub.stats().clients == 1; }));
    publish_ok(hub, "image/jpeg", std::string(70000, 'a'));
    publish_last_ok(hub, "image/jpeg", std::string(50000, 'b'));
    hub.close();
  });
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60, 0);
  httplib::Headers headers{{"Sec-Fetch-Dest", "empty"}};
  const auto res = client.Get("/stream.mjpg", headers);
  producer.join();
  svr.stop();
  server.join();
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "multipart/x-mixed-replace; boundary=LOOPBACK");
  const auto parsed = test::parse_multipart(res->body, "LOOPBACK");
  REQUIRE(parsed.error.empty());
  CHECK(parsed.closed);
  // Latest wins: the first part may be skipped if the viewer was slower.
  const auto bodies = bodies_of(parsed);
  REQUIRE_FALSE(bodies.empty());
  CHECK(bodies.back() == std::string(50000, 'b'));
}

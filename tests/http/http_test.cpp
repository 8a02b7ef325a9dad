#include <serverpush/http.hpp>
#include <serverpush/writer.hpp>
#include <serverpush/sinks/memory.hpp>

#include "testing.hpp"

#include <string>

namespace http = serverpush::http;
using serverpush::errc;

TEST_CASE("response head: HTTP/1.1 with Connection: close by default") {
  std::error_code ec;
  const std::string head =
      http::response_head("multipart/x-mixed-replace; boundary=MSBOB", ec);
  CHECK_FALSE(ec);
  CHECK(head ==
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: multipart/x-mixed-replace; boundary=MSBOB\r\n"
        "Cache-Control: no-cache, no-store, must-revalidate\r\n"
        "Pragma: no-cache\r\n"
        "X-Accel-Buffering: no\r\n"
        "Connection: close\r\n"
        "\r\n");
}

TEST_CASE("response head: HTTP/1.0 never announces chunked") {
  http::response_options options;
  options.http_version = http::version::http_1_0;
  options.keep_alive = true;
  CHECK_FALSE(http::uses_chunked(options));
  std::error_code ec;
  const std::string head = http::response_head("multipart/x-mixed-replace; boundary=b", options, ec);
  CHECK_FALSE(ec);
  CHECK(head.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
  CHECK(head.find("Connection: close\r\n") != std::string::npos);
  CHECK(head.find("Transfer-Encoding") == std::string::npos);
}

TEST_CASE("response head: HTTP/1.1 keep-alive uses chunked and no Connection: close") {
  http::response_options options;
  options.keep_alive = true;
  CHECK(http::uses_chunked(options));
  std::error_code ec;
  const std::string head = http::response_head("multipart/x-mixed-replace; boundary=b", options, ec);
  CHECK(head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  CHECK(head.find("Connection") == std::string::npos);
  CHECK(head.find("Content-Length") == std::string::npos);
}

TEST_CASE("response head: extra headers follow the standard ones") {
  const serverpush::header extra[] = {{"Access-Control-Allow-Origin", "*"}, {"X-Camera", "lab 3"}};
  http::response_options options;
  options.extra_headers = extra;
  std::error_code ec;
  const std::string head = http::response_head("multipart/x-mixed-replace; boundary=b", options, ec);
  CHECK_FALSE(ec);
  const std::string tail = "Connection: close\r\nAccess-Control-Allow-Origin: *\r\nX-Camera: lab 3\r\n\r\n";
  REQUIRE(head.size() > tail.size());
  CHECK(head.substr(head.size() - tail.size()) == tail);
}

TEST_CASE("response head: refuses injected or owned headers and writes nothing") {
  struct bad_case {
    serverpush::header h;
    errc expected;
  };
  const bad_case cases[] = {
      {{"X-Evil", "a\r\nSet-Cookie: x=1"}, errc::header_value_invalid},
      {{"Bad Name", "v"}, errc::header_name_invalid},
      {{"content-length", "5"}, errc::header_reserved},
      {{"Content-Type", "text/html"}, errc::header_reserved},
      {{"Connection", "keep-alive"}, errc::header_reserved},
      {{"transfer-encoding", "gzip"}, errc::header_reserved},
  };
  for (const bad_case& c : cases) {
    CAPTURE(c.h.name);
    http::response_options options;
    options.extra_headers = serverpush::header_list(&c.h, 1);
    std::error_code ec;
    CHECK(http::response_head("multipart/x-mixed-replace; boundary=b", options, ec).empty());
    CHECK(ec == c.expected);
  }
  std::error_code ec;
  CHECK(http::response_head("multipart/x-mixed-replace\r\nX: y", ec).empty());
  CHECK(ec == errc::content_type_invalid);
}

TEST_CASE("response head: carries the writer's own content type") {
  serverpush::MultipartWriter<serverpush::string_sink> writer(serverpush::string_sink{}, "a:b");
  std::error_code ec;
  const std::string head = http::response_head(writer.content_type(), ec);
  CHECK_FALSE(ec);
  CHECK(head.find("Content-Type: multipart/x-mixed-replace; boundary=\"a:b\"\r\n") != std::string::npos);
}

#if SERVERPUSH_HAS_EXCEPTIONS
TEST_CASE("response head: throwing overload") {
  CHECK(http::response_head("multipart/x-mixed-replace; boundary=b").size() > 0);
  CHECK_THROWS_AS(http::response_head("no slash"), std::system_error);
}
#endif

TEST_CASE("framing_for: an <img> request gets announce_next, anything else content_length") {
  CHECK(http::framing_for("image") == serverpush::framing::announce_next);
  CHECK(http::framing_for("Image") == serverpush::framing::announce_next);
  CHECK(http::framing_for("") == serverpush::framing::content_length);
  CHECK(http::framing_for("document") == serverpush::framing::content_length);
  CHECK(http::framing_for("empty") == serverpush::framing::content_length);
  CHECK(http::framing_for("images") == serverpush::framing::content_length);
  static_assert(http::framing_for("image") == serverpush::framing::announce_next);
}

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
TEST_CASE("stream_response_head, the former name, still builds the same head") {
  std::error_code ec;
  const std::string before = http::stream_response_head("multipart/x-mixed-replace; boundary=b", ec);
  CHECK(before == http::response_head("multipart/x-mixed-replace; boundary=b", ec));
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

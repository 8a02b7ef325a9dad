#ifndef SERVERPUSH_INTEGRATIONS_BEAST_HPP
#define SERVERPUSH_INTEGRATIONS_BEAST_HPP

// Serving a stream from a Boost.Beast (1.81) server. Include it only where
// Beast is used. Beast writes the response head; this builds it with what
// http::response_head() writes for hosts without an HTTP layer, and
// picks the framing from the request:
//
//   auto head = serverpush::beast::stream_response(request.version(), content_type);
//   boost::beast::http::response_serializer<boost::beast::http::empty_body> sr{head};
//   boost::beast::http::async_write_header(stream, sr, ...);   // then the body

#include <serverpush/framer.hpp>
#include <serverpush/http.hpp>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>

#include <string_view>

namespace serverpush::beast {

// 200, the stream's content type, no caching, no proxy buffering, and
// neither Content-Length nor chunked coding: the body ends when the
// connection closes (Connection: close on HTTP/1.1). `version` is the
// request's (11 or 10).
inline boost::beast::http::response<boost::beast::http::empty_body> stream_response(
    unsigned version, std::string_view content_type) {
  namespace http = boost::beast::http;
  http::response<http::empty_body> response{http::status::ok, version};
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-cache, no-store, must-revalidate");
  response.set(http::field::pragma, "no-cache");
  response.set("X-Accel-Buffering", "no");
  response.keep_alive(false);
  return response;
}

// announce_next for a browser's <img> (Sec-Fetch-Dest: image), so it shows
// each part at once; content_length (exact parts) for every other client.
template <class Body, class Fields>
framing framing_for(const boost::beast::http::request<Body, Fields>& request) {
  const auto dest = request["Sec-Fetch-Dest"];
  return serverpush::http::framing_for(std::string_view(dest.data(), dest.size()));
}

}  // namespace serverpush::beast

#endif

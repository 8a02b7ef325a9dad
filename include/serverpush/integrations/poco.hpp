#ifndef SERVERPUSH_INTEGRATIONS_POCO_HPP
#define SERVERPUSH_INTEGRATIONS_POCO_HPP

// Serving a stream from a Poco::Net::HTTPServer request handler (Poco 1.11).
// Include it only where Poco is used; link PocoNet. Poco writes the response
// head itself and runs each request on a thread of its pool, so the viewer
// is a pull source of a Broadcaster that the handler's thread drains:
//
//   auto source = hub.add_pull({serverpush::poco::framing_for(request), ""}, ec);
//   serverpush::poco::set_stream_headers(response, hub.content_type());
//   serverpush::poco::send_stream(*source, response.send());
//
// A single stream written on the handler's thread needs no hub: set the
// headers with the writer's content_type(), then a
// MultipartWriter<ostream_sink> on response.send(), flushing after each part.

#include <serverpush/framer.hpp>
#include <serverpush/http.hpp>
#include <serverpush/hub/pull_source.hpp>

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <system_error>

namespace serverpush::poco {

// 200, the stream's content type, no caching, no proxy buffering, and no
// Content-Length nor chunked coding: the body ends when the connection
// closes, so response.send() answers with Connection: close.
inline void set_stream_headers(Poco::Net::HTTPServerResponse& response,
                               const std::string& content_type) {
  response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_OK);
  response.setContentType(content_type);
  response.set("Cache-Control", "no-cache, no-store, must-revalidate");
  response.set("Pragma", "no-cache");
  response.set("X-Accel-Buffering", "no");
  response.setChunkedTransferEncoding(false);
  response.setKeepAlive(false);
}

// announce_next for a browser's <img> (Sec-Fetch-Dest: image), so it shows
// each part at once; content_length (exact parts) for every other client.
inline framing framing_for(const Poco::Net::HTTPServerRequest& request) {
  return serverpush::http::framing_for(request.get("Sec-Fetch-Dest", ""));
}

// Copies the viewer's bytes to Poco's response body as they come, flushed at
// once, until the stream ends (close delimiter, or the hub dropped the
// viewer) or the client is gone (the body stream fails). Blocks the calling
// thread, which Poco gave to this request.
inline void send_stream(pull_source& source, std::ostream& body) {
  char buf[16 * 1024];
  while (body) {
    if (!source.wait(std::chrono::seconds(1))) continue;
    std::error_code ec;
    const std::size_t n = source.read(buf, sizeof buf, ec);
    if (n == 0 && !ec) break;  // the end of the stream
    body.write(buf, static_cast<std::streamsize>(n));
    body.flush();
  }
}

}  // namespace serverpush::poco

#endif

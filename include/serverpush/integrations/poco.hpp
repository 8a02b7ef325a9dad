#ifndef SERVERPUSH_INTEGRATIONS_POCO_HPP
#define SERVERPUSH_INTEGRATIONS_POCO_HPP

// Serving a stream from a Poco::Net::HTTPServer request handler (Poco 1.11).
// Include it only where Poco is used; link PocoNet. Poco writes the response
// head itself, so these put on Poco's response what
// http::stream_response_head() writes for hosts without an HTTP layer:
//
//   set_stream_headers(response, writer_boundary.content_type());
//   std::ostream& body = response.send();   // the head leaves here
//   MultipartWriter<ostream_sink> w(ostream_sink(body), boundary);
//   w.set_framing(framing_for(request));
//   ... w.write_part(...); body.flush();    // Poco buffers: flush each part

#include <serverpush/framer.hpp>

#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <string>

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
  return request.get("Sec-Fetch-Dest", "") == "image" ? framing::announce_next
                                                      : framing::content_length;
}

}  // namespace serverpush::poco

#endif

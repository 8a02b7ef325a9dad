#ifndef SERVERPUSH_INTEGRATIONS_HTTPLIB_HPP
#define SERVERPUSH_INTEGRATIONS_HTTPLIB_HPP

// Serving a stream from a cpp-httplib (0.11) handler. Include it only where
// httplib.h is used. cpp-httplib writes the response head and asks a content
// provider for the body, on the connection's thread; the viewer is a pull
// source of a Broadcaster that the provider drains:
//
//   std::shared_ptr<serverpush::pull_source> source =
//       hub.add_pull({serverpush::httplib::framing_for(req), ""}, ec);
//   if (!ec) serverpush::httplib::set_stream(req, res, hub.content_type(), std::move(source));
//
// A single stream written on the handler's thread needs no hub: a
// MultipartWriter<data_sink_writer> inside the provider.

#include <serverpush/framer.hpp>
#include <serverpush/http.hpp>
#include <serverpush/hub/pull_source.hpp>

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

namespace serverpush::httplib {

// No caching, no proxy buffering (set_stream() sets them).
inline void set_stream_headers(::httplib::Response& response) {
  response.set_header("Cache-Control", "no-cache, no-store, must-revalidate");
  response.set_header("Pragma", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
}

// announce_next for a browser's <img> (Sec-Fetch-Dest: image), so it shows
// each part at once; content_length (exact parts) for every other client.
inline framing framing_for(const ::httplib::Request& request) {
  return serverpush::http::framing_for(request.get_header_value("Sec-Fetch-Dest"));
}

// A content provider that copies the viewer's bytes to the DataSink as they
// come. cpp-httplib calls it until it returns false or calls done(); each
// call waits at most a second for bytes, so the thread sleeps between parts
// yet sees a server stop. At the end of the stream (close delimiter, or the
// hub dropped the viewer) it calls done().
inline ::httplib::ContentProviderWithoutLength content_provider(std::shared_ptr<pull_source> source) {
  return [source = std::move(source)](std::size_t, ::httplib::DataSink& sink) {
    if (!source->wait(std::chrono::seconds(1))) return true;
    char buf[16 * 1024];
    std::error_code ec;
    const std::size_t n = source->read(buf, sizeof buf, ec);
    if (n == 0 && !ec) {
      sink.done();
      return true;
    }
    return n == 0 || sink.write(buf, n);
  };
}

// The response of a stream: its headers, and a body read from `source`.
// HTTP/1.1 gets chunked coding: cpp-httplib keeps connections alive, and a
// body that ends only when the connection closes would leave the viewer
// waiting for cpp-httplib's keep-alive timeout after the close delimiter.
// HTTP/1.0 has no chunked coding: its body ends with the connection, which
// cpp-httplib closes after a 1.0 response. `on_end` runs when cpp-httplib is
// done with the response (see ContentProviderResourceReleaser).
inline void set_stream(const ::httplib::Request& request, ::httplib::Response& response,
                       const std::string& content_type, std::shared_ptr<pull_source> source,
                       ::httplib::ContentProviderResourceReleaser on_end = nullptr) {
  set_stream_headers(response);
  if (request.version == "HTTP/1.0") {
    response.set_content_provider(content_type, content_provider(std::move(source)), std::move(on_end));
  } else {
    response.set_chunked_content_provider(content_type, content_provider(std::move(source)),
                                          std::move(on_end));
  }
}

// A sink for MultipartWriter over the DataSink of the content provider's
// current call. cpp-httplib hands the provider the same DataSink on every
// call of one response; point the sink at it before writing. DataSink::write
// blocks until the socket took everything, or fails (peer gone, or the
// server's write timeout, 5 s by default): reported as broken_pipe.
class data_sink_writer {
 public:
  void set_target(::httplib::DataSink& sink) noexcept { target_ = &sink; }

  void write(const char* data, std::size_t size, std::error_code& ec) {
    if (target_ == nullptr || !target_->write(data, size)) {
      ec = std::make_error_code(std::errc::broken_pipe);
    }
  }

 private:
  ::httplib::DataSink* target_ = nullptr;
};

}  // namespace serverpush::httplib

#endif

#ifndef SERVERPUSH_INTEGRATIONS_HTTPLIB_HPP
#define SERVERPUSH_INTEGRATIONS_HTTPLIB_HPP

// Serving a stream from a cpp-httplib (0.11) handler. Include it only where
// httplib.h is used. cpp-httplib writes the response head and asks a content
// provider for the body; these give the head its stream headers and turn the
// provider's DataSink into a serverpush sink:
//
//   set_stream_headers(res);
//   res.set_content_provider(writer_content_type, [viewer](size_t, httplib::DataSink& out) {
//     viewer->writer.sink().function().target = &out;   // see data_sink_writer
//     ... viewer->writer.write_part(...); return !ec;
//   });

#include <serverpush/framer.hpp>

#include <httplib.h>

#include <cstddef>
#include <system_error>

namespace serverpush::httplib {

// No caching, no proxy buffering, Connection: close. Give the body to
// set_content_provider() without a length: cpp-httplib then sends neither
// Content-Length nor chunked coding, and the body ends when the connection
// closes (cpp-httplib would announce Keep-Alive otherwise).
inline void set_stream_headers(::httplib::Response& response) {
  response.set_header("Connection", "close");
  response.set_header("Cache-Control", "no-cache, no-store, must-revalidate");
  response.set_header("Pragma", "no-cache");
  response.set_header("X-Accel-Buffering", "no");
}

// announce_next for a browser's <img> (Sec-Fetch-Dest: image), so it shows
// each part at once; content_length (exact parts) for every other client.
inline framing framing_for(const ::httplib::Request& request) {
  return request.get_header_value("Sec-Fetch-Dest") == "image" ? framing::announce_next
                                                               : framing::content_length;
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

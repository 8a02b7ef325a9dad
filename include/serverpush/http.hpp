#ifndef SERVERPUSH_HTTP_HPP
#define SERVERPUSH_HTTP_HPP

// Optional helpers for hosts that speak HTTP/1.x themselves: the response
// head that must precede a multipart/x-mixed-replace body, and the framing a
// request asks for (docs/protocol.md).

#include <serverpush/detail/config.hpp>
#include <serverpush/error.hpp>
#include <serverpush/framer.hpp>
#include <serverpush/header.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace serverpush::http {

enum class version : unsigned char { http_1_0, http_1_1 };

struct response_options {
  version http_version = version::http_1_1;
  // HTTP/1.1 only: frame the body with Transfer-Encoding: chunked instead of
  // ending it by closing the connection (wrap the sink in chunked_sink then).
  // HTTP/1.0 has no chunked encoding, so it always gets Connection: close.
  bool keep_alive = false;
  // Appended after the standard headers. Validated like part headers; the
  // ones the head owns (Content-Type, Content-Length, Transfer-Encoding,
  // Connection) are refused as errc::header_reserved.
  header_list extra_headers{};
};

// True when a head built with these options announces chunked encoding.
constexpr bool uses_chunked(const response_options& options) noexcept {
  return options.keep_alive && options.http_version == version::http_1_1;
}

namespace detail {

inline bool is_head_owned(std::string_view name) noexcept {
  using serverpush::detail::iequals;
  return iequals(name, "Transfer-Encoding") || iequals(name, "Connection");
}

}  // namespace detail

// The framing a request asks for, from its Sec-Fetch-Dest header value
// (empty when absent): a browser's <img> ("image") shows a part only once the
// next part's header block has arrived, so it gets announce_next (no frame of
// lag); everything else (FFmpeg, GStreamer, curl, scripts, documents) gets
// content_length, which every parser reads exactly.
constexpr framing framing_for(std::string_view sec_fetch_dest) noexcept {
  return serverpush::detail::iequals(sec_fetch_dest, "image") ? framing::announce_next
                                                              : framing::content_length;
}

// "HTTP/1.x 200 OK" and the headers every client and proxy needs to treat the
// body as a live stream: no caching, no proxy buffering, no Content-Length.
// `content_type` is the stream's, e.g. MultipartWriter::content_type() or
// Broadcaster::content_type(). On a rejected content type or extra header,
// returns "" and sets `ec`.
inline std::string response_head(std::string_view content_type, const response_options& options,
                                 std::error_code& ec) {
  ec = validate_content_type(content_type);
  if (ec) return {};
  for (const header& h : options.extra_headers) {
    ec = validate_header(h);
    if (!ec && detail::is_head_owned(h.name)) ec = make_error_code(errc::header_reserved);
    if (ec) return {};
  }
  std::string out;
  out.reserve(256);
  out += options.http_version == version::http_1_0 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
  out += "Content-Type: ";
  out += content_type;
  out += "\r\nCache-Control: no-cache, no-store, must-revalidate\r\n"
         "Pragma: no-cache\r\n"
         "X-Accel-Buffering: no\r\n";
  out += uses_chunked(options) ? "Transfer-Encoding: chunked\r\n" : "Connection: close\r\n";
  for (const header& h : options.extra_headers) {
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

inline std::string response_head(std::string_view content_type, std::error_code& ec) {
  return response_head(content_type, response_options{}, ec);
}

#if SERVERPUSH_HAS_EXCEPTIONS
inline std::string response_head(std::string_view content_type,
                                 const response_options& options = {}) {
  std::error_code ec;
  std::string out = response_head(content_type, options, ec);
  if (ec) serverpush::detail::throw_error(ec);
  return out;
}
#endif

// The former name of response_head().
[[deprecated("use serverpush::http::response_head")]] inline std::string stream_response_head(
    std::string_view content_type, const response_options& options, std::error_code& ec) {
  return response_head(content_type, options, ec);
}
[[deprecated("use serverpush::http::response_head")]] inline std::string stream_response_head(
    std::string_view content_type, std::error_code& ec) {
  return response_head(content_type, ec);
}
#if SERVERPUSH_HAS_EXCEPTIONS
[[deprecated("use serverpush::http::response_head")]] inline std::string stream_response_head(
    std::string_view content_type, const response_options& options = {}) {
  return response_head(content_type, options);
}
#endif

}  // namespace serverpush::http

#endif

#ifndef SERVERPUSH_ERROR_HPP
#define SERVERPUSH_ERROR_HPP

#include <serverpush/detail/config.hpp>

#include <string>
#include <system_error>

#if SERVERPUSH_HAS_EXCEPTIONS
#include <stdexcept>
#endif

namespace serverpush {

// Every failure the library itself detects. Sink failures keep their own
// error_code too: see MultipartWriter::sink_error().
enum class errc {
  boundary_empty = 1,
  boundary_too_long,
  boundary_invalid_char,
  boundary_trailing_space,
  random_unavailable,
  content_type_invalid,
  header_name_invalid,
  header_value_invalid,
  header_reserved,
  // Kept so code that names it compiles; nothing reports it any more: a part
  // that does not fit an announced header block ends that block's part
  // (framer::part_head).
  header_block_already_sent,
  payload_contains_delimiter,
  part_in_progress,
  no_part_in_progress,
  length_exceeded,
  length_mismatch,
  stream_closed,
  sink_failed,
  writer_failed,
  sink_stalled,
  too_many_clients,
  body_started,
  content_type_parameter_invalid,
};

namespace detail {

class error_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "serverpush"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::boundary_empty:
        return "boundary is empty (RFC 2046 needs 1 to 70 characters)";
      case errc::boundary_too_long:
        return "boundary is longer than 70 characters (RFC 2046)";
      case errc::boundary_invalid_char:
        return "boundary contains a character outside RFC 2046 bchars "
               "(0-9 A-Z a-z '()+_,-./:=? and space)";
      case errc::boundary_trailing_space:
        return "boundary ends with a space (RFC 2046 forbids it)";
      case errc::random_unavailable:
        return "the operating system's random source failed; no boundary was generated";
      case errc::content_type_invalid:
        return "content type is not 'type/subtype' made of RFC 9110 tokens, or "
               "contains a control character or surrounding white space";
      case errc::header_name_invalid:
        return "header name is empty or not an RFC 9110 token";
      case errc::header_value_invalid:
        return "header value contains CR, LF, NUL or another control character, "
               "or starts or ends with white space";
      case errc::header_reserved:
        return "Content-Type and Content-Length are written by the writer and "
               "cannot be passed as extra headers";
      case errc::header_block_already_sent:
        return "the next part's header block was already sent (announce_next "
               "framing); no longer reported: such a part now ends the announced one";
      case errc::payload_contains_delimiter:
        return "payload contains the boundary delimiter CRLF--boundary (strict mode)";
      case errc::part_in_progress:
        return "a part begun with begin_part() is still open; call end_part() first";
      case errc::no_part_in_progress:
        return "no part is open; call begin_part() first";
      case errc::length_exceeded:
        return "body is longer than the part's declared Content-Length";
      case errc::length_mismatch:
        return "body is shorter than the part's declared Content-Length";
      case errc::stream_closed:
        return "the stream is already closed";
      case errc::sink_failed:
        return "the sink failed while writing; see sink_error() for the cause";
      case errc::writer_failed:
        return "an earlier sink failure left this stream unusable";
      case errc::sink_stalled:
        return "the sink accepted no bytes and reported no error";
      case errc::too_many_clients:
        return "the broadcaster already serves max_clients clients; the new one was closed";
      case errc::body_started:
        return "the multipart body has started; bytes that go before it (such as the "
               "HTTP response head) must be written before the first part";
      case errc::content_type_parameter_invalid:
        return "a content type parameter is not token=token or token=\"quoted string\" "
               "(RFC 9110 section 8.3.1)";
    }
    return "unknown serverpush error";
  }
};

}  // namespace detail

inline const std::error_category& error_category() noexcept {
  static const detail::error_category_impl category;
  return category;
}

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// True when the stream an error came from cannot continue: bytes of a part
// may have reached the client (sink_failed, writer_failed, sink_stalled, or
// any code of another category, which comes from a sink or the system), or
// the writer was never usable (random_unavailable and the boundary errors,
// which a writer only reports after a failed construction). The host drops
// that client. False for a call that was refused and wrote nothing, leaving
// the stream as it was: bad content type or header, strict-mode delimiter,
// begin_part/end_part out of order, length checks, a part after close(), a
// head after the body started, too_many_clients (the hub's other viewers
// carry on). An empty code is not fatal.
inline bool is_fatal(const std::error_code& ec) noexcept {
  if (!ec) return false;
  if (ec.category() != error_category()) return true;
  switch (static_cast<errc>(ec.value())) {
    case errc::boundary_empty:
    case errc::boundary_too_long:
    case errc::boundary_invalid_char:
    case errc::boundary_trailing_space:
    case errc::random_unavailable:
    case errc::sink_failed:
    case errc::writer_failed:
    case errc::sink_stalled:
      return true;
    case errc::content_type_invalid:
    case errc::content_type_parameter_invalid:
    case errc::header_name_invalid:
    case errc::header_value_invalid:
    case errc::header_reserved:
    case errc::header_block_already_sent:
    case errc::payload_contains_delimiter:
    case errc::part_in_progress:
    case errc::no_part_in_progress:
    case errc::length_exceeded:
    case errc::length_mismatch:
    case errc::stream_closed:
    case errc::too_many_clients:
    case errc::body_started:
      return false;
  }
  return true;  // not a code this version knows: assume the worst
}

namespace detail {

#if SERVERPUSH_HAS_EXCEPTIONS
[[noreturn]] inline void throw_error(const std::error_code& ec) { throw std::system_error(ec); }
[[noreturn]] inline void throw_error(const std::error_code& ec, const std::string& what) {
  throw std::system_error(ec, what);
}
#endif

}  // namespace detail
}  // namespace serverpush

namespace std {
template <>
struct is_error_code_enum<serverpush::errc> : true_type {};
}  // namespace std

#endif

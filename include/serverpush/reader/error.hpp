#ifndef SERVERPUSH_READER_ERROR_HPP
#define SERVERPUSH_READER_ERROR_HPP

#include <string>
#include <system_error>

namespace serverpush {

// Every failure MultipartReader and the HTTP response reader detect in their
// input, one value per violation. Boundary problems keep serverpush::errc
// (boundary_empty, ...), a malformed Content-Type keeps errc::content_type_invalid.
enum class reader_errc {
  not_multipart = 1,
  boundary_missing,
  preamble_too_large,
  no_delimiter,
  delimiter_line_invalid,
  bare_lf,
  header_line_invalid,
  header_block_too_large,
  too_many_headers,
  content_length_invalid,
  content_length_mismatch,
  part_too_large,
  ended_in_header_block,
  ended_in_part,
  missing_close_delimiter,
  reader_failed,
  status_line_invalid,
  http_version_unsupported,
  http_head_too_large,
  http_header_invalid,
  http_length_invalid,
  transfer_coding_unsupported,
  chunk_size_invalid,
  chunk_data_invalid,
  http_body_truncated,
};

namespace detail {

class reader_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "serverpush.reader"; }

  std::string message(int value) const override {
    switch (static_cast<reader_errc>(value)) {
      case reader_errc::not_multipart:
        return "content type is not multipart/*";
      case reader_errc::boundary_missing:
        return "multipart content type has no boundary parameter";
      case reader_errc::preamble_too_large:
        return "more bytes before the first delimiter than reader_options::max_preamble_bytes";
      case reader_errc::no_delimiter:
        return "input ended before the first boundary delimiter";
      case reader_errc::delimiter_line_invalid:
        return "a boundary delimiter is followed by something other than white space "
               "and CRLF, or \"--\"";
      case reader_errc::bare_lf:
        return "a line ends with LF alone (RFC 2046 needs CRLF; lenient mode accepts it)";
      case reader_errc::header_line_invalid:
        return "a part header line is not 'name: value' with a token name and no "
               "control characters";
      case reader_errc::header_block_too_large:
        return "a part's header block is larger than reader_options::max_header_bytes";
      case reader_errc::too_many_headers:
        return "a part has more header lines than reader_options::max_headers";
      case reader_errc::content_length_invalid:
        return "a part's Content-Length is not a decimal number, overflows, or is "
               "given twice with different values";
      case reader_errc::content_length_mismatch:
        return "the bytes after a part's Content-Length are not the boundary delimiter "
               "(lenient mode resynchronises on the delimiter)";
      case reader_errc::part_too_large:
        return "a part's body is larger than reader_options::max_part_bytes";
      case reader_errc::ended_in_header_block:
        return "input ended inside a part's header block";
      case reader_errc::ended_in_part:
        return "input ended inside a part's body (no delimiter after it)";
      case reader_errc::missing_close_delimiter:
        return "input ended after a delimiter line without the close delimiter";
      case reader_errc::reader_failed:
        return "an earlier error stopped this reader; call reset() to read a new stream";
      case reader_errc::status_line_invalid:
        return "the HTTP status line is not 'HTTP/1.x DDD reason'";
      case reader_errc::http_version_unsupported:
        return "the response is not HTTP/1.0 or HTTP/1.1";
      case reader_errc::http_head_too_large:
        return "the HTTP response head is larger than the reader's limit";
      case reader_errc::http_header_invalid:
        return "an HTTP response header line is malformed";
      case reader_errc::http_length_invalid:
        return "the response's Content-Length is not a decimal number or is repeated "
               "with different values";
      case reader_errc::transfer_coding_unsupported:
        return "the response uses a transfer coding other than chunked";
      case reader_errc::chunk_size_invalid:
        return "a chunk-size line of the chunked transfer coding is malformed";
      case reader_errc::chunk_data_invalid:
        return "chunk data is not followed by CRLF";
      case reader_errc::http_body_truncated:
        return "the connection ended before the response body did";
    }
    return "unknown serverpush.reader error";
  }
};

}  // namespace detail

inline const std::error_category& reader_category() noexcept {
  static const detail::reader_category_impl category;
  return category;
}

inline std::error_code make_error_code(reader_errc e) noexcept {
  return {static_cast<int>(e), reader_category()};
}

}  // namespace serverpush

namespace std {
template <>
struct is_error_code_enum<serverpush::reader_errc> : true_type {};
}  // namespace std

#endif

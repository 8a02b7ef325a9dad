#ifndef SERVERPUSH_READER_OPTIONS_HPP
#define SERVERPUSH_READER_OPTIONS_HPP

#include <cstddef>

namespace serverpush {

// Limits bound what a hostile stream can make the reader hold: the header
// block is the only thing it copies, and never more than max_header_bytes.
struct reader_options {
  std::size_t max_header_bytes = 16 * 1024;     // one part's header block, line ends included
  std::size_t max_headers = 64;                 // header fields in one part
  std::size_t max_part_bytes = std::size_t{256} << 20;  // one part's body
  std::size_t max_preamble_bytes = 64 * 1024;   // bytes before the first delimiter
  // Accept what devices send besides RFC 2046 (see reader_quirks); strict by default.
  bool lenient = false;
};

// How often the reader met each departure from the form serverpush's writer
// produces. The RFC allows a preamble, transport padding and parts without
// Content-Length, so those are counted in both modes; the rest happen only
// in lenient mode (strict mode stops with a reader_errc instead).
struct reader_quirks {
  std::size_t preamble = 0;                       // bytes before the first delimiter (streams)
  std::size_t boundary_with_dashes = 0;           // boundary=--X and the body writes --X
  std::size_t lf_line_endings = 0;                // delimiter or header lines ended by LF alone
  std::size_t missing_crlf_before_delimiter = 0;  // payload runs straight into --boundary
  std::size_t transport_padding = 0;              // white space after a boundary
  std::size_t missing_content_length = 0;         // parts without Content-Length
  std::size_t content_length_mismatch = 0;        // Content-Length disagreed with the delimiter
  std::size_t missing_close_delimiter = 0;        // input ended without "--boundary--"
};

}  // namespace serverpush

#endif

#ifndef SERVERPUSH_FRAMER_HPP
#define SERVERPUSH_FRAMER_HPP

#include <serverpush/boundary.hpp>
#include <serverpush/header.hpp>

#include <charconv>
#include <cstddef>
#include <string_view>

namespace serverpush {

// How the bytes after a part's payload are chosen (PROTOCOL: what each client
// needs). All three produce a valid RFC 2046 body.
enum class framing : unsigned char {
  // "--B" CRLF, headers with Content-Length, CRLF, payload, CRLF. The next
  // delimiter leaves with the next part or close(). Every parser gets exact
  // parts; FFmpeg and GStreamer deliver each part as soon as it is in.
  content_length,
  // As above, plus "--B" CRLF right after the payload: Firefox shows the part
  // at once.
  eager_delimiter,
  // Right after the payload, the next delimiter and the next part's header
  // block (Content-Type only, no Content-Length): Chromium and Firefox show
  // the part at once.
  announce_next,
};

// Where the byte stream stands between two parts.
enum class stream_position : unsigned char {
  start,               // nothing written yet
  after_part,          // a payload and its CRLF: next comes "--B" CRLF
  after_delimiter,     // "--B" CRLF: next comes a header block
  after_header_block,  // a whole header block: next comes a payload
};

// Marks a part whose length is not known when it begins.
inline constexpr std::size_t unknown_length = static_cast<std::size_t>(-1);

// What goes into one part's header block.
struct part_spec {
  std::string_view content_type;
  header_list headers{};
  std::size_t content_length = unknown_length;
};

// The position a stream rests in between parts written with a framing; also
// where a stream must be brought before its first part (see framer::open).
constexpr stream_position resting_position(framing f) noexcept {
  switch (f) {
    case framing::eager_delimiter:
      return stream_position::after_delimiter;
    case framing::announce_next:
      return stream_position::after_header_block;
    case framing::content_length:
      break;
  }
  return stream_position::after_part;
}

// Sans-I/O framing: appends the bytes that surround payloads to any `Out`
// with `append(const char*, size_t)`, and knows nothing of sinks or sockets.
// Callers validate parts first (validate_headers); the framer trusts them.
class framer {
 public:
  constexpr explicit framer(std::string_view boundary) noexcept : boundary_(boundary) {}

  constexpr std::string_view boundary() const noexcept { return boundary_; }

  // The one rule for a part that follows an announced header block (stream
  // position after_header_block, reached with announce_next): the part
  // continues under that block when it has the announced content type and no
  // extra headers. Otherwise the announced part is ended with an empty body
  // and a complete part follows. The writer and the broadcaster both frame by
  // this rule, so no part is ever refused or stripped for it.
  static constexpr bool continues_announced(const part_spec& part,
                                            std::string_view announced_type) noexcept {
    return part.headers.empty() && !announced_type.empty() && part.content_type == announced_type;
  }

  // Bytes that take the stream from `from` to where `part`'s payload starts.
  // From after_header_block, `announced_type` is the content type of the block
  // already on the wire: a part that continues_announced() adds nothing; any
  // other part adds CRLF (the announced part's empty body), the delimiter and
  // a complete header block, Content-Length and extra headers included:
  //
  //   continues:  (nothing)
  //   otherwise:  CRLF "--B" CRLF "Content-Type: T" CRLF "Content-Length: N" CRLF
  //               extra headers, CRLF
  //
  // An empty `announced_type` (not known) always takes the second form, which
  // is valid whatever was announced.
  template <class Out>
  void part_head(Out& out, stream_position from, const part_spec& part,
                 std::string_view announced_type = {}) const {
    switch (from) {
      case stream_position::after_header_block:
        if (continues_announced(part, announced_type)) return;
        append(out, "\r\n");
        delimiter_line(out);
        break;
      case stream_position::start:
      case stream_position::after_part:
        delimiter_line(out);
        break;
      case stream_position::after_delimiter:
        break;
    }
    header_block(out, part.content_type, part.headers, part.content_length);
  }

  // Bytes right after a payload. `content_type` is the part's own: with
  // announce_next it is announced for the next part. Returns the new position.
  template <class Out>
  stream_position part_tail(Out& out, framing f, std::string_view content_type) const {
    append(out, "\r\n");
    if (f == framing::content_length) return stream_position::after_part;
    // The same bytes as open() after the CRLF, written out here: calling
    // open() measured 7 ns per part slower (64 B parts), as the hot path
    // stopped being inlined.
    delimiter_line(out);
    if (f == framing::eager_delimiter) return stream_position::after_delimiter;
    header_block(out, content_type, {}, unknown_length);
    return stream_position::after_header_block;
  }

  // Bytes that take a fresh stream to the resting position of `f`, for a
  // stream whose first part will have `content_type`.
  template <class Out>
  stream_position open(Out& out, framing f, std::string_view content_type) const {
    if (f == framing::content_length) return stream_position::start;
    delimiter_line(out);
    if (f == framing::eager_delimiter) return stream_position::after_delimiter;
    header_block(out, content_type, {}, unknown_length);
    return stream_position::after_header_block;
  }

  // The close delimiter. A part whose delimiter or header block already went
  // out is ended with an empty body first: that is the only valid way out.
  // `last_type` labels that empty part, so viewers keep the last real part.
  template <class Out>
  void close(Out& out, stream_position from, std::string_view last_type) const {
    switch (from) {
      case stream_position::after_delimiter:
        if (!last_type.empty()) header_line(out, "Content-Type", last_type);
        append(out, "Content-Length: 0\r\n\r\n\r\n");
        break;
      case stream_position::after_header_block:
        append(out, "\r\n");
        break;
      case stream_position::start:
      case stream_position::after_part:
        break;
    }
    append(out, "--");
    append(out, boundary_);
    append(out, "--\r\n");
  }

  template <class Out>
  void delimiter_line(Out& out) const {
    append(out, "--");
    append(out, boundary_);
    append(out, "\r\n");
  }

  template <class Out>
  static void header_block(Out& out, std::string_view content_type, header_list headers,
                           std::size_t content_length) {
    header_line(out, "Content-Type", content_type);
    if (content_length != unknown_length) {
      char digits[24];
      const auto result = std::to_chars(digits, digits + sizeof digits, content_length);
      header_line(out, "Content-Length", std::string_view(digits, static_cast<std::size_t>(result.ptr - digits)));
    }
    for (const header& h : headers) header_line(out, h.name, h.value);
    append(out, "\r\n");
  }

 private:
  template <class Out>
  static void append(Out& out, std::string_view text) {
    out.append(text.data(), text.size());
  }

  template <class Out>
  static void header_line(Out& out, std::string_view name, std::string_view value) {
    append(out, name);
    append(out, ": ");
    append(out, value);
    append(out, "\r\n");
  }

  std::string_view boundary_;
};

namespace detail {

// Finds "CRLF--boundary" in a payload that may arrive in pieces. The payload
// counts as preceded by CRLF, since the header block ends with one.
// Safe in every state: a scanner never reset has no delimiter to look for and
// finds nothing; the tail it keeps never exceeds the delimiter's length - 1.
class delimiter_scanner {
 public:
  void reset(std::string_view boundary) noexcept {
    if (boundary.size() > max_boundary_size) boundary = boundary.substr(0, max_boundary_size);
    needle_size_ = 4 + boundary.size();
    needle_[0] = '\r';
    needle_[1] = '\n';
    needle_[2] = '-';
    needle_[3] = '-';
    for (std::size_t i = 0; i < boundary.size(); ++i) needle_[4 + i] = boundary[i];
    tail_[0] = '\r';
    tail_[1] = '\n';
    tail_size_ = 2;
  }

  // True when the delimiter appears in the bytes seen so far joined with
  // `chunk`. Looks only: the scanner does not move.
  bool contains(std::string_view chunk) const noexcept {
    if (needle_size_ == 0) return false;
    const std::string_view needle(needle_, needle_size_);
    const std::size_t keep = needle_size_ - 1;
    // Across the seam between earlier bytes and this chunk.
    char seam[2 * sizeof needle_];
    const std::size_t head = chunk.size() < keep ? chunk.size() : keep;
    for (std::size_t i = 0; i < tail_size_; ++i) seam[i] = tail_[i];
    for (std::size_t i = 0; i < head; ++i) seam[tail_size_ + i] = chunk[i];
    if (std::string_view(seam, tail_size_ + head).find(needle) != std::string_view::npos) return true;
    return chunk.find(needle) != std::string_view::npos;
  }

  // Records `chunk` as written: keeps the last bytes a delimiter could start in.
  void advance(std::string_view chunk) noexcept {
    if (needle_size_ == 0) return;
    const std::size_t keep = needle_size_ - 1;
    if (chunk.size() >= keep) {
      for (std::size_t i = 0; i < keep; ++i) tail_[i] = chunk[chunk.size() - keep + i];
      tail_size_ = keep;
      return;
    }
    const std::size_t total = tail_size_ + chunk.size();
    const std::size_t drop = total > keep ? total - keep : 0;
    std::size_t n = 0;
    for (std::size_t i = drop; i < tail_size_; ++i) tail_[n++] = tail_[i];
    for (char c : chunk) tail_[n++] = c;
    tail_size_ = n;
  }

  // True when the delimiter appears in everything fed since reset().
  bool feed(std::string_view chunk) noexcept {
    if (contains(chunk)) return true;
    advance(chunk);
    return false;
  }

 private:
  char needle_[4 + max_boundary_size] = {};
  char tail_[4 + max_boundary_size] = {};
  std::size_t needle_size_ = 0;
  std::size_t tail_size_ = 0;
};

}  // namespace detail
}  // namespace serverpush

#endif

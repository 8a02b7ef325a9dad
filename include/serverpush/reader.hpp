#ifndef SERVERPUSH_READER_HPP
#define SERVERPUSH_READER_HPP

// MultipartReader: a streaming, sans-I/O reader of multipart bodies
// (multipart/x-mixed-replace and every other multipart/*). Feed it the bytes
// as they arrive, in any split; it calls the handler with each part's headers,
// its body as views into the caller's bytes, and the end of each part and of
// the stream.
//
// - A part with Content-Length is jumped over: its body is handed on without
//   being looked at, then the delimiter is checked where it must be.
// - A part without one is scanned for the delimiter with vector compares.
// - The only bytes copied are the header block and, when a chunk ends in
//   what could be the start of a delimiter, those few bytes (fewer than the
//   delimiter's length), handed on from the reader's own buffer later.
// - Strict mode is RFC 2046 and reports each violation with its own
//   reader_errc; lenient mode accepts what cameras send and counts it in
//   quirks().

#include <serverpush/boundary.hpp>
#include <serverpush/detail/config.hpp>
#include <serverpush/detail/find_bytes.hpp>
#include <serverpush/error.hpp>
#include <serverpush/header.hpp>
#include <serverpush/reader/error.hpp>
#include <serverpush/reader/options.hpp>
#include <serverpush/reader/part_info.hpp>

#include <array>
#include <cstddef>
#include <cstring>
#include <limits>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace serverpush {

namespace detail {

template <class H, class = void>
struct is_reader_handler : std::false_type {};
template <class H>
struct is_reader_handler<
    H, std::void_t<decltype(std::declval<H&>().on_part_begin(std::declval<const part_info&>())),
                   decltype(std::declval<H&>().on_part_data(std::string_view{})),
                   decltype(std::declval<H&>().on_part_end()),
                   decltype(std::declval<H&>().on_stream_end())>> : std::true_type {};

}  // namespace detail

class MultipartReader {
 public:
  explicit MultipartReader(std::string_view boundary) : MultipartReader(boundary, reader_options{}) {}
  MultipartReader(std::string_view boundary, const reader_options& options) : options_(options) {
    std::error_code ec;
    init(boundary, ec);
#if SERVERPUSH_HAS_EXCEPTIONS
    if (ec) detail::throw_error(ec);
#endif
  }
  // Without exceptions: an invalid boundary is reported here, and every
  // later feed() or finish() reports it too.
  MultipartReader(std::string_view boundary, std::error_code& ec)
      : MultipartReader(boundary, reader_options{}, ec) {}
  MultipartReader(std::string_view boundary, const reader_options& options, std::error_code& ec)
      : options_(options) {
    init(boundary, ec);
  }

  MultipartReader(MultipartReader&&) = default;
  MultipartReader& operator=(MultipartReader&&) = default;
  MultipartReader(const MultipartReader&) = delete;
  MultipartReader& operator=(const MultipartReader&) = delete;

  // The reader for a Content-Type such as
  // multipart/x-mixed-replace; boundary="MSBOB" (quoted or not; a leading
  // "--" in the value is kept as part of the boundary, as RFC 2046 says).
  static MultipartReader from_content_type(std::string_view content_type, std::error_code& ec) {
    return from_content_type(content_type, reader_options{}, ec);
  }
  static MultipartReader from_content_type(std::string_view content_type,
                                           const reader_options& options, std::error_code& ec) {
    std::array<char, max_boundary_size + 1> storage{};
    std::size_t size = 0;
    ec = boundary_from_content_type(content_type, storage.data(), storage.size(), size);
    if (ec) {
      MultipartReader failed(options);
      failed.boundary_error_ = ec;
      failed.fail(ec);
      return failed;
    }
    return MultipartReader(std::string_view(storage.data(), size), options, ec);
  }
#if SERVERPUSH_HAS_EXCEPTIONS
  static MultipartReader from_content_type(std::string_view content_type,
                                           const reader_options& options = {}) {
    std::error_code ec;
    MultipartReader reader = from_content_type(content_type, options, ec);
    if (ec) detail::throw_error(ec);
    return reader;
  }
#endif

  // Extracts the boundary parameter of a multipart Content-Type into out
  // (capacity at least 71) without allocating.
  static std::error_code boundary_from_content_type(std::string_view value, char* out,
                                                    std::size_t capacity, std::size_t& size) noexcept {
    size = 0;
    if (auto ec = validate_content_type(value)) return ec;
    const std::size_t semicolon = value.find(';');
    std::string_view media = value.substr(0, semicolon);
    while (!media.empty() && detail::is_ows(media.back())) media.remove_suffix(1);
    if (media.size() < 10 || !detail::iequals(media.substr(0, 10), "multipart/")) {
      return make_error_code(reader_errc::not_multipart);
    }
    std::string_view params = semicolon == std::string_view::npos ? std::string_view{}
                                                                  : value.substr(semicolon + 1);
    while (!params.empty()) {
      while (!params.empty() && (detail::is_ows(params.front()) || params.front() == ';')) {
        params.remove_prefix(1);
      }
      const std::size_t equals = params.find('=');
      if (equals == std::string_view::npos) break;
      std::string_view name = params.substr(0, equals);
      while (!name.empty() && detail::is_ows(name.back())) name.remove_suffix(1);
      params.remove_prefix(equals + 1);
      while (!params.empty() && detail::is_ows(params.front())) params.remove_prefix(1);
      const bool wanted = detail::iequals(name, "boundary");
      std::size_t produced = 0;
      bool too_long = false;
      if (!params.empty() && params.front() == '"') {
        std::size_t i = 1;
        bool closed = false;
        for (; i < params.size(); ++i) {
          char c = params[i];
          if (c == '"') {
            closed = true;
            ++i;
            break;
          }
          if (c == '\\' && i + 1 < params.size()) c = params[++i];
          if (produced + 1 < capacity) {
            out[produced++] = c;
          } else {
            too_long = true;
          }
        }
        if (!closed) return make_error_code(errc::content_type_invalid);
        params.remove_prefix(i);
      } else {
        std::size_t i = 0;
        while (i < params.size() && params[i] != ';' && !detail::is_ows(params[i])) {
          if (produced + 1 < capacity) {
            out[produced++] = params[i];
          } else {
            too_long = true;
          }
          ++i;
        }
        params.remove_prefix(i);
      }
      if (wanted) {
        if (too_long) return make_error_code(errc::boundary_too_long);
        size = produced;
        return validate_boundary(std::string_view(out, size));
      }
      const std::size_t next = params.find(';');
      if (next == std::string_view::npos) break;
      params.remove_prefix(next);
    }
    return make_error_code(reader_errc::boundary_missing);
  }

  // Reads the next bytes of the body. Calls the handler for every event they
  // complete; body bytes arrive as views into chunk (or, for the few bytes
  // held back at the end of an earlier chunk, into the reader). On an error
  // the reader stops: later calls report reader_errc::reader_failed until
  // reset(). Bytes after the close delimiter (the epilogue) are ignored.
  template <class Handler>
  void feed(std::string_view chunk, Handler&& handler, std::error_code& ec) {
    static_assert(detail::is_reader_handler<std::remove_reference_t<Handler>>::value,
                  "a MultipartReader handler needs on_part_begin(const part_info&), "
                  "on_part_data(std::string_view), on_part_end() and on_stream_end()");
    ec.clear();
    if (state_ == state::failed) {
      ec = failed_error();
      return;
    }
    const char* p = chunk.data();
    const char* const end = p + chunk.size();
    while (p != end && !ec) {
      switch (state_) {
        case state::preamble:
        case state::body_scan:
          p = scan(p, end, handler, ec);
          break;
        case state::delimiter_tail:
          p = delimiter_tail(p, end, handler, ec);
          break;
        case state::headers:
          p = header_block(p, end, handler, ec);
          break;
        case state::body_fixed:
          p = body_fixed(p, end, handler, ec);
          break;
        case state::body_delimiter:
          p = body_delimiter(p, end, handler, ec);
          break;
        case state::done:
          p = end;
          break;
        case state::failed:
          return;
      }
    }
    if (ec) fail(ec);
  }

  // At the end of input. Strict mode reports an error unless the close
  // delimiter was read; lenient mode ends the open part and the stream
  // (counted in quirks().missing_close_delimiter), but still needs one
  // delimiter to have been seen.
  template <class Handler>
  void finish(Handler&& handler, std::error_code& ec) {
    static_assert(detail::is_reader_handler<std::remove_reference_t<Handler>>::value,
                  "a MultipartReader handler needs on_part_begin(const part_info&), "
                  "on_part_data(std::string_view), on_part_end() and on_stream_end()");
    ec.clear();
    switch (state_) {
      case state::failed:
        ec = failed_error();
        return;
      case state::done:
        return;
      case state::preamble:
        ec = make_error_code(reader_errc::no_delimiter);
        break;
      case state::delimiter_tail:
        if (!options_.lenient) ec = make_error_code(reader_errc::missing_close_delimiter);
        break;
      case state::headers:
        if (!options_.lenient) ec = make_error_code(reader_errc::ended_in_header_block);
        break;
      case state::body_fixed:
        if (!options_.lenient) {
          ec = make_error_code(reader_errc::ended_in_part);
        } else {
          ++quirks_.content_length_mismatch;
        }
        break;
      case state::body_delimiter:
        if (!options_.lenient) ec = make_error_code(reader_errc::ended_in_part);
        break;
      case state::body_scan:
        if (!options_.lenient) {
          ec = make_error_code(reader_errc::ended_in_part);
        } else if (carry_size_ != 0) {
          emit_body(carry_.data(), carry_size_, handler, ec);
          carry_size_ = 0;
        }
        break;
    }
    if (ec) {
      fail(ec);
      return;
    }
    ++quirks_.missing_close_delimiter;
    if (in_part_) {
      in_part_ = false;
      handler.on_part_end();
    }
    state_ = state::done;
    handler.on_stream_end();
  }

#if SERVERPUSH_HAS_EXCEPTIONS
  template <class Handler>
  void feed(std::string_view chunk, Handler&& handler) {
    std::error_code ec;
    feed(chunk, handler, ec);
    if (ec) detail::throw_error(ec);
  }
  template <class Handler>
  void finish(Handler&& handler) {
    std::error_code ec;
    finish(handler, ec);
    if (ec) detail::throw_error(ec);
  }
#endif

  // Starts over for a new stream with the same boundary and options,
  // keeping the buffers (no allocation). An invalid boundary stays invalid.
  void reset() noexcept {
    if (boundary_error_) {
      error_ = boundary_error_;
      state_ = state::failed;
      return;
    }
    state_ = state::preamble;
    error_.clear();
    start_preamble();
    header_bytes_.clear();
    fields_.clear();
    in_part_ = false;
    part_bytes_ = 0;
    quirks_ = {};
  }

  std::string_view boundary() const noexcept { return boundary_.view(); }
  const reader_options& options() const noexcept { return options_; }
  const reader_quirks& quirks() const noexcept { return quirks_; }
  // True once the close delimiter was read (or finish() ended the stream).
  bool is_done() const noexcept { return state_ == state::done; }
  // The error that stopped the reader, if any.
  std::error_code error() const noexcept { return error_; }

 private:
  enum class state : unsigned char {
    preamble,        // before the first delimiter: bytes are discarded
    delimiter_tail,  // after "--boundary": "--", padding, CRLF
    headers,         // a part's header block
    body_fixed,      // Content-Length bytes still to hand on
    body_delimiter,  // Content-Length done: the delimiter must follow
    body_scan,       // no Content-Length: look for the delimiter
    done,
    failed,
  };
  enum class line_end : unsigned char { crlf, lf, none };

  // "\r\n--" + a dash-boundary "--" ... 70 bchars: every pattern fits with room.
  static constexpr std::size_t max_pattern = 4 + 2 + max_boundary_size;
  static constexpr std::size_t carry_capacity = 2 * max_pattern;
  static constexpr std::size_t max_padding = 256;

  explicit MultipartReader(const reader_options& options) : options_(options) {}

  void init(std::string_view boundary, std::error_code& ec) {
    boundary_ = boundary_string::from(boundary, ec);
    if (ec) {
      boundary_error_ = ec;
      fail(ec);
      return;
    }
    set_dash_boundary(false);
    start_preamble();
  }

  // The line "--boundary", or in lenient mode for a boundary written with
  // its dashes, the boundary itself.
  void set_dash_boundary(bool boundary_is_dash_line) noexcept {
    const std::string_view b = boundary_.view();
    std::size_t n = 0;
    pattern_[n++] = '\r';
    pattern_[n++] = '\n';
    if (!boundary_is_dash_line) {
      pattern_[n++] = '-';
      pattern_[n++] = '-';
    }
    for (char c : b) pattern_[n++] = c;
    pattern_size_ = n;
  }

  // What the scan looks for: the whole delimiter in strict mode, the
  // dash-boundary alone in lenient mode (the line end before it is optional
  // there), and while a "--X" boundary's form is undecided, "--X" itself.
  std::string_view needle() const noexcept {
    if (!options_.lenient) return {pattern_.data(), pattern_size_};
    if (!dashes_decided_) return boundary_.view();
    return {pattern_.data() + 2, pattern_size_ - 2};
  }
  std::string_view delimiter() const noexcept { return {pattern_.data(), pattern_size_}; }

  void start_preamble() noexcept {
    // A virtual CRLF before the first byte lets "--boundary" at offset 0 match
    // like any other delimiter.
    carry_[0] = '\r';
    carry_[1] = '\n';
    carry_size_ = 2;
    preamble_discarded_ = 0;
    if (options_.lenient && boundary_.view().size() >= 3 && boundary_.view().substr(0, 2) == "--") {
      dashes_decided_ = false;
      set_dash_boundary(false);
    }
  }

  // A reader that never had a valid boundary keeps saying why.
  std::error_code failed_error() const noexcept {
    return boundary_error_ ? boundary_error_ : make_error_code(reader_errc::reader_failed);
  }

  void fail(const std::error_code& ec) noexcept {
    error_ = ec;
    state_ = state::failed;
  }

  struct match {
    std::size_t start = 0;  // first byte of the delimiter, line end included
    std::size_t end = 0;    // one past "--boundary"
    line_end before = line_end::crlf;
    bool dash_line = false;  // lenient "--X" boundary written as "--X"
  };

  // First delimiter in buf[0, size), if any.
  bool find(const char* buf, std::size_t size, match& m) const noexcept {
    const std::string_view n = needle();
    const char* hit = detail::find_bytes(buf, size, n.data(), n.size());
    if (hit == nullptr) return false;
    std::size_t pos = static_cast<std::size_t>(hit - buf);
    m.end = pos + n.size();
    if (!options_.lenient) {
      m.start = pos;
      m.before = line_end::crlf;
      return true;
    }
    m.dash_line = false;
    if (!dashes_decided_) {
      if (pos >= 2 && buf[pos - 2] == '-' && buf[pos - 1] == '-') {
        pos -= 2;
      } else {
        m.dash_line = true;
      }
    }
    if (pos >= 2 && buf[pos - 2] == '\r' && buf[pos - 1] == '\n') {
      m.start = pos - 2;
      m.before = line_end::crlf;
    } else if (pos >= 1 && buf[pos - 1] == '\n') {
      m.start = pos - 1;
      m.before = line_end::lf;
    } else {
      m.start = pos;
      m.before = line_end::none;
    }
    return true;
  }

  static bool is_prefix(const char* tail, std::size_t size, std::string_view of) noexcept {
    return size < of.size() && std::memcmp(tail, of.data(), size) == 0;
  }

  // Where the bytes that could begin a delimiter start in buf[0, size): the
  // scan holds them back until the next chunk tells.
  std::size_t held_from(const char* buf, std::size_t size) const noexcept {
    if (state_ == state::preamble) {
      // Discarded bytes produce no event: keep enough for any look-back.
      const std::size_t keep = needle().size() + 4;
      return size > keep ? size - keep : 0;
    }
    const std::string_view d = delimiter();  // "\r\n--B"
    const std::size_t longest = d.size() - 1;
    for (std::size_t q = size > longest ? size - longest : 0; q < size; ++q) {
      const char c = buf[q];
      if (c != '\r' && (!options_.lenient || (c != '\n' && c != '-'))) continue;
      const char* tail = buf + q;
      const std::size_t n = size - q;
      if (is_prefix(tail, n, d)) return q;
      if (options_.lenient && (is_prefix(tail, n, d.substr(1)) || is_prefix(tail, n, d.substr(2)))) {
        return q;
      }
    }
    return size;
  }

  template <class Handler>
  void emit_body(const char* data, std::size_t size, Handler& handler, std::error_code& ec) {
    if (size == 0) return;
    if (state_ == state::preamble) {
      preamble_discarded_ += size;
      if (preamble_discarded_ > options_.max_preamble_bytes + 2) {
        ec = make_error_code(reader_errc::preamble_too_large);
      }
      return;
    }
    if (size > options_.max_part_bytes - part_bytes_) {
      ec = make_error_code(reader_errc::part_too_large);
      return;
    }
    part_bytes_ += size;
    handler.on_part_data(std::string_view(data, size));
  }

  // Preamble and body without Content-Length: hand on (or drop) everything
  // up to the next delimiter.
  template <class Handler>
  const char* scan(const char* p, const char* end, Handler& handler, std::error_code& ec) {
    const std::size_t n = static_cast<std::size_t>(end - p);
    match m;
    if (carry_size_ != 0) {
      // Held-back bytes and the start of this chunk, side by side.
      std::array<char, carry_capacity + max_pattern + 8> window;
      const std::size_t c = carry_size_;
      const std::size_t k = n < max_pattern + 4 ? n : max_pattern + 4;
      std::memcpy(window.data(), carry_.data(), c);
      std::memcpy(window.data() + c, p, k);
      const std::size_t w = c + k;
      const bool found = find(window.data(), w, m);
      if (found && m.start < c) {
        emit_body(carry_.data(), m.start, handler, ec);
        carry_size_ = 0;
        if (ec) return end;
        const char* next = p + (m.end - c);
        on_delimiter(m, handler, ec);
        return next;
      }
      if (k < n) {
        // No delimiter begins in the held bytes and this chunk is long: the
        // held bytes are body, the chunk is scanned on its own below.
        emit_body(carry_.data(), c, handler, ec);
        carry_size_ = 0;
        if (ec) return end;
      } else if (found) {
        emit_body(carry_.data(), c, handler, ec);
        carry_size_ = 0;
        if (ec) return end;
        emit_body(p, m.start - c, handler, ec);
        if (ec) return end;
        const char* next = p + (m.end - c);
        on_delimiter(m, handler, ec);
        return next;
      } else {
        // The whole chunk fits in the window: hold back its tail again.
        const std::size_t q = held_from(window.data(), w);
        if (q <= c) {
          emit_body(carry_.data(), q, handler, ec);
        } else {
          emit_body(carry_.data(), c, handler, ec);
          if (!ec) emit_body(p, q - c, handler, ec);
        }
        if (ec) return end;
        carry_size_ = w - q;
        std::memmove(carry_.data(), window.data() + q, carry_size_);
        return end;
      }
    }
    if (find(p, n, m)) {
      emit_body(p, m.start, handler, ec);
      if (ec) return end;
      on_delimiter(m, handler, ec);
      return p + m.end;
    }
    const std::size_t q = held_from(p, n);
    emit_body(p, q, handler, ec);
    if (ec) return end;
    carry_size_ = n - q;
    std::memcpy(carry_.data(), p + q, carry_size_);
    return end;
  }

  // A delimiter found by the scan or after a Content-Length body.
  template <class Handler>
  void on_delimiter(const match& m, Handler& handler, std::error_code& ec) {
    if (state_ == state::preamble) {
      if (preamble_discarded_ > 2) ++quirks_.preamble;
      if (!dashes_decided_) {
        dashes_decided_ = true;
        set_dash_boundary(m.dash_line);
        if (m.dash_line) ++quirks_.boundary_with_dashes;
      }
    } else {
      note_line_end(m.before, ec);
      if (ec) return;
    }
    if (in_part_) {
      in_part_ = false;
      handler.on_part_end();
    }
    state_ = state::delimiter_tail;
    tail_ = tail_state::start;
    padding_ = 0;
  }

  void note_line_end(line_end kind, std::error_code& ec) noexcept {
    if (kind == line_end::lf) {
      if (!options_.lenient) ec = make_error_code(reader_errc::bare_lf);
      ++quirks_.lf_line_endings;
    } else if (kind == line_end::none) {
      ++quirks_.missing_crlf_before_delimiter;
    }
  }

  enum class tail_state : unsigned char { start, dash, padding, cr };

  // After "--boundary": "--" ends the stream; else optional white space
  // (transport padding, RFC 2046) and CRLF start a part's headers.
  template <class Handler>
  const char* delimiter_tail(const char* p, const char* end, Handler& handler, std::error_code& ec) {
    while (p != end) {
      const char c = *p++;
      switch (tail_) {
        case tail_state::start:
          if (c == '-') {
            tail_ = tail_state::dash;
            continue;
          }
          break;
        case tail_state::dash:
          if (c == '-') {
            state_ = state::done;
            handler.on_stream_end();
            return end;
          }
          ec = make_error_code(reader_errc::delimiter_line_invalid);
          return end;
        case tail_state::cr:
          if (c == '\n') {
            begin_header_block();
            return p;
          }
          ec = make_error_code(reader_errc::delimiter_line_invalid);
          return end;
        case tail_state::padding:
          break;
      }
      if (c == ' ' || c == '\t') {
        if (tail_ != tail_state::padding) ++quirks_.transport_padding;
        tail_ = tail_state::padding;
        if (++padding_ > max_padding) {
          ec = make_error_code(reader_errc::delimiter_line_invalid);
          return end;
        }
      } else if (c == '\r') {
        tail_ = tail_state::cr;
      } else if (c == '\n') {
        note_line_end(line_end::lf, ec);
        if (ec) return end;
        begin_header_block();
        return p;
      } else {
        ec = make_error_code(reader_errc::delimiter_line_invalid);
        return end;
      }
    }
    return end;
  }

  void begin_header_block() noexcept {
    state_ = state::headers;
    header_bytes_.clear();
    line_start_ = 0;
  }

  // Copies the header block (the one copy the reader makes) up to its empty line.
  template <class Handler>
  const char* header_block(const char* p, const char* end, Handler& handler, std::error_code& ec) {
    while (p != end) {
      const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      const char* stop = nl ? static_cast<const char*>(nl) + 1 : end;
      const std::size_t take = static_cast<std::size_t>(stop - p);
      if (take > options_.max_header_bytes - header_bytes_.size()) {
        ec = make_error_code(reader_errc::header_block_too_large);
        return end;
      }
      if (header_bytes_.size() + take > header_bytes_.capacity()) {
        std::size_t grow = header_bytes_.capacity() * 2;
        if (grow < header_bytes_.size() + take) grow = header_bytes_.size() + take;
        if (grow < 256) grow = 256;
        if (grow > options_.max_header_bytes) grow = options_.max_header_bytes;
        header_bytes_.reserve(grow);
      }
      header_bytes_.insert(header_bytes_.end(), p, stop);
      p = stop;
      if (nl == nullptr) return end;
      const std::size_t line_size = header_bytes_.size() - line_start_;
      const char* line = header_bytes_.data() + line_start_;
      const bool crlf = line_size >= 2 && line[line_size - 2] == '\r';
      if (!crlf) {
        note_line_end(line_end::lf, ec);
        if (ec) return end;
      }
      if (line_size == (crlf ? 2u : 1u)) {
        start_part(handler, ec);
        return ec ? end : p;
      }
      line_start_ = header_bytes_.size();
    }
    return end;
  }

  // Splits the copied header block into fields and starts the part's body.
  template <class Handler>
  void start_part(Handler& handler, std::error_code& ec) {
    fields_.clear();
    part_info info;
    char* const block = header_bytes_.data();
    const std::size_t block_size = header_bytes_.size();
    std::size_t pos = 0;
    for (;;) {
      const char* nl =
          static_cast<const char*>(std::memchr(block + pos, '\n', block_size - pos));
      std::size_t line_end_pos = static_cast<std::size_t>(nl - block);
      std::size_t content_end = line_end_pos;
      if (content_end > pos && block[content_end - 1] == '\r') --content_end;
      if (content_end == pos) break;  // the empty line
      const std::string_view line(block + pos, content_end - pos);
      if (detail::is_ows(line.front())) {
        // An obsolete folded line continues the previous value: the line
        // break becomes white space so the value stays one view.
        if (fields_.empty()) {
          ec = make_error_code(reader_errc::header_line_invalid);
          return;
        }
        header& last = fields_.back();
        const char* value_begin = last.value.empty() ? block + pos : last.value.data();
        for (char* c = block + (value_begin - block) + last.value.size(); c < block + content_end; ++c) {
          if (*c == '\r' || *c == '\n') *c = ' ';
        }
        std::string_view value(value_begin, static_cast<std::size_t>(block + content_end - value_begin));
        while (!value.empty() && detail::is_ows(value.front())) value.remove_prefix(1);
        while (!value.empty() && detail::is_ows(value.back())) value.remove_suffix(1);
        if (!header_value_ok(value)) {
          ec = make_error_code(reader_errc::header_line_invalid);
          return;
        }
        last.value = value;
      } else {
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
          ec = make_error_code(reader_errc::header_line_invalid);
          return;
        }
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && detail::is_ows(value.front())) value.remove_prefix(1);
        while (!value.empty() && detail::is_ows(value.back())) value.remove_suffix(1);
        if (!header_value_ok(value)) {
          ec = make_error_code(reader_errc::header_line_invalid);
          return;
        }
        if (fields_.size() == options_.max_headers) {
          ec = make_error_code(reader_errc::too_many_headers);
          return;
        }
        if (fields_.capacity() == fields_.size()) {
          const std::size_t grow = fields_.empty() ? 8 : fields_.size() * 2;
          fields_.reserve(grow < options_.max_headers ? grow : options_.max_headers);
        }
        // Filled in place: a temporary header copied in stalls on store forwarding.
        fields_.emplace_back();
        fields_.back().name = line.substr(0, colon);
        fields_.back().value = value;
      }
      pos = line_end_pos + 1;
    }
    for (const header& h : fields_) {
      if (!detail::iequals(h.name, "Content-Length")) continue;
      std::size_t length = 0;
      if (!parse_length(h.value, length) || (info.has_length_ && info.length_ != length)) {
        ec = make_error_code(reader_errc::content_length_invalid);
        return;
      }
      info.has_length_ = true;
      info.length_ = length;
    }
    if (info.has_length_ && info.length_ > options_.max_part_bytes) {
      ec = make_error_code(reader_errc::part_too_large);
      return;
    }
    info.headers_ = fields_.data();
    info.count_ = fields_.size();
    in_part_ = true;
    part_bytes_ = 0;
    carry_size_ = 0;
    if (info.has_length_) {
      remaining_ = info.length_;
      state_ = remaining_ == 0 ? state::body_delimiter : state::body_fixed;
    } else {
      ++quirks_.missing_content_length;
      state_ = state::body_scan;
    }
    handler.on_part_begin(info);
  }

  static bool header_value_ok(std::string_view value) noexcept {
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
    }
    return true;
  }

  static bool parse_length(std::string_view text, std::size_t& out) noexcept {
    if (text.empty() || text.size() > 20) return false;
    std::size_t value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      const auto digit = static_cast<std::size_t>(c - '0');
      if (value > (std::numeric_limits<std::size_t>::max() - digit) / 10) return false;
      value = value * 10 + digit;
    }
    out = value;
    return true;
  }

  template <class Handler>
  const char* body_fixed(const char* p, const char* end, Handler& handler, std::error_code& ec) {
    const std::size_t available = static_cast<std::size_t>(end - p);
    const std::size_t take = available < remaining_ ? available : remaining_;
    part_bytes_ += take;
    remaining_ -= take;
    handler.on_part_data(std::string_view(p, take));
    (void)ec;
    if (remaining_ == 0) state_ = state::body_delimiter;
    return p + take;
  }

  // After a Content-Length body the delimiter must come next. Lenient mode
  // also takes it after LF alone or with no line end, and otherwise goes on
  // scanning for it, the bytes so far being more body.
  template <class Handler>
  const char* body_delimiter(const char* p, const char* end, Handler& handler, std::error_code& ec) {
    const std::string_view d = delimiter();
    if (carry_size_ == 0 && static_cast<std::size_t>(end - p) >= d.size() &&
        std::memcmp(p, d.data(), d.size()) == 0) {
      match m;
      m.end = d.size();
      on_delimiter(m, handler, ec);
      return p + d.size();
    }
    while (p != end) {
      carry_[carry_size_++] = *p++;
      std::string_view expected = d;
      line_end kind = line_end::crlf;
      if (options_.lenient) {
        if (carry_[0] == '\n') {
          expected = d.substr(1);
          kind = line_end::lf;
        } else if (carry_[0] == '-') {
          expected = d.substr(2);
          kind = line_end::none;
        }
      }
      if (carry_[carry_size_ - 1] != expected[carry_size_ - 1]) {
        if (!options_.lenient) {
          ec = make_error_code(reader_errc::content_length_mismatch);
          return end;
        }
        ++quirks_.content_length_mismatch;
        state_ = state::body_scan;
        return p;
      }
      if (carry_size_ == expected.size()) {
        carry_size_ = 0;
        match m;
        m.before = kind;
        on_delimiter(m, handler, ec);
        return p;
      }
    }
    return end;
  }

  reader_options options_;
  boundary_string boundary_;
  std::error_code boundary_error_;
  std::error_code error_;
  state state_ = state::preamble;
  tail_state tail_ = tail_state::start;
  bool dashes_decided_ = true;
  bool in_part_ = false;
  std::array<char, max_pattern> pattern_{};  // "\r\n" + dash-boundary
  std::size_t pattern_size_ = 0;
  std::array<char, carry_capacity> carry_{};
  std::size_t carry_size_ = 0;
  std::size_t preamble_discarded_ = 0;  // includes the virtual CRLF
  std::size_t padding_ = 0;
  std::size_t part_bytes_ = 0;
  std::size_t remaining_ = 0;
  std::size_t line_start_ = 0;
  std::vector<char> header_bytes_;
  std::vector<header> fields_;
  reader_quirks quirks_;
};

}  // namespace serverpush

#endif

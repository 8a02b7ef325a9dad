#ifndef SERVERPUSH_WRITER_HPP
#define SERVERPUSH_WRITER_HPP

#include <serverpush/boundary.hpp>
#include <serverpush/buffer.hpp>
#include <serverpush/detail/frame_buffer.hpp>
#include <serverpush/error.hpp>
#include <serverpush/framer.hpp>
#include <serverpush/header.hpp>
#include <serverpush/sink.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace serverpush {

// Writes a multipart/x-mixed-replace body to a sink.
//
// MultipartWriter<S> owns its sink (moved in); MultipartWriter<S&> refers to
// one the caller keeps alive. Every operation comes as an error_code overload
// that never throws and, where exceptions are enabled, as an overload that
// throws std::system_error. An operation that is rejected (bad header, wrong
// state, strict-mode delimiter in the payload) writes nothing at all.
template <class Sink>
class MultipartWriter {
  static_assert(is_sink_v<Sink>,
                "serverpush::MultipartWriter<Sink>: Sink needs a member write(const char*, "
                "std::size_t) or writev(const const_buffer*, std::size_t[, std::error_code&]); "
                "see serverpush/sink.hpp");

 public:
  using sink_type = Sink;
  using sink_object = std::remove_reference_t<Sink>;

  // A random boundary from the OS CSPRNG. Without exceptions, a CSPRNG failure
  // leaves the writer failed: every call then reports random_unavailable.
  explicit MultipartWriter(Sink sink) : sink_(static_cast<Sink&&>(sink)) {
    std::error_code ec;
    init(boundary_string::generate(ec), ec);
#if SERVERPUSH_HAS_EXCEPTIONS
    if (ec) detail::throw_error(ec);
#endif
  }
  MultipartWriter(Sink sink, std::error_code& ec) : sink_(static_cast<Sink&&>(sink)) {
    init(boundary_string::generate(ec), ec);
  }

  // The caller's boundary, validated (RFC 2046). Without exceptions, an
  // invalid boundary leaves the writer failed with the reason.
  MultipartWriter(Sink sink, std::string_view boundary) : sink_(static_cast<Sink&&>(sink)) {
    std::error_code ec;
    init(boundary_string::from(boundary, ec), ec);
#if SERVERPUSH_HAS_EXCEPTIONS
    if (ec) detail::throw_error(ec);
#endif
  }
  MultipartWriter(Sink sink, std::string_view boundary, std::error_code& ec)
      : sink_(static_cast<Sink&&>(sink)) {
    init(boundary_string::from(boundary, ec), ec);
  }

  MultipartWriter(MultipartWriter&&) = default;
  MultipartWriter(const MultipartWriter&) = delete;
  MultipartWriter& operator=(const MultipartWriter&) = delete;

  // ---- the stream --------------------------------------------------------

  std::string_view boundary() const noexcept { return boundary_.view(); }

  // "multipart/x-mixed-replace; boundary=B" for the HTTP response head; the
  // boundary is quoted only when it has characters that need it.
  std::string content_type() const { return boundary_.content_type(); }

  // Framing used for the bytes after each following payload (see framer.hpp).
  // May change between parts.
  void set_framing(framing f) noexcept { framing_ = f; }
  framing current_framing() const noexcept { return framing_; }

  // Strict mode refuses any payload that contains CRLF--boundary, which
  // would cut the part short for every boundary-scanning client. It applies
  // to every call made while it is on, also in the middle of a part begun
  // with begin_part: the writer always keeps the end of the open part's body,
  // so a delimiter that would straddle earlier bytes and the next chunk is
  // found too.
  void set_strict(bool on) noexcept { strict_ = on; }
  bool strict() const noexcept { return strict_; }

  bool is_closed() const noexcept { return state_ == state::closed; }
  bool is_failed() const noexcept { return state_ == state::failed; }
  bool in_part() const noexcept { return state_ == state::in_part; }
  stream_position position() const noexcept { return position_; }

  // Why the sink failed (e.g. EPIPE), once a call reported sink_failed.
  std::error_code sink_error() const noexcept { return sink_error_; }

  std::uint64_t parts_written() const noexcept { return parts_written_; }
  std::uint64_t bytes_written() const noexcept { return bytes_written_; }

  sink_object& sink() noexcept { return sink_; }
  const sink_object& sink() const noexcept { return sink_; }

  // ---- before the body ---------------------------------------------------

  // Writes the head, the bytes that go ahead of the body (the HTTP response
  // head, built with http::response_head), verbatim through the same sink and
  // with the same handling of short writes and failures. Only before the
  // first part (else body_started, nothing written).
  void write_head(bytes_view bytes, std::error_code& ec) {
    ec.clear();
    if (!can_start_part(ec)) return;
    if (position_ != stream_position::start) {
      ec = make_error_code(errc::body_started);
      return;
    }
    const const_buffer buf{bytes.data(), bytes.size()};
    send(&buf, 1, ec);
  }
  [[deprecated("use write_head")]] void write_prologue(bytes_view bytes, std::error_code& ec) {
    write_head(bytes, ec);
  }

  // ---- whole parts -------------------------------------------------------

  void write_part(std::string_view content_type, bytes_view payload, std::error_code& ec) {
    emit_part(content_type, payload, {}, framing_, ec);
  }
  void write_part(std::string_view content_type, bytes_view payload, header_list headers,
                  std::error_code& ec) {
    emit_part(content_type, payload, headers, framing_, ec);
  }
  // The size is a deduced integer so that a braced {} meant as "no extra
  // headers" in write_part(type, "text", {}, ec) cannot bind to it and
  // silently write an empty payload.
  template <class Size, std::enable_if_t<std::is_integral_v<Size>, int> = 0>
  void write_part(std::string_view content_type, const void* data, Size size, std::error_code& ec) {
    emit_part(content_type, bytes_view(data, static_cast<std::size_t>(size)), {}, framing_, ec);
  }
  void write_part(std::string_view content_type, const void* data, std::size_t size,
                  header_list headers, std::error_code& ec) {
    emit_part(content_type, bytes_view(data, size), headers, framing_, ec);
  }

  // A part known to be the last: framed with Content-Length and no early
  // bytes, so close() adds only the close delimiter and parsers see exactly
  // the parts that were written.
  void write_last_part(std::string_view content_type, bytes_view payload, std::error_code& ec) {
    emit_part(content_type, payload, {}, framing::content_length, ec);
  }
  void write_last_part(std::string_view content_type, bytes_view payload, header_list headers,
                       std::error_code& ec) {
    emit_part(content_type, payload, headers, framing::content_length, ec);
  }

  // ---- parts written in pieces -------------------------------------------

  // Opens a part. With a content_length the writer sends Content-Length (when
  // the header block is still to be sent) and enforces it in write_body and
  // end_part.
  void begin_part(std::string_view content_type, std::error_code& ec) {
    open_part(content_type, unknown_length, {}, ec);
  }
  void begin_part(std::string_view content_type, std::size_t content_length, std::error_code& ec) {
    open_part(content_type, content_length, {}, ec);
  }
  void begin_part(std::string_view content_type, std::size_t content_length, header_list headers,
                  std::error_code& ec) {
    open_part(content_type, content_length, headers, ec);
  }

  void write_body(bytes_view chunk, std::error_code& ec) {
    if (state_ != state::in_part) {
      ec = state_error(make_error_code(errc::no_part_in_progress));
      return;
    }
    if (declared_length_ != unknown_length && chunk.size() > declared_length_ - body_written_) {
      ec = make_error_code(errc::length_exceeded);
      return;
    }
    if (strict_ && scanner_.contains(chunk.as_string_view())) {
      ec = make_error_code(errc::payload_contains_delimiter);
      return;
    }
    const const_buffer buf{chunk.data(), chunk.size()};
    if (!send(&buf, 1, ec)) return;
    scanner_.advance(chunk.as_string_view());
    body_written_ += chunk.size();
  }
  void write_body(const void* data, std::size_t size, std::error_code& ec) {
    write_body(bytes_view(data, size), ec);
  }

  // Ends the open part with the current framing's trailer. With a declared
  // length not yet met it refuses (length_mismatch) and the part stays open.
  void end_part(std::error_code& ec) {
    if (state_ != state::in_part) {
      ec = state_error(make_error_code(errc::no_part_in_progress));
      return;
    }
    if (declared_length_ != unknown_length && body_written_ != declared_length_) {
      ec = make_error_code(errc::length_mismatch);
      return;
    }
    scratch_.clear();
    const stream_position next = framer(boundary_.view()).part_tail(scratch_, framing_, last_type_);
    const const_buffer buf{scratch_.data(), scratch_.size()};
    state_ = state::open;
    if (!send(&buf, 1, ec)) return;
    position_ = next;
    ++parts_written_;
  }

  // ---- the end -----------------------------------------------------------

  // Writes the close delimiter (finishing an announced part with an empty
  // body first), then finishes a sink that has a finish member (chunked_sink:
  // its last chunk), so the body is complete when close() returns. Closing a
  // closed writer does nothing.
  void close(std::error_code& ec) {
    ec.clear();
    if (state_ == state::closed) return;
    if (!can_start_part(ec)) return;
    scratch_.clear();
    framer(boundary_.view()).close(scratch_, position_, last_type_);
    const const_buffer buf{scratch_.data(), scratch_.size()};
    if (!send(&buf, 1, ec)) return;
    if constexpr (detail::has_finish_ec<sink_object>::value || detail::has_finish<sink_object>::value) {
      if (!finish_sink(ec)) return;
    }
    state_ = state::closed;
  }

#if SERVERPUSH_HAS_EXCEPTIONS
  void write_part(std::string_view content_type, bytes_view payload) {
    std::error_code ec;
    write_part(content_type, payload, ec);
    throw_if(ec);
  }
  void write_part(std::string_view content_type, bytes_view payload, header_list headers) {
    std::error_code ec;
    write_part(content_type, payload, headers, ec);
    throw_if(ec);
  }
  template <class Size, std::enable_if_t<std::is_integral_v<Size>, int> = 0>
  void write_part(std::string_view content_type, const void* data, Size size) {
    write_part(content_type, bytes_view(data, static_cast<std::size_t>(size)));
  }
  void write_part(std::string_view content_type, const void* data, std::size_t size,
                  header_list headers) {
    write_part(content_type, bytes_view(data, size), headers);
  }
  void write_last_part(std::string_view content_type, bytes_view payload,
                       header_list headers = {}) {
    std::error_code ec;
    write_last_part(content_type, payload, headers, ec);
    throw_if(ec);
  }
  void begin_part(std::string_view content_type, std::size_t content_length = unknown_length,
                  header_list headers = {}) {
    std::error_code ec;
    begin_part(content_type, content_length, headers, ec);
    throw_if(ec);
  }
  void write_body(bytes_view chunk) {
    std::error_code ec;
    write_body(chunk, ec);
    throw_if(ec);
  }
  void write_body(const void* data, std::size_t size) { write_body(bytes_view(data, size)); }
  void end_part() {
    std::error_code ec;
    end_part(ec);
    throw_if(ec);
  }
  void write_head(bytes_view bytes) {
    std::error_code ec;
    write_head(bytes, ec);
    throw_if(ec);
  }
  [[deprecated("use write_head")]] void write_prologue(bytes_view bytes) { write_head(bytes); }
  void close() {
    std::error_code ec;
    close(ec);
    throw_if(ec);
  }
#endif

 private:
  enum class state : unsigned char { open, in_part, closed, failed };

  void init(const boundary_string& b, const std::error_code& ec) {
    last_type_.reserve(64);  // content types fit: no allocation per part
    if (ec) {
      state_ = state::failed;
      failure_ = ec;
      return;
    }
    boundary_ = b;
  }

  // The error for a call made in a state that does not allow it.
  std::error_code state_error(std::error_code otherwise) const {
    switch (state_) {
      case state::closed:
        return make_error_code(errc::stream_closed);
      case state::failed:
        // Only a failed construction records its reason; a writer that
        // failed while sending reports writer_failed.
        return failure_ ? failure_ : make_error_code(errc::writer_failed);
      default:
        return otherwise;
    }
  }

  bool can_start_part(std::error_code& ec) const {
    if (state_ == state::open) return true;
    ec = state_error(make_error_code(errc::part_in_progress));
    return false;
  }

  // last_type_ only ever holds a content type that passed validation (an
  // empty one never does), so repeating it needs no second check.
  bool is_last_type(std::string_view content_type) const noexcept {
    return !last_type_.empty() && content_type == last_type_;
  }

  static std::error_code check_part(std::string_view content_type, bool same_type,
                                    header_list headers) noexcept {
    return same_type ? validate_headers(headers) : validate_headers(content_type, headers);
  }

  bool payload_has_delimiter(bytes_view payload) const noexcept {
    detail::delimiter_scanner scanner;
    scanner.reset(boundary_.view());
    return scanner.contains(payload.as_string_view());
  }

  void emit_part(std::string_view content_type, bytes_view payload, header_list headers,
                 framing tail, std::error_code& ec) {
    ec.clear();
    if (!can_start_part(ec)) return;
    const bool same_type = is_last_type(content_type);
    if ((ec = check_part(content_type, same_type, headers))) return;
    if (strict_ && payload_has_delimiter(payload)) {
      ec = make_error_code(errc::payload_contains_delimiter);
      return;
    }
    const framer f(boundary_.view());
    scratch_.clear();
    f.part_head(scratch_, position_, part_spec{content_type, headers, payload.size()}, last_type_);
    const std::size_t head_size = scratch_.size();
    const stream_position next = f.part_tail(scratch_, tail, content_type);
    const const_buffer bufs[3] = {
        {scratch_.data(), head_size},
        {payload.data(), payload.size()},
        {scratch_.data() + head_size, scratch_.size() - head_size},
    };
    if (!send(bufs, 3, ec)) return;
    position_ = next;
    if (!same_type) last_type_.assign(content_type.data(), content_type.size());
    ++parts_written_;
  }

  void open_part(std::string_view content_type, std::size_t content_length, header_list headers,
                 std::error_code& ec) {
    ec.clear();
    if (!can_start_part(ec)) return;
    if ((ec = check_part(content_type, is_last_type(content_type), headers))) return;
    scratch_.clear();
    framer(boundary_.view())
        .part_head(scratch_, position_, part_spec{content_type, headers, content_length},
                   last_type_);
    const const_buffer buf{scratch_.data(), scratch_.size()};
    if (!send(&buf, 1, ec)) return;
    scanner_.reset(boundary_.view());
    last_type_.assign(content_type.data(), content_type.size());
    declared_length_ = content_length;
    body_written_ = 0;
    state_ = state::in_part;
    // The header block is out; the position is now "inside a part".
    position_ = stream_position::after_header_block;
  }

  // Hands buffers to the sink. A sink failure (or exception) leaves the
  // writer failed for good: bytes may have reached the client, so no later
  // part could be framed correctly.
  bool send(const const_buffer* bufs, std::size_t count, std::error_code& ec) {
    const state before = state_;
    state_ = state::failed;  // stays so if the sink throws
    std::error_code sink_ec;
    bytes_written_ += detail::write_all(sink_, bufs, count, sink_ec);
    if (sink_ec) {
      sink_error_ = sink_ec;
      ec = make_error_code(errc::sink_failed);
      return false;
    }
    state_ = before;
    return true;
  }

  // Like send(): a failure (or exception) leaves the writer failed.
  bool finish_sink(std::error_code& ec) {
    state_ = state::failed;
    std::error_code sink_ec;
    if constexpr (detail::has_finish_ec<sink_object>::value) {
      sink_.finish(sink_ec);
    } else {
      sink_.finish();
    }
    if (sink_ec) {
      sink_error_ = sink_ec;
      ec = make_error_code(errc::sink_failed);
      return false;
    }
    return true;
  }

#if SERVERPUSH_HAS_EXCEPTIONS
  void throw_if(const std::error_code& ec) const {
    if (!ec) return;
    if (ec == errc::sink_failed) detail::throw_error(ec, sink_error_.message());
    detail::throw_error(ec);
  }
#endif

  Sink sink_;
  boundary_string boundary_;
  detail::frame_buffer scratch_;
  std::string last_type_;
  detail::delimiter_scanner scanner_;
  std::error_code failure_;
  std::error_code sink_error_;
  std::uint64_t parts_written_ = 0;
  std::uint64_t bytes_written_ = 0;
  std::size_t declared_length_ = unknown_length;
  std::size_t body_written_ = 0;
  stream_position position_ = stream_position::start;
  framing framing_ = framing::content_length;
  state state_ = state::open;
  bool strict_ = false;
};

// Class template argument deduction never copies a sink: a named sink is
// referred to (MultipartWriter<S&>), a temporary is moved in (MultipartWriter<S>).
//   serverpush::string_sink s;
//   serverpush::MultipartWriter w(s, "B");   // MultipartWriter<string_sink&>, writes into s
template <class S, std::enable_if_t<is_sink_v<S>, int> = 0>
MultipartWriter(S&&) -> MultipartWriter<S>;
template <class S, std::enable_if_t<is_sink_v<S>, int> = 0>
MultipartWriter(S&&, std::error_code&) -> MultipartWriter<S>;
template <class S, std::enable_if_t<is_sink_v<S>, int> = 0>
MultipartWriter(S&&, std::string_view) -> MultipartWriter<S>;
template <class S, std::enable_if_t<is_sink_v<S>, int> = 0>
MultipartWriter(S&&, std::string_view, std::error_code&) -> MultipartWriter<S>;

}  // namespace serverpush

#endif

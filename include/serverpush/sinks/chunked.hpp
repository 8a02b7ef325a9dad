#ifndef SERVERPUSH_SINKS_CHUNKED_HPP
#define SERVERPUSH_SINKS_CHUNKED_HPP

#include <serverpush/buffer.hpp>
#include <serverpush/error.hpp>
#include <serverpush/sink.hpp>

#include <cstddef>
#include <system_error>
#include <type_traits>

namespace serverpush {

// HTTP/1.1 chunked transfer coding on top of another sink, for hosts that keep
// the connection alive (the head then says Transfer-Encoding: chunked). Each
// gather call becomes one chunk: size line, the caller's buffers, CRLF, handed
// to the inner sink as one gather call, so a whole part still leaves in one
// system call on an fd_sink. finish() writes the last chunk "0" CRLF CRLF;
// MultipartWriter::close() calls it, so a writer on a chunked_sink needs no
// separate finish().
//
// chunked_sink<S> owns the inner sink; chunked_sink<S&> refers to one. A
// failure in the middle of a chunk leaves the body unusable, like any sink
// failure: the writer reports it and the host closes the connection.
template <class Sink>
class chunked_sink {
  static_assert(is_sink_v<Sink>, "serverpush::chunked_sink<Sink>: Sink must meet the sink contract "
                                 "(see serverpush/sink.hpp)");

 public:
  using inner_type = std::remove_reference_t<Sink>;

  explicit chunked_sink(Sink inner) : inner_(static_cast<Sink&&>(inner)) {}

  // Writes everything or sets `ec`; returns the payload bytes written (the
  // chunk framing is not counted). Empty buffers are skipped; nothing at all
  // to write sends nothing, since an empty chunk would end the body.
  std::size_t writev(const const_buffer* bufs, std::size_t count, std::error_code& ec) {
    ec.clear();
    if (finished_) {
      ec = make_error_code(errc::stream_closed);
      return 0;
    }
    std::size_t total = 0;
    std::size_t i = 0;
    while (i < count) {
      // Up to max_per_chunk non-empty caller buffers go into one chunk.
      const_buffer local[max_per_chunk + 2];
      std::size_t n = 1;
      std::size_t chunk_size = 0;
      for (; i < count && n <= max_per_chunk; ++i) {
        if (bufs[i].size == 0) continue;
        local[n++] = bufs[i];
        chunk_size += bufs[i].size;
      }
      if (chunk_size == 0) break;
      char line[2 * sizeof(std::size_t) + 2];
      local[0] = size_line(chunk_size, line);
      local[n++] = const_buffer{"\r\n", 2};
      detail::write_all(inner_, local, n, ec);
      if (ec) return total;
      total += chunk_size;
    }
    return total;
  }

  // The last chunk: the body ends here and the connection can carry the next
  // response. Idempotent: MultipartWriter::close() calls it, calling it again
  // does nothing.
  void finish(std::error_code& ec) {
    ec.clear();
    if (finished_) return;
    const const_buffer last{"0\r\n\r\n", 5};
    detail::write_all(inner_, &last, 1, ec);
    if (!ec) finished_ = true;
  }

  bool finished() const noexcept { return finished_; }
  inner_type& inner() noexcept { return inner_; }
  const inner_type& inner() const noexcept { return inner_; }

 private:
  // Six caller buffers plus size line and CRLF fit write_all's batch of eight.
  static constexpr std::size_t max_per_chunk = 6;

  static const_buffer size_line(std::size_t size, char* line) noexcept {
    static constexpr char hex[] = "0123456789abcdef";
    char digits[2 * sizeof(std::size_t)];
    std::size_t n = 0;
    do {
      digits[n++] = hex[size & 0xf];
      size >>= 4;
    } while (size != 0);
    std::size_t out = 0;
    while (n > 0) line[out++] = digits[--n];
    line[out++] = '\r';
    line[out++] = '\n';
    return const_buffer{line, out};
  }

  Sink inner_;
  bool finished_ = false;
};

// Deduction never copies the inner sink: a named one is referred to
// (chunked_sink<S&>), a temporary is moved in (chunked_sink<S>).
template <class Sink, std::enable_if_t<is_sink_v<Sink>, int> = 0>
chunked_sink(Sink&&) -> chunked_sink<Sink>;

}  // namespace serverpush

#endif

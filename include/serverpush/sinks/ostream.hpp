#ifndef SERVERPUSH_SINKS_OSTREAM_HPP
#define SERVERPUSH_SINKS_OSTREAM_HPP

#include <serverpush/buffer.hpp>

#include <cstddef>
#include <ios>
#include <ostream>
#include <streambuf>
#include <system_error>

namespace serverpush {

// Writes to a std::ostream the caller keeps alive. A stream in a failed state
// (before or after the write) is reported as std::io_errc::stream; a stream
// that throws on failure throws through the writer, which then counts itself
// failed. Flushes nothing unless the stream asks for it (unitbuf): call
// flush() on the stream when a part must leave.
//
// A whole part (header block, payload, trailer) goes to the stream buffer in
// one gather call, with the stream's own checks done once per part rather
// than once per piece as three ostream::write calls would.
class ostream_sink {
 public:
  explicit ostream_sink(std::ostream& os) noexcept : os_(&os) {}

  std::size_t writev(const const_buffer* bufs, std::size_t count, std::error_code& ec) {
    std::ostream& os = *os_;
    std::streambuf* buf = os.rdbuf();
    if (!os.good() || buf == nullptr) {
      ec = make_error_code(std::io_errc::stream);  // as ostream::write: state left alone
      return 0;
    }
    if (os.tie() != nullptr) os.tie()->flush();  // what ostream::write's sentry does
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const auto size = static_cast<std::streamsize>(bufs[i].size);
      const std::streamsize put = buf->sputn(bufs[i].data, size);
      total += static_cast<std::size_t>(put > 0 ? put : 0);
      if (put != size) {
        fail(ec);
        return total;
      }
    }
    // unitbuf: one flush per part, as the sentry of a single write would do.
    if ((os.flags() & std::ios_base::unitbuf) != 0 && buf->pubsync() == -1) fail(ec);
    return total;
  }

  std::ostream& stream() const noexcept { return *os_; }

 private:
  // A short write marks the stream bad as ostream::write would (throwing if
  // the stream's exceptions() ask for it), and is reported.
  void fail(std::error_code& ec) {
    os_->setstate(std::ios_base::badbit);
    ec = make_error_code(std::io_errc::stream);
  }

  std::ostream* os_;
};

}  // namespace serverpush

#endif

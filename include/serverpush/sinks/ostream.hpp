#ifndef SERVERPUSH_SINKS_OSTREAM_HPP
#define SERVERPUSH_SINKS_OSTREAM_HPP

#include <cstddef>
#include <ios>
#include <ostream>
#include <streambuf>
#include <system_error>

namespace serverpush {

// Writes to a std::ostream the caller keeps alive. A stream in a failed state
// (before or after the write) is reported as std::io_errc::stream; a stream
// that throws on failure throws through the writer, which then counts itself
// failed. Flushes nothing: call flush() on the stream when a part must leave.
class ostream_sink {
 public:
  explicit ostream_sink(std::ostream& os) noexcept : os_(&os) {}

  void write(const char* data, std::size_t size, std::error_code& ec) {
    if (!*os_) {
      ec = make_error_code(std::io_errc::stream);
      return;
    }
    os_->write(data, static_cast<std::streamsize>(size));
    if (!*os_) ec = make_error_code(std::io_errc::stream);
  }

  std::ostream& stream() const noexcept { return *os_; }

 private:
  std::ostream* os_;
};

}  // namespace serverpush

#endif

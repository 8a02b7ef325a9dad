#ifndef SERVERPUSH_BENCH_SINKS_HPP
#define SERVERPUSH_BENCH_SINKS_HPP

// One sink per form of the sink contract, each appending into a std::string
// the benchmark clears per part (capacity kept), and a stream buffer doing the
// same for writers that want a std::ostream.

#include <serverpush/buffer.hpp>

#include <cstddef>
#include <streambuf>
#include <string>
#include <system_error>

namespace spbench {

// The README's first sink.
struct plain_sink {
  std::string out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};

struct write_ec_sink {
  std::string out;
  void write(const char* data, std::size_t size, std::error_code&) { out.append(data, size); }
};

struct write_count_sink {
  std::string out;
  std::size_t write(const char* data, std::size_t size, std::error_code&) {
    out.append(data, size);
    return size;
  }
};

struct writev_sink {
  std::string out;
  void writev(const serverpush::const_buffer* bufs, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) out.append(bufs[i].data, bufs[i].size);
  }
};

struct writev_ec_sink {
  std::string out;
  std::size_t writev(const serverpush::const_buffer* bufs, std::size_t count, std::error_code&) {
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
      out.append(bufs[i].data, bufs[i].size);
      total += bufs[i].size;
    }
    return total;
  }
};

// A stream buffer with no buffer of its own: every write appends to `out`,
// as plain_sink does.
class string_appending_buf : public std::streambuf {
 public:
  std::string out;

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    out.append(data, static_cast<std::size_t>(size));
    return size;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) out.push_back(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
};

}  // namespace spbench

#endif

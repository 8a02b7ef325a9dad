// Reading multipart bodies: MultipartReader with and without Content-Length
// beside the limits of a scan over the same bytes (memchr for CR, memmem for
// the delimiter). The bytes arrive in 64 KiB reads, as from a socket. Poco's
// and FFmpeg's readers are in peers/*_reader.cpp.

#include "peers/bench_reader.hpp"

#include <serverpush/reader.hpp>

#include <cstring>
#include <string>
#include <string_view>

namespace {

using namespace spbench;

constexpr std::size_t read_size = 64 * 1024;

struct counting_handler {
  std::size_t parts = 0;
  std::size_t bytes = 0;
  void on_part_begin(const serverpush::part_info&) { ++parts; }
  void on_part_data(std::string_view b) { bytes += b.size(); }
  void on_part_end() {}
  void on_stream_end() {}
};

void serverpush_reader(benchmark::State& state, const reader_input& in, std::size_t, bool) {
  serverpush::MultipartReader reader(boundary);
  counting_handler h;
  const std::string_view body = in.body;
  for (auto _ : state) {
    reader.reset();
    h = {};
    std::error_code ec;
    for (std::size_t pos = 0; pos < body.size(); pos += read_size) {
      reader.feed(body.substr(pos, read_size), h, ec);
    }
    if (ec || h.parts != in.parts || h.bytes != in.payload_bytes) {
      state.SkipWithError("wrong parse");
      return;
    }
    benchmark::DoNotOptimize(h);
  }
}

// The limit of a scanning parser: memmem for CRLF--boundary over the same
// reads (a delimiter across two reads is missed: the limit only gets faster).
void memmem_scan(benchmark::State& state, const reader_input& in, std::size_t, bool) {
  const std::string delimiter = "\r\n--" + std::string(boundary);
  const std::string_view body = in.body;
  for (auto _ : state) {
    std::size_t found = 0;
    for (std::size_t pos = 0; pos < body.size(); pos += read_size) {
      const std::string_view chunk = body.substr(pos, read_size);
      const char* p = chunk.data();
      const char* end = p + chunk.size();
      while (p < end) {
        const void* hit = ::memmem(p, static_cast<std::size_t>(end - p), delimiter.data(), delimiter.size());
        if (hit == nullptr) break;
        ++found;
        p = static_cast<const char*>(hit) + delimiter.size();
      }
    }
    benchmark::DoNotOptimize(found);
  }
}

// memchr for every CR, then a compare: the naive scanning loop.
void memchr_scan(benchmark::State& state, const reader_input& in, std::size_t, bool) {
  const std::string delimiter = "\r\n--" + std::string(boundary);
  const std::string_view body = in.body;
  for (auto _ : state) {
    std::size_t found = 0;
    for (std::size_t pos = 0; pos < body.size(); pos += read_size) {
      const std::string_view chunk = body.substr(pos, read_size);
      const char* p = chunk.data();
      const char* end = p + chunk.size();
      while (p < end) {
        const void* hit = std::memchr(p, '\r', static_cast<std::size_t>(end - p));
        if (hit == nullptr) break;
        p = static_cast<const char*>(hit);
        if (static_cast<std::size_t>(end - p) >= delimiter.size() &&
            std::memcmp(p, delimiter.data(), delimiter.size()) == 0) {
          ++found;
          p += delimiter.size();
        } else {
          ++p;
        }
      }
    }
    benchmark::DoNotOptimize(found);
  }
}

const bool registered = [] {
  register_reader("serverpush", serverpush_reader);
  register_reader("memmem", memmem_scan, true);
  register_reader("memchr", memchr_scan, true);
  return true;
}();

}  // namespace

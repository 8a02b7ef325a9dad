#ifndef SERVERPUSH_BENCH_PEERS_BENCH_READER_HPP
#define SERVERPUSH_BENCH_PEERS_BENCH_READER_HPP

// Shared by the reading benchmarks: one multipart body per part size, with
// and without Content-Length, of at least 4 MiB, whose payloads are
// pseudo-random bytes of every value (CR and LF included, as in JPEG data).
// Every reader parses the same bytes; throughput counts all of them.

#include "../support.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>

namespace spbench {

struct reader_input {
  std::string body;
  std::size_t parts = 0;
  std::size_t payload_bytes = 0;
};

inline const reader_input& reader_stream(std::size_t size, bool with_length) {
  static std::map<std::pair<std::size_t, bool>, reader_input> cache;
  auto it = cache.find({size, with_length});
  if (it != cache.end()) return it->second;
  std::string payload(size, '\0');
  std::uint32_t state = 0x2545f491u ^ static_cast<std::uint32_t>(size);
  for (char& c : payload) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  reader_input in;
  const std::size_t target = std::size_t{4} << 20;
  while (in.body.size() < target || in.parts < 8) {
    in.body += "--";
    in.body += boundary;
    in.body += "\r\nContent-Type: image/jpeg\r\n";
    if (with_length) in.body += "Content-Length: " + std::to_string(size) + "\r\n";
    in.body += "\r\n";
    in.body += payload;
    in.body += "\r\n";
    ++in.parts;
    in.payload_bytes += size;
  }
  in.body += "--";
  in.body += boundary;
  in.body += "--\r\n";
  return cache.emplace(std::make_pair(size, with_length), std::move(in)).first->second;
}

// Registers reader/NAME/content_length and reader/NAME/scan for every part size.
template <class Fn>
void register_reader(const std::string& name, Fn fn, bool scan_only = false) {
  for (bool with_length : {true, false}) {
    if (with_length && scan_only) continue;
    const std::string full = "reader/" + name + (with_length ? "/content_length" : "/scan");
    auto* b = benchmark::RegisterBenchmark(full.c_str(), [fn, with_length](benchmark::State& state) {
      const auto size = static_cast<std::size_t>(state.range(0));
      const reader_input& in = reader_stream(size, with_length);
      fn(state, in, size, with_length);
      state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(in.body.size()));
      state.counters["ns_per_part"] = benchmark::Counter(
          static_cast<double>(state.iterations()) * static_cast<double>(in.parts) * 1e-9,
          benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    });
    for (std::int64_t size : part_sizes()) b->Arg(size);
    b->UseRealTime();
  }
}

}  // namespace spbench

#endif

#ifndef SERVERPUSH_BENCH_NAIVE_WRITER_HPP
#define SERVERPUSH_BENCH_NAIVE_WRITER_HPP

// The baseline: what a user writes in about 40 lines instead of the library,
// for the same bytes on the same sink.

#include <serverpush/sink.hpp>

#include <charconv>
#include <cstddef>
#include <cstring>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace spbench {


// The naive writer: no validation, no state beyond "was a block announced",
// the header built on the stack with to_chars, then three write calls (one
// gather call for a writev sink).
template <class Sink>
class naive_writer {
 public:
  naive_writer(Sink& sink, std::string_view boundary, bool announce)
      : sink_(sink), boundary_(boundary), announce_(announce) {}

  void write_part(std::string_view type, std::string_view payload) {
    char head[256];
    char* h = head;
    if (!announced_) {
      h = put(h, "--");
      h = put(h, boundary_);
      h = put(h, "\r\nContent-Type: ");
      h = put(h, type);
      h = put(h, "\r\nContent-Length: ");
      h = std::to_chars(h, head + sizeof head, payload.size()).ptr;
      h = put(h, "\r\n\r\n");
    }
    char tail[256];
    char* t = put(tail, "\r\n");
    if (announce_) {
      t = put(t, "--");
      t = put(t, boundary_);
      t = put(t, "\r\nContent-Type: ");
      t = put(t, type);
      t = put(t, "\r\n\r\n");
      announced_ = true;
    }
    emit(head, static_cast<std::size_t>(h - head), payload, tail, static_cast<std::size_t>(t - tail));
  }

 private:
  static char* put(char* out, std::string_view s) {
    std::memcpy(out, s.data(), s.size());
    return out + s.size();
  }

  void emit(const char* head, std::size_t head_size, std::string_view payload, const char* tail,
            std::size_t tail_size) {
    if constexpr (serverpush::is_gather_sink_v<Sink>) {
      const serverpush::const_buffer bufs[3] = {
          {head, head_size}, {payload.data(), payload.size()}, {tail, tail_size}};
      std::error_code ec;
      serverpush::write_all(sink_, bufs, 3, ec);
    } else {
      if (head_size != 0) write(head, head_size);
      write(payload.data(), payload.size());
      write(tail, tail_size);
    }
  }

  void write(const char* data, std::size_t size) {
    if constexpr (std::is_invocable_v<decltype(&Sink::write), Sink&, const char*, std::size_t>) {
      sink_.write(data, size);
    } else {
      std::error_code ec;
      sink_.write(data, size, ec);
    }
  }

  Sink& sink_;
  std::string_view boundary_;
  bool announce_;
  bool announced_ = false;
};

}  // namespace spbench

#endif

#ifndef SERVERPUSH_TESTS_SUPPORT_TEST_SINK_HPP
#define SERVERPUSH_TESTS_SUPPORT_TEST_SINK_HPP

// Scriptable sinks, one per form of the sink contract (serverpush/sink.hpp).
// Each records what it accepted and can be told to take at most N bytes per
// call, to fail with an error on the k-th call, to return 0 without an error
// (a stall) on the k-th call, or to throw on the k-th call. Once the output
// string has capacity for a run, they do not allocate.

#include <serverpush/buffer.hpp>
#include <serverpush/detail/config.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <system_error>

#if SERVERPUSH_HAS_EXCEPTIONS
#include <stdexcept>
#endif

namespace serverpush::test {

#if SERVERPUSH_HAS_EXCEPTIONS
// What a scripted sink throws, so tests can tell it from anything else.
struct sink_exception : std::runtime_error {
  sink_exception() : std::runtime_error("test sink threw as scripted") {}
};
#endif

class scripted_sink_base {
 public:
  static constexpr std::size_t never = 0;

  // Script, all counted from 1 over calls to the sink.
  std::size_t max_per_call = std::numeric_limits<std::size_t>::max();
  std::size_t fail_on_call = never;
  std::size_t stall_on_call = never;
  std::size_t throw_on_call = never;
  std::error_code fail_with = std::make_error_code(std::errc::broken_pipe);

  // What happened.
  std::string out;
  std::size_t calls = 0;

 protected:
  // Takes what the script allows from a gather list. Returns bytes taken;
  // `all_or_nothing` is for the void forms, which must take every byte.
  std::size_t take(const const_buffer* bufs, std::size_t count, std::error_code* ec,
                   bool all_or_nothing) {
    ++calls;
    if (throw_on_call == calls) raise();
    if (fail_on_call == calls) {
      if (ec) *ec = fail_with;
      return 0;
    }
    if (stall_on_call == calls) return 0;
    std::size_t budget = all_or_nothing ? std::numeric_limits<std::size_t>::max() : max_per_call;
    std::size_t taken = 0;
    for (std::size_t i = 0; i < count && budget > 0; ++i) {
      const std::size_t n = bufs[i].size < budget ? bufs[i].size : budget;
      out.append(bufs[i].data, n);
      budget -= n;
      taken += n;
    }
    return taken;
  }

 private:
  void raise() {
#if SERVERPUSH_HAS_EXCEPTIONS
    throw sink_exception();
#endif
  }
};

// std::size_t writev(const const_buffer*, std::size_t, std::error_code&)
struct writev_ec_sink : scripted_sink_base {
  static constexpr bool reports_errors = true;
  static constexpr bool short_writes = true;
  std::size_t writev(const const_buffer* bufs, std::size_t count, std::error_code& ec) {
    return take(bufs, count, &ec, false);
  }
};

// void writev(const const_buffer*, std::size_t): takes everything or throws.
struct writev_void_sink : scripted_sink_base {
  static constexpr bool reports_errors = false;
  static constexpr bool short_writes = false;
  void writev(const const_buffer* bufs, std::size_t count) { take(bufs, count, nullptr, true); }
};

// std::size_t write(const char*, std::size_t, std::error_code&)
struct write_count_sink : scripted_sink_base {
  static constexpr bool reports_errors = true;
  static constexpr bool short_writes = true;
  std::size_t write(const char* data, std::size_t size, std::error_code& ec) {
    const const_buffer buf{data, size};
    return take(&buf, 1, &ec, false);
  }
};

// void write(const char*, std::size_t, std::error_code&): all or ec.
struct write_ec_sink : scripted_sink_base {
  static constexpr bool reports_errors = true;
  static constexpr bool short_writes = false;
  void write(const char* data, std::size_t size, std::error_code& ec) {
    const const_buffer buf{data, size};
    take(&buf, 1, &ec, true);
  }
};

// void write(const char*, std::size_t): takes everything or throws.
struct write_plain_sink : scripted_sink_base {
  static constexpr bool reports_errors = false;
  static constexpr bool short_writes = false;
  void write(const char* data, std::size_t size) {
    const const_buffer buf{data, size};
    take(&buf, 1, nullptr, true);
  }
};

// Every scripted sink form, for doctest's TEST_CASE_TEMPLATE.
#define SERVERPUSH_TEST_SINK_FORMS                                                      \
  serverpush::test::writev_ec_sink, serverpush::test::writev_void_sink,                 \
      serverpush::test::write_count_sink, serverpush::test::write_ec_sink,              \
      serverpush::test::write_plain_sink

}  // namespace serverpush::test

#endif

#ifndef SERVERPUSH_TESTS_FUZZ_FUZZ_SUPPORT_HPP
#define SERVERPUSH_TESTS_FUZZ_FUZZ_SUPPORT_HPP

// What every harness shares: a check that aborts (libFuzzer and the replay
// runner both report an abort as a finding), and a reader that turns the
// fuzzer's bytes into decisions. The reader never fails: past the end it
// yields zeros, so every input decodes to some valid sequence of steps.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>

#define FUZZ_CHECK(condition)                                                            \
  do {                                                                                   \
    if (!(condition)) ::serverpush::fuzz::check_failed(#condition, __FILE__, __LINE__);  \
  } while (false)

namespace serverpush::fuzz {

[[noreturn]] inline void check_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  std::fflush(stderr);
  std::abort();
}

// Checks an error code against the expected one, printing both on mismatch.
#define FUZZ_CHECK_EC(got, want)                                                               \
  ::serverpush::fuzz::check_error_code((got), (want), __FILE__, __LINE__)

inline void check_error_code(const std::error_code& got, const std::error_code& want,
                             const char* file, int line) {
  if (got == want) return;
  std::fprintf(stderr, "%s:%d: error code %s:%d (%s), expected %s:%d (%s)\n", file, line,
               got.category().name(), got.value(), got.message().c_str(), want.category().name(),
               want.value(), want.message().c_str());
  std::fflush(stderr);
  std::abort();
}

class input {
 public:
  input(const std::uint8_t* data, std::size_t size) noexcept
      : data_(reinterpret_cast<const char*>(data)), size_(size) {}

  bool empty() const noexcept { return pos_ >= size_; }
  std::size_t remaining() const noexcept { return empty() ? 0 : size_ - pos_; }

  std::uint8_t byte() noexcept {
    return empty() ? 0 : static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::uint16_t u16() noexcept {
    const std::uint16_t high = byte();
    return static_cast<std::uint16_t>(high << 8 | byte());
  }
  bool flag() noexcept { return (byte() & 1) != 0; }
  // A value in [0, n); n must be positive.
  std::size_t below(std::size_t n) noexcept { return byte() % n; }

  // Up to `n` raw bytes (fewer at the end of the input).
  std::string_view bytes(std::size_t n) noexcept {
    const std::size_t take = n < remaining() ? n : remaining();
    const std::string_view out(data_ + pos_, take);
    pos_ += take;
    return out;
  }
  // A length-prefixed string of at most 255 bytes.
  std::string_view short_string() noexcept { return bytes(byte()); }

  template <class T, std::size_t N>
  const T& pick(const T (&choices)[N]) noexcept {
    return choices[below(N)];
  }

 private:
  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// A payload that readily contains, or almost contains, "CRLF--boundary":
// pieces of the delimiter mixed with raw bytes. One length byte, then pieces
// until that many bytes are built; lengths above 200 reach a few kilobytes.
inline std::string payload(input& in, std::string_view boundary) {
  const std::size_t code = in.byte();
  const std::size_t target = code <= 200 ? code : 200 + (code - 200) * 64;
  std::string out;
  while (out.size() < target && !in.empty()) {
    const std::uint8_t op = in.byte();
    switch (op % 8) {
      case 0: out += "\r\n"; break;
      case 1: out += "--"; break;
      case 2: out += boundary; break;
      case 3: out += boundary.substr(0, op / 8 % (boundary.size() + 1)); break;
      case 4: out += "\r\n--"; out += boundary; break;
      case 5: out.append(static_cast<std::size_t>(op / 8) * 8 + 1, 'x'); break;
      default: out += in.bytes(op / 8 % 16 + 1); break;
    }
  }
  if (out.size() > target) out.resize(target);
  // Inputs that ran out early still ask for their length: pad with a byte no
  // delimiter holds.
  out.resize(target, '\0');
  return out;
}

// Naive reference: does "CRLF--boundary" occur in CRLF + `text`? (A payload
// counts as preceded by CRLF: the header block ends with one.)
inline bool has_delimiter(std::string_view text, std::string_view boundary) {
  std::string all = "\r\n";
  all += text;
  std::string needle = "\r\n--";
  needle += boundary;
  return all.find(needle) != std::string::npos;
}

}  // namespace serverpush::fuzz

#endif

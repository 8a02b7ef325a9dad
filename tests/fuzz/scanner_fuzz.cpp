// detail::delimiter_scanner against a naive search: fed a payload in pieces,
// it must say "delimiter" exactly when CRLF + everything accepted so far +
// the new piece holds CRLF--boundary. Used as the writer uses it: a piece
// that finds the delimiter is tried on a copy and dropped.
//
// Input: a boundary choice, then steps: new piece (payload builder), or
// reset with another boundary.

#include "fuzz_support.hpp"

#include <serverpush/boundary.hpp>
#include <serverpush/framer.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using serverpush::fuzz::input;

// Boundaries of every length class, the longest RFC 2046 allows among them.
std::string pick_boundary(input& in) {
  static const char* const fixed[] = {
      "B", "--", "frame", "a b", "'()+_,-./:=?", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567",
  };
  const std::uint8_t choice = in.byte();
  if (choice < 160) {
    const std::string candidate(fixed[choice % (sizeof fixed / sizeof fixed[0])]);
    if (!serverpush::validate_boundary(candidate)) return candidate;
    return "x";
  }
  // A boundary of the input's own bytes, when it is a valid one.
  const std::string candidate(in.bytes(choice % 71 + 1));
  if (!serverpush::validate_boundary(candidate)) return candidate;
  return std::string(70 - choice % 70, '-');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  std::string boundary = pick_boundary(in);
  serverpush::detail::delimiter_scanner scanner;
  scanner.reset(boundary);
  std::string accepted;
  // The model searches everything from the start: bound its work.
  while (!in.empty() && accepted.size() < 64 * 1024) {
    if (in.byte() % 16 == 0) {
      boundary = pick_boundary(in);
      scanner.reset(boundary);
      accepted.clear();
      continue;
    }
    const std::string piece = serverpush::fuzz::payload(in, boundary);
    serverpush::detail::delimiter_scanner probe = scanner;
    const bool found = probe.feed(piece);
    FUZZ_CHECK(found == serverpush::fuzz::has_delimiter(accepted + piece, boundary));
    if (!found) {
      scanner = probe;
      accepted += piece;
    }
  }
  return 0;
}

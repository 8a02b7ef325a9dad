#ifndef SERVERPUSH_DEMO_REQUEST_HPP
#define SERVERPUSH_DEMO_REQUEST_HPP

// A strict, small HTTP/1.x request-head parser: enough for the demo, and
// strict so malformed input gets a clear 4xx instead of a guess.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace demo {

// Longest request head accepted; longer ones get 431.
inline constexpr std::size_t max_request_head = 8 * 1024;

struct request {
  std::string method;
  std::string target;  // as sent, e.g. "/stream.mjpg?framing=eager"
  std::string path;    // target up to '?'
  std::string query;   // after '?', may be empty
  int minor_version = 1;
  std::vector<std::pair<std::string, std::string>> headers;

  // Value of the first header with this name (case-insensitive), or "".
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // Value of a query parameter ("a=1&b=2"), or "" when absent.
  std::string_view param(std::string_view key) const;
};

enum class parse_result {
  incomplete,          // need more bytes
  complete,            // `out` is filled
  bad_request,         // 400
  head_too_large,      // 431
  version_unsupported, // 505
};

// Parses the head at the start of `data` (the bytes received so far).
parse_result parse_request(std::string_view data, request& out);

}  // namespace demo

#endif

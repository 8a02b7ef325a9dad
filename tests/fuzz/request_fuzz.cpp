// The demo's request-head parser (examples/demo/request.hpp). For any bytes:
// - a complete request holds only what the grammar allows (token method,
//   origin-form target split into path and query, HTTP/1.0 or 1.1, token
//   header names, clean trimmed values, one Host for 1.1), written back out it
//   parses to the same request, and bytes after the head change nothing;
// - no prefix of a complete request is refused: the server answers a request
//   that arrives in pieces, whatever the pieces;
// - a refusal stays a refusal whatever follows;
// - header() and param() agree with a plain search.
//
// Input: the bytes received, as they are.

#include "fuzz_support.hpp"

#include "request.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using demo::parse_request;
using demo::parse_result;

bool is_tchar(char c) {
  static constexpr std::string_view others = "!#$%&'*+-.^_`|~";
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         others.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_error(parse_result r) {
  return r != parse_result::complete && r != parse_result::incomplete;
}

std::string serialize(const demo::request& r) {
  std::string out = r.method + " " + r.target + " HTTP/1." + std::to_string(r.minor_version) + "\r\n";
  for (const auto& h : r.headers) out += h.first + ": " + h.second + "\r\n";
  out += "\r\n";
  return out;
}

bool same_request(const demo::request& a, const demo::request& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path && a.query == b.query &&
         a.minor_version == b.minor_version && a.headers == b.headers;
}

// The first "key=value" pair of the query with this key, as plainly as it gets.
std::string plain_param(const std::string& query, const std::string& key) {
  std::size_t from = 0;
  while (from <= query.size()) {
    std::size_t amp = query.find('&', from);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(from, amp - from);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string::npos ? "" : pair.substr(eq + 1);
    if (amp == query.size()) break;
    from = amp + 1;
  }
  return "";
}

void check_complete(std::string_view data, const demo::request& r) {
  FUZZ_CHECK(is_token(r.method));
  FUZZ_CHECK(!r.target.empty() && r.target[0] == '/');
  for (char c : r.target) FUZZ_CHECK(c > 0x20 && c < 0x7f);
  const std::size_t q = r.target.find('?');
  FUZZ_CHECK(r.path == r.target.substr(0, q));
  FUZZ_CHECK(r.query == (q == std::string::npos ? "" : r.target.substr(q + 1)));
  FUZZ_CHECK(r.minor_version == 0 || r.minor_version == 1);

  const std::size_t end = data.find("\r\n\r\n");
  FUZZ_CHECK(end != std::string_view::npos && end + 4 <= demo::max_request_head);
  std::size_t lines = 0;
  for (std::size_t at = data.find("\r\n"); at < end; at = data.find("\r\n", at + 2)) ++lines;
  FUZZ_CHECK(r.headers.size() == lines);

  std::size_t hosts = 0;
  for (const auto& h : r.headers) {
    FUZZ_CHECK(is_token(h.first));
    for (char c : h.second) {
      const auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u >= 0x20 || c == '\t');
      FUZZ_CHECK(u != 0x7f);
    }
    if (!h.second.empty()) {
      FUZZ_CHECK(h.second.front() != ' ' && h.second.front() != '\t');
      FUZZ_CHECK(h.second.back() != ' ' && h.second.back() != '\t');
    }
    if (same_name(h.first, "host")) ++hosts;
    // header() finds the first of that name, whatever its case.
    std::string first;
    for (const auto& g : r.headers) {
      if (same_name(g.first, h.first)) {
        first = g.second;
        break;
      }
    }
    FUZZ_CHECK(r.header(h.first) == first);
    FUZZ_CHECK(r.has_header(h.first));
  }
  if (r.minor_version == 1) FUZZ_CHECK(hosts == 1);

  // Keys to look up: each one the query has, and one it may not.
  std::size_t from = 0;
  while (from < r.query.size()) {
    std::size_t amp = r.query.find('&', from);
    if (amp == std::string::npos) amp = r.query.size();
    const std::string key = r.query.substr(from, std::min(amp, r.query.find('=', from)) - from);
    FUZZ_CHECK(r.param(key) == plain_param(r.query, key));
    from = amp + 1;
  }
  FUZZ_CHECK(r.param("framing") == plain_param(r.query, "framing"));

  demo::request again;
  FUZZ_CHECK(parse_request(serialize(r), again) == parse_result::complete);
  FUZZ_CHECK(same_request(r, again));

  // Bytes after the head (a pipelined request, a body) change nothing.
  std::string longer(data);
  longer += "GET / HTTP/1.1\r\n";
  demo::request extended;
  FUZZ_CHECK(parse_request(longer, extended) == parse_result::complete);
  FUZZ_CHECK(same_request(r, extended));

  // Every prefix of the head is only incomplete. Short heads are checked at
  // every length, longer ones at line ends and every 29th byte.
  demo::request scratch;
  const std::size_t head = end + 4;
  for (std::size_t n = 0; n < head; ++n) {
    const bool line_end = n >= 2 && data[n - 1] == '\n';
    if (head > 96 && !line_end && n % 29 != 0 && n + 1 != head) continue;
    FUZZ_CHECK(parse_request(data.substr(0, n), scratch) == parse_result::incomplete);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  demo::request r;
  const parse_result result = parse_request(bytes, r);
  switch (result) {
    case parse_result::complete:
      check_complete(bytes, r);
      break;
    case parse_result::incomplete:
      FUZZ_CHECK(bytes.find("\r\n\r\n") == std::string_view::npos);
      FUZZ_CHECK(bytes.size() <= demo::max_request_head);
      break;
    default: {
      // Whatever arrives next, the answer stays a refusal.
      demo::request scratch;
      FUZZ_CHECK(is_error(parse_request(std::string(bytes) + "\r\n\r\n", scratch)));
      FUZZ_CHECK(is_error(parse_request(std::string(bytes) + "\r\nHost: a\r\n\r\n", scratch)));
      break;
    }
  }
  return 0;
}

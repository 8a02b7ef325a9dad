#include "request.hpp"

#include <serverpush/header.hpp>

namespace demo {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// origin-form only: "/" followed by visible ASCII.
bool is_origin_target(std::string_view t) {
  if (t.empty() || t[0] != '/') return false;
  for (char c : t) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view request::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.first, name)) return h.second;
  }
  return {};
}

bool request::has_header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.first, name)) return true;
  }
  return false;
}

std::string_view request::param(std::string_view key) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

namespace {

// Checks "METHOD SP origin-target SP HTTP/d.d" and splits it.
parse_result parse_request_line(std::string_view line, std::string_view& method,
                                std::string_view& target, int& minor) {
  const std::size_t sp1 = line.find(' ');
  const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return parse_result::bad_request;
  }
  method = line.substr(0, sp1);
  target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!serverpush::is_token(method) || !is_origin_target(target)) return parse_result::bad_request;
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return parse_result::bad_request;
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return parse_result::version_unsupported;
  }
  minor = version[7] - '0';
  return parse_result::complete;
}

}  // namespace

parse_result parse_request(std::string_view data, request& out) {
  std::string_view method, target;
  int minor = 1;
  const std::size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    // Bare-LF heads are not accepted; say so instead of waiting for more.
    if (data.find("\n\n") != std::string_view::npos) return parse_result::bad_request;
    // A bad request line (or bytes that are not HTTP at all) is refused as
    // soon as it is complete, not after the request timeout.
    const std::size_t eol = data.find("\r\n");
    if (eol != std::string_view::npos) {
      const parse_result line = parse_request_line(data.substr(0, eol), method, target, minor);
      if (line != parse_result::complete) return line;
    }
    return data.size() > max_request_head ? parse_result::head_too_large : parse_result::incomplete;
  }
  if (end + 4 > max_request_head) return parse_result::head_too_large;
  std::string_view head = data.substr(0, end + 2);

  const std::size_t line_end = head.find("\r\n");
  const parse_result line = parse_request_line(head.substr(0, line_end), method, target, minor);
  if (line != parse_result::complete) return line;
  head.remove_prefix(line_end + 2);

  out = request{};
  out.method = std::string(method);
  out.target = std::string(target);
  const std::size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  out.minor_version = minor;

  while (!head.empty()) {
    const std::size_t eol = head.find("\r\n");
    const std::string_view field = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const std::size_t colon = field.find(':');
    // No colon, or white space before it (RFC 9112 section 5.1), or a folded line.
    if (colon == std::string_view::npos || !serverpush::is_token(field.substr(0, colon))) {
      return parse_result::bad_request;
    }
    const std::string_view value = trim(field.substr(colon + 1));
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) return parse_result::bad_request;
    }
    out.headers.emplace_back(std::string(field.substr(0, colon)), std::string(value));
  }
  // HTTP/1.1 requires exactly one Host header (RFC 9112 section 3.2).
  if (out.minor_version == 1) {
    int hosts = 0;
    for (const auto& h : out.headers) hosts += iequals(h.first, "Host") ? 1 : 0;
    if (hosts != 1) return parse_result::bad_request;
  }
  return parse_result::complete;
}

}  // namespace demo

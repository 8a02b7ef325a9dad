// The validators (is_token, validate_content_type, validate_header,
// validate_headers) against models written here from RFC 9110, and the HTTP
// response head built from what they accept: a header that passes can never
// add a line or end the head early.
//
// Input: a content type, then up to four extra headers (name, value), each a
// length-prefixed string, then the response options.

#include "fuzz_support.hpp"

#include <serverpush/header.hpp>
#include <serverpush/http.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using serverpush::errc;
using serverpush::make_error_code;
using serverpush::fuzz::input;

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

bool is_ows(char c) { return c == ' ' || c == '\t'; }

// field-value with nothing to trim: VCHAR, obs-text, SP and HTAB inside.
bool is_field_value(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return s.empty() || (!is_ows(s.front()) && !is_ows(s.back()));
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    const char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

// RFC 9110 section 8.3.1:
//   media-type = type "/" subtype parameters
//   parameters = *( OWS ";" OWS [ parameter ] )
//   parameter  = parameter-name "=" ( token / quoted-string )
// as a whole field value (nothing to trim at either end).
bool is_media_type(std::string_view s) {
  if (!is_field_value(s)) return false;
  std::size_t i = 0;
  auto token = [&] {
    const std::size_t from = i;
    while (i < s.size() && is_tchar(s[i])) ++i;
    return i > from;
  };
  auto ows = [&] {
    while (i < s.size() && is_ows(s[i])) ++i;
  };
  auto quoted_string = [&] {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    while (i < s.size()) {
      const auto u = static_cast<unsigned char>(s[i]);
      if (s[i] == '"') {
        ++i;
        return true;
      }
      if (s[i] == '\\') {
        if (i + 1 >= s.size()) return false;
        const auto next = static_cast<unsigned char>(s[i + 1]);
        if (next != '\t' && (next < 0x20 || next == 0x7f)) return false;
        i += 2;
        continue;
      }
      if (u != '\t' && (u < 0x20 || u == 0x7f)) return false;
      ++i;
    }
    return false;
  };
  if (!token() || i >= s.size() || s[i] != '/') return false;
  ++i;
  if (!token()) return false;
  for (;;) {
    ows();
    if (i == s.size()) return true;
    if (s[i] != ';') return false;
    ++i;
    ows();
    if (i == s.size() || s[i] == ';') continue;
    if (!token() || i >= s.size() || s[i] != '=') return false;
    ++i;
    if (!token() && !quoted_string()) return false;
  }
}

std::error_code expected_header(const serverpush::header& h) {
  if (!is_token(h.name)) return make_error_code(errc::header_name_invalid);
  if (!is_field_value(h.value)) return make_error_code(errc::header_value_invalid);
  if (same_name(h.name, "content-type") || same_name(h.name, "content-length")) {
    return make_error_code(errc::header_reserved);
  }
  return {};
}

// Splits an HTTP response head into lines: each must end with CRLF, hold no
// other CR or LF, and the head must end at its first empty line.
std::vector<std::string_view> head_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t eol = head.find("\r\n", pos);
    FUZZ_CHECK(eol != std::string_view::npos);
    const std::string_view line = head.substr(pos, eol - pos);
    FUZZ_CHECK(line.find('\r') == std::string_view::npos && line.find('\n') == std::string_view::npos);
    pos = eol + 2;
    if (line.empty()) break;
    lines.push_back(line);
  }
  FUZZ_CHECK(pos == head.size());
  return lines;
}

void check_response_head(std::string_view content_type,
                         const std::vector<serverpush::header>& extra, input& in) {
  namespace http = serverpush::http;
  http::response_options options;
  options.http_version = in.flag() ? http::version::http_1_0 : http::version::http_1_1;
  options.keep_alive = in.flag();
  options.extra_headers = extra;

  std::error_code want = serverpush::validate_content_type(content_type);
  for (const serverpush::header& h : extra) {
    if (want) break;
    want = expected_header(h);
    if (!want && (same_name(h.name, "transfer-encoding") || same_name(h.name, "connection"))) {
      want = make_error_code(errc::header_reserved);
    }
  }
  std::error_code ec;
  const std::string head = http::response_head(content_type, options, ec);
  FUZZ_CHECK(ec == want);
  if (ec) {
    FUZZ_CHECK(head.empty());
    return;
  }
  const std::vector<std::string_view> lines = head_lines(head);
  FUZZ_CHECK(!lines.empty());
  FUZZ_CHECK(lines[0] == (options.http_version == http::version::http_1_0 ? "HTTP/1.0 200 OK"
                                                                            : "HTTP/1.1 200 OK"));
  FUZZ_CHECK(lines.size() >= 1 + extra.size());
  std::size_t types = 0;
  std::size_t chunked = 0;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::size_t colon = lines[i].find(": ");
    FUZZ_CHECK(colon != std::string_view::npos && is_token(lines[i].substr(0, colon)));
    const std::string_view name = lines[i].substr(0, colon);
    const std::string_view value = lines[i].substr(colon + 2);
    if (same_name(name, "content-type")) {
      ++types;
      FUZZ_CHECK(value == content_type);
    }
    if (same_name(name, "transfer-encoding")) ++chunked;
  }
  FUZZ_CHECK(types == 1);
  FUZZ_CHECK(chunked == (http::uses_chunked(options) ? 1u : 0u));
  // The caller's headers come last, in order, as given.
  for (std::size_t i = 0; i < extra.size(); ++i) {
    const std::string_view line = lines[lines.size() - extra.size() + i];
    FUZZ_CHECK(line == std::string(extra[i].name) + ": " + std::string(extra[i].value));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  const std::string_view content_type = in.short_string();

  const std::error_code ct_ec = serverpush::validate_content_type(content_type);
  // Exactly the valid media types pass.
  FUZZ_CHECK(!ct_ec == is_media_type(content_type));
  FUZZ_CHECK(!ct_ec || ct_ec == errc::content_type_invalid ||
             ct_ec == errc::content_type_parameter_invalid);
  FUZZ_CHECK(serverpush::is_token(content_type) == is_token(content_type));

  std::vector<serverpush::header> headers;
  const std::size_t count = in.below(5);
  for (std::size_t i = 0; i < count; ++i) {
    serverpush::header h;
    h.name = in.short_string();
    h.value = in.short_string();
    FUZZ_CHECK(serverpush::validate_header(h) == expected_header(h));
    headers.push_back(h);
  }
  std::error_code first_bad;
  for (const serverpush::header& h : headers) {
    if ((first_bad = expected_header(h))) break;
  }
  FUZZ_CHECK(serverpush::validate_headers(headers) == first_bad);
  FUZZ_CHECK(serverpush::validate_headers(content_type, headers) == (ct_ec ? ct_ec : first_bad));

  check_response_head(content_type, headers, in);
  return 0;
}

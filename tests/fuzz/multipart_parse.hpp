#ifndef SERVERPUSH_TESTS_FUZZ_MULTIPART_PARSE_HPP
#define SERVERPUSH_TESTS_FUZZ_MULTIPART_PARSE_HPP

// A strict multipart body parser for the harnesses, written from RFC 2046
// rather than from the framer. Unlike tests/broadcast/multipart_reader.hpp
// it reads a stream that has not ended (a part may be open, a delimiter may be
// the last thing sent), and it takes a part's length from Content-Length when
// the part has one, so a payload written without strict mode may hold the
// delimiter and still parse. A part without Content-Length ends at the first
// CRLF--boundary, as a browser reads it.
//
// It never throws and never trusts its input: a harness passes it anything.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace serverpush::fuzz {

struct parsed_part {
  std::vector<std::pair<std::string, std::string>> headers;  // in wire order
  std::string payload;
  bool has_length = false;
};

// Where the bytes stop.
enum class parsed_end {
  start,            // nothing at all
  after_part,       // a part with Content-Length and its CRLF
  after_delimiter,  // "--B" CRLF
  in_part,          // a header block, and maybe some payload: see `open`
  closed,           // "--B--" CRLF, the last bytes
};

struct parsed_stream {
  std::vector<parsed_part> parts;  // complete parts
  parsed_part open;                // the part still open, when end == in_part
  parsed_end end = parsed_end::start;
  std::string error;               // empty when well formed
};

inline bool parse_decimal(std::string_view text, std::size_t& out) {
  if (text.empty() || text.size() > 18) return false;
  out = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    out = out * 10 + static_cast<std::size_t>(c - '0');
  }
  return true;
}

inline parsed_stream parse_multipart(std::string_view body, std::string_view boundary) {
  parsed_stream out;
  const std::string dash = "--" + std::string(boundary);
  const std::string delimiter = "\r\n" + dash;
  std::size_t pos = 0;
  auto fail = [&](const char* why) {
    out.error = std::string(why) + " at byte " + std::to_string(pos);
    return out;
  };
  if (body.empty()) return out;
  for (;;) {
    // A delimiter line, or the close delimiter.
    if (body.substr(pos, dash.size()) != dash) return fail("expected --boundary");
    pos += dash.size();
    const std::string_view rest = body.substr(pos);
    if (rest == "--\r\n") {
      out.end = parsed_end::closed;
      return out;
    }
    if (rest.substr(0, 2) != "\r\n") return fail("delimiter line not ended by CRLF alone");
    pos += 2;
    if (pos == body.size()) {
      out.end = parsed_end::after_delimiter;
      return out;
    }

    parsed_part part;
    std::size_t length = 0;
    for (;;) {
      const std::size_t eol = body.find("\r\n", pos);
      if (eol == std::string_view::npos) return fail("header block cut short");
      const std::string_view line = body.substr(pos, eol - pos);
      pos = eol + 2;
      if (line.empty()) break;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0 || line.substr(colon, 2) != ": ") {
        return fail("header line is not 'Name: value'");
      }
      if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos) {
        return fail("bare CR or LF in a header line");
      }
      const std::string_view name = line.substr(0, colon);
      const std::string_view value = line.substr(colon + 2);
      if (name == "Content-Length") {
        if (part.has_length) return fail("two Content-Length lines");
        if (!parse_decimal(value, length)) return fail("Content-Length is not a number");
        part.has_length = true;
      }
      part.headers.emplace_back(std::string(name), std::string(value));
    }

    const std::size_t available = body.size() - pos;
    if (part.has_length) {
      if (available <= length) {
        part.payload = std::string(body.substr(pos));
        out.open = std::move(part);
        out.end = parsed_end::in_part;
        return out;
      }
      if (body.substr(pos + length, 2) != "\r\n") return fail("payload not followed by CRLF");
      part.payload = std::string(body.substr(pos, length));
      out.parts.push_back(std::move(part));
      pos += length + 2;
      if (pos == body.size()) {
        out.end = parsed_end::after_part;
        return out;
      }
      continue;
    }
    const std::size_t end = body.find(delimiter, pos);
    if (end == std::string_view::npos) {
      part.payload = std::string(body.substr(pos));
      out.open = std::move(part);
      out.end = parsed_end::in_part;
      return out;
    }
    part.payload = std::string(body.substr(pos, end - pos));
    out.parts.push_back(std::move(part));
    pos = end + 2;
  }
}

}  // namespace serverpush::fuzz

#endif

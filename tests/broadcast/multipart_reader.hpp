#ifndef SERVERPUSH_TESTS_BROADCAST_MULTIPART_READER_HPP
#define SERVERPUSH_TESTS_BROADCAST_MULTIPART_READER_HPP

// A small, strict multipart/x-mixed-replace reader for checking what the
// broadcaster put on the wire: CRLF only, "Name: value" header lines, the
// delimiter found by scanning (as browsers do) and Content-Length checked
// against it when present.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace test {

struct parsed_part {
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // all but Content-Type/-Length
  bool has_length = false;
  std::string body;
};

struct parsed_stream {
  std::vector<parsed_part> parts;
  bool closed = false;   // "--B--" CRLF seen, with nothing after it
  std::string error;     // empty when the stream is well formed
};

inline parsed_stream parse_multipart(std::string_view body, std::string_view boundary) {
  parsed_stream out;
  const std::string dash = "--" + std::string(boundary);
  const std::string delimiter = "\r\n" + dash;
  auto fail = [&](std::string why) {
    out.error = std::move(why);
    return out;
  };
  if (body.substr(0, dash.size()) != dash) return fail("body does not start with --boundary");
  std::size_t pos = dash.size();
  for (;;) {
    const std::string_view rest = body.substr(pos);
    if (rest.substr(0, 4) == "--\r\n") {
      if (rest.size() != 4) return fail("bytes after the close delimiter");
      out.closed = true;
      return out;
    }
    if (rest.substr(0, 2) != "\r\n") return fail("delimiter line not ended by CRLF");
    pos += 2;
    parsed_part part;
    std::size_t length = 0;
    bool type_seen = false;
    for (;;) {
      const std::size_t eol = body.find("\r\n", pos);
      if (eol == std::string_view::npos) return fail("header block cut short");
      const std::string_view line = body.substr(pos, eol - pos);
      pos = eol + 2;
      if (line.empty()) break;
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || line.substr(colon, 2) != ": ") {
        return fail("malformed header line: " + std::string(line));
      }
      const std::string name(line.substr(0, colon));
      const std::string value(line.substr(colon + 2));
      if (name == "Content-Type") {
        if (type_seen) return fail("two Content-Type lines");
        type_seen = true;
        part.content_type = value;
      } else if (name == "Content-Length") {
        part.has_length = true;
        length = std::stoul(value);
      } else {
        part.headers.emplace_back(name, value);
      }
    }
    if (!type_seen) return fail("part without Content-Type");
    const std::size_t end = body.find(delimiter, pos);
    if (end == std::string_view::npos) return fail("part not ended by a delimiter");
    if (part.has_length && end - pos != length) return fail("Content-Length does not match body");
    part.body = std::string(body.substr(pos, end - pos));
    out.parts.push_back(std::move(part));
    pos = end + delimiter.size();
  }
}

}  // namespace test

#endif

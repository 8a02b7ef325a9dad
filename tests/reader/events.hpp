#ifndef SERVERPUSH_TESTS_READER_EVENTS_HPP
#define SERVERPUSH_TESTS_READER_EVENTS_HPP

// A MultipartReader handler that records what it is told, and helpers that
// feed a body in a given split. Adjacent data events are merged, so any two
// splits of one body must give equal records.

#include <serverpush/reader.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace reader_test {

struct part {
  std::string content_type;
  std::optional<std::size_t> content_length;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool ended = false;

  bool operator==(const part& o) const {
    return content_type == o.content_type && content_length == o.content_length &&
           headers == o.headers && body == o.body && ended == o.ended;
  }
};

struct record {
  std::vector<part> parts;
  bool stream_ended = false;
  std::size_t data_calls = 0;
  std::size_t order_errors = 0;  // an event where it cannot be

  bool operator==(const record& o) const {
    return parts == o.parts && stream_ended == o.stream_ended && order_errors == o.order_errors;
  }

  bool open() const { return !parts.empty() && !parts.back().ended; }

  void on_part_begin(const serverpush::part_info& info) {
    if (open() || stream_ended) ++order_errors;
    part p;
    p.content_type = std::string(info.content_type());
    p.content_length = info.content_length();
    for (const serverpush::header& h : info.headers()) {
      p.headers.emplace_back(std::string(h.name), std::string(h.value));
    }
    parts.push_back(std::move(p));
  }
  void on_part_data(std::string_view bytes) {
    if (!open() || bytes.empty()) ++order_errors;
    if (open()) parts.back().body.append(bytes.data(), bytes.size());
    ++data_calls;
  }
  void on_part_end() {
    if (!open()) ++order_errors;
    if (open()) parts.back().ended = true;
  }
  void on_stream_end() {
    if (open() || stream_ended) ++order_errors;
    stream_ended = true;
  }
};

struct outcome {
  record events;
  std::error_code error;
  serverpush::reader_quirks quirks;
};

// Feeds body in chunks of the given sizes (the rest in one), then finish().
inline outcome read_split(serverpush::MultipartReader& reader, std::string_view body,
                          const std::vector<std::size_t>& sizes) {
  outcome out;
  std::size_t pos = 0;
  std::size_t i = 0;
  while (pos < body.size() && !out.error) {
    std::size_t n = i < sizes.size() ? sizes[i++] : body.size() - pos;
    if (n > body.size() - pos) n = body.size() - pos;
    const std::string chunk(body.substr(pos, n));  // a fresh buffer per chunk
    reader.feed(chunk, out.events, out.error);
    pos += n;
  }
  if (!out.error) reader.finish(out.events, out.error);
  out.quirks = reader.quirks();
  return out;
}

inline outcome read_all(std::string_view boundary, std::string_view body,
                        const serverpush::reader_options& options = {}) {
  std::error_code ec;
  serverpush::MultipartReader reader(boundary, options, ec);
  if (ec) return outcome{{}, ec, {}};
  return read_split(reader, body, {});
}

inline outcome read_bytewise(std::string_view boundary, std::string_view body,
                             const serverpush::reader_options& options = {}) {
  std::error_code ec;
  serverpush::MultipartReader reader(boundary, options, ec);
  if (ec) return outcome{{}, ec, {}};
  return read_split(reader, body, std::vector<std::size_t>(body.size(), 1));
}

inline std::string bodies(const record& r) {
  std::string out;
  for (const part& p : r.parts) out += "[" + p.body + "]";
  return out;
}

}  // namespace reader_test

#endif

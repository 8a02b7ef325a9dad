// Streams written by MultipartWriter in every framing, read back by
// MultipartReader at every split point: every part comes back byte for byte
// with its headers.

#include "events.hpp"
#include "testing.hpp"

#include <serverpush/reader.hpp>
#include <serverpush/sinks/memory.hpp>
#include <serverpush/writer.hpp>

#include <string>
#include <vector>

using serverpush::framing;
using serverpush::MultipartReader;
using serverpush::MultipartWriter;
using serverpush::string_sink;

namespace {

struct sent_part {
  std::string type;
  std::string payload;
  bool streamed;  // begin_part/write_body/end_part without a length
};

std::vector<sent_part> sample_parts() {
  std::string binary;
  for (int i = 0; i < 300; ++i) binary += static_cast<char>((i * 37) & 0xff);
  return {
      {"image/jpeg", "\xff\xd8\xff\xe0 jpeg \xff\xd9", false},
      {"text/html", "", false},
      {"text/plain", "line\r\n--not-the-boundary\r\n-\r\n--", false},
      {"application/octet-stream", binary, true},
      {"image/jpeg", "\r\n", false},
      {"text/plain", "last", true},
  };
}

// announce_next sends the next header block early: one content type only.
std::vector<sent_part> parts_for(framing f) {
  std::vector<sent_part> out;
  for (const sent_part& p : sample_parts()) {
    if (f != framing::announce_next || p.type == "image/jpeg") out.push_back(p);
  }
  return out;
}

std::string write_stream(framing f, const std::string& boundary, bool last_part) {
  string_sink sink;
  std::error_code ec;
  MultipartWriter<string_sink&> w(sink, boundary, ec);
  REQUIRE_FALSE(ec);
  w.set_framing(f);
  const std::vector<sent_part> parts = parts_for(f);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const sent_part& p = parts[i];
    const bool is_last = i + 1 == parts.size();
    if (p.streamed && f == framing::content_length) {
      w.begin_part(p.type, ec);
      REQUIRE_FALSE(ec);
      w.write_body(p.payload.substr(0, p.payload.size() / 2), ec);
      w.write_body(p.payload.substr(p.payload.size() / 2), ec);
      w.end_part(ec);
    } else if (is_last && last_part) {
      w.write_last_part(p.type, p.payload, ec);
    } else if (f == framing::announce_next) {
      w.write_part(p.type, p.payload, ec);
    } else {
      w.write_part(p.type, p.payload, {{"X-Index", std::to_string(i)}}, ec);
    }
    REQUIRE_FALSE(ec);
  }
  w.close(ec);
  REQUIRE_FALSE(ec);
  return sink.container();
}

}  // namespace

TEST_CASE("every framing, every split point: all parts come back") {
  for (framing f : {framing::content_length, framing::eager_delimiter, framing::announce_next}) {
    for (bool last_part : {false, true}) {
      for (const std::string boundary : {"MSBOB", "a", "0123456789abcdefghijABCDEFGHIJ'()+_,-./:=?x"}) {
        CAPTURE(static_cast<int>(f));
        CAPTURE(last_part);
        CAPTURE(boundary);
        const std::string stream = write_stream(f, boundary, last_part);
        const reader_test::outcome whole = reader_test::read_all(boundary, stream);
        REQUIRE_FALSE(whole.error);
        CHECK(whole.events.stream_ended);
        CHECK(whole.events.order_errors == 0);
        CHECK(whole.quirks.preamble == 0);
        CHECK(whole.quirks.missing_close_delimiter == 0);

        const std::vector<sent_part> parts = parts_for(f);
        std::vector<std::string> expected;
        for (const sent_part& p : parts) expected.push_back(p.payload);
        // Early framings end with an empty part unless the last part said so.
        if (f != framing::content_length && !last_part) expected.emplace_back();
        REQUIRE(whole.events.parts.size() == expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
          CAPTURE(i);
          CHECK(whole.events.parts[i].body == expected[i]);
          CHECK(whole.events.parts[i].ended);
        }
        const reader_test::part& first = whole.events.parts[0];
        CHECK(first.content_type == "image/jpeg");
        if (f == framing::content_length) {
          CHECK(first.content_length == std::optional<std::size_t>(parts[0].payload.size()));
        }

        for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
          MultipartReader reader(boundary);
          const reader_test::outcome split = reader_test::read_split(reader, stream, {cut});
          CAPTURE(cut);
          REQUIRE_FALSE(split.error);
          REQUIRE(split.events == whole.events);
        }
        for (std::size_t step : {1, 2, 3, 7, 64}) {
          MultipartReader reader(boundary);
          std::vector<std::size_t> sizes(stream.size() / step + 1, step);
          const reader_test::outcome split = reader_test::read_split(reader, stream, sizes);
          CAPTURE(step);
          REQUIRE_FALSE(split.error);
          REQUIRE(split.events == whole.events);
        }
      }
    }
  }
}

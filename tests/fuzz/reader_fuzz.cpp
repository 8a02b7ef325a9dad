// libFuzzer harness for MultipartReader. The first input byte picks the
// mode, the boundary and how the rest is split into chunks; the rest is the
// body. Besides sanitizer findings it checks that the split changes nothing:
// the same parts, headers, bodies, quirk counts and error as one feed of the
// whole body, and that events come in a valid order.

#include <serverpush/reader.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct recorder {
  std::vector<std::string> events;
  bool in_part = false;
  bool ended = false;

  void require(bool ok) {
    if (!ok) std::abort();
  }
  void on_part_begin(const serverpush::part_info& part) {
    require(!in_part && !ended);
    in_part = true;
    std::string e = "B";
    for (const serverpush::header& h : part.headers()) {
      e += std::string(h.name) + ':' + std::string(h.value) + '\n';
    }
    e += part.content_length() ? std::to_string(*part.content_length()) : "-";
    require(part.header("content-type") == part.content_type());
    events.push_back(std::move(e));
  }
  void on_part_data(std::string_view bytes) {
    require(in_part && !ended && !bytes.empty());
    if (events.empty() || events.back()[0] != 'D') events.emplace_back("D");
    events.back().append(bytes.data(), bytes.size());
  }
  void on_part_end() {
    require(in_part && !ended);
    in_part = false;
    events.emplace_back("E");
  }
  void on_stream_end() {
    require(!in_part && !ended);
    ended = true;
    events.emplace_back("S");
  }
};

constexpr std::string_view boundaries[] = {"MSBOB", "--foo", "b", "a'()+_,-./:=? z"};

std::error_code run(serverpush::MultipartReader& reader, recorder& out, std::string_view body,
                    std::size_t step, unsigned seed) {
  std::error_code ec;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t n = step == 0 ? body.size() : 1 + (seed % step);
    seed = seed * 1103515245u + 12345u;
    if (n > body.size() - pos) n = body.size() - pos;
    // A fresh copy per chunk, so a view kept past its call would be caught.
    std::vector<char> chunk(body.begin() + static_cast<std::ptrdiff_t>(pos),
                            body.begin() + static_cast<std::ptrdiff_t>(pos + n));
    reader.feed(std::string_view(chunk.data(), chunk.size()), out, ec);
    if (ec) return ec;
    pos += n;
  }
  reader.finish(out, ec);
  return ec;
}

bool same_quirks(const serverpush::reader_quirks& a, const serverpush::reader_quirks& b) {
  return a.preamble == b.preamble && a.boundary_with_dashes == b.boundary_with_dashes &&
         a.lf_line_endings == b.lf_line_endings &&
         a.missing_crlf_before_delimiter == b.missing_crlf_before_delimiter &&
         a.transport_padding == b.transport_padding &&
         a.missing_content_length == b.missing_content_length &&
         a.content_length_mismatch == b.content_length_mismatch &&
         a.missing_close_delimiter == b.missing_close_delimiter;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned flags = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  serverpush::reader_options options;
  options.lenient = (flags & 1) != 0;
  options.max_header_bytes = 512;
  options.max_headers = 8;
  options.max_part_bytes = 4096;
  options.max_preamble_bytes = 1024;
  const std::string_view boundary = boundaries[(flags >> 1) & 3];
  const std::size_t step = 1 + ((flags >> 3) & 15);

  serverpush::MultipartReader whole(boundary, options);
  recorder a;
  const std::error_code ea = run(whole, a, body, 0, 0);

  serverpush::MultipartReader split(boundary, options);
  recorder b;
  const std::error_code eb = run(split, b, body, step, flags);

  if (ea != eb) std::abort();
  if (ea) {
    // Held-back bytes of the part that failed may or may not have been handed on.
    for (recorder* r : {&a, &b}) {
      if (!r->events.empty() && r->events.back()[0] == 'D') r->events.pop_back();
    }
  } else if (!same_quirks(whole.quirks(), split.quirks())) {
    std::abort();
  }
  if (a.events != b.events) std::abort();

  // reset() reads the same stream again with the same result.
  whole.reset();
  recorder c;
  const std::error_code ec = run(whole, c, body, 0, 0);
  if (ec != ea) std::abort();
  if (ec && !c.events.empty() && c.events.back()[0] == 'D') c.events.pop_back();
  if (c.events != a.events) std::abort();
  return 0;
}

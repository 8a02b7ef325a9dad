#ifndef SERVERPUSH_BROADCAST_FRAMED_PART_HPP
#define SERVERPUSH_BROADCAST_FRAMED_PART_HPP

// serverpush::framed_part: one published part, validated and framed once,
// then shared read-only by every viewer (see stream_serializer). Sans-I/O.

#include <serverpush/buffer.hpp>
#include <serverpush/error.hpp>
#include <serverpush/framer.hpp>
#include <serverpush/header.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace serverpush {

// Which headers beyond Content-Type (and Content-Length, where the framing
// sends it) a viewer gets: none for browsers, which ignore them and whose
// announced header blocks they would break (docs/protocol.md), the part's
// extra headers, or those plus X-Timestamp.
enum class part_extras : unsigned char { none, headers, headers_and_timestamp };

struct frame_options {
  // The last part of a finite stream: it ends with CRLF for every framing,
  // so the close delimiter alone follows it (no empty part).
  bool last = false;
  // Value of an X-Timestamp header for viewers that ask for one (e.g.
  // "1764115200.250"); empty: no timestamp. Validated like any header value.
  std::string_view timestamp;
};

// Bytes around the payload are framed up front for every framing (a few
// hundred bytes): cheaper than tracking which framings are in use. One heap
// block holds payload, content type and every frame.
class framed_part {
 public:
  // Validates and frames a part. Rejected (returns null, sets ec): a bad
  // content type or header (validate_headers), a bad timestamp value, a
  // payload holding the delimiter CRLF--boundary (payload_contains_delimiter),
  // which would cut the part short for every boundary-scanning client.
  static std::shared_ptr<framed_part> make(std::string_view boundary,
                                           std::string_view content_type, bytes_view payload,
                                           header_list headers, const frame_options& options,
                                           std::error_code& ec) {
    ec = validate_headers(content_type, headers);
    if (!ec && !options.timestamp.empty()) ec = validate_header({"X-Timestamp", options.timestamp});
    if (ec) return nullptr;
    detail::delimiter_scanner scanner;
    scanner.reset(boundary);
    if (scanner.feed(payload.as_string_view())) {
      ec = make_error_code(errc::payload_contains_delimiter);
      return nullptr;
    }

    auto part = std::shared_ptr<framed_part>(new framed_part());
    part->last_ = options.last;
    part->has_headers_ = !headers.empty();
    part->has_timestamp_ = !options.timestamp.empty();
    std::string& s = part->storage_;
    // One allocation: the payload, nine heads (three framings, three sets of
    // extra headers) and three tails, each well within this estimate.
    std::size_t header_bytes = options.timestamp.size() + 16;
    for (const header& h : headers) header_bytes += h.name.size() + h.value.size() + 4;
    s.reserve(payload.size() + 12 * (content_type.size() + boundary.size() + 64) +
              6 * header_bytes);
    const framer f(boundary);
    part->payload_ = part->record(payload.as_string_view());
    part->type_ = part->record(content_type);

    std::vector<header> stamped(headers.begin(), headers.end());
    if (!options.timestamp.empty()) stamped.push_back({"X-Timestamp", options.timestamp});
    const part_spec specs[3] = {{content_type, {}, payload.size()},
                                {content_type, headers, payload.size()},
                                {content_type, header_list(stamped), payload.size()}};
    for (int e = 0; e < 3; ++e) {
      const part_spec& spec = specs[e];
      heads& h = part->heads_[e];
      std::size_t from = s.size();
      f.part_head(s, resting_position(framing::content_length), spec);
      h.content_length = {from, s.size()};
      from = s.size();
      f.part_head(s, resting_position(framing::eager_delimiter), spec);
      h.eager = {from, s.size()};
      // After an announced block that this part does not continue (the
      // framer's rule): the announced part ends empty, this one goes out
      // complete. An empty announced type always takes that form.
      from = s.size();
      f.part_head(s, stream_position::after_header_block, spec, std::string_view());
      h.reannounce = {from, s.size()};
    }

    std::size_t from = s.size();
    f.part_tail(s, framing::content_length, content_type);
    part->tail_cl_ = {from, s.size()};
    if (options.last) {
      part->tail_eager_ = part->tail_cl_;
      part->tail_announce_ = part->tail_cl_;
    } else {
      from = s.size();
      f.part_tail(s, framing::eager_delimiter, content_type);
      part->tail_eager_ = {from, s.size()};
      from = s.size();
      f.part_tail(s, framing::announce_next, content_type);
      part->tail_announce_ = {from, s.size()};
    }
    return part;
  }

  static std::shared_ptr<framed_part> make(std::string_view boundary,
                                           std::string_view content_type, bytes_view payload,
                                           header_list headers, std::error_code& ec) {
    return make(boundary, content_type, payload, headers, frame_options{}, ec);
  }

  // Bytes that go before the payload for a viewer resting at its framing's
  // position. `reannounce` (announce_next only): the header block on the wire
  // does not fit this part (framer::continues_announced), so the announced
  // part is ended empty and this one opened complete. `e`: which headers
  // beyond Content-Type and Content-Length the viewer gets.
  std::string_view head(framing f, bool reannounce = false,
                        part_extras e = part_extras::headers) const noexcept {
    const heads& h = heads_[static_cast<int>(e)];
    switch (f) {
      case framing::content_length:
        return view(h.content_length);
      case framing::eager_delimiter:
        return view(h.eager);
      case framing::announce_next:
        return reannounce ? view(h.reannounce) : std::string_view();
    }
    return {};
  }

  // Bytes right after the payload. The last part of a finite stream ends with
  // CRLF only for every framing, so close adds just the close delimiter.
  std::string_view tail(framing f) const noexcept {
    switch (f) {
      case framing::content_length:
        return view(tail_cl_);
      case framing::eager_delimiter:
        return view(tail_eager_);
      case framing::announce_next:
        return view(tail_announce_);
    }
    return {};
  }

  std::string_view payload() const noexcept { return view(payload_); }
  std::string_view content_type() const noexcept { return view(type_); }
  // True when the part was published with extra headers.
  bool has_headers() const noexcept { return has_headers_; }
  // Publication order, starting at 1; tells a viewer how many parts it missed.
  std::uint64_t sequence() const noexcept { return sequence_; }
  bool is_last() const noexcept { return last_; }
  // Heap bytes this part holds (payload and frames).
  std::size_t memory_size() const noexcept { return storage_.capacity() + sizeof(*this); }

  // Set once by the publisher, before the part is shared.
  void set_sequence(std::uint64_t sequence) noexcept { sequence_ = sequence; }

  // Where a viewer of framing `f` rests once this part is out.
  stream_position position_after(framing f) const noexcept {
    return last_ ? stream_position::after_part : resting_position(f);
  }

  // Whether a viewer resting after a header block announcing `announced_type`
  // can continue that block with this part, given the headers it gets.
  bool continues(std::string_view announced_type, part_extras e) const noexcept {
    const header stamp{"X-Timestamp", {}};
    const bool extra_headers = (e != part_extras::none && has_headers_) ||
                               (e == part_extras::headers_and_timestamp && has_timestamp_);
    const header_list extra = extra_headers ? header_list(&stamp, 1) : header_list();
    return framer::continues_announced(part_spec{content_type(), extra, payload().size()},
                                       announced_type);
  }

 private:
  struct range {
    std::size_t begin = 0;
    std::size_t end = 0;
  };
  struct heads {
    range content_length, eager, reannounce;
  };

  framed_part() = default;

  range record(std::string_view bytes) {
    const std::size_t from = storage_.size();
    storage_.append(bytes.data(), bytes.size());
    return {from, storage_.size()};
  }
  std::string_view view(range r) const noexcept {
    return std::string_view(storage_).substr(r.begin, r.end - r.begin);
  }

  std::string storage_;
  range payload_, type_, tail_cl_, tail_eager_, tail_announce_;
  heads heads_[3];  // indexed by part_extras
  std::uint64_t sequence_ = 0;
  bool last_ = false;
  bool has_headers_ = false;
  bool has_timestamp_ = false;
};

}  // namespace serverpush

#endif

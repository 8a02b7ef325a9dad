#ifndef SERVERPUSH_BROADCAST_SHARED_PART_HPP
#define SERVERPUSH_BROADCAST_SHARED_PART_HPP

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

namespace serverpush::detail {

// One published part, framed for every framing and shared read-only by all
// clients. The payload is copied once; the frames around it are a few hundred
// bytes, so framing all three up front is cheaper than tracking which
// framings are in use.
class shared_part {
 public:
  // Bytes that go before the payload for a client resting at its framing's
  // position. `retype` applies to announce_next only: the header block already
  // on the wire named another content type, so that announced part is ended
  // empty and a fresh one is opened (see broadcaster.hpp).
  std::string_view head(framing f, bool retype = false) const noexcept {
    switch (f) {
      case framing::content_length:
        return view(head_cl_);
      case framing::eager_delimiter:
        return view(head_eager_);
      case framing::announce_next:
        return retype ? view(head_retype_) : std::string_view();
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
  // Publication order, starting at 1; tells a client how many parts it missed.
  std::uint64_t sequence() const noexcept { return sequence_; }
  bool is_last() const noexcept { return last_; }

  // Set once by the publisher, before the part is shared.
  void set_sequence(std::uint64_t sequence) noexcept { sequence_ = sequence; }

  // Where a client of framing `f` rests once this part is out.
  stream_position position_after(framing f) const noexcept {
    return last_ ? stream_position::after_part : resting_position(f);
  }

  // Validates and frames a part. Rejects (returns null, sets ec) a bad content
  // type or header, and a payload holding the delimiter CRLF--boundary, which
  // would cut the part short for every boundary-scanning client.
  static std::shared_ptr<shared_part> make(std::string_view boundary,
                                           std::string_view content_type, bytes_view payload,
                                           header_list headers, bool last, std::error_code& ec) {
    ec = validate_headers(content_type, headers);
    if (ec) return nullptr;
    delimiter_scanner scanner;
    scanner.reset(boundary);
    if (scanner.feed(payload.as_string_view())) {
      ec = make_error_code(errc::payload_contains_delimiter);
      return nullptr;
    }

    auto part = std::shared_ptr<shared_part>(new shared_part());
    part->last_ = last;
    std::string& s = part->storage_;
    s.reserve(payload.size() + 4 * content_type.size() + 6 * boundary.size() + 256);
    const framer f(boundary);
    const part_spec spec{content_type, headers, payload.size()};

    part->payload_ = part->record(payload.as_string_view());
    part->type_ = part->record(content_type);

    std::size_t from = s.size();
    f.part_head(s, resting_position(framing::content_length), spec);
    part->head_cl_ = {from, s.size()};
    from = s.size();
    f.part_head(s, resting_position(framing::eager_delimiter), spec);
    part->head_eager_ = {from, s.size()};
    // An empty body for the announced part, then a complete new part.
    from = s.size();
    s.append("\r\n");
    f.part_head(s, stream_position::after_part, spec);
    part->head_retype_ = {from, s.size()};

    from = s.size();
    f.part_tail(s, framing::content_length, content_type);
    part->tail_cl_ = {from, s.size()};
    if (last) {
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

 private:
  struct range {
    std::size_t begin = 0;
    std::size_t end = 0;
  };

  shared_part() = default;

  range record(std::string_view bytes) {
    const std::size_t from = storage_.size();
    storage_.append(bytes.data(), bytes.size());
    return {from, storage_.size()};
  }
  std::string_view view(range r) const noexcept {
    return std::string_view(storage_).substr(r.begin, r.end - r.begin);
  }

  // One allocation holds the payload, the content type and every frame.
  std::string storage_;
  range payload_, type_, head_cl_, head_eager_, head_retype_, tail_cl_, tail_eager_, tail_announce_;
  std::uint64_t sequence_ = 0;
  bool last_ = false;
};

}  // namespace serverpush::detail

#endif

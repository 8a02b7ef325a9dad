#ifndef SERVERPUSH_DETAIL_TYPE_FRAMES_HPP
#define SERVERPUSH_DETAIL_TYPE_FRAMES_HPP

#include <serverpush/detail/frame_buffer.hpp>
#include <serverpush/framer.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace serverpush::detail {

// Equality of two byte ranges of the same size; content types (up to 16
// bytes: "image/jpeg", "text/html") compare in two overlapping loads a side
// instead of a call to memcmp.
inline bool equal_bytes(const char* a, const char* b, std::size_t n) noexcept {
  if (n >= 8 && n <= 16) {
    std::uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
  return std::memcmp(a, b, n) == 0;
}

// The bytes around a part that depend only on the boundary and the content
// type, built when the content type changes, so that a part repeating the
// previous part's type is framed by copying them (framer.hpp is the rule;
// these are its output, cut up):
//
//   tail: CRLF "--B" CRLF "Content-Type: T" CRLF CRLF
//         content_length sends its first 2 bytes, eager_delimiter its first
//         6 + |B|, announce_next all of it
//   head: "--B" CRLF "Content-Type: T" CRLF "Content-Length: "
//         then the length digits and CRLF CRLF; from after_delimiter without
//         the delimiter line; from after_header_block nothing (the part
//         continues the announced block, which named T)
class type_frames {
 public:
  // T: a content type that passed validation (never empty).
  void assign(std::string_view boundary, std::string_view type) {
    const framer f(boundary);
    bytes_.clear();
    f.part_tail(bytes_, framing::announce_next, type);
    tail_size_ = bytes_.size();
    f.delimiter_line(bytes_);
    bytes_.append("Content-Type: ");
    bytes_.append(type);
    bytes_.append("\r\nContent-Length: ");
    boundary_size_ = boundary.size();
    type_size_ = type.size();
  }

  // The content type these frames are for; empty before the first assign().
  std::string_view type() const noexcept {
    return {bytes_.data() + type_offset(), type_size_};
  }

  std::string_view tail(framing f) const noexcept {
    switch (f) {
      case framing::content_length:
        return {bytes_.data(), 2};
      case framing::eager_delimiter:
        return {bytes_.data(), 6 + boundary_size_};
      case framing::announce_next:
        break;
    }
    return {bytes_.data(), tail_size_};
  }

  // The head up to the length digits, from a resting position.
  std::string_view head(stream_position from) const noexcept {
    switch (from) {
      case stream_position::after_header_block:
        return {};
      case stream_position::after_delimiter: {
        const std::size_t skip = tail_size_ + 4 + boundary_size_;
        return {bytes_.data() + skip, bytes_.size() - skip};
      }
      case stream_position::start:
      case stream_position::after_part:
        break;
    }
    return {bytes_.data() + tail_size_, bytes_.size() - tail_size_};
  }

 private:
  // CRLF "--B" CRLF "Content-Type: " comes before T in the tail.
  std::size_t type_offset() const noexcept { return type_size_ == 0 ? 0 : 20 + boundary_size_; }

  frame_buffer bytes_;
  std::size_t tail_size_ = 0;
  std::size_t boundary_size_ = 0;
  std::size_t type_size_ = 0;
};

}  // namespace serverpush::detail

#endif

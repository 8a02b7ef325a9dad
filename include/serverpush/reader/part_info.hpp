#ifndef SERVERPUSH_READER_PART_INFO_HPP
#define SERVERPUSH_READER_PART_INFO_HPP

#include <serverpush/header.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace serverpush {

class MultipartReader;

// The header block of one part, as on_part_begin sees it. Views point into
// the reader's header buffer: valid until on_part_end returns.
class part_info {
 public:
  // The Content-Type value, empty when the part has none (RFC 2046 then
  // means text/plain).
  std::string_view content_type() const noexcept { return header("Content-Type"); }
  std::optional<std::size_t> content_length() const noexcept {
    if (!has_length_) return std::nullopt;
    return length_;
  }
  // The first header with this name (ASCII case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const noexcept {
    for (const serverpush::header& h : headers()) {
      if (detail::iequals(h.name, name)) return h.value;
    }
    return {};
  }
  // Every header line in order, values trimmed of surrounding white space.
  header_list headers() const noexcept { return {headers_, count_}; }

 private:
  friend class MultipartReader;
  const serverpush::header* headers_ = nullptr;
  std::size_t count_ = 0;
  std::size_t length_ = 0;
  bool has_length_ = false;
};

}  // namespace serverpush

#endif

#ifndef SERVERPUSH_READER_HTTP_RESPONSE_HPP
#define SERVERPUSH_READER_HTTP_RESPONSE_HPP

// http::response_reader: a small sans-I/O reader of one HTTP/1.x response,
// enough to read a stream from a socket: the status line and head (copied,
// bounded), then the body handed on as views into the caller's bytes, with
// the chunked transfer coding removed. Interim 1xx responses are skipped.
//
//   serverpush::http::response_reader response;
//   response.feed(bytes, [&](std::string_view body) { parts.feed(body, handler, ec2); }, ec);
//   if (response.head_complete()) response.status(), response.header("Content-Type") ...

#include <serverpush/detail/config.hpp>
#include <serverpush/header.hpp>
#include <serverpush/reader/error.hpp>

#include <cstddef>
#include <cstring>
#include <limits>
#include <string_view>
#include <system_error>
#include <vector>

namespace serverpush::http {

class response_reader {
 public:
  // How the body ends.
  enum class body_framing : unsigned char { none, content_length, chunked, until_close };

  explicit response_reader(std::size_t max_head_bytes = 16 * 1024) noexcept
      : max_head_bytes_(max_head_bytes) {}

  // Reads the next bytes of the response. OnBody is called with each run of
  // body bytes (chunk framing removed). Bytes after a complete body (a
  // following response on a kept-alive connection) are not consumed: the
  // return value says how many bytes of chunk were used.
  template <class OnBody>
  std::size_t feed(std::string_view chunk, OnBody&& on_body, std::error_code& ec) {
    ec.clear();
    if (failed_) {
      ec = make_error_code(reader_errc::reader_failed);
      return 0;
    }
    const char* p = chunk.data();
    const char* const end = p + chunk.size();
    while (p != end && !ec && !body_complete_) {
      if (!head_complete_) {
        p = read_head(p, end, ec);
        continue;
      }
      switch (framing_) {
        case body_framing::until_close: {
          on_body(std::string_view(p, static_cast<std::size_t>(end - p)));
          p = end;
          break;
        }
        case body_framing::content_length: {
          const std::size_t available = static_cast<std::size_t>(end - p);
          const std::size_t take = available < remaining_ ? available : remaining_;
          remaining_ -= take;
          if (remaining_ == 0) body_complete_ = true;
          on_body(std::string_view(p, take));
          p += take;
          break;
        }
        case body_framing::chunked:
          p = read_chunked(p, end, on_body, ec);
          break;
        case body_framing::none:
          body_complete_ = true;
          break;
      }
    }
    if (ec) failed_ = true;
    return static_cast<std::size_t>(p - chunk.data());
  }

  // At the end of the connection: an error when the head or a delimited
  // body was cut short.
  void finish(std::error_code& ec) noexcept {
    ec.clear();
    if (failed_) {
      ec = make_error_code(reader_errc::reader_failed);
    } else if (!head_complete_ || (!body_complete_ && framing_ != body_framing::until_close)) {
      ec = make_error_code(reader_errc::http_body_truncated);
    } else {
      body_complete_ = true;
    }
  }

  bool head_complete() const noexcept { return head_complete_; }
  bool body_complete() const noexcept { return body_complete_; }
  int status() const noexcept { return status_; }
  int minor_version() const noexcept { return minor_version_; }
  std::string_view reason() const noexcept { return reason_; }
  body_framing framing() const noexcept { return framing_; }
  // The first header with this name (case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const noexcept {
    for (const serverpush::header& h : fields_) {
      if (serverpush::detail::iequals(h.name, name)) return h.value;
    }
    return {};
  }
  header_list headers() const noexcept { return {fields_.data(), fields_.size()}; }

  // Ready for the next response, keeping the buffers.
  void reset() noexcept {
    head_.clear();
    fields_.clear();
    line_start_ = 0;
    head_complete_ = body_complete_ = failed_ = false;
    status_ = 0;
    minor_version_ = 1;
    reason_ = {};
    framing_ = body_framing::until_close;
    remaining_ = 0;
    chunk_state_ = chunk_state::size;
    chunk_line_ = 0;
    chunk_digits_ = 0;
  }

 private:
  enum class chunk_state : unsigned char { size, extension, size_lf, data, data_cr, data_lf, trailer };
  static constexpr std::size_t max_chunk_line = 4096;

  const char* read_head(const char* p, const char* end, std::error_code& ec) {
    while (p != end) {
      const void* nl = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      const char* stop = nl ? static_cast<const char*>(nl) + 1 : end;
      const std::size_t take = static_cast<std::size_t>(stop - p);
      if (take > max_head_bytes_ - head_.size()) {
        ec = make_error_code(reader_errc::http_head_too_large);
        return end;
      }
      head_.insert(head_.end(), p, stop);
      p = stop;
      if (nl == nullptr) return end;
      std::size_t line_size = head_.size() - line_start_;
      if (line_size >= 2 && head_[head_.size() - 2] == '\r') --line_size;
      if (line_size == 1 && line_start_ != 0) {
        parse_head(ec);
        if (ec) return end;
        if (status_ >= 100 && status_ < 200) {
          // An interim response (100 Continue, 103 Early Hints): the real one follows.
          head_.clear();
          fields_.clear();
          line_start_ = 0;
          continue;
        }
        head_complete_ = true;
        if (framing_ == body_framing::none ||
            (framing_ == body_framing::content_length && remaining_ == 0)) {
          body_complete_ = true;
        }
        return p;
      }
      line_start_ = head_.size();
    }
    return end;
  }

  static bool parse_decimal(std::string_view text, std::size_t& out) noexcept {
    if (text.empty() || text.size() > 20) return false;
    std::size_t value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      const auto digit = static_cast<std::size_t>(c - '0');
      if (value > (std::numeric_limits<std::size_t>::max() - digit) / 10) return false;
      value = value * 10 + digit;
    }
    out = value;
    return true;
  }

  void parse_head(std::error_code& ec) {
    fields_.clear();
    const char* const block = head_.data();
    const std::size_t size = head_.size();
    std::size_t pos = 0;
    bool first = true;
    bool has_length = false;
    std::size_t length = 0;
    bool chunked = false;
    bool other_coding = false;
    while (pos < size) {
      const char* nl = static_cast<const char*>(std::memchr(block + pos, '\n', size - pos));
      const std::size_t next = static_cast<std::size_t>(nl - block) + 1;
      std::size_t stop = next - 1;
      if (stop > pos && block[stop - 1] == '\r') --stop;
      const std::string_view line(block + pos, stop - pos);
      pos = next;
      if (first) {
        first = false;
        // HTTP/1.x SP 3DIGIT [SP reason]
        if (line.substr(0, 5) != "HTTP/") {
          ec = make_error_code(reader_errc::status_line_invalid);
          return;
        }
        if (line.size() < 8 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1')) {
          ec = make_error_code(reader_errc::http_version_unsupported);
          return;
        }
        if (line.size() < 12 || line[8] != ' ' || (line.size() > 12 && line[12] != ' ')) {
          ec = make_error_code(reader_errc::status_line_invalid);
          return;
        }
        minor_version_ = line[7] - '0';
        int code = 0;
        for (std::size_t i = 9; i < 12; ++i) {
          if (line[i] < '0' || line[i] > '9') {
            ec = make_error_code(reader_errc::status_line_invalid);
            return;
          }
          code = code * 10 + (line[i] - '0');
        }
        status_ = code;
        reason_ = line.size() > 13 ? line.substr(13) : std::string_view{};
        continue;
      }
      if (line.empty()) break;
      if (serverpush::detail::is_ows(line.front())) {
        ec = make_error_code(reader_errc::http_header_invalid);  // obs-fold: RFC 9112 lets us refuse it
        return;
      }
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
        ec = make_error_code(reader_errc::http_header_invalid);
        return;
      }
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && serverpush::detail::is_ows(value.front())) value.remove_prefix(1);
      while (!value.empty() && serverpush::detail::is_ows(value.back())) value.remove_suffix(1);
      for (char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) {
          ec = make_error_code(reader_errc::http_header_invalid);
          return;
        }
      }
      const std::string_view name = line.substr(0, colon);
      fields_.push_back(serverpush::header{name, value});
      if (serverpush::detail::iequals(name, "Content-Length")) {
        std::size_t n = 0;
        if (!parse_decimal(value, n) || (has_length && n != length)) {
          ec = make_error_code(reader_errc::http_length_invalid);
          return;
        }
        has_length = true;
        length = n;
      } else if (serverpush::detail::iequals(name, "Transfer-Encoding")) {
        // The last coding must be chunked for the body to be delimited;
        // any other coding (gzip...) this reader does not undo.
        std::string_view codings = value;
        while (!codings.empty()) {
          const std::size_t comma = codings.find(',');
          std::string_view coding = codings.substr(0, comma);
          while (!coding.empty() && serverpush::detail::is_ows(coding.front())) coding.remove_prefix(1);
          while (!coding.empty() && serverpush::detail::is_ows(coding.back())) coding.remove_suffix(1);
          if (!coding.empty()) {
            if (chunked || !serverpush::detail::iequals(coding, "chunked")) other_coding = true;
            if (serverpush::detail::iequals(coding, "chunked")) chunked = true;
          }
          if (comma == std::string_view::npos) break;
          codings.remove_prefix(comma + 1);
        }
      }
    }
    if (other_coding) {
      ec = make_error_code(reader_errc::transfer_coding_unsupported);
      return;
    }
    if (status_ == 204 || status_ == 304) {
      framing_ = body_framing::none;
    } else if (chunked) {
      framing_ = body_framing::chunked;
    } else if (has_length) {
      framing_ = body_framing::content_length;
      remaining_ = length;
    } else {
      framing_ = body_framing::until_close;
    }
  }

  template <class OnBody>
  const char* read_chunked(const char* p, const char* end, OnBody& on_body, std::error_code& ec) {
    while (p != end && !body_complete_) {
      if (chunk_state_ == chunk_state::data) {
        const std::size_t available = static_cast<std::size_t>(end - p);
        const std::size_t take = available < remaining_ ? available : remaining_;
        remaining_ -= take;
        if (remaining_ == 0) chunk_state_ = chunk_state::data_cr;
        on_body(std::string_view(p, take));
        p += take;
        continue;
      }
      const char c = *p++;
      if (++chunk_line_ > max_chunk_line) {
        ec = make_error_code(reader_errc::chunk_size_invalid);
        return end;
      }
      switch (chunk_state_) {
        case chunk_state::size: {
          int digit = -1;
          if (c >= '0' && c <= '9') digit = c - '0';
          if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
          if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
          if (digit >= 0) {
            if (remaining_ > (std::numeric_limits<std::size_t>::max() >> 4)) {
              ec = make_error_code(reader_errc::chunk_size_invalid);
              return end;
            }
            remaining_ = remaining_ * 16 + static_cast<std::size_t>(digit);
            ++chunk_digits_;
          } else if (chunk_digits_ != 0 && (c == ';' || serverpush::detail::is_ows(c))) {
            chunk_state_ = chunk_state::extension;
          } else if (chunk_digits_ != 0 && c == '\r') {
            chunk_state_ = chunk_state::size_lf;
          } else if (chunk_digits_ != 0 && c == '\n') {
            end_size_line();
          } else {
            ec = make_error_code(reader_errc::chunk_size_invalid);
            return end;
          }
          break;
        }
        case chunk_state::extension:
          if (c == '\n') {
            end_size_line();
          } else if (c != '\t' && (static_cast<unsigned char>(c) < 0x20 && c != '\r')) {
            ec = make_error_code(reader_errc::chunk_size_invalid);
            return end;
          }
          break;
        case chunk_state::size_lf:
          if (c != '\n') {
            ec = make_error_code(reader_errc::chunk_size_invalid);
            return end;
          }
          end_size_line();
          break;
        case chunk_state::data_cr:
          if (c == '\r') {
            chunk_state_ = chunk_state::data_lf;
          } else if (c == '\n') {
            start_size_line();
          } else {
            ec = make_error_code(reader_errc::chunk_data_invalid);
            return end;
          }
          break;
        case chunk_state::data_lf:
          if (c != '\n') {
            ec = make_error_code(reader_errc::chunk_data_invalid);
            return end;
          }
          start_size_line();
          break;
        case chunk_state::trailer:
          // Trailer fields are skipped; an empty line ends the message.
          if (c == '\n') {
            if (chunk_line_ <= 2) {
              body_complete_ = true;
              return p;
            }
            chunk_line_ = 0;
          }
          break;
        case chunk_state::data:
          break;
      }
    }
    return p;
  }

  void start_size_line() noexcept {
    chunk_state_ = chunk_state::size;
    chunk_line_ = 0;
    chunk_digits_ = 0;
    remaining_ = 0;
  }

  void end_size_line() noexcept {
    chunk_line_ = 0;
    chunk_state_ = remaining_ == 0 ? chunk_state::trailer : chunk_state::data;
  }

  std::size_t max_head_bytes_;
  std::vector<char> head_;
  std::vector<serverpush::header> fields_;
  std::size_t line_start_ = 0;
  bool head_complete_ = false;
  bool body_complete_ = false;
  bool failed_ = false;
  int status_ = 0;
  int minor_version_ = 1;
  std::string_view reason_;
  body_framing framing_ = body_framing::until_close;
  std::size_t remaining_ = 0;
  chunk_state chunk_state_ = chunk_state::size;
  std::size_t chunk_line_ = 0;
  std::size_t chunk_digits_ = 0;
};

}  // namespace serverpush::http

#endif

#ifndef SERVERPUSH_SINK_HPP
#define SERVERPUSH_SINK_HPP

// The sink contract. A sink is any object with one of these members, looked
// for in this order (the first one found is used):
//
//   std::size_t writev(const const_buffer* bufs, std::size_t count, std::error_code& ec);
//   void        writev(const const_buffer* bufs, std::size_t count);
//   std::size_t write(const char* data, std::size_t size, std::error_code& ec);
//   void        write(const char* data, std::size_t size, std::error_code& ec);
//   void        write(const char* data, std::size_t size);
//
// - The writev forms receive a whole part at once (header block, payload,
//   trailer) so a socket can send it in one system call without copying.
// - A form that returns std::size_t reports how many bytes it accepted; fewer
//   than offered is a short write and the writer offers the rest again. It sets
//   `ec` on failure; returning 0 without an error is reported as sink_stalled.
// - A void form with `ec` either takes every byte or sets `ec`.
// - A void form without `ec` cannot fail (or throws; the writer then counts
//   itself failed and lets the exception through).
//
// Optionally, `void finish(std::error_code& ec)` (or `void finish()`): bytes
// that end the body below the multipart layer, such as chunked coding's last
// chunk. MultipartWriter::close() calls it after the close delimiter; calling
// it again must do nothing.

#include <serverpush/buffer.hpp>
#include <serverpush/error.hpp>

#include <cstddef>
#include <system_error>
#include <type_traits>
#include <utility>

namespace serverpush {
namespace detail {

template <class S, class = void>
struct has_writev_ec : std::false_type {};
template <class S>
struct has_writev_ec<S, std::enable_if_t<std::is_convertible_v<
                            decltype(std::declval<S&>().writev(std::declval<const const_buffer*>(),
                                                               std::size_t{},
                                                               std::declval<std::error_code&>())),
                            std::size_t>>> : std::true_type {};

template <class S, class = void>
struct has_writev_plain : std::false_type {};
template <class S>
struct has_writev_plain<S, std::void_t<decltype(std::declval<S&>().writev(
                               std::declval<const const_buffer*>(), std::size_t{}))>>
    : std::true_type {};

template <class S, class = void>
struct has_write_ec_count : std::false_type {};
template <class S>
struct has_write_ec_count<
    S, std::enable_if_t<std::is_convertible_v<
           decltype(std::declval<S&>().write(std::declval<const char*>(), std::size_t{},
                                             std::declval<std::error_code&>())),
           std::size_t>>> : std::true_type {};

template <class S, class = void>
struct has_write_ec : std::false_type {};
template <class S>
struct has_write_ec<S, std::void_t<decltype(std::declval<S&>().write(
                           std::declval<const char*>(), std::size_t{},
                           std::declval<std::error_code&>()))>> : std::true_type {};

template <class S, class = void>
struct has_write_plain : std::false_type {};
template <class S>
struct has_write_plain<S, std::void_t<decltype(std::declval<S&>().write(
                              std::declval<const char*>(), std::size_t{}))>> : std::true_type {};

// A sink that needs a last word once the body ends (chunked_sink's last
// chunk): MultipartWriter::close() calls it.
template <class S, class = void>
struct has_finish_ec : std::false_type {};
template <class S>
struct has_finish_ec<S, std::void_t<decltype(std::declval<S&>().finish(
                            std::declval<std::error_code&>()))>> : std::true_type {};

template <class S, class = void>
struct has_finish : std::false_type {};
template <class S>
struct has_finish<S, std::void_t<decltype(std::declval<S&>().finish())>> : std::true_type {};

}  // namespace detail

// True when S meets the sink contract above.
template <class S>
inline constexpr bool is_sink_v =
    detail::has_writev_ec<std::remove_reference_t<S>>::value ||
    detail::has_writev_plain<std::remove_reference_t<S>>::value ||
    detail::has_write_ec<std::remove_reference_t<S>>::value ||
    detail::has_write_plain<std::remove_reference_t<S>>::value;

// True when S takes a whole part in one gather call.
template <class S>
inline constexpr bool is_gather_sink_v = detail::has_writev_ec<std::remove_reference_t<S>>::value ||
                                         detail::has_writev_plain<std::remove_reference_t<S>>::value;

namespace detail {

// Writes every byte of bufs[0..count) to the sink, resuming after short
// writes. Returns the bytes written; on failure `ec` holds the sink's error
// (or sink_stalled) and the return value says how far it got.
template <class S>
std::size_t write_all(S& sink, const const_buffer* bufs, std::size_t count, std::error_code& ec) {
  static_assert(is_sink_v<S>,
                "serverpush: a sink needs a member write(const char*, std::size_t) or "
                "writev(const const_buffer*, std::size_t[, std::error_code&]); see sink.hpp");
  ec.clear();
  std::size_t total = 0;
  if constexpr (has_writev_plain<S>::value && !has_writev_ec<S>::value) {
    sink.writev(bufs, count);
    for (std::size_t i = 0; i < count; ++i) total += bufs[i].size;
    return total;
  } else if constexpr (has_writev_ec<S>::value) {
    constexpr std::size_t max_local = 8;
    if (count > max_local) {
      // Larger batches than the writer ever builds: hand them over in slices.
      for (std::size_t first = 0; first < count && !ec; first += max_local) {
        const std::size_t n = count - first < max_local ? count - first : max_local;
        total += detail::write_all(sink, bufs + first, n, ec);
      }
      return total;
    }
    const_buffer local[max_local];
    std::size_t remaining = 0;
    std::size_t n = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (bufs[i].size == 0) continue;
      local[n++] = bufs[i];
      remaining += bufs[i].size;
    }
    const_buffer* next = local;
    while (remaining > 0) {
      std::size_t wrote = sink.writev(next, n, ec);
      if (ec) return total;
      if (wrote == 0) {
        ec = make_error_code(errc::sink_stalled);
        return total;
      }
      if (wrote > remaining) wrote = remaining;  // a sink that overcounts cannot push us past the end
      total += wrote;
      remaining -= wrote;
      while (n > 0 && wrote >= next->size) {
        wrote -= next->size;
        ++next;
        --n;
      }
      if (n > 0) {
        next->data += wrote;
        next->size -= wrote;
      }
    }
    return total;
  } else {
    for (std::size_t i = 0; i < count; ++i) {
      const char* data = bufs[i].data;
      std::size_t left = bufs[i].size;
      if (left == 0) continue;
      if constexpr (has_write_ec_count<S>::value) {
        while (left > 0) {
          std::size_t wrote = sink.write(data, left, ec);
          if (ec) return total;
          if (wrote == 0) {
            ec = make_error_code(errc::sink_stalled);
            return total;
          }
          if (wrote > left) wrote = left;
          data += wrote;
          left -= wrote;
          total += wrote;
        }
      } else if constexpr (has_write_ec<S>::value) {
        sink.write(data, left, ec);
        if (ec) return total;
        total += left;
      } else {
        sink.write(data, left);
        total += left;
      }
    }
    return total;
  }
}

}  // namespace detail

// Writes every byte of a gather list to any sink, resuming after short writes;
// for bytes outside a multipart body, such as a small HTTP response. Returns
// the bytes written; on failure `ec` holds the sink's error (or sink_stalled).
template <class S>
std::size_t write_all(S& sink, const const_buffer* bufs, std::size_t count, std::error_code& ec) {
  return detail::write_all(sink, bufs, count, ec);
}

}  // namespace serverpush

#endif

#ifndef SERVERPUSH_DETAIL_FIND_BYTES_HPP
#define SERVERPUSH_DETAIL_FIND_BYTES_HPP

#include <cstddef>
#include <cstring>

#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <emmintrin.h>
#define SERVERPUSH_FIND_BYTES_SSE2 1
#else
#define SERVERPUSH_FIND_BYTES_SSE2 0
#endif

namespace serverpush::detail {

// Tests every position: 32 at once on the pattern's first and last bytes
// with SSE2, else a memchr loop.
inline const char* find_bytes_each(const char* data, std::size_t size, const char* pattern,
                                   std::size_t pattern_size) noexcept {
  if (size < pattern_size) return nullptr;
  const std::size_t starts = size - pattern_size + 1;  // candidate positions [0, starts)
  const char first = pattern[0];
  const char last = pattern[pattern_size - 1];
  std::size_t i = 0;
#if SERVERPUSH_FIND_BYTES_SSE2
  const __m128i want_first = _mm_set1_epi8(first);
  const __m128i want_last = _mm_set1_epi8(last);
  for (; i + 32 <= starts; i += 32) {
    const char* p = data + i;
    const char* q = p + pattern_size - 1;
    const __m128i f0 = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), want_first);
    const __m128i l0 = _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q)), want_last);
    const __m128i f1 =
        _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)), want_first);
    const __m128i l1 =
        _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16)), want_last);
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(f0, l0))) |
                    (static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(f1, l1))) << 16);
    while (mask != 0) {
      const unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
      if (std::memcmp(p + bit + 1, pattern + 1, pattern_size - 2) == 0) return p + bit;
      mask &= mask - 1;
    }
  }
#endif
  while (i < starts) {
    const void* hit = std::memchr(data + i, first, starts - i);
    if (hit == nullptr) return nullptr;
    i = static_cast<std::size_t>(static_cast<const char*>(hit) - data);
    if (data[i + pattern_size - 1] == last &&
        std::memcmp(data + i + 1, pattern + 1, pattern_size - 2) == 0) {
      return data + i;
    }
    ++i;
  }
  return nullptr;
}

// First occurrence of pattern (size >= 3) in data, or nullptr.
// - glibc's memmem skips up to the pattern's length per step (Horspool on
//   byte pairs): for the long patterns a boundary makes, measured faster than
//   testing every position, so it is used wherever it is glibc's.
// - Elsewhere, with SSE2, 32 candidate positions are tested at once on the
//   pattern's first and last bytes and the middle compared only where both
//   match (about one position in 65536 on binary payloads); without SSE2, a
//   memchr loop.
inline const char* find_bytes(const char* data, std::size_t size, const char* pattern,
                              std::size_t pattern_size) noexcept {
  if (size < pattern_size) return nullptr;
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
  // memmem builds a shift table per call: a nearby delimiter (small parts)
  // is found sooner by the vector test of the first bytes.
  constexpr std::size_t near = 128;
  if (pattern_size >= 8 && size > near + pattern_size) {
    const char* hit = find_bytes_each(data, near + pattern_size - 1, pattern, pattern_size);
    if (hit != nullptr) return hit;
// GCC sees this call inlined where data is a small array and size cannot
// reach it, and warns anyway.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"
#endif
    return static_cast<const char*>(::memmem(data + near, size - near, pattern, pattern_size));
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
  }
#endif
  return find_bytes_each(data, size, pattern, pattern_size);
}

}  // namespace serverpush::detail

#endif

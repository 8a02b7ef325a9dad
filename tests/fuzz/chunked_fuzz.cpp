// chunked_sink over every form of inner sink, with short writes, failures
// and stalls: the output, decoded by a strict chunked decoder written here
// (RFC 9112 section 7.1), gives back exactly the bytes the calls accepted,
// one chunk per six non-empty buffers, no empty chunk before the last, and
// nothing after it. A failed call reports the bytes of the chunks that went
// out whole.
//
// Input: the inner sink form, then steps: a gather call of up to 11 buffers,
// finish(), or arming the inner sink to fail, stall or take few bytes.

#include "fuzz_support.hpp"
#include "test_sink.hpp"

#include <serverpush/sinks/chunked.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using serverpush::const_buffer;
using serverpush::errc;
using serverpush::fuzz::input;

struct decoded {
  std::string data;
  std::size_t chunks = 0;   // non-empty ones
  bool last = false;        // "0" CRLF CRLF seen, the final bytes
  bool cut = false;         // the bytes end inside a chunk
  std::string error;
};

decoded decode_chunked(std::string_view in) {
  decoded out;
  std::size_t pos = 0;
  while (pos < in.size()) {
    const std::size_t eol = in.find("\r\n", pos);
    if (eol == std::string_view::npos) {
      out.cut = true;
      return out;
    }
    const std::string_view digits = in.substr(pos, eol - pos);
    std::size_t size = 0;
    if (digits.empty() || digits.size() > 15 || (digits.size() > 1 && digits[0] == '0')) {
      out.error = "bad chunk size line";
      return out;
    }
    for (char c : digits) {
      const bool digit = c >= '0' && c <= '9';
      const bool hex = c >= 'a' && c <= 'f';
      if (!digit && !hex) {
        out.error = "chunk size is not lowercase hex";
        return out;
      }
      size = size * 16 + static_cast<std::size_t>(digit ? c - '0' : c - 'a' + 10);
    }
    pos = eol + 2;
    if (size == 0) {
      if (in.substr(pos) == "\r\n") {
        out.last = true;
      } else if (std::string_view("\r\n").substr(0, in.size() - pos) == in.substr(pos)) {
        out.cut = true;
      } else {
        out.error = "bytes after the last chunk";
      }
      return out;
    }
    if (in.size() - pos < size + 2) {
      out.cut = true;
      return out;
    }
    if (in.substr(pos + size, 2) != "\r\n") {
      out.error = "chunk data not followed by CRLF";
      return out;
    }
    out.data.append(in.data() + pos, size);
    ++out.chunks;
    pos += size + 2;
  }
  return out;
}

template <class Inner>
void fuzz_with(input& in) {
  Inner inner;
  serverpush::chunked_sink<Inner&> sink(inner);
  std::string accepted;
  std::size_t chunks = 0;
  bool finished = false;
  while (!in.empty()) {
    const std::uint8_t op = in.byte();
    if (op % 8 == 0) {
      const std::uint8_t how = in.byte();
      const std::size_t later = inner.calls + 1 + how % 4;
      if (how / 4 % 4 == 0 && Inner::reports_errors) inner.fail_on_call = later;
      if (how / 4 % 4 == 1 && Inner::short_writes) inner.stall_on_call = later;
      if (Inner::short_writes) inner.max_per_call = in.byte() + std::size_t{1};
      continue;
    }
    const std::size_t size_before = inner.out.size();
    const std::size_t calls_before = inner.calls;
    std::error_code ec;
    if (op % 8 == 1) {
      sink.finish(ec);
      if (!ec && !finished) {
        FUZZ_CHECK(inner.out.size() == size_before + 5);
        finished = true;
      }
      if (!ec) {
        FUZZ_CHECK(sink.finished());
        continue;
      }
      // The inner sink failed: the body is unusable, and what went out is
      // still the accepted bytes and part of the last chunk.
      FUZZ_CHECK(!sink.finished());
      const decoded d = decode_chunked(inner.out);
      FUZZ_CHECK(d.error.empty() && d.data == accepted && !d.last);
      return;
    }

    std::vector<std::string> storage;
    std::vector<const_buffer> bufs;
    const std::size_t count = in.below(12);
    std::string offered;
    std::size_t non_empty = 0;
    for (std::size_t i = 0; i < count; ++i) storage.emplace_back(in.flag() ? std::string_view() : in.short_string());
    for (const std::string& s : storage) {
      bufs.push_back({s.data(), s.size()});
      offered += s;
      non_empty += s.empty() ? 0 : 1;
    }
    const std::size_t wrote = sink.writev(bufs.data(), bufs.size(), ec);
    if (finished) {
      FUZZ_CHECK_EC(ec, make_error_code(errc::stream_closed));
      FUZZ_CHECK(wrote == 0 && inner.out.size() == size_before && inner.calls == calls_before);
      continue;
    }
    if (ec) {
      // Only whole chunks count, and they are a prefix of what was offered.
      FUZZ_CHECK(wrote <= offered.size());
      accepted.append(offered, 0, wrote);
      const decoded d = decode_chunked(inner.out);
      FUZZ_CHECK(d.error.empty());
      FUZZ_CHECK(d.data == accepted);
      return;
    }
    FUZZ_CHECK(wrote == offered.size());
    if (offered.empty()) FUZZ_CHECK(inner.out.size() == size_before);
    accepted += offered;
    chunks += (non_empty + 5) / 6;
  }

  const decoded d = decode_chunked(inner.out);
  if (!d.error.empty()) std::fprintf(stderr, "chunked: %s\n", d.error.c_str());
  FUZZ_CHECK(d.error.empty());
  FUZZ_CHECK(!d.cut);
  FUZZ_CHECK(d.last == finished);
  FUZZ_CHECK(d.data == accepted);
  FUZZ_CHECK(d.chunks == chunks);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  switch (in.below(5)) {
    case 0: fuzz_with<serverpush::test::writev_ec_sink>(in); break;
    case 1: fuzz_with<serverpush::test::write_count_sink>(in); break;
    case 2: fuzz_with<serverpush::test::write_ec_sink>(in); break;
    case 3: fuzz_with<serverpush::test::writev_void_sink>(in); break;
    default: fuzz_with<serverpush::test::write_plain_sink>(in); break;
  }
  return 0;
}

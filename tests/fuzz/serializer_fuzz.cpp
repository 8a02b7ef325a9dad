// The per-viewer serializer (broadcast/serializer.hpp) under random
// publish / partial send / close sequences, in every framing. After draining,
// the bytes are the caller's head and then a closed multipart body whose
// parts are published parts, in publication order, each whole (no torn part),
// plus the empty parts a framing uses to end an announced part (same type as
// the part before). The newest part offered before close() is the last one
// sent; every offered part is either sent or counted as skipped.
//
// Input: boundary, framing, head; then steps: publish, send (a prepare() and
// a consume() of some of it), close.

#include "fuzz_support.hpp"
#include "multipart_parse.hpp"

#include <serverpush/broadcast/framed_part.hpp>
#include <serverpush/broadcast/serializer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using serverpush::framing;
using serverpush::framed_part;
using serverpush::stream_serializer;
using serverpush::fuzz::input;

struct published {
  std::string type;
  std::string payload;
};

// Sends what prepare() offers, `budget` bytes at most. Returns bytes sent.
// A prepare() that sends nothing is still ended with consume(0), as a
// driver does after a write that took nothing.
std::size_t send(stream_serializer& client, std::string& wire, std::size_t budget) {
  const stream_serializer::buffers bufs = client.prepare();
  FUZZ_CHECK(bufs.size() <= stream_serializer::max_buffers);
  std::size_t sent = 0;
  for (std::size_t i = 0; i < bufs.size() && sent < budget; ++i) {
    FUZZ_CHECK(bufs[i].size > 0);
    const std::size_t take = bufs[i].size < budget - sent ? bufs[i].size : budget - sent;
    wire.append(bufs[i].data, take);
    sent += take;
  }
  client.consume(sent);
  return sent;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  static const char* const boundaries[] = {"B", "frame", "a b",
                                           "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567"};
  static const framing framings[] = {framing::content_length, framing::eager_delimiter,
                                     framing::announce_next};
  static const char* const types[] = {"image/jpeg", "text/html", "image/png; q=1"};
  const std::string boundary = in.pick(boundaries);
  const framing f = in.pick(framings);
  const std::string head(in.short_string());

  stream_serializer client(boundary, f, head);
  std::string wire;
  std::vector<published> offered;  // index = sequence - 1
  bool closed = false;
  while (!in.empty()) {
    const std::uint8_t op = in.byte();
    if (op % 4 == 0) {
      const std::string seq = std::to_string(offered.size() + 1);
      // Each payload ends with its sequence number: no two are alike, and
      // none is empty like the parts a framing uses to end an announced one.
      published p{in.pick(types), serverpush::fuzz::payload(in, boundary) + "#" + seq};
      const bool last = op % 32 == 4;
      const serverpush::header extra[] = {{"X-Sequence", seq}};
      std::error_code ec;
      auto part = framed_part::make(boundary, p.type, p.payload,
                                    in.flag() ? serverpush::header_list(extra) : serverpush::header_list(),
                                    serverpush::frame_options{last, {}}, ec);
      FUZZ_CHECK((part == nullptr) == serverpush::fuzz::has_delimiter(p.payload, boundary));
      if (!part || closed) continue;
      part->set_sequence(offered.size() + 1);
      offered.push_back(std::move(p));
      client.offer(std::move(part));
      // A last part ends the stream: the publisher closes right after it.
      if (last) {
        client.close();
        closed = true;
      }
    } else if (op % 4 == 3) {
      client.close();
      closed = true;
    } else {
      send(client, wire, in.byte() % 2 == 0 ? static_cast<std::size_t>(-1) : in.u16() % 512 + 1);
    }
  }

  client.close();
  for (std::size_t rounds = 0; client.has_output(); ++rounds) {
    FUZZ_CHECK(rounds < 64);
    FUZZ_CHECK(send(client, wire, static_cast<std::size_t>(-1)) > 0);
  }
  FUZZ_CHECK(client.done());
  FUZZ_CHECK(client.bytes_sent() == wire.size());
  FUZZ_CHECK(client.prepare().empty());

  FUZZ_CHECK(wire.substr(0, head.size()) == head);
  const serverpush::fuzz::parsed_stream parsed =
      serverpush::fuzz::parse_multipart(std::string_view(wire).substr(head.size()), boundary);
  if (!parsed.error.empty()) std::fprintf(stderr, "serializer: %s\n", parsed.error.c_str());
  FUZZ_CHECK(parsed.error.empty());
  FUZZ_CHECK(parsed.end == serverpush::fuzz::parsed_end::closed);

  // Match parts to publications, in order; the rest must be empty fillers.
  std::size_t next = 0;
  std::size_t matched = 0;
  std::string previous_type;
  for (const serverpush::fuzz::parsed_part& part : parsed.parts) {
    FUZZ_CHECK(!part.headers.empty() && part.headers[0].first == "Content-Type");
    const std::string& type = part.headers[0].second;
    std::size_t i = next;
    while (i < offered.size() && (offered[i].type != type || offered[i].payload != part.payload)) ++i;
    if (i < offered.size()) {
      if (f != framing::announce_next) FUZZ_CHECK(part.has_length);
      next = i + 1;
      ++matched;
    } else {
      FUZZ_CHECK(part.payload.empty() && type == previous_type);
    }
    previous_type = type;
  }
  FUZZ_CHECK(matched == client.parts_sent());
  FUZZ_CHECK(client.parts_sent() + client.parts_skipped() == offered.size());
  if (!offered.empty()) FUZZ_CHECK(next == offered.size());
  return 0;
}

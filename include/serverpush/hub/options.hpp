#ifndef SERVERPUSH_HUB_OPTIONS_HPP
#define SERVERPUSH_HUB_OPTIONS_HPP

// What every fan-out driver shares: per-viewer options, statistics, and the
// hub's options (limits, deadlines, hooks, the source-offline policy).

#include <serverpush/framer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

namespace serverpush {

using client_id = std::uint64_t;

struct client_options {
  // Per viewer: announce_next for browsers' <img> (http::framing_for), and
  // content_length for parsers (FFmpeg, GStreamer, scripts).
  serverpush::framing framing = serverpush::framing::content_length;
  // Bytes sent before the body, e.g. http::response_head(); may be empty
  // when the host wrote its own head.
  std::string head;
  // At most this many new parts per second for this viewer (0: every part).
  // Latest wins: a thumbnail at 2 fps gets the newest part every 500 ms.
  double max_fps = 0;
  // Every part carries "X-Timestamp: <seconds since the epoch>.<ms>" (its
  // publication time). Meant for parsers: with announce_next an extra header
  // cannot continue the announced block, so each part then goes out complete
  // after an empty one (docs/protocol.md).
  bool timestamps = false;
  // Extra headers published with a part (and X-Timestamp) reach this viewer.
  // Browsers ignore them; set false for an announce_next viewer so a part
  // with headers continues its announced block instead of going out complete
  // after an empty part.
  bool part_headers = true;
};

struct client_stats {
  client_id id = 0;
  int fd = -1;  // -1 for viewers that are not descriptors
  serverpush::framing framing = serverpush::framing::content_length;
  std::uint64_t parts_sent = 0;
  std::uint64_t parts_skipped = 0;  // published while connected, never sent (latest wins)
  std::uint64_t bytes_sent = 0;
  std::size_t bytes_queued = 0;  // still to send; a waiting part counts in full though shared
};

struct broadcaster_stats {
  std::size_t clients = 0;  // accepted and not yet removed
  std::uint64_t parts_published = 0;
  std::size_t bytes_queued = 0;
  std::vector<client_stats> per_client;
};

// What to do when the source publishes nothing for a while.
enum class offline_action : unsigned char {
  none,          // keep waiting
  repeat_last,   // re-send the newest part every `after`
  placeholder,   // publish the placeholder part once (it stays the newest)
  end_stream,    // end every viewer's stream (close delimiter, EOF) so pages reconnect;
                 // viewers joining meanwhile (others still watching) are ended at once
};

struct offline_policy {
  // 0: off. Counted while someone watches, from the last publish or the
  // first viewer's arrival, whichever is later.
  std::chrono::milliseconds after{0};
  offline_action action = offline_action::none;
  std::string placeholder_type;  // placeholder: its content type, e.g. "image/jpeg"
  std::string placeholder;       // placeholder: its payload
};

struct hub_options {
  std::string boundary;                            // empty: random from the OS CSPRNG
  std::chrono::milliseconds stall_timeout{10000};  // drop a viewer that accepts no byte this long (0: never)
  // close() waits at most this long for viewers to take what is queued and
  // the close delimiter, then drops them: shutdown is always bounded
  // (negative counts as 0).
  std::chrono::milliseconds close_grace{5000};
  std::chrono::milliseconds resend_interval{0};  // 0: off; else re-send the newest part when idle
  std::size_t max_clients = 0;                   // 0: no limit
  // Bytes of older parts that viewers still hold while they finish sending
  // them (slow or stalled viewers). Above it, the viewers holding the oldest
  // parts, slowest first, are dropped (errc::pinned_budget_exceeded). 0: no limit.
  std::size_t pinned_frame_budget = 0;
  offline_policy offline;
  // Hooks, called by the driver outside its locks, on its own thread (the
  // I/O thread, or the io_context): a camera or encoder can stop when nobody
  // watches. on_client_removed: once per removed viewer, after its transport
  // is closed; `reason` is empty after a clean end, std::errc::timed_out for
  // a stall or close_grace, errc::pinned_budget_exceeded, else the transport's
  // error (peer gone: connection_reset or broken_pipe).
  std::function<void()> on_first_viewer;
  std::function<void()> on_last_viewer;
  std::function<void(const client_stats&, std::error_code reason)> on_client_removed;
};

}  // namespace serverpush

#endif

#ifndef SERVERPUSH_HUB_PULL_SOURCE_HPP
#define SERVERPUSH_HUB_PULL_SOURCE_HPP

// serverpush::pull_source: one viewer for frameworks that ask the library for
// bytes instead of handing it a socket (cpp-httplib's content provider,
// Drogon's stream response, oatpp's ReadCallback, Poco's handler thread).
//
//   auto source = hub.add_pull({serverpush::framing::content_length, ""}, ec);
//   char buf[16384];
//   while (source->wait(std::chrono::seconds(1))) {     // bytes, or the end
//     std::size_t n = source->read(buf, sizeof buf, ec);
//     if (n == 0 && !ec) break;                         // end of stream
//     send(buf, n);                                     // the framework's write
//   }
//
// The hub's driver copies the viewer's bytes into a bounded buffer
// (`capacity`, like a socket buffer); read() takes them out. A reader that
// stops reading fills it and is dropped after stall_timeout, exactly like a
// socket viewer. Destroying the source removes the viewer. Safe from any
// thread, and it may outlive the Broadcaster (reads then report the end).

#include <serverpush/hub/options.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

namespace serverpush {
namespace detail {

// Shared by a pull_source and the driver that fills it.
struct pull_channel {
  std::mutex mu;
  std::condition_variable changed;
  std::string bytes;      // waiting to be read
  std::size_t taken = 0;  // read from the front of `bytes`
  bool ended = false;     // the viewer was removed: no more bytes will come
  std::error_code reason;
  bool cancelled = false;      // the reader left
  std::function<void()> wake;  // asks the driver for a round; empty once it is gone

  std::size_t waiting() const noexcept { return bytes.size() - taken; }
};

}  // namespace detail

class pull_source {
 public:
  static constexpr std::size_t capacity = 256 * 1024;

  explicit pull_source(client_id id, std::shared_ptr<detail::pull_channel> channel)
      : id_(id), channel_(std::move(channel)) {}
  pull_source(const pull_source&) = delete;
  pull_source& operator=(const pull_source&) = delete;

  // Removes the viewer (on_client_removed reports operation_canceled).
  ~pull_source() {
    // wake() is called under the lock: the driver clears it, under the same
    // lock, before it goes away.
    std::lock_guard<std::mutex> lock(channel_->mu);
    channel_->cancelled = true;
    if (channel_->wake) channel_->wake();
  }

  client_id id() const noexcept { return id_; }

  // Copies up to `size` bytes into `buf` and returns how many. Nothing
  // waiting yet: 0 with ec = std::errc::operation_would_block. End of the
  // stream (close delimiter sent, or the viewer dropped: see end_reason()):
  // 0 with no error.
  std::size_t read(char* buf, std::size_t size, std::error_code& ec) {
    ec.clear();
    std::lock_guard<std::mutex> lock(channel_->mu);
    detail::pull_channel& c = *channel_;
    const std::size_t n = c.waiting() < size ? c.waiting() : size;
    if (n == 0) {
      if (!c.ended) ec = std::make_error_code(std::errc::operation_would_block);
      return 0;
    }
    std::memcpy(buf, c.bytes.data() + c.taken, n);
    c.taken += n;
    // Half the room free again: the driver may move more bytes in.
    const bool was_full = c.waiting() + n >= capacity / 2;
    if (c.waiting() == 0) {
      c.bytes.clear();
      c.taken = 0;
    }
    if (was_full && c.waiting() < capacity / 2 && c.wake) c.wake();
    return n;
  }

  // The same, for callers that tell "nothing yet" from "the end" with done().
  std::size_t read(char* buf, std::size_t size) {
    std::error_code ec;
    return read(buf, size, ec);
  }

  // Waits until bytes are waiting or the stream ended; false on timeout.
  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(channel_->mu);
    return channel_->changed.wait_for(lock, timeout, [this] {
      return channel_->waiting() > 0 || channel_->ended;
    });
  }

  // Every byte was read and no more will come.
  bool done() const {
    std::lock_guard<std::mutex> lock(channel_->mu);
    return channel_->ended && channel_->waiting() == 0;
  }

  // Why the stream ended: empty after the close delimiter, else as
  // hub_options::on_client_removed reports it.
  std::error_code end_reason() const {
    std::lock_guard<std::mutex> lock(channel_->mu);
    return channel_->reason;
  }

 private:
  client_id id_;
  std::shared_ptr<detail::pull_channel> channel_;
};

}  // namespace serverpush

#endif

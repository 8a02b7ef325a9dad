#ifndef SERVERPUSH_EXAMPLE_INTEGRATIONS_FRAME_FEED_HPP
#define SERVERPUSH_EXAMPLE_INTEGRATIONS_FRAME_FEED_HPP

// The test pattern for hosts that serve each connection on a thread of their
// own (cpp-httplib, Poco): a producer thread advances the frame number at the
// chosen rate, and every connection thread waits for a number newer than the
// one it sent. A slow viewer skips frames (it always gets the newest), a new
// viewer gets the newest frame at once, and nobody waits for anybody else.

#include "example.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace example {

class frame_feed {
 public:
  explicit frame_feed(const options& o) : producer_([this, o] { produce(o); }) {}
  ~frame_feed() {
    close();
    producer_.join();
  }

  // Blocks until a frame newer than `seen` (0: none yet) exists or the feed
  // closes; returns its number (1-based), or 0 once closed.
  unsigned long long wait_newer(unsigned long long seen) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return closed_ || published_ > seen; });
    return closed_ ? 0 : published_;
  }

  // Wakes every viewer with 0: the streams end.
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }

  // Streams open now, for a host that must not stop before they have ended.
  void viewer_opened() {
    std::lock_guard<std::mutex> lock(mu_);
    ++viewers_;
  }
  void viewer_closed() {
    std::lock_guard<std::mutex> lock(mu_);
    --viewers_;
    cv_.notify_all();
  }
  void wait_for_no_viewers() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return viewers_ == 0; });
  }

 private:
  void produce(const options& o) {
    auto due = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    while (!closed_ && (o.frames < 0 || published_ < static_cast<unsigned long long>(o.frames))) {
      ++published_;
      cv_.notify_all();
      due += o.frame_interval();
      cv_.wait_until(lock, due, [&] { return closed_; });
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  unsigned long long published_ = 0;
  bool closed_ = false;
  unsigned long viewers_ = 0;
  std::thread producer_;
};

}  // namespace example

#endif

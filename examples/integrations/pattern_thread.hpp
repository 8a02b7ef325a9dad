#ifndef SERVERPUSH_EXAMPLE_INTEGRATIONS_PATTERN_THREAD_HPP
#define SERVERPUSH_EXAMPLE_INTEGRATIONS_PATTERN_THREAD_HPP

// The test pattern for hosts without an event loop of their own to put a
// timer on (cpp-httplib, Poco): a thread publishes one frame per interval to
// the Broadcaster until stop() or --frames.

#include "example.hpp"

#include <serverpush/broadcaster.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

namespace example {

class pattern_thread {
 public:
  pattern_thread(serverpush::Broadcaster& hub, const options& o)
      : thread_([this, &hub, o] { run(hub, o); }) {}
  ~pattern_thread() {
    stop();
    thread_.join();
  }

  void stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }

 private:
  void run(serverpush::Broadcaster& hub, const options& o) {
    auto due = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    for (long n = 0; !stopped_ && (o.frames < 0 || n < o.frames); ++n) {
      std::error_code ec;
      hub.publish("image/jpeg", test_frame(static_cast<unsigned long long>(n)), ec);  // returns at once
      due += o.frame_interval();
      cv_.wait_until(lock, due, [&] { return stopped_; });
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace example

#endif

// serverpush-example-httplib: the demo's test pattern on /stream.mjpg from a
// cpp-httplib server. One Broadcaster serves every viewer; each viewer is a
// pull source that a content provider (Response::set_content_provider,
// DataSink) copies out on the connection's thread.
//
//   serverpush-example-httplib --port 8080 [--tls cert.pem key.pem]
//   curl -N http://127.0.0.1:8080/stream.mjpg | ffplay -f mpjpeg -
//
// cpp-httplib serves each connection on a thread of its pool (256 here). A
// slow viewer holds only its own thread and skips frames; one that stops
// reading fails its writes after cpp-httplib's write timeout (5 s).
// SIGINT/SIGTERM end every stream with its close delimiter and exit 0.

#include <serverpush/broadcaster.hpp>
#include <serverpush/integrations/httplib.hpp>

#include "example.hpp"
#include "pattern_thread.hpp"

#include <httplib.h>

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

namespace {

// Streams whose provider has not finished: cpp-httplib's stop() cuts the
// ones still running, so the server stops only once their close delimiter
// is out.
class open_streams {
 public:
  void opened() {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
  }
  void closed() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--count_ == 0) cv_.notify_all();
  }
  void wait_until_none() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return count_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned long count_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  const bool tls_supported = true;
#else
  const bool tls_supported = false;
#endif
  const example::options options = example::parse_options(argc, argv, tls_supported);
  example::block_termination_signals();  // before httplib and the hub start their threads

  std::unique_ptr<httplib::Server> server;
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  if (options.tls()) server = std::make_unique<httplib::SSLServer>(options.cert.c_str(), options.key.c_str());
#endif
  if (!server) server = std::make_unique<httplib::Server>();
  if (!server->is_valid()) {
    std::fprintf(stderr, "serverpush-example-httplib: cannot use %s and %s\n", options.cert.c_str(),
                 options.key.c_str());
    return 1;
  }
  server->new_task_queue = [] { return new httplib::ThreadPool(256); };

  serverpush::Broadcaster hub;
  example::pattern_thread pattern(hub, options);
  open_streams streams;
  server->Get("/stream.mjpg", [&](const httplib::Request& request, httplib::Response& response) {
    std::error_code ec;
    std::shared_ptr<serverpush::pull_source> source =
        hub.add_pull({serverpush::httplib::framing_for(request), ""}, ec);
    if (ec) {  // too many viewers, or shutting down
      response.status = 503;
      return;
    }
    streams.opened();
    serverpush::httplib::set_stream(request, response, hub.content_type(), std::move(source),
                                    [&streams](bool) { streams.closed(); });
  });

  const int port = options.port == 0 ? server->bind_to_any_port("127.0.0.1")
                                     : (server->bind_to_port("127.0.0.1", options.port) ? options.port : -1);
  if (port < 0) {
    std::perror("serverpush-example-httplib: cannot listen on 127.0.0.1");
    return 1;
  }
  std::thread listener([&server] { server->listen_after_bind(); });
  example::print_stream_url(options.tls(), static_cast<unsigned short>(port));

  example::wait_for_termination();
  pattern.stop();
  hub.close();  // every viewer's stream ends with its close delimiter
  streams.wait_until_none();
  server->stop();
  listener.join();
  return 0;
}

// serverpush-example-httplib: the demo's test pattern on /stream.mjpg from a
// cpp-httplib server, through Response::set_content_provider and DataSink.
//
//   serverpush-example-httplib --port 8080 [--tls cert.pem key.pem]
//   curl -N http://127.0.0.1:8080/stream.mjpg | ffplay -f mpjpeg -
//
// cpp-httplib serves each connection on a thread of its pool (256 here), so
// a slow viewer blocks only its own thread and skips frames; SIGINT/SIGTERM
// end every stream with its close delimiter and exit 0.

#include <serverpush/integrations/httplib.hpp>
#include <serverpush/writer.hpp>

#include "example.hpp"
#include "frame_feed.hpp"

#include <httplib.h>

#include <cstdio>
#include <memory>
#include <system_error>
#include <thread>

namespace {

// One viewer: its writer (own boundary and framing) and the last frame sent.
struct viewer {
  serverpush::MultipartWriter<serverpush::httplib::data_sink_writer> writer{{}};
  unsigned long long frame = 0;
};

void serve_stream(example::frame_feed& feed, const httplib::Request& request,
                  httplib::Response& response) {
  auto v = std::make_shared<viewer>();
  v->writer.set_framing(serverpush::httplib::framing_for(request));
  serverpush::httplib::set_stream_headers(response);
  feed.viewer_opened();
  // Called again and again until it returns false or calls done(); each call
  // waits for the next frame, so the thread sleeps between frames.
  response.set_content_provider(
      v->writer.content_type(),
      [&feed, v](std::size_t, httplib::DataSink& out) {
        v->writer.sink().set_target(out);
        std::error_code ec;
        v->frame = feed.wait_newer(v->frame);
        if (v->frame == 0) {  // shutting down: the close delimiter, then EOF
          v->writer.close(ec);
          out.done();
        } else {
          v->writer.write_part("image/jpeg", example::test_frame(v->frame - 1), ec);
        }
        return !ec;
      },
      [&feed](bool) { feed.viewer_closed(); });
}

}  // namespace

int main(int argc, char** argv) {
#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
  const bool tls_supported = true;
#else
  const bool tls_supported = false;
#endif
  const example::options options = example::parse_options(argc, argv, tls_supported);
  example::block_termination_signals();  // before httplib starts its threads

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

  example::frame_feed feed(options);
  server->Get("/stream.mjpg", [&feed](const httplib::Request& request, httplib::Response& response) {
    serve_stream(feed, request, response);
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
  feed.close();  // every content provider writes its close delimiter and ends
  feed.wait_for_no_viewers();
  server->stop();
  listener.join();
  return 0;
}

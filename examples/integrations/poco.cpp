// serverpush-example-poco: the demo's test pattern on /stream.mjpg from a
// Poco::Net::HTTPServer. Each viewer is served on its own connection thread,
// writing through serverpush's ostream_sink on response.send().
//
//   serverpush-example-poco --port 8080
//   curl -N http://127.0.0.1:8080/stream.mjpg | ffplay -f mpjpeg -
//
// Poco runs one thread per connection (a pool of up to 256 here), so a slow
// viewer blocks only its own thread and skips frames; SIGINT/SIGTERM end
// every stream with its close delimiter and exit 0.

#include <serverpush/boundary.hpp>
#include <serverpush/integrations/poco.hpp>
#include <serverpush/sinks/ostream.hpp>
#include <serverpush/writer.hpp>

#include "example.hpp"
#include "frame_feed.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/ThreadPool.h>
#include <Poco/Timespan.h>

#include <cstdio>
#include <ostream>
#include <system_error>

namespace {

namespace net = Poco::Net;

class stream_handler : public net::HTTPRequestHandler {
 public:
  explicit stream_handler(example::frame_feed& feed) : feed_(feed) {}

  void handleRequest(net::HTTPServerRequest& request, net::HTTPServerResponse& response) override {
    // A viewer that stops reading fails its writes after 10 s instead of
    // holding its thread for good.
    static_cast<net::HTTPServerRequestImpl&>(request).socket().setSendTimeout(Poco::Timespan(10, 0));

    std::error_code ec;
    const auto boundary = serverpush::boundary_string::generate(ec);
    if (ec) return;  // Poco answers 200 with no body
    serverpush::poco::set_stream_headers(response, boundary.content_type());
    std::ostream& body = response.send();  // the head goes out here

    serverpush::MultipartWriter<serverpush::ostream_sink> writer(serverpush::ostream_sink(body),
                                                                 boundary.view(), ec);
    writer.set_framing(serverpush::poco::framing_for(request));
    for (unsigned long long frame = 0; !ec;) {
      frame = feed_.wait_newer(frame);
      if (frame == 0) break;  // shutting down
      writer.write_part("image/jpeg", example::test_frame(frame - 1), ec);
      body.flush();  // each part leaves at once
    }
    if (!ec) writer.close(ec);
    body.flush();
  }

 private:
  example::frame_feed& feed_;
};

class router : public net::HTTPRequestHandlerFactory {
 public:
  explicit router(example::frame_feed& feed) : feed_(feed) {}

  net::HTTPRequestHandler* createRequestHandler(const net::HTTPServerRequest& request) override {
    if (request.getURI() == "/stream.mjpg") return new stream_handler(feed_);
    return new not_found;
  }

 private:
  struct not_found : net::HTTPRequestHandler {
    void handleRequest(net::HTTPServerRequest&, net::HTTPServerResponse& response) override {
      response.setStatusAndReason(net::HTTPResponse::HTTP_NOT_FOUND);
      response.setContentType("text/plain");
      response.send() << "not found\n";
    }
  };
  example::frame_feed& feed_;
};

}  // namespace

int main(int argc, char** argv) {
  const example::options options = example::parse_options(argc, argv, false);
  example::block_termination_signals();  // before Poco starts its threads

  example::frame_feed feed(options);
  Poco::ThreadPool threads(2, 256);
  auto* params = new net::HTTPServerParams;
  params->setMaxThreads(256);
  params->setMaxQueued(256);
  net::ServerSocket socket(net::SocketAddress("127.0.0.1", options.port));
  net::HTTPServer server(new router(feed), threads, socket, params);
  server.start();
  example::print_stream_url(false, socket.address().port());

  example::wait_for_termination();
  feed.close();  // every stream ends with its close delimiter
  server.stopAll(false);
  threads.joinAll();
  return 0;
}

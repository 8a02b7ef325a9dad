// serverpush-example-poco: the demo's test pattern on /stream.mjpg from a
// Poco::Net::HTTPServer. One Broadcaster serves every viewer; each viewer is
// a pull source that its Poco connection thread copies to response.send().
//
//   serverpush-example-poco --port 8080 [--tls cert.pem key.pem]
//   curl -N http://127.0.0.1:8080/stream.mjpg | ffplay -f mpjpeg -
//
// Poco runs one thread per connection (a pool of up to 256 here). A slow
// viewer holds only its own thread and skips frames; one that stops reading
// is dropped by the hub after its stall timeout. SIGINT/SIGTERM end every
// stream with its close delimiter and exit 0.

#include <serverpush/broadcaster.hpp>
#include <serverpush/integrations/poco.hpp>

#include "example.hpp"
#include "pattern_thread.hpp"

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
#if SERVERPUSH_EXAMPLE_TLS
#include <Poco/Net/Context.h>
#include <Poco/Net/SecureServerSocket.h>
#endif

#include <memory>
#include <system_error>

namespace {

namespace net = Poco::Net;

class stream_handler : public net::HTTPRequestHandler {
 public:
  explicit stream_handler(serverpush::Broadcaster& hub) : hub_(hub) {}

  void handleRequest(net::HTTPServerRequest& request, net::HTTPServerResponse& response) override {
    // A client that stops reading fails the thread's write after 10 s.
    static_cast<net::HTTPServerRequestImpl&>(request).socket().setSendTimeout(Poco::Timespan(10, 0));
    std::error_code ec;
    const auto source = hub_.add_pull({serverpush::poco::framing_for(request), ""}, ec);
    if (ec) {  // too many viewers, or shutting down
      response.setStatusAndReason(net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
      response.send();
      return;
    }
    serverpush::poco::set_stream_headers(response, hub_.content_type());
    serverpush::poco::send_stream(*source, response.send());  // until the stream ends
  }

 private:
  serverpush::Broadcaster& hub_;
};

class router : public net::HTTPRequestHandlerFactory {
 public:
  explicit router(serverpush::Broadcaster& hub) : hub_(hub) {}

  net::HTTPRequestHandler* createRequestHandler(const net::HTTPServerRequest& request) override {
    if (request.getURI() == "/stream.mjpg") return new stream_handler(hub_);
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
  serverpush::Broadcaster& hub_;
};

// The listening socket: TLS (NetSSL, OpenSSL underneath) when a certificate
// is given.
net::ServerSocket listen_on(const example::options& options) {
  const net::SocketAddress address("127.0.0.1", static_cast<Poco::UInt16>(options.port));
#if SERVERPUSH_EXAMPLE_TLS
  if (options.tls()) {
    net::Context::Ptr context = new net::Context(net::Context::TLS_SERVER_USE, options.key,
                                                 options.cert, "", net::Context::VERIFY_NONE);
    return net::SecureServerSocket(address, 64, context);
  }
#endif
  return net::ServerSocket(address);
}

}  // namespace

int main(int argc, char** argv) {
  const example::options options = example::parse_options(argc, argv, SERVERPUSH_EXAMPLE_TLS != 0);
  example::block_termination_signals();  // before Poco and the hub start their threads

  serverpush::Broadcaster hub;
  example::pattern_thread pattern(hub, options);
  Poco::ThreadPool threads(2, 256);
  auto* params = new net::HTTPServerParams;
  params->setMaxThreads(256);
  params->setMaxQueued(256);
  net::ServerSocket socket = listen_on(options);
  net::HTTPServer server(new router(hub), threads, socket, params);
  server.start();
  example::print_stream_url(options.tls(), socket.address().port());

  example::wait_for_termination();
  pattern.stop();
  hub.close();            // every viewer's stream ends with its close delimiter
  server.stopAll(false);  // no new connections; the handlers finish sending
  threads.joinAll();
  return 0;
}

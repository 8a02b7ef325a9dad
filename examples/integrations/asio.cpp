// serverpush-example-asio: the demo's test pattern on /stream.mjpg from a
// standalone Asio server (no Boost), with TLS when given a certificate.
//
//   serverpush-example-asio --port 8443 --tls cert.pem key.pem
//   curl -kN https://127.0.0.1:8443/stream.mjpg | ffplay -f mpjpeg -
//
// Everything runs on one io_context on the main thread, with no other
// thread: accepting, the TLS handshake, reading the request head (the demo's
// small parser), the fan-out (serverpush::asio_broadcaster writes the head
// from serverpush::http::response_head and the body through each stream, TLS
// or not), the frame timer. SIGINT/SIGTERM end every stream with its close
// delimiter and exit 0.

#include <serverpush/asio/standalone.hpp>
#include <serverpush/http.hpp>

#include "example.hpp"
#include "request.hpp"

#include <asio.hpp>
#if SERVERPUSH_EXAMPLE_TLS
#include <asio/ssl.hpp>
#endif

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace {

using asio::ip::tcp;
using error_code = std::error_code;
using plain_stream = tcp::socket;

template <class Stream>
tcp::socket& lowest_layer(Stream& s) {
  if constexpr (std::is_same_v<Stream, plain_stream>) {
    return s;
  } else {
    return s.next_layer();
  }
}

// One connection: (TLS handshake), request head, then the stream.
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
 public:
  session(Stream stream, serverpush::asio_broadcaster& hub) : stream_(std::move(stream)), hub_(hub) {}

  void start() {
#if SERVERPUSH_EXAMPLE_TLS
    if constexpr (!std::is_same_v<Stream, plain_stream>) {
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (!ec) self->read_request();
                              });
      return;
    }
#endif
    read_request();
  }

 private:
  void read_request() {
    asio::async_read_until(stream_, asio::dynamic_buffer(received_, demo::max_request_head), "\r\n\r\n",
                           [self = this->shared_from_this()](error_code ec, std::size_t) {
                             if (!ec) self->respond();
                           });
  }

  void respond() {
    demo::request request;
    if (demo::parse_request(received_, request) != demo::parse_result::complete ||
        request.method != "GET" || request.path != "/stream.mjpg") {
      return refuse();
    }
    serverpush::http::response_options head;
    if (request.minor_version == 0) head.http_version = serverpush::http::version::http_1_0;
    serverpush::client_options viewer;
    viewer.framing = serverpush::http::framing_for(request.header("Sec-Fetch-Dest"));
    viewer.head = serverpush::http::response_head(hub_.content_type(), head);
    // The head and the body: from here on the stream belongs to the fan-out.
    std::error_code ec;
    hub_.add(std::move(stream_), std::move(viewer), ec);
  }

  void refuse() {
    static const std::string not_found =
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n"
        "Connection: close\r\n\r\nnot found\n";
    asio::async_write(stream_, asio::buffer(not_found),
                      [self = this->shared_from_this()](error_code, std::size_t) {
                        error_code ignored;
                        lowest_layer(self->stream_).close(ignored);
                      });
  }

  Stream stream_;
  serverpush::asio_broadcaster& hub_;
  std::string received_;
};

}  // namespace

int main(int argc, char** argv) {
  const example::options options = example::parse_options(argc, argv, SERVERPUSH_EXAMPLE_TLS);
  asio::io_context io;

#if SERVERPUSH_EXAMPLE_TLS
  asio::ssl::context tls(asio::ssl::context::tls_server);
  if (options.tls()) {
    error_code ec;
    tls.use_certificate_chain_file(options.cert, ec);
    if (!ec) tls.use_private_key_file(options.key, asio::ssl::context::pem, ec);
    if (ec) {
      std::fprintf(stderr, "serverpush-example-asio: %s\n", ec.message().c_str());
      return 1;
    }
  }
#endif

  serverpush::asio_broadcaster hub(io.get_executor());
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), options.port});
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](error_code ec, tcp::socket socket) {
      if (ec) return;  // the acceptor was closed
#if SERVERPUSH_EXAMPLE_TLS
      if (options.tls()) {
        using tls_stream = asio::ssl::stream<tcp::socket>;
        std::make_shared<session<tls_stream>>(tls_stream(std::move(socket), tls), hub)->start();
      } else
#endif
        std::make_shared<session<plain_stream>>(std::move(socket), hub)->start();
      accept();
    });
  };
  accept();

  // The test pattern, one frame per tick.
  asio::steady_timer timer(io);
  unsigned long long published = 0;
  std::function<void()> tick = [&] {
    if (options.frames >= 0 && published >= static_cast<unsigned long long>(options.frames)) return;
    std::error_code ec;
    hub.publish("image/jpeg", example::test_frame(published++), ec);
    timer.expires_at(timer.expiry() + options.frame_interval());
    timer.async_wait([&](error_code ec) {
      if (!ec) tick();
    });
  };
  timer.expires_after(std::chrono::seconds(0));
  tick();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](error_code, int) {
    acceptor.close();
    timer.cancel();
    hub.close([&io] { io.stop(); });  // every stream gets its close delimiter, then run() returns
  });

  example::print_stream_url(options.tls(), acceptor.local_endpoint().port());
  io.run();
  return 0;
}

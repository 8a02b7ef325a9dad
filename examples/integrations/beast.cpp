// serverpush-example-beast: the demo's test pattern on /stream.mjpg from a
// Boost.Beast server, with TLS when given a certificate.
//
//   serverpush-example-beast --port 8443 --tls cert.pem key.pem
//   curl -kN https://127.0.0.1:8443/stream.mjpg | ffplay -f mpjpeg -
//
// Everything runs on one io_context on the main thread, with no other
// thread: accepting, the TLS handshake, reading the request and writing the
// response head with Beast, the fan-out (serverpush::boost_asio_broadcaster
// writes every viewer's body through its stream, TLS or not), the frame
// timer. SIGINT/SIGTERM end every stream with its close delimiter and exit 0.

#include <serverpush/asio/boost.hpp>
#include <serverpush/integrations/beast.hpp>

#include "example.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#if SERVERPUSH_EXAMPLE_TLS
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#endif

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// One connection: (TLS handshake), request, response head, then the stream.
template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
 public:
  session(Stream stream, serverpush::boost_asio_broadcaster& hub) : stream_(std::move(stream)), hub_(hub) {}

  void start() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(10));
#if SERVERPUSH_EXAMPLE_TLS
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
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
    http::async_read(stream_, buffer_, request_,
                     [self = this->shared_from_this()](error_code ec, std::size_t) {
                       if (!ec) self->respond();
                     });
  }

  void respond() {
    if (request_.target() != "/stream.mjpg") return not_found();
    response_.emplace(serverpush::beast::stream_response(request_.version(), hub_.content_type()));
    serializer_.emplace(*response_);
    http::async_write_header(stream_, *serializer_,
                             [self = this->shared_from_this()](error_code ec, std::size_t) {
                               if (!ec) self->join_stream();
                             });
  }

  // The body: from here on the stream belongs to the fan-out.
  void join_stream() {
    beast::get_lowest_layer(stream_).expires_never();
    std::error_code ec;
    hub_.add(std::move(stream_), {serverpush::beast::framing_for(request_), ""}, ec);
  }

  void not_found() {
    auto response = std::make_shared<http::response<http::string_body>>(http::status::not_found,
                                                                         request_.version());
    response->set(http::field::content_type, "text/plain");
    response->body() = "not found\n";
    response->prepare_payload();
    response->keep_alive(false);
    http::async_write(stream_, *response,
                      [self = this->shared_from_this(), response](error_code, std::size_t) {
                        beast::get_lowest_layer(self->stream_).close();
                      });
  }

  Stream stream_;
  serverpush::boost_asio_broadcaster& hub_;
  beast::flat_buffer buffer_;
  http::request<http::empty_body> request_;
  std::optional<http::response<http::empty_body>> response_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
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
      std::fprintf(stderr, "serverpush-example-beast: %s\n", ec.message().c_str());
      return 1;
    }
  }
#endif

  serverpush::boost_asio_broadcaster hub(io.get_executor());
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), options.port});
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](error_code ec, tcp::socket socket) {
      if (ec) return;  // the acceptor was closed
#if SERVERPUSH_EXAMPLE_TLS
      if (options.tls()) {
        using tls_stream = beast::ssl_stream<beast::tcp_stream>;
        std::make_shared<session<tls_stream>>(tls_stream(std::move(socket), tls), hub)->start();
      } else
#endif
        std::make_shared<session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), hub)->start();
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

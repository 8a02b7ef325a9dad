// The Asio driver on 127.0.0.1: 1000 viewers on one io_context thread, a
// stalled viewer beside readers, TLS viewers (ssl::stream), hooks. Built
// twice: standalone Asio and, with SERVERPUSH_TEST_BOOST_ASIO, Boost.Asio.

#include "loopback.hpp"

#if defined(SERVERPUSH_TEST_BOOST_ASIO)
#include <boost/asio/ssl.hpp>
#include <serverpush/asio/boost.hpp>
namespace net = boost::asio;
using hub_type = serverpush::boost_asio_broadcaster;
#else
#include <asio/ssl.hpp>
#include <serverpush/asio/standalone.hpp>
namespace net = asio;
using hub_type = serverpush::asio_broadcaster;
#endif

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <functional>
#include <memory>

using tcp = net::ip::tcp;

#if defined(SERVERPUSH_TEST_BOOST_ASIO) && !SERVERPUSH_HAS_EXCEPTIONS
// Boost.Asio without exceptions calls these where it would throw; the test
// uses no call that can fail that way except on a broken machine.
namespace boost {
[[noreturn]] void throw_exception(const std::exception&) { std::abort(); }
[[noreturn]] void throw_exception(const std::exception&, const boost::source_location&) { std::abort(); }
}  // namespace boost
#endif

// The error_code forms, so the Boost.Asio build also runs without exceptions.

namespace {

// The io_context on its own thread until the hub has drained.
class runner {
 public:
  runner() : guard_(net::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}
  ~runner() {
    guard_.reset();
    ioc_.stop();
    thread_.join();
  }
  net::io_context& ioc() { return ioc_; }
  // close(), then waits until every viewer is gone.
  void close_and_wait(hub_type& hub) {
    std::atomic<bool> drained{false};
    hub.close([&] { drained = true; });
    REQUIRE(eventually([&] { return drained.load(); }, 60000));
  }

 private:
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> guard_;
  std::thread thread_;
};

tcp::socket adopt(net::io_context& ioc, int fd) {
  tcp::socket s(ioc);
  s.assign(tcp::v4(), fd);
  return s;
}

hub_type::executor_type executor_of(net::io_context& ioc) { return ioc.get_executor(); }

serverpush::hub_options asio_options() {
  serverpush::hub_options o;
  o.boundary = "LOOPBACK";
  return o;
}

}  // namespace

TEST_CASE("asio driver: 1000 viewers on one io_context thread each get a valid stream") {
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  std::size_t viewers = 1000;
  const std::size_t room = limit.rlim_cur > 64 ? (limit.rlim_cur - 64) / 2 : 0;
  if (room < viewers) {
    MESSAGE("RLIMIT_NOFILE allows only " << room << " viewers instead of 1000");
    viewers = room;
  }
  listener l;
  const int fds_before = open_fd_count();
  std::vector<int> readers;
  {
    runner r;
    std::error_code hub_ec;
    hub_type hub(executor_of(r.ioc()), asio_options(), hub_ec);
    REQUIRE_FALSE(hub_ec);
    for (std::size_t i = 0; i < viewers; ++i) {
      const auto [client, server] = l.connect_pair();
      readers.push_back(client);
      std::error_code ec;
      hub.add(adopt(r.ioc(), server), {static_cast<framing>(i % 3), http_head}, ec);
      REQUIRE_FALSE(ec);
    }
    std::error_code ec;
    hub.publish("image/jpeg", std::string(1000, 'a'), ec);
    hub.publish("image/jpeg", std::string(1000, 'b'), ec);
    hub.publish_last("image/jpeg", std::string(1000, 'c'), ec);
    REQUIRE_FALSE(ec);
    r.close_and_wait(hub);
    CHECK(hub.stats().clients == 0);
  }
  std::size_t valid = 0;
  for (int fd : readers) {
    const std::string wire = read_all(fd);
    ::close(fd);
    if (wire.compare(0, http_head.size(), http_head) != 0) continue;
    const auto parsed = test::parse_multipart(std::string_view(wire).substr(http_head.size()), "LOOPBACK");
    if (!parsed.error.empty() || !parsed.closed) continue;
    const auto bodies = bodies_of(parsed);
    if (bodies.empty() || bodies.back() != std::string(1000, 'c')) continue;
    ++valid;
  }
  CHECK(valid == viewers);
  CHECK(open_fd_count() == fds_before);
}

TEST_CASE("asio driver: a viewer that stops reading does not hold back one that reads") {
  listener l;
  runner r;
  serverpush::hub_options o = asio_options();
  o.stall_timeout = 600s;  // kept, not dropped, during the test
  std::error_code hub_ec;
  hub_type hub(executor_of(r.ioc()), o, hub_ec);
  REQUIRE_FALSE(hub_ec);
  const auto [slow_client, slow_server] = l.connect_pair(4096, 4096);
  const auto [fast_client, fast_server] = l.connect_pair();
  bound_reads(fast_client);
  std::error_code ec;
  const auto slow_id = hub.add(adopt(r.ioc(), slow_server), {framing::content_length, ""}, ec);
  hub.add(adopt(r.ioc(), fast_server), {framing::content_length, ""}, ec);
  REQUIRE_FALSE(ec);
  constexpr int parts = 12;
  const std::size_t part_size = 256 * 1024;
  std::string received;
  std::size_t expected = 0;
  char buf[65536];
  for (int i = 0; i < parts; ++i) {
    hub.publish("application/octet-stream", std::string(part_size, static_cast<char>('A' + i)), ec);
    REQUIRE_FALSE(ec);
    expected += std::string("--LOOPBACK\r\nContent-Type: application/octet-stream\r\n"
                            "Content-Length: 262144\r\n\r\n").size() + part_size + 2;
    while (received.size() < expected) {
      const ssize_t got = ::read(fast_client, buf, sizeof buf);
      REQUIRE(got > 0);
      received.append(buf, static_cast<std::size_t>(got));
    }
  }
  for (const auto& c : hub.stats().per_client) {
    if (c.id == slow_id) {
      CHECK(c.parts_sent < static_cast<std::uint64_t>(parts));
      CHECK(c.parts_skipped > 0);
    }
  }
  ::close(slow_client);  // its pending write fails: removed
  r.close_and_wait(hub);
  received += read_all(fast_client);
  ::close(fast_client);
  const auto parsed = test::parse_multipart(received, "LOOPBACK");
  REQUIRE(parsed.error.empty());
  CHECK(parsed.closed);
  CHECK(bodies_of(parsed).size() == static_cast<std::size_t>(parts));
}

TEST_CASE("asio driver: hooks, stall timeout and removal reasons") {
  listener l;
  runner r;
  std::atomic<int> first{0}, last{0}, stalled{0};
  serverpush::hub_options o = asio_options();
  o.stall_timeout = 200ms;
  o.on_first_viewer = [&] { ++first; };
  o.on_last_viewer = [&] { ++last; };
  o.on_client_removed = [&](const serverpush::client_stats&, std::error_code reason) {
    if (reason == std::errc::timed_out) ++stalled;
  };
  std::error_code hub_ec;
  hub_type hub(executor_of(r.ioc()), o, hub_ec);
  REQUIRE_FALSE(hub_ec);
  const auto [client, server] = l.connect_pair(4096, 4096);
  std::error_code ec;
  hub.add(adopt(r.ioc(), server), {}, ec);
  REQUIRE_FALSE(ec);
  hub.publish("application/octet-stream", std::string(4 << 20, 'z'), ec);  // never read
  CHECK(eventually([&] { return stalled.load() == 1; }));
  CHECK(eventually([&] { return last.load() == 1; }));
  CHECK(first.load() == 1);
  r.close_and_wait(hub);
  ::close(client);
}

TEST_CASE("asio driver: after close() the io_context runs out of work without an on_drained") {
  listener l;
  net::io_context ioc;
  std::error_code hub_ec;
  hub_type hub(executor_of(ioc), asio_options(), hub_ec);
  REQUIRE_FALSE(hub_ec);
  // Plain ints, not a structured binding: the reader thread captures one.
  const std::pair<int, int> fds = l.connect_pair();
  const int client = fds.first;
  bound_reads(client);
  std::error_code ec;
  hub.add(adopt(ioc, fds.second), {}, ec);  // arms the stall deadline
  REQUIRE_FALSE(ec);
  hub.publish("text/plain", "one", ec);
  REQUIRE_FALSE(ec);
  std::atomic<bool> returned{false};
  std::thread io([&] {
    ioc.run();
    returned = true;
  });
  std::string got;
  std::thread reader([&] { got = read_all(client); });
  hub.close();
  const bool ran_out = eventually([&] { return returned.load(); }, 30000);
  if (!ran_out) ioc.stop();  // a failed check must still end the test
  io.join();
  reader.join();
  CHECK(ran_out);
  CHECK(got.size() > 0);
  CHECK(got.compare(got.size() - 14, 14, "--LOOPBACK--\r\n") == 0);
  ::close(client);
}

namespace {

// A fresh self-signed certificate and key, PEM, made in memory.
struct test_identity {
  std::string cert, key;
};

test_identity make_identity() {
  test_identity out;
  EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  REQUIRE(pkey != nullptr);
  X509* x = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), 0);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, pkey);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
  auto pem = [](auto write) {
    BIO* bio = BIO_new(BIO_s_mem());
    write(bio);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    std::string s(data, static_cast<std::size_t>(size));
    BIO_free(bio);
    return s;
  };
  out.cert = pem([&](BIO* b) { PEM_write_bio_X509(b, x); });
  out.key = pem([&](BIO* b) { PEM_write_bio_PrivateKey(b, pkey, nullptr, nullptr, 0, nullptr, nullptr); });
  X509_free(x);
  EVP_PKEY_free(pkey);
  return out;
}

}  // namespace

TEST_CASE("asio driver: TLS viewers (ssl::stream) get the exact stream") {
  const test_identity id = make_identity();
  net::ssl::context server_ctx(net::ssl::context::tls_server);
  server_ctx.use_certificate_chain(net::buffer(id.cert));
  server_ctx.use_private_key(net::buffer(id.key), net::ssl::context::pem);
  net::ssl::context client_ctx(net::ssl::context::tls_client);
  client_ctx.set_verify_mode(net::ssl::verify_none);  // a test certificate on 127.0.0.1

  listener l;
  runner r;
  std::error_code hub_ec;
  hub_type hub(executor_of(r.ioc()), asio_options(), hub_ec);
  REQUIRE_FALSE(hub_ec);
  net::io_context client_ioc;  // the viewers' side, driven by this thread
  std::vector<std::unique_ptr<net::ssl::stream<tcp::socket>>> clients;
  for (int i = 0; i < 3; ++i) {
    const auto [client_fd, server_fd] = l.connect_pair();
    auto server = std::make_unique<net::ssl::stream<tcp::socket>>(adopt(r.ioc(), server_fd), server_ctx);
    auto client = std::make_unique<net::ssl::stream<tcp::socket>>(adopt(client_ioc, client_fd), client_ctx);
    std::thread handshake([&] { server->handshake(net::ssl::stream_base::server); });
    client->handshake(net::ssl::stream_base::client);
    handshake.join();
    std::error_code ec;
    hub.add(std::move(*server), {static_cast<framing>(i), http_head}, ec);
    REQUIRE_FALSE(ec);
    clients.push_back(std::move(client));
  }
  std::error_code ec;
  hub.publish_last("image/jpeg", std::string(100000, 't'), ec);
  REQUIRE_FALSE(ec);
  hub.close();
  for (auto& client : clients) {
    std::string wire;
    char buf[16384];
    for (;;) {
#if defined(SERVERPUSH_TEST_BOOST_ASIO)
      boost::system::error_code read_ec;
#else
      std::error_code read_ec;
#endif
      const std::size_t n = client->read_some(net::buffer(buf), read_ec);
      wire.append(buf, n);
      if (read_ec) break;  // end of stream (the TCP close, no close_notify)
    }
    REQUIRE(wire.compare(0, http_head.size(), http_head) == 0);
    const auto parsed = test::parse_multipart(std::string_view(wire).substr(http_head.size()), "LOOPBACK");
    CHECK(parsed.error.empty());
    CHECK(parsed.closed);
    const bool exact = bodies_of(parsed) == std::vector<std::string>{std::string(100000, 't')};
    CHECK(exact);
  }
  r.close_and_wait(hub);
}

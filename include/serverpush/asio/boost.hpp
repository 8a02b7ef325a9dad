#ifndef SERVERPUSH_ASIO_BOOST_HPP
#define SERVERPUSH_ASIO_BOOST_HPP

// The fan-out driver for Boost.Asio (1.81 and later, `#include <boost/asio.hpp>`,
// Debian: libboost-dev): serverpush::boost_asio_broadcaster. See basic_broadcaster.hpp.
//
//   boost::asio::io_context ioc;
//   serverpush::boost_asio_broadcaster hub(ioc.get_executor());
//   hub.add(std::move(socket), {serverpush::http::framing_for(dest), head});
//   hub.publish("image/jpeg", jpeg);            // from any thread

#if !__has_include(<boost/asio.hpp>)
#error "serverpush/asio/boost.hpp needs Boost.Asio (<boost/asio.hpp>; Debian: libboost-dev)"
#endif

#include <boost/asio.hpp>

#include <serverpush/asio/basic_broadcaster.hpp>

#include <utility>

namespace serverpush {
namespace asio_driver {

// What the driver takes from Boost.Asio.
struct boost_net {
  using executor_type = ::boost::asio::any_io_executor;
  using const_buffer = ::boost::asio::const_buffer;
  using steady_timer = ::boost::asio::steady_timer;
  using error_code = ::boost::system::error_code;
  static constexpr auto shutdown_both = ::boost::asio::socket_base::shutdown_both;
  template <class Executor, class Handler>
  static void post(const Executor& ex, Handler&& handler) {
    ::boost::asio::post(ex, std::forward<Handler>(handler));
  }
};

}  // namespace asio_driver

using boost_asio_broadcaster = asio_driver::basic_broadcaster<asio_driver::boost_net>;

}  // namespace serverpush

#endif

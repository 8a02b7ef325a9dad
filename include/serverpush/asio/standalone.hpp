#ifndef SERVERPUSH_ASIO_STANDALONE_HPP
#define SERVERPUSH_ASIO_STANDALONE_HPP

// The fan-out driver for standalone Asio (1.22 and later, `#include <asio.hpp>`,
// Debian: libasio-dev): serverpush::asio_broadcaster. See basic_broadcaster.hpp.
//
//   asio::io_context ioc;
//   serverpush::asio_broadcaster hub(ioc.get_executor());
//   hub.add(std::move(socket), {serverpush::http::framing_for(dest), head});
//   hub.publish("image/jpeg", jpeg);            // from any thread

#if !__has_include(<asio.hpp>)
#error "serverpush/asio/standalone.hpp needs standalone Asio (<asio.hpp>; Debian: libasio-dev)"
#endif

#include <serverpush/detail/config.hpp>

#if SERVERPUSH_HAS_EXCEPTIONS

#include <asio.hpp>

#include <serverpush/asio/basic_broadcaster.hpp>

#include <utility>

namespace serverpush {
namespace asio_driver {

// What the driver takes from standalone Asio.
struct standalone_net {
  using executor_type = ::asio::any_io_executor;
  using const_buffer = ::asio::const_buffer;
  using steady_timer = ::asio::steady_timer;
  using error_code = std::error_code;
  static constexpr auto shutdown_both = ::asio::socket_base::shutdown_both;
  template <class Executor, class Handler>
  static void post(const Executor& ex, Handler&& handler) {
    ::asio::post(ex, std::forward<Handler>(handler));
  }
};

}  // namespace asio_driver

using asio_broadcaster = asio_driver::basic_broadcaster<asio_driver::standalone_net>;

}  // namespace serverpush

#else

// Standalone Asio 1.22 does not compile without exceptions; Boost.Asio does
// (it then calls a boost::throw_exception you define). The name stays, so the
// mistake is reported where it is used.
namespace serverpush {
namespace asio_driver {
template <bool Never = false>
struct standalone_asio_needs_exceptions {
  static_assert(Never,
                "standalone Asio needs exceptions; without them use serverpush/asio/boost.hpp");
};
}  // namespace asio_driver
using asio_broadcaster = asio_driver::standalone_asio_needs_exceptions<>;
}  // namespace serverpush

#endif

#endif

#ifndef SERVERPUSH_SINKS_CALLABLE_HPP
#define SERVERPUSH_SINKS_CALLABLE_HPP

#include <cstddef>
#include <system_error>
#include <type_traits>
#include <utility>

namespace serverpush {

// Turns a function object into a sink. It may be called as
//   f(const char* data, std::size_t size)                       -> void (cannot fail)
//   f(const char* data, std::size_t size, std::error_code& ec)  -> void (all or ec)
//   f(const char* data, std::size_t size, std::error_code& ec)  -> std::size_t (may be short)
template <class F>
class callable_sink {
  static constexpr bool takes_ec =
      std::is_invocable_v<F&, const char*, std::size_t, std::error_code&>;
  static_assert(takes_ec || std::is_invocable_v<F&, const char*, std::size_t>,
                "serverpush::callable_sink: the function must be callable as "
                "f(const char*, std::size_t) or f(const char*, std::size_t, std::error_code&)");

 public:
  explicit callable_sink(F f) : f_(std::move(f)) {}

  std::size_t write(const char* data, std::size_t size, std::error_code& ec) {
    if constexpr (takes_ec) {
      using result = std::invoke_result_t<F&, const char*, std::size_t, std::error_code&>;
      if constexpr (std::is_convertible_v<result, std::size_t>) {
        return f_(data, size, ec);
      } else {
        f_(data, size, ec);
        return ec ? 0 : size;
      }
    } else {
      f_(data, size);
      return size;
    }
  }

  F& function() noexcept { return f_; }

 private:
  F f_;
};

template <class F>
callable_sink<std::decay_t<F>> make_callable_sink(F&& f) {
  return callable_sink<std::decay_t<F>>(std::forward<F>(f));
}

}  // namespace serverpush

#endif

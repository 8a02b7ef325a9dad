// The lean include pulls in no threads, no event loop, no <mutex> or
// <functional>: what it defines is looked at before anything else is included.

#include <serverpush/core.hpp>

namespace {

struct pulled {
  const char* what;
  bool included;
};

constexpr pulled lean_include_pulls[] = {
#if defined(_GLIBCXX_THREAD) || defined(_LIBCPP_THREAD) || defined(_GLIBCXX_THREAD_H)
    {"<thread>", true},
#else
    {"<thread>", false},
#endif
#if defined(_GLIBCXX_MUTEX) || defined(_LIBCPP_MUTEX) || defined(_GLIBCXX_MUTEX_H)
    {"<mutex>", true},
#else
    {"<mutex>", false},
#endif
#if defined(_GLIBCXX_FUNCTIONAL) || defined(_LIBCPP_FUNCTIONAL) || defined(_GLIBCXX_STD_FUNCTION_H)
    {"<functional>", true},
#else
    {"<functional>", false},
#endif
#if defined(_GLIBCXX_CONDITION_VARIABLE) || defined(_LIBCPP_CONDITION_VARIABLE)
    {"<condition_variable>", true},
#else
    {"<condition_variable>", false},
#endif
#if defined(_SYS_EPOLL_H) || defined(_SYS_EPOLL_H_)
    {"<sys/epoll.h>", true},
#else
    {"<sys/epoll.h>", false},
#endif
};

// A control: the same macros do show an include that happened.
#include <serverpush/sinks/memory.hpp>
#include <vector>
#if defined(_GLIBCXX_VECTOR) || defined(_LIBCPP_VECTOR)
constexpr bool control_seen = true;
#else
constexpr bool control_seen = false;
#endif

}  // namespace

#include "testing.hpp"

TEST_CASE("serverpush/core.hpp pulls in no threads, event loop, mutex or std::function") {
  for (const pulled& p : lean_include_pulls) {
    CAPTURE(p.what);
    CHECK_FALSE(p.included);
  }
  CHECK(control_seen);
}

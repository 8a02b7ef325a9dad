// The sinks that come with the library: memory, ostream, callable, fd.

#include "fd_reader.hpp"
#include "golden.hpp"

#include <serverpush/sinks/callable.hpp>
#include <serverpush/sinks/fd.hpp>
#include <serverpush/sinks/memory.hpp>
#include <serverpush/sinks/ostream.hpp>
#include <serverpush/writer.hpp>

#include "testing.hpp"

#include <cerrno>
#include <chrono>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <limits>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using serverpush::errc;
using serverpush::fd_kind;
using serverpush::MultipartWriter;

namespace {

const golden::scenario& three_pages = golden::scenarios[0];

template <class Sink>
void write_three_pages(MultipartWriter<Sink>& w) {
  std::error_code ec;
  golden::run(0, w, ec);
  CHECK_FALSE(ec);
}

struct fd_pair {
  int read_end = -1;
  int write_end = -1;
  ~fd_pair() {
    close_read();
    close_write();
  }
  void close_read() {
    if (read_end >= 0) ::close(read_end);
    read_end = -1;
  }
  void close_write() {
    if (write_end >= 0) ::close(write_end);
    write_end = -1;
  }
};

fd_pair make_pipe() {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  return fd_pair{fds[0], fds[1]};
}

fd_pair make_socketpair() {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  return fd_pair{fds[0], fds[1]};
}

// Counts SIGPIPE deliveries while alive, then puts the old handler back.
class sigpipe_counter {
 public:
  sigpipe_counter() {
    count_ = 0;
    struct sigaction action {};
    action.sa_handler = [](int) { count_ = count_ + 1; };
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGPIPE, &action, &old_);
  }
  ~sigpipe_counter() { ::sigaction(SIGPIPE, &old_, nullptr); }
  int delivered() const { return count_; }
  static bool pending() {
    sigset_t set;
    sigemptyset(&set);
    return ::sigpending(&set) == 0 && sigismember(&set, SIGPIPE) == 1;
  }

 private:
  static inline volatile std::sig_atomic_t count_ = 0;
  struct sigaction old_ {};
};

// A system-call layer that records instead of writing, with a script of
// errno values to fail chosen calls with and a cap on bytes per call.
struct fake_io_state {
  std::string out;
  std::size_t sendmsg_calls = 0;
  std::size_t writev_calls = 0;
  std::size_t poll_calls = 0;
  int last_flags = -1;
  std::size_t max_per_call = std::numeric_limits<std::size_t>::max();
  std::vector<int> write_errnos;  // call i fails with write_errnos[i] when nonzero
  std::vector<int> poll_results;  // call i returns this (-1: EINTR); 1 after the end
  int last_poll_timeout = -2;
};

struct fake_io {
  fake_io_state* state;

  ssize_t sendmsg(int, const ::msghdr* msg, int flags) noexcept {
    ++state->sendmsg_calls;
    state->last_flags = flags;
    return gather(msg->msg_iov, static_cast<int>(msg->msg_iovlen));
  }
  ssize_t writev(int, const ::iovec* iov, int count) noexcept {
    ++state->writev_calls;
    return gather(iov, count);
  }
  int poll(::pollfd* fds, ::nfds_t, int timeout_ms) noexcept {
    state->last_poll_timeout = timeout_ms;
    const std::size_t call = state->poll_calls++;
    const int result = call < state->poll_results.size() ? state->poll_results[call] : 1;
    if (result < 0) errno = EINTR;
    if (result > 0) fds[0].revents = POLLOUT;
    return result;
  }

 private:
  ssize_t gather(const ::iovec* iov, int count) {
    const std::size_t call = state->sendmsg_calls + state->writev_calls - 1;
    if (call < state->write_errnos.size() && state->write_errnos[call] != 0) {
      errno = state->write_errnos[call];
      return -1;
    }
    std::size_t budget = state->max_per_call;
    std::size_t taken = 0;
    for (int i = 0; i < count && budget > 0; ++i) {
      const std::size_t n = iov[i].iov_len < budget ? iov[i].iov_len : budget;
      state->out.append(static_cast<const char*>(iov[i].iov_base), n);
      budget -= n;
      taken += n;
    }
    return static_cast<ssize_t>(taken);
  }
};

// Forwards to the real system calls and counts them.
struct counting_io {
  std::size_t* sendmsg_calls;
  std::size_t* writev_calls;
  serverpush::posix_io real{};
  ssize_t sendmsg(int fd, const ::msghdr* msg, int flags) noexcept {
    ++*sendmsg_calls;
    return real.sendmsg(fd, msg, flags);
  }
  ssize_t writev(int fd, const ::iovec* iov, int count) noexcept {
    ++*writev_calls;
    return real.writev(fd, iov, count);
  }
  int poll(::pollfd* fds, ::nfds_t count, int timeout_ms) noexcept {
    return real.poll(fds, count, timeout_ms);
  }
};

using fake_fd_writer = MultipartWriter<serverpush::basic_fd_sink<fake_io>>;

}  // namespace

TEST_CASE("string_sink and vector_sink") {
  std::error_code ec;
  MultipartWriter<serverpush::string_sink> s(serverpush::string_sink{}, "MSBOB", ec);
  write_three_pages(s);
  CHECK(s.sink().container() == three_pages.bytes);
  CHECK(s.sink().size() == three_pages.bytes.size());
  const std::size_t capacity = s.sink().container().capacity();
  s.sink().clear();
  CHECK(s.sink().size() == 0);
  CHECK(s.sink().container().capacity() == capacity);

  MultipartWriter<serverpush::vector_sink> v(serverpush::vector_sink{}, "MSBOB", ec);
  write_three_pages(v);
  const auto& bytes = v.sink().container();
  CHECK(std::string(bytes.begin(), bytes.end()) == three_pages.bytes);
}

TEST_CASE("ostream_sink writes to the stream") {
  std::ostringstream os;
  std::error_code ec;
  MultipartWriter<serverpush::ostream_sink> w(serverpush::ostream_sink(os), "MSBOB", ec);
  write_three_pages(w);
  CHECK(os.str() == three_pages.bytes);
  CHECK(&w.sink().stream() == &os);
}

TEST_CASE("ostream_sink: a bad stream is reported and written no more") {
  std::ostringstream os;
  std::error_code ec;
  MultipartWriter<serverpush::ostream_sink> w(serverpush::ostream_sink(os), "B", ec);
  w.write_part("text/plain", "one", ec);
  REQUIRE_FALSE(ec);
  const std::string before = os.str();
  os.setstate(std::ios::badbit);
  w.write_part("text/plain", "two", ec);
  CHECK(ec == errc::sink_failed);
  CHECK(w.sink_error() == std::io_errc::stream);
  CHECK(w.is_failed());
  os.clear();
  CHECK(os.str() == before);
  w.close(ec);
  CHECK(ec == errc::writer_failed);
  CHECK(os.str() == before);
}

namespace {
// A stream buffer that refuses every byte.
struct refusing_buf : std::streambuf {
  int_type overflow(int_type) override { return traits_type::eof(); }
  std::streamsize xsputn(const char*, std::streamsize) override { return 0; }
};
}  // namespace

TEST_CASE("ostream_sink: a failing stream buffer") {
  refusing_buf buf;
  std::ostream os(&buf);
  std::error_code ec;
  MultipartWriter<serverpush::ostream_sink> w(serverpush::ostream_sink(os), "B", ec);
  w.write_part("text/plain", "x", ec);
  CHECK(ec == errc::sink_failed);
  CHECK(w.sink_error() == std::io_errc::stream);
}

TEST_CASE("ostream_sink: a refused byte marks the stream bad, as ostream::write does") {
  refusing_buf buf;
  std::ostream os(&buf);
  std::error_code ec;
  MultipartWriter<serverpush::ostream_sink> w(serverpush::ostream_sink(os), "B", ec);
  w.write_part("text/plain", "x", ec);
  CHECK(ec == errc::sink_failed);
  CHECK(os.bad());
}

#if SERVERPUSH_HAS_EXCEPTIONS
TEST_CASE("ostream_sink: a stream that throws fails the writer") {
  refusing_buf buf;
  std::ostream os(&buf);
  os.exceptions(std::ios::badbit | std::ios::failbit);
  std::error_code ec;
  MultipartWriter<serverpush::ostream_sink> w(serverpush::ostream_sink(os), "B", ec);
  CHECK_THROWS_AS(w.write_part("text/plain", "x", ec), std::ios_base::failure);
  CHECK(w.is_failed());
  w.close(ec);
  CHECK(ec == errc::writer_failed);
}
#endif

TEST_CASE("callable_sink in each form") {
  std::string out;
  std::error_code ec;
  {
    auto f = [&out](const char* data, std::size_t size) { out.append(data, size); };
    MultipartWriter<serverpush::callable_sink<decltype(f)>> w(serverpush::make_callable_sink(f),
                                                              "MSBOB", ec);
    write_three_pages(w);
    CHECK(out == three_pages.bytes);
  }
  out.clear();
  {
    auto f = [&out](const char* data, std::size_t size, std::error_code&) {
      out.append(data, size);
    };
    auto w = MultipartWriter<serverpush::callable_sink<decltype(f)>>(
        serverpush::make_callable_sink(f), "MSBOB", ec);
    write_three_pages(w);
    CHECK(out == three_pages.bytes);
  }
  out.clear();
  {
    // Takes at most 3 bytes per call.
    auto f = [&out](const char* data, std::size_t size, std::error_code&) -> std::size_t {
      const std::size_t n = size < 3 ? size : 3;
      out.append(data, n);
      return n;
    };
    MultipartWriter<serverpush::callable_sink<decltype(f)>> w(serverpush::make_callable_sink(f),
                                                              "MSBOB", ec);
    write_three_pages(w);
    CHECK(out == three_pages.bytes);
  }
  out.clear();
  {
    // Fails from the fourth call on: a part takes three (head, payload, tail).
    int calls = 0;
    auto f = [&](const char* data, std::size_t size, std::error_code& e) {
      if (++calls >= 4) {
        e = std::make_error_code(std::errc::no_space_on_device);
        return;
      }
      out.append(data, size);
    };
    MultipartWriter<serverpush::callable_sink<decltype(f)>> w(serverpush::make_callable_sink(f),
                                                              "MSBOB", ec);
    w.write_part("text/plain", "one", ec);
    w.write_part("text/plain", "two", ec);
    CHECK(ec == errc::sink_failed);
    CHECK(w.sink_error() == std::errc::no_space_on_device);
    CHECK(calls == 4);
    CHECK(out == "--MSBOB\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\none\r\n");
  }
  {
    // A counting form that fails.
    auto f = [](const char*, std::size_t, std::error_code& e) -> std::size_t {
      e = std::make_error_code(std::errc::io_error);
      return 0;
    };
    MultipartWriter<serverpush::callable_sink<decltype(f)>> w(serverpush::make_callable_sink(f),
                                                              "MSBOB", ec);
    w.write_part("text/plain", "one", ec);
    CHECK(ec == errc::sink_failed);
    CHECK(w.sink_error() == std::errc::io_error);
  }
  {
    // A plain function pointer.
    static std::string* target = nullptr;
    target = &out;
    out.clear();
    void (*fp)(const char*, std::size_t) = [](const char* d, std::size_t n) { target->append(d, n); };
    MultipartWriter<serverpush::callable_sink<decltype(fp)>> w(serverpush::make_callable_sink(fp),
                                                               "MSBOB", ec);
    write_three_pages(w);
    CHECK(out == three_pages.bytes);
  }
}

TEST_CASE("fd_sink classifies descriptors") {
  fd_pair p = make_pipe();
  fd_pair s = make_socketpair();
  CHECK(serverpush::fd_sink(p.write_end).kind() == fd_kind::pipe);
  CHECK(serverpush::fd_sink(s.write_end).kind() == fd_kind::socket);
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  CHECK(serverpush::fd_sink(::fileno(file)).kind() == fd_kind::other);
  std::fclose(file);
  CHECK(serverpush::fd_sink(-1).kind() == fd_kind::other);
}

TEST_CASE("fd_sink on a pipe and a socketpair delivers every byte") {
  const std::string big(3 * 1024 * 1024 + 7, 'J');  // more than any pipe or socket buffer
  for (bool socket : {false, true}) {
    CAPTURE(socket);
    fd_pair fds = socket ? make_socketpair() : make_pipe();
    serverpush::test::fd_reader reader(fds.read_end);
    std::error_code ec;
    {
      MultipartWriter<serverpush::fd_sink> w(serverpush::fd_sink(fds.write_end), "MSBOB", ec);
      golden::run(0, w, ec);
      REQUIRE_FALSE(ec);
    }
    {
      MultipartWriter<serverpush::fd_sink> w(serverpush::fd_sink(fds.write_end), "B", ec);
      w.write_part("image/jpeg", big, ec);
      w.close(ec);
      REQUIRE_FALSE(ec);
    }
    fds.close_write();
    const std::string got = reader.finish();
    CHECK(reader.error() == 0);
    const std::string expected = std::string(three_pages.bytes) +
                                 "--B\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                                 std::to_string(big.size()) + "\r\n\r\n" + big + "\r\n--B--\r\n";
    CHECK(got.size() == expected.size());
    CHECK(got == expected);
  }
}

TEST_CASE("fd_sink on a regular file") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  std::error_code ec;
  MultipartWriter<serverpush::fd_sink> w(serverpush::fd_sink(::fileno(file)), "MSBOB", ec);
  write_three_pages(w);
  std::rewind(file);
  std::string got;
  char chunk[256];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, file)) > 0) got.append(chunk, n);
  std::fclose(file);
  CHECK(got == three_pages.bytes);
}

TEST_CASE("fd_sink: a closed reader gives EPIPE and never raises SIGPIPE") {
  for (bool socket : {false, true}) {
    CAPTURE(socket);
    sigpipe_counter counter;
    fd_pair fds = socket ? make_socketpair() : make_pipe();
    fds.close_read();
    std::error_code ec;
    MultipartWriter<serverpush::fd_sink> w(serverpush::fd_sink(fds.write_end), "B", ec);
    w.write_part("text/plain", "nobody reads this", ec);
    CHECK(ec == errc::sink_failed);
    CHECK(w.sink_error() == std::errc::broken_pipe);
    CHECK(w.sink_error().category() == std::generic_category());
    w.close(ec);
    CHECK(ec == errc::writer_failed);
    CHECK(counter.delivered() == 0);
    CHECK_FALSE(sigpipe_counter::pending());
  }
}

TEST_CASE("fd_sink: a SIGPIPE already pending stays pending for its owner") {
  // The sink swallows only the signal its own write raised.
  sigpipe_counter counter;
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &block, &old);
  ::raise(SIGPIPE);
  REQUIRE(sigpipe_counter::pending());
  fd_pair fds = make_pipe();
  fds.close_read();
  std::error_code ec;
  MultipartWriter<serverpush::fd_sink> w(serverpush::fd_sink(fds.write_end), "B", ec);
  w.write_part("text/plain", "x", ec);
  CHECK(w.sink_error() == std::errc::broken_pipe);
  CHECK(sigpipe_counter::pending());
  int sig = 0;
  sigwait(&block, &sig);
  CHECK_FALSE(sigpipe_counter::pending());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  CHECK(counter.delivered() == 0);
}

TEST_CASE("fd_sink: a full non-blocking pipe waits, then times out") {
  fd_pair fds = make_pipe();
  REQUIRE(::fcntl(fds.write_end, F_SETFL, ::fcntl(fds.write_end, F_GETFL) | O_NONBLOCK) == 0);
  serverpush::fd_sink sink(fds.write_end);
  sink.set_timeout(std::chrono::milliseconds(20));
  std::error_code ec;
  MultipartWriter<serverpush::fd_sink> w(std::move(sink), "B", ec);
  const std::string big(4 * 1024 * 1024, 'x');
  w.write_part("application/octet-stream", big, ec);
  CHECK(ec == errc::sink_failed);
  CHECK(w.sink_error() == std::errc::timed_out);
}

TEST_CASE("fd_sink: a non-blocking socket with a reader gets everything") {
  fd_pair fds = make_socketpair();
  REQUIRE(::fcntl(fds.write_end, F_SETFL, ::fcntl(fds.write_end, F_GETFL) | O_NONBLOCK) == 0);
  serverpush::test::fd_reader reader(fds.read_end);
  const std::string big(2 * 1024 * 1024, 'y');
  std::error_code ec;
  {
    MultipartWriter<serverpush::fd_sink> w(serverpush::fd_sink(fds.write_end), "B", ec);
    w.write_part("application/octet-stream", big, ec);
    w.close(ec);
    CHECK_FALSE(ec);
  }
  fds.close_write();
  const std::string got = reader.finish();
  CHECK(got == "--B\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                   std::to_string(big.size()) + "\r\n\r\n" + big + "\r\n--B--\r\n");
}

TEST_CASE("fd_sink: one system call per part when the descriptor takes everything") {
  for (bool socket : {true, false}) {
    CAPTURE(socket);
    fd_pair fds = socket ? make_socketpair() : make_pipe();
    serverpush::test::fd_reader reader(fds.read_end);
    std::size_t sendmsg_calls = 0;
    std::size_t writev_calls = 0;
    const int parts = 50;
    const std::string payload(1000, 'p');
    std::error_code ec;
    {
      using sink_t = serverpush::basic_fd_sink<counting_io>;
      MultipartWriter<sink_t> w(sink_t(fds.write_end, counting_io{&sendmsg_calls, &writev_calls}),
                                "B", ec);
      for (int i = 0; i < parts; ++i) {
        w.write_part("image/jpeg", payload, {{"X-Timestamp", "1700000000.123"}}, ec);
        REQUIRE_FALSE(ec);
        CHECK((socket ? sendmsg_calls : writev_calls) == static_cast<std::size_t>(i + 1));
      }
      w.close(ec);
      REQUIRE_FALSE(ec);
    }
    if (socket) {
      CHECK(sendmsg_calls == parts + 1);
      CHECK(writev_calls == 0);
    } else {
      CHECK(writev_calls == parts + 1);
      CHECK(sendmsg_calls == 0);
    }
    fds.close_write();
    const std::string got = reader.finish();
    CHECK(got.size() == static_cast<std::size_t>(parts) *
                            (std::string("--B\r\nContent-Type: image/jpeg\r\nContent-Length: 1000\r\n"
                                         "X-Timestamp: 1700000000.123\r\n\r\n")
                                 .size() +
                             1000 + 2) +
                        std::string("--B--\r\n").size());
  }
}

TEST_CASE("fd_sink with a fake system-call layer") {
  fd_pair sock = make_socketpair();
  fd_pair pipe = make_pipe();

  SUBCASE("socket: one sendmsg per part, with MSG_NOSIGNAL") {
    fake_io_state st;
    std::error_code ec;
    fake_fd_writer w(serverpush::basic_fd_sink<fake_io>(sock.write_end, fake_io{&st}), "MSBOB", ec);
    golden::run(0, w, ec);
    CHECK_FALSE(ec);
    CHECK(st.out == three_pages.bytes);
    CHECK(st.sendmsg_calls == 4);
    CHECK(st.writev_calls == 0);
    CHECK((st.last_flags & MSG_NOSIGNAL) != 0);
  }
  SUBCASE("pipe: one writev per part") {
    fake_io_state st;
    std::error_code ec;
    fake_fd_writer w(serverpush::basic_fd_sink<fake_io>(pipe.write_end, fake_io{&st}), "MSBOB", ec);
    golden::run(0, w, ec);
    CHECK_FALSE(ec);
    CHECK(st.out == three_pages.bytes);
    CHECK(st.writev_calls == 4);
    CHECK(st.sendmsg_calls == 0);
  }
  SUBCASE("short writes at every size resume where they stopped") {
    for (std::size_t id = 0; id < golden::scenario_count; ++id) {
      const golden::scenario& s = golden::scenarios[id];
      for (std::size_t n = 1; n <= s.bytes.size(); ++n) {
        CAPTURE(s.name);
        CAPTURE(n);
        fake_io_state st;
        st.max_per_call = n;
        std::error_code ec;
        fake_fd_writer w(serverpush::basic_fd_sink<fake_io>(sock.write_end, fake_io{&st}),
                         s.boundary, ec);
        golden::run(id, w, ec);
        REQUIRE_FALSE(ec);
        REQUIRE(st.out == s.bytes);
      }
    }
  }
  SUBCASE("EINTR is retried") {
    fake_io_state st;
    st.write_errnos = {EINTR, 0, EINTR, EINTR, 0, 0, EINTR};
    std::error_code ec;
    fake_fd_writer w(serverpush::basic_fd_sink<fake_io>(sock.write_end, fake_io{&st}), "MSBOB", ec);
    golden::run(0, w, ec);
    CHECK_FALSE(ec);
    CHECK(st.out == three_pages.bytes);
    CHECK(st.sendmsg_calls == 4 + 4);
    CHECK(st.poll_calls == 0);
  }
  SUBCASE("EAGAIN waits in poll, then resumes") {
    fake_io_state st;
    st.max_per_call = 10;
    st.write_errnos = {0, EAGAIN, 0, EWOULDBLOCK, EAGAIN, 0};
    st.poll_results = {1, -1, 1, 1};
    std::error_code ec;
    fake_fd_writer w(serverpush::basic_fd_sink<fake_io>(pipe.write_end, fake_io{&st}), "MSBOB", ec);
    golden::run(0, w, ec);
    CHECK_FALSE(ec);
    CHECK(st.out == three_pages.bytes);
    CHECK(st.poll_calls == 4);  // three waits, one of them interrupted once
  }
  SUBCASE("poll timing out is reported") {
    fake_io_state st;
    st.write_errnos = {EAGAIN};
    st.poll_results = {0};
    std::error_code ec;
    serverpush::basic_fd_sink<fake_io> sink(sock.write_end, fake_io{&st});
    sink.set_timeout(std::chrono::milliseconds(5));
    fake_fd_writer w(std::move(sink), "B", ec);
    w.write_part("text/plain", "x", ec);
    CHECK(ec == errc::sink_failed);
    CHECK(w.sink_error() == std::errc::timed_out);
    CHECK(st.out.empty());
  }
  SUBCASE("timeouts beyond what poll() takes wait as long as it can") {
    // Issue #9 item 8: above INT_MAX ms the timeout wrapped (to a negative
    // "forever", or a short wait).
    using std::chrono::milliseconds;
    const struct {
      milliseconds set;
      int expected;
    } cases[] = {
        {milliseconds(5), 5},
        {milliseconds(0), 0},
        {milliseconds(-1), -1},
        {milliseconds(-5000000000LL), -1},
        {milliseconds(INT_MAX), INT_MAX},
        {milliseconds(static_cast<long long>(INT_MAX) + 1), INT_MAX},
        {milliseconds(4294967296LL + 5), INT_MAX},
        {std::chrono::hours(24 * 365), INT_MAX},
        {milliseconds::max(), INT_MAX},
    };
    for (const auto& c : cases) {
      CAPTURE(c.set.count());
      fake_io_state st;
      st.write_errnos = {EAGAIN};
      st.poll_results = {0};
      serverpush::basic_fd_sink<fake_io> sink(sock.write_end, fake_io{&st});
      sink.set_timeout(c.set);
      const serverpush::const_buffer buf{"x", 1};
      std::error_code ec;
      sink.writev(&buf, 1, ec);
      CHECK(ec == std::errc::timed_out);
      CHECK(st.last_poll_timeout == c.expected);
    }
  }
  SUBCASE("errors are reported as errno values") {
    for (int err : {EPIPE, ECONNRESET, EBADF, ENOSPC}) {
      CAPTURE(err);
      fake_io_state st;
      st.max_per_call = 7;
      st.write_errnos = {0, 0, err};
      std::error_code ec;
      fake_fd_writer w(serverpush::basic_fd_sink<fake_io>(sock.write_end, fake_io{&st}), "MSBOB",
                       ec);
      golden::run(0, w, ec);
      CHECK(ec == errc::sink_failed);
      CHECK(w.sink_error() == std::error_code(err, std::generic_category()));
      CHECK(st.out == three_pages.bytes.substr(0, 14));
      w.close(ec);
      CHECK(ec == errc::writer_failed);
      CHECK(st.sendmsg_calls == 3);
    }
  }
}

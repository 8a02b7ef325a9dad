// serverpush-demo: a small HTTP/1.x server for the library.
//
//   /              HTML index with the live stream in an <img>
//   /stream.mjpg   live MJPEG through one Broadcaster shared by every viewer
//   /pages         the classic three pushed HTML pages (MultipartWriter, one thread each)
//   /pull          the same pages by client pull (meta refresh and Refresh header)
//   /snapshot.jpg  the newest frame; /frame/N.jpg frame N of the set
//   /wall?n=24     N live streams on one page (1..64)
//
// Run with --help for the options and limits (options.hpp); server.hpp has
// the connection handling. SIGINT/SIGTERM end every stream with its close
// delimiter and exit 0.
#include <serverpush/broadcaster.hpp>

#include "frames.hpp"
#include "nats_publisher.hpp"
#include "options.hpp"
#include "server.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

using demo::program;

bool ends_with_jpg(std::string_view name) {
  const auto ends = [&](std::string_view ext) {
    if (name.size() <= ext.size()) return false;
    for (std::size_t i = 0; i < ext.size(); ++i) {
      char c = name[name.size() - ext.size() + i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != ext[i]) return false;
    }
    return true;
  };
  return ends(".jpg") || ends(".jpeg");
}

bool load_frames(const std::string& dir, demo::frame_set& out) {
  if (dir.empty()) {
    for (std::size_t i = 0; i < demo::builtin_frame_count; ++i) {
      out.frames.emplace_back(demo::builtin_frames[i].data, demo::builtin_frames[i].size);
    }
    return true;
  }
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    std::fprintf(stderr, "%s: cannot open %s: %s\n", program, dir.c_str(), std::strerror(errno));
    return false;
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(d)) {
    if (entry->d_name[0] != '.' && ends_with_jpg(entry->d_name)) names.emplace_back(entry->d_name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::ifstream in(dir + "/" + name, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.size() < 4 || static_cast<unsigned char>(bytes[0]) != 0xff ||
        static_cast<unsigned char>(bytes[1]) != 0xd8) {
      std::fprintf(stderr, "%s: skipping %s: not a JPEG\n", program, name.c_str());
      continue;
    }
    out.owned.push_back(std::move(bytes));
  }
  for (const std::string& f : out.owned) out.frames.emplace_back(f);
  if (out.frames.empty()) {
    std::fprintf(stderr, "%s: no .jpg files in %s\n", program, dir.c_str());
    return false;
  }
  return true;
}

// Self-pipe: the handler only writes one byte; the poll loop does the work.
int signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int) {
  const int saved = errno;
  const char byte = 1;
  [[maybe_unused]] const ssize_t n = ::write(signal_pipe[1], &byte, 1);
  errno = saved;
}

}  // namespace

int main(int argc, char** argv) {
  demo::options opt;
  if (const int rc = demo::parse_options(argc, argv, opt); rc != 0) return rc == 1 ? 0 : 2;
  if (!demo::apply_fd_limit(opt)) return 1;
  demo::frame_set frames;
  if (!load_frames(opt.dir, frames)) return 1;

  if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::perror("pipe2");
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  std::atomic<long long> viewers{0};
  serverpush::broadcaster_options bo;
  bo.stall_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(demo::seconds(opt.stall_timeout));
  bo.max_clients = opt.max_viewers;
  // --max-pinned-mib: broadcaster_options has no field for the memory that
  // stalled viewers pin yet; the value is kept for it.
  bo.on_client_removed = [&viewers](const serverpush::client_stats& c, std::error_code reason) {
    --viewers;
    std::fprintf(stderr, "%s: stream client %llu done: %llu parts sent, %llu skipped (%s)\n", program,
                 static_cast<unsigned long long>(c.id), static_cast<unsigned long long>(c.parts_sent),
                 static_cast<unsigned long long>(c.parts_skipped),
                 reason ? reason.message().c_str() : "closed");
  };
  serverpush::Broadcaster hub(std::move(bo));

  const std::size_t frame_count = frames.frames.size();
  demo::server srv(opt, std::move(frames), hub, viewers, signal_pipe[0]);
  std::unique_ptr<demo::nats_publisher> nats;
  if (!opt.nats.empty()) {
    nats = std::make_unique<demo::nats_publisher>(opt.nats, opt.subject);
    std::string error;
    if (!nats->start(error)) {
      std::fprintf(stderr, "%s: --nats: %s\n", program, error.c_str());
      return 2;
    }
    srv.publish_to(nats.get());
  }
  std::string url;
  if (srv.listen_on(url) < 0) return 1;
  std::printf("%s: open %s\n", program, url.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %zu frames at %g fps%s\n", program, frame_count, opt.fps,
               opt.frames > 0 ? (", " + std::to_string(opt.frames) + " parts then close").c_str() : "");
  std::fprintf(stderr,
               "%s: limits: %llu fds, %zu connections, %zu pending (%zu per peer), %zu viewers, "
               "%zu page streams\n",
               program, static_cast<unsigned long long>(opt.max_fds), opt.max_connections,
               opt.max_pending, opt.max_pending_per_peer, opt.max_viewers, opt.max_page_streams);
  const int rc = srv.run();
  if (nats) nats->stop(std::chrono::milliseconds(500));  // bounded: a dead NATS link cannot hold up the exit
  return rc;
}

// serverpush-nats-source: publishes frames on a NATS subject at a steady rate
// with demo::nats_publisher, for serverpush-edge to serve. The frames are the
// .jpg files of a directory (in name order, repeated) or synthetic payloads
// of a given size. Needs no NATS library.
//
//   serverpush-nats-source --nats URL[,URL...] --subject S [--fps 30] (--dir DIR | --size BYTES)
//
// Runs until SIGINT/SIGTERM (or --frames N), then prints its counters and exits 0.
#include "nats_publisher.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr const char* program = "serverpush-nats-source";
std::atomic<bool> stopping{false};

extern "C" void on_signal(int) { stopping.store(true); }

bool load_dir(const std::string& dir, std::vector<std::string>& frames) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".jpg") == 0) names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    std::ifstream in(dir + "/" + n, std::ios::binary);
    frames.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return !frames.empty();
}

}  // namespace

int main(int argc, char** argv) {
  std::string nats;
  std::string subject;
  std::string dir;
  double fps = 30;
  long long size = 0;
  long long count = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const char* value = argv[i + 1];
    if (name == "--nats") {
      nats = value;
    } else if (name == "--subject") {
      subject = value;
    } else if (name == "--dir") {
      dir = value;
    } else if (name == "--fps") {
      fps = std::atof(value);
    } else if (name == "--size") {
      size = std::atoll(value);
    } else if (name == "--frames") {
      count = std::atoll(value);
    } else {
      std::fprintf(stderr, "%s: unknown option %s\n", program, name.c_str());
      return 2;
    }
  }
  if (nats.empty() || subject.empty() || (dir.empty() == (size <= 0)) || !(fps > 0 && fps <= 1000)) {
    std::fprintf(stderr,
                 "usage: %s --nats URL[,URL...] --subject S [--fps N] (--dir DIR | --size BYTES) [--frames N]\n",
                 program);
    return 2;
  }
  std::vector<std::string> frames;
  const char* type = "image/jpeg";
  if (!dir.empty()) {
    if (!load_dir(dir, frames)) {
      std::fprintf(stderr, "%s: no .jpg files in %s\n", program, dir.c_str());
      return 1;
    }
  } else {
    type = "application/octet-stream";
    frames.assign(1, std::string(static_cast<std::size_t>(size), 'x'));
  }

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  demo::nats_publisher publisher(nats, subject);
  std::string error;
  if (!publisher.start(error)) {
    std::fprintf(stderr, "%s: %s\n", program, error.c_str());
    return 2;
  }
  std::printf("%s: publishing on %s\n", program, subject.c_str());
  std::fflush(stdout);
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / fps));
  auto next = std::chrono::steady_clock::now();
  for (long long i = 0; !stopping.load() && (count < 0 || i < count); ++i) {
    std::string& f = frames[static_cast<std::size_t>(i) % frames.size()];
    if (dir.empty()) {  // synthetic: the frame number leads the payload
      const std::string mark = "frame " + std::to_string(i) + "\n";
      f.replace(0, std::min(mark.size(), f.size()), mark.substr(0, f.size()));
    }
    publisher.publish(type, f);
    next += interval;
    std::this_thread::sleep_until(next);
  }
  publisher.stop(std::chrono::milliseconds(1000));
  const demo::nats_publisher_stats s = publisher.stats();
  std::fprintf(stderr, "%s: %llu published, %llu sent, %llu dropped, %llu connections, %llu late joiners answered\n",
               program, static_cast<unsigned long long>(s.published), static_cast<unsigned long long>(s.sent),
               static_cast<unsigned long long>(s.dropped), static_cast<unsigned long long>(s.connects),
               static_cast<unsigned long long>(s.answered));
  return 0;
}

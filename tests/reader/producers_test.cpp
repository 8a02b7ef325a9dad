// MultipartReader on streams real producers wrote: FFmpeg's mpjpeg muxer and
// GStreamer's multipartmux, each checked part for part against what the
// producer's own tools extract; and Python's email package as a differential
// judge on generated streams (random payloads, every framing). A producer
// that is not installed makes its case pass with a message.

#include "events.hpp"
#include "testing.hpp"

#include <serverpush/reader.hpp>
#include <serverpush/sinks/memory.hpp>
#include <serverpush/writer.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using serverpush::MultipartReader;

namespace {

const std::string core_dir = SERVERPUSH_CORE_TEST_DIR;

bool have_tool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "serverpush-reader-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  std::string str(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// The files of a directory in name order.
std::vector<std::string> files_in(const fs::path& dir) {
  std::vector<fs::path> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path());
  std::sort(names.begin(), names.end());
  std::vector<std::string> out;
  for (const fs::path& p : names) out.push_back(read_file(p));
  return out;
}

// Reads a stream whole and in 1000 random splits; all must agree.
reader_test::outcome read_checked(std::string_view boundary, const std::string& stream,
                                  const serverpush::reader_options& options) {
  const reader_test::outcome whole = reader_test::read_all(boundary, stream, options);
  std::mt19937 rng(42);
  for (int i = 0; i < 200; ++i) {
    std::vector<std::size_t> sizes;
    for (std::size_t total = 0; total < stream.size();) {
      const std::size_t n = 1 + rng() % (i < 100 ? 16 : 4096);
      sizes.push_back(n);
      total += n;
    }
    MultipartReader reader(boundary, options);
    const reader_test::outcome split = reader_test::read_split(reader, stream, sizes);
    REQUIRE(split.error == whole.error);
    REQUIRE(split.events == whole.events);
  }
  return whole;
}

}  // namespace

TEST_CASE("FFmpeg -f mpjpeg output: the same frames FFmpeg's own demuxer extracts") {
  if (!have_tool("ffmpeg")) {
    MESSAGE("ffmpeg not installed: skipped");
    return;
  }
  temp_dir dir;
  REQUIRE(run("ffmpeg -nostdin -v error -f lavfi -i testsrc=size=160x120:rate=10 -frames:v 12 -q:v 5 "
              "-f mpjpeg " + dir.str("stream.mjpeg")) == 0);
  fs::create_directories(dir / "frames");
  REQUIRE(run("ffmpeg -nostdin -v error -f mpjpeg -i " + dir.str("stream.mjpeg") +
              " 2>/dev/null -c copy -f image2 " + dir.str("frames/%03d.jpg")) == 0);
  const std::vector<std::string> frames = files_in(dir / "frames");
  REQUIRE(frames.size() == 12);
  const std::string stream = read_file(dir / "stream.mjpeg");
  // FFmpeg writes the next delimiter line after each frame and never the
  // close delimiter: strict mode says so, lenient mode ends the stream and
  // counts it.
  serverpush::reader_options lenient;
  lenient.lenient = true;
  const reader_test::outcome r = read_checked("ffmpeg", stream, lenient);
  REQUIRE_FALSE(r.error);
  CHECK(r.quirks.missing_close_delimiter == 1);
  REQUIRE(r.events.parts.size() == frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CAPTURE(i);
    CHECK(r.events.parts[i].body == frames[i]);
    CHECK(r.events.parts[i].content_type == "image/jpeg");
    CHECK(r.events.parts[i].content_length == std::optional<std::size_t>(frames[i].size()));
  }
  CHECK(reader_test::read_all("ffmpeg", stream).error == serverpush::reader_errc::ended_in_header_block);
}

TEST_CASE("GStreamer multipartmux output: the same buffers jpegenc produced") {
  if (!have_tool("gst-launch-1.0")) {
    MESSAGE("gst-launch-1.0 not installed: skipped");
    return;
  }
  temp_dir dir;
  fs::create_directories(dir / "frames");
  REQUIRE(run("gst-launch-1.0 -q videotestsrc num-buffers=12 pattern=ball ! "
              "video/x-raw,width=160,height=120 ! jpegenc ! tee name=t "
              "t. ! queue ! multipartmux ! filesink location=" + dir.str("stream.mjpeg") + " "
              "t. ! queue ! multifilesink location=" + dir.str("frames/%03d.jpg") + " >/dev/null") == 0);
  const std::vector<std::string> frames = files_in(dir / "frames");
  REQUIRE(frames.size() == 12);
  const std::string stream = read_file(dir / "stream.mjpeg");
  serverpush::reader_options lenient;
  lenient.lenient = true;
  // multipartmux's default boundary is "ThisRandomString".
  const reader_test::outcome r = read_checked("ThisRandomString", stream, lenient);
  REQUIRE_FALSE(r.error);
  REQUIRE(r.events.parts.size() == frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CAPTURE(i);
    CHECK(r.events.parts[i].body == frames[i]);
    CHECK(r.events.parts[i].content_type == "image/jpeg");
  }
  MESSAGE("GStreamer quirks: lf=" << r.quirks.lf_line_endings << " close="
                                  << r.quirks.missing_close_delimiter << " padding="
                                  << r.quirks.transport_padding);
}

TEST_CASE("Python email as a differential judge on generated streams") {
  if (!have_tool("python3")) {
    MESSAGE("python3 not installed: skipped");
    return;
  }
  temp_dir dir;
  std::mt19937 rng(2046);
  const char alphabet[] = "\r\n-ab\xff\x00 MSBOB";
  for (int stream_index = 0; stream_index < 24; ++stream_index) {
    CAPTURE(stream_index);
    serverpush::string_sink sink;
    std::error_code ec;
    serverpush::MultipartWriter<serverpush::string_sink&> w(sink, ec);
    REQUIRE_FALSE(ec);
    const auto f = static_cast<serverpush::framing>(stream_index % 3);
    w.set_framing(f);
    const int parts = 1 + static_cast<int>(rng() % 6);
    for (int p = 0; p < parts; ++p) {
      std::string payload;
      const std::size_t size = rng() % 3 == 0 ? rng() % 8 : rng() % 3000;
      for (std::size_t i = 0; i < size; ++i) payload += alphabet[rng() % (sizeof alphabet - 1)];
      if (p + 1 == parts && f != serverpush::framing::content_length && rng() % 2 == 0) {
        w.write_last_part("image/jpeg", payload, ec);
      } else {
        w.write_part("image/jpeg", payload, ec);
      }
      REQUIRE_FALSE(ec);
    }
    w.close(ec);
    REQUIRE_FALSE(ec);
    const std::string stream = sink.container();
    const std::string name = "s" + std::to_string(stream_index);
    write_file(dir / (name + ".body"), stream);
    fs::create_directories(dir / name);
    const int status = run("python3 " + core_dir + "/email_parts.py " + dir.str(name + ".body") + " '" +
                           w.content_type() + "' " + dir.str(name) + " 2>/dev/null");
    CHECK(status == 0);
    const std::size_t count = std::stoul(read_file(dir / name / "count"));
    const reader_test::outcome r = read_checked(w.boundary(), stream, {});
    REQUIRE_FALSE(r.error);
    REQUIRE(r.events.parts.size() == count);
    for (std::size_t i = 0; i < count; ++i) {
      CAPTURE(i);
      CHECK(r.events.parts[i].body == read_file(dir / name / (std::to_string(i + 1) + ".bin")));
      CHECK(r.events.parts[i].content_type == read_file(dir / name / (std::to_string(i + 1) + ".type")));
    }
  }
}

// Streams written by MultipartWriter, read back by real parsers: Python's
// email package and FFmpeg's mpjpeg demuxer (from a file, and over HTTP on
// 127.0.0.1 with -strict_mime_boundary 1). Every part must come back byte
// for byte.

#include "testing.hpp"

#include <serverpush/sinks/memory.hpp>
#include <serverpush/writer.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace fs = std::filesystem;
using serverpush::framing;
using serverpush::MultipartWriter;
using serverpush::string_sink;

namespace {

const std::string test_dir = SERVERPUSH_CORE_TEST_DIR;

bool have_tool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

// Runs a shell command; returns its exit status (-1 if it did not exit).
int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return (status != -1 && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
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
    std::string pattern = (fs::temp_directory_path() / "serverpush-roundtrip-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct part {
  std::string type;
  std::string payload;
};

// Payloads that stress a boundary-scanning parser: every byte value, CR and
// LF in every arrangement, endings in CR, LF and CRLF, "--" lines, empty.
std::vector<std::string> tricky_payloads() {
  std::string all_up;
  for (int i = 0; i < 256; ++i) all_up += static_cast<char>(i);
  std::string all_down(all_up.rbegin(), all_up.rend());
  return {
      all_up + all_down,
      "<p>First Page</p>",
      "",
      all_down + "\r\n--\r\n-- \r\n\n\r\r" + all_up + "\r",
      "line one\nline two\n",
      "\r\n",
      "--",
      all_up + "\r\n",
  };
}

// Writes `parts` with one framing; returns what a parser must see.
std::vector<part> write_stream(MultipartWriter<string_sink>& w, framing f,
                               const std::vector<part>& parts) {
  w.set_framing(f);
  std::error_code ec;
  std::vector<part> expected = parts;
  for (const part& p : parts) {
    w.write_part(p.type, p.payload, ec);
    REQUIRE_FALSE(ec);
  }
  w.close(ec);
  REQUIRE_FALSE(ec);
  // Early bytes of an unwritten part end as an empty part of the last type.
  if (f != framing::content_length && !parts.empty()) expected.push_back({parts.back().type, ""});
  return expected;
}

void check_with_python_email(const temp_dir& dir, const std::string& name,
                             const MultipartWriter<string_sink>& w,
                             const std::vector<part>& expected) {
  CAPTURE(name);
  const fs::path body = dir / (name + ".body");
  const fs::path out = dir / (name + ".parts");
  fs::create_directories(out);
  write_file(body, w.sink().container());
  const fs::path errors = dir / (name + ".stderr");
  const int status = run("python3 " + quote(test_dir + "/email_parts.py") + " " +
                         quote(body.string()) + " " + quote(w.content_type()) + " " +
                         quote(out.string()) + " 2>" + quote(errors.string()));
  const std::string parser_errors = read_file(errors);
  CAPTURE(parser_errors);
  REQUIRE(status == 0);
  REQUIRE(read_file(out / "count") == std::to_string(expected.size()));
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(i);
    CHECK(read_file(out / (std::to_string(i + 1) + ".bin")) == expected[i].payload);
    CHECK(read_file(out / (std::to_string(i + 1) + ".type")) == expected[i].type);
  }
}

}  // namespace

TEST_CASE("Python email reads every part back, for each framing") {
  if (!have_tool("python3")) {
    MESSAGE("python3 not found: Python email round trip skipped");
    return;
  }
  temp_dir dir;
  const std::vector<std::string> payloads = tricky_payloads();

  for (framing f : {framing::content_length, framing::eager_delimiter, framing::announce_next}) {
    const std::string name = "framing" + std::to_string(static_cast<int>(f));
    std::vector<part> parts;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      // announce_next sends a part's header block early: one type throughout.
      const bool text = f != framing::announce_next && i % 2 == 1;
      parts.push_back({text ? "text/plain" : "application/octet-stream", payloads[i]});
    }
    std::error_code ec;
    MultipartWriter<string_sink> w(string_sink{}, ec);
    REQUIRE_FALSE(ec);
    w.set_strict(true);
    const std::vector<part> expected = write_stream(w, f, parts);
    check_with_python_email(dir, name, w, expected);
  }
}

TEST_CASE("Python email: framings mixed, parts in pieces, extra headers, last part") {
  if (!have_tool("python3")) {
    MESSAGE("python3 not found: Python email round trip skipped");
    return;
  }
  temp_dir dir;
  const std::vector<std::string> payloads = tricky_payloads();
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, ec);
  std::vector<part> expected;

  w.write_part("image/jpeg", payloads[0], {{"X-Timestamp", "1700000000.123"}}, ec);
  expected.push_back({"image/jpeg", payloads[0]});
  w.set_framing(framing::eager_delimiter);
  w.begin_part("text/html", payloads[1].size(), {{"X-Frame", "2"}}, ec);
  w.write_body(payloads[1].substr(0, 5), ec);
  w.write_body(payloads[1].substr(5), ec);
  w.end_part(ec);
  expected.push_back({"text/html", payloads[1]});
  w.set_framing(framing::announce_next);
  w.begin_part("application/octet-stream", ec);
  for (char c : payloads[3]) w.write_body(std::string_view(&c, 1), ec);
  w.end_part(ec);
  expected.push_back({"application/octet-stream", payloads[3]});
  w.write_part("application/octet-stream", payloads[2], ec);
  expected.push_back({"application/octet-stream", payloads[2]});
  w.write_last_part("application/octet-stream", payloads[7], ec);
  expected.push_back({"application/octet-stream", payloads[7]});
  w.close(ec);
  REQUIRE_FALSE(ec);
  check_with_python_email(dir, "mixed", w, expected);

  // The classic three pages with a caller's boundary.
  MultipartWriter<string_sink> pages(string_sink{}, "MSBOB", ec);
  pages.write_part("text/html", "<p>First Page</p>", ec);
  pages.write_part("text/html", "<p>Second Page</p>", ec);
  pages.write_last_part("text/html", "<p>Third Page</p>", ec);
  pages.close(ec);
  REQUIRE_FALSE(ec);
  check_with_python_email(dir, "pages", pages,
                          {{"text/html", "<p>First Page</p>"},
                           {"text/html", "<p>Second Page</p>"},
                           {"text/html", "<p>Third Page</p>"}});
}

namespace {

// Starts serve_once.py for `body`; returns its pid and port.
struct http_server {
  pid_t pid = -1;
  int port = 0;

  bool start(const temp_dir& dir, const fs::path& body, const std::string& content_type) {
    const std::string port_file = (dir / "port").string();
    std::error_code ignored;
    fs::remove(port_file, ignored);
    const std::string script = test_dir + "/serve_once.py";
    const std::string body_path = body.string();
    std::vector<char*> argv = {const_cast<char*>("python3"), const_cast<char*>(script.c_str()),
                               const_cast<char*>(body_path.c_str()),
                               const_cast<char*>(content_type.c_str()),
                               const_cast<char*>(port_file.c_str()), nullptr};
    if (::posix_spawnp(&pid, "python3", nullptr, nullptr, argv.data(), environ) != 0) return false;
    // Bounded wait for the server to report its port.
    for (int i = 0; i < 200 && port == 0; ++i) {
      const std::string text = read_file(port_file);
      if (!text.empty()) port = std::atoi(text.c_str());
      if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return port != 0;
  }

  ~http_server() {
    if (pid <= 0) return;
    int status = 0;
    // It exits after its one request; if the client never came, end it.
    for (int i = 0; i < 40; ++i) {
      if (::waitpid(pid, &status, WNOHANG) == pid) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, SIGTERM);
    ::waitpid(pid, &status, 0);
  }
};

std::vector<std::string> make_jpegs(const temp_dir& dir) {
  const int status = run("ffmpeg -nostdin -loglevel error -f lavfi -i testsrc=size=64x48:rate=5 "
                         "-frames:v 5 " +
                         quote((dir / "frame%d.jpg").string()));
  REQUIRE(status == 0);
  std::vector<std::string> frames;
  for (int i = 1; i <= 5; ++i) {
    frames.push_back(read_file(dir / ("frame" + std::to_string(i) + ".jpg")));
    REQUIRE(frames.back().size() > 100);
    REQUIRE(frames.back().substr(0, 2) == "\xff\xd8");
  }
  return frames;
}

// Demuxes with FFmpeg into out_dir/N.jpg; returns FFmpeg's exit status.
int ffmpeg_demux(const std::string& input, const fs::path& out_dir, bool strict,
                 const fs::path& errors) {
  fs::create_directories(out_dir);
  return run("ffmpeg -nostdin -loglevel error -rw_timeout 20000000 -strict_mime_boundary " +
             std::string(strict ? "1" : "0") + " -f mpjpeg -i " + quote(input) +
             " -c copy -f image2 " + quote((out_dir / "%d.jpg").string()) + " 2>" +
             quote(errors.string()));
}

// The demuxed frames must be the written ones; past them FFmpeg may emit one
// empty file for the close delimiter or an announced empty part, nothing else.
void check_frames(const fs::path& out_dir, const std::vector<std::string>& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    CAPTURE(i);
    const fs::path file = out_dir / (std::to_string(i + 1) + ".jpg");
    REQUIRE(fs::exists(file));
    CHECK(read_file(file) == frames[i]);
  }
  const fs::path extra = out_dir / (std::to_string(frames.size() + 1) + ".jpg");
  if (fs::exists(extra)) CHECK(fs::file_size(extra) == 0);
  CHECK_FALSE(fs::exists(out_dir / (std::to_string(frames.size() + 2) + ".jpg")));
}

}  // namespace

TEST_CASE("FFmpeg mpjpeg reads every JPEG back, for each framing") {
  if (!have_tool("ffmpeg")) {
    MESSAGE("ffmpeg not found: FFmpeg mpjpeg round trip skipped");
    return;
  }
  temp_dir dir;
  const std::vector<std::string> frames = make_jpegs(dir);
  const bool python = have_tool("python3");
  if (!python) MESSAGE("python3 not found: the HTTP part of the FFmpeg round trip is skipped");

  for (int variant = 0; variant < 4; ++variant) {
    CAPTURE(variant);
    std::error_code ec;
    MultipartWriter<string_sink> w(string_sink{}, ec);
    REQUIRE_FALSE(ec);
    if (variant < 3) {
      w.set_framing(static_cast<framing>(variant));
      for (std::size_t i = 0; i < frames.size(); ++i) {
        if (variant == 2) {
          w.write_part("image/jpeg", frames[i], ec);
        } else {
          w.write_part("image/jpeg", frames[i], {{"X-Timestamp", std::to_string(i) + ".5"}}, ec);
        }
        REQUIRE_FALSE(ec);
      }
    } else {
      // In pieces with a declared length, ending with a last part.
      for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
        w.begin_part("image/jpeg", frames[i].size(), ec);
        w.write_body(frames[i].substr(0, 100), ec);
        w.write_body(frames[i].substr(100), ec);
        w.end_part(ec);
        REQUIRE_FALSE(ec);
      }
      w.write_last_part("image/jpeg", frames.back(), ec);
    }
    w.close(ec);
    REQUIRE_FALSE(ec);
    const fs::path stream = dir / ("stream" + std::to_string(variant));
    write_file(stream, w.sink().container());

    for (bool strict : {false, true}) {
      CAPTURE(strict);
      const fs::path out = dir / ("file" + std::to_string(variant) + (strict ? "s" : "n"));
      const fs::path errors = dir / "ffmpeg.stderr";
      const int status = ffmpeg_demux(stream.string(), out, strict, errors);
      const std::string ffmpeg_errors = read_file(errors);
      CAPTURE(ffmpeg_errors);
      CHECK(status == 0);
      check_frames(out, frames);
    }

    if (python) {
      // Over HTTP the demuxer takes the boundary from the Content-Type header
      // and, in strict mode, matches only that one.
      http_server server;
      REQUIRE(server.start(dir, stream, w.content_type()));
      const fs::path out = dir / ("http" + std::to_string(variant));
      const fs::path errors = dir / "ffmpeg.stderr";
      ffmpeg_demux("http://127.0.0.1:" + std::to_string(server.port) + "/", out, true, errors);
      const std::string ffmpeg_errors = read_file(errors);
      CAPTURE(ffmpeg_errors);
      check_frames(out, frames);
    }
  }
}

TEST_CASE("FFmpeg strict mode sees nothing when the header's boundary is not the body's") {
  // The control for the test above: strict matching really uses the header.
  if (!have_tool("ffmpeg") || !have_tool("python3")) {
    MESSAGE("ffmpeg or python3 not found: boundary mismatch control skipped");
    return;
  }
  temp_dir dir;
  const std::vector<std::string> frames = make_jpegs(dir);
  std::error_code ec;
  MultipartWriter<string_sink> w(string_sink{}, ec);
  for (const std::string& frame : frames) w.write_part("image/jpeg", frame, ec);
  w.close(ec);
  REQUIRE_FALSE(ec);
  const fs::path stream = dir / "stream";
  write_file(stream, w.sink().container());
  http_server server;
  REQUIRE(server.start(dir, stream, "multipart/x-mixed-replace; boundary=not" +
                                        std::string(w.boundary().substr(3))));
  const fs::path out = dir / "out";
  ffmpeg_demux("http://127.0.0.1:" + std::to_string(server.port) + "/", out, true,
               dir / "ffmpeg.stderr");
  CHECK_FALSE(fs::exists(out / "1.jpg"));
}

// serverpush-fetch: records a multipart stream (an MJPEG camera, FFmpeg,
// another serverpush) as one file per part.
//
//   serverpush-fetch http://127.0.0.1:8080/stream.mjpg --frames 100 --out frames/
//
// Saves DIR/part_000001.jpg, part_000002.jpg ... (the extension from each
// part's Content-Type), prints one line per saved part on stdout, and exits
// 0 after N parts or when the stream ends with its close delimiter.

#include "upstream.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace {

const char* const program = "serverpush-fetch";

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: %s URL [--frames N] [--out DIR] [--boundary B] [--strict]\n"
               "  URL          http://HOST[:PORT]/PATH of a multipart/x-mixed-replace stream\n"
               "  --frames N   stop after N parts (default: until the stream ends)\n"
               "  --out DIR    directory for the parts (default: .; created if missing)\n"
               "  --boundary B the boundary, whatever the Content-Type says\n"
               "  --strict     refuse anything RFC 2046 does not allow (default: accept\n"
               "               what cameras send, and report it)\n",
               program);
}

std::string extension_for(std::string_view type) {
  const std::size_t semicolon = type.find(';');
  type = type.substr(0, semicolon);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type == "image/jpeg") return ".jpg";
  if (type == "image/png") return ".png";
  if (type == "image/gif") return ".gif";
  if (type == "text/html") return ".html";
  if (type == "text/plain") return ".txt";
  if (type == "application/json") return ".json";
  return ".bin";
}

// Writes each part to its own file.
struct recorder {
  std::filesystem::path dir;
  long long wanted = -1;
  long long saved = 0;
  std::FILE* file = nullptr;
  std::string name;
  std::size_t bytes = 0;
  bool failed = false;

  void on_part_begin(const serverpush::part_info& part) {
    if (!keep_going()) return;  // the rest of the chunk after the last wanted part
    char number[32];
    std::snprintf(number, sizeof number, "part_%06lld", saved + 1);
    name = (dir / (number + extension_for(part.content_type()))).string();
    file = std::fopen(name.c_str(), "wb");
    if (file == nullptr) {
      std::fprintf(stderr, "%s: cannot write %s\n", program, name.c_str());
      failed = true;
    }
    bytes = 0;
  }
  void on_part_data(std::string_view data) {
    if (file != nullptr && std::fwrite(data.data(), 1, data.size(), file) != data.size()) failed = true;
    bytes += data.size();
  }
  void on_part_end() {
    if (file == nullptr) return;
    if (std::fclose(file) != 0) failed = true;
    file = nullptr;
    ++saved;
    std::printf("%s %zu\n", name.c_str(), bytes);
    std::fflush(stdout);
  }
  void on_stream_end() {}
  bool keep_going() const { return !failed && (wanted < 0 || saved < wanted); }
};

}  // namespace

int main(int argc, char** argv) {
  recorder rec;
  rec.dir = ".";
  std::string url_text;
  std::string boundary;
  serverpush::reader_options options;
  options.lenient = true;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(stdout);
      return 0;
    }
    if (arg == "--strict") {
      options.lenient = false;
    } else if (arg == "--frames" && i + 1 < argc) {
      char* end = nullptr;
      rec.wanted = std::strtoll(argv[++i], &end, 10);
      if (*end != '\0' || rec.wanted < 1) {
        std::fprintf(stderr, "%s: --frames needs a positive number\n", program);
        return 2;
      }
    } else if (arg == "--boundary" && i + 1 < argc) {
      boundary = argv[++i];
    } else if (arg == "--out" && i + 1 < argc) {
      rec.dir = argv[++i];
    } else if (url_text.empty() && arg.substr(0, 2) != "--") {
      url_text = std::string(arg);
    } else {
      usage(stderr);
      return 2;
    }
  }
  upstream::url url;
  if (!upstream::parse_url(url_text, url)) {
    std::fprintf(stderr, "%s: need an http://HOST[:PORT]/PATH URL\n", program);
    usage(stderr);
    return 2;
  }
  std::error_code fs_error;
  std::filesystem::create_directories(rec.dir, fs_error);

  const std::string error = upstream::read_stream(url, rec, options, [&] { return rec.keep_going(); }, boundary);
  if (rec.file != nullptr) {  // a part cut short is not a frame
    std::fclose(rec.file);
    std::remove(rec.name.c_str());
  }
  if (!error.empty()) {
    std::fprintf(stderr, "%s: %s (after %lld parts)\n", program, error.c_str(), rec.saved);
    return 1;
  }
  if (rec.failed) return 1;
  if (rec.wanted > 0 && rec.saved < rec.wanted) {
    std::fprintf(stderr, "%s: the stream ended after %lld of %lld parts\n", program, rec.saved, rec.wanted);
    return 1;
  }
  std::fprintf(stderr, "%s: saved %lld parts to %s\n", program, rec.saved, rec.dir.string().c_str());
  return 0;
}

// Uses the library the way an outside program does and checks the bytes.
#include <serverpush/serverpush.hpp>

#include <cstdio>
#include <string>

struct MySink {
  std::string out;
  void write(const char* data, std::size_t size) { out.append(data, size); }
};

int main() {
  MySink sink;
  serverpush::MultipartWriter<MySink&> w(sink, "MSBOB");
  std::error_code ec;
  w.write_part("text/html", "<p>First Page</p>", ec);
  if (!ec) w.close(ec);
  const std::string expected =
      "--MSBOB\r\nContent-Type: text/html\r\nContent-Length: 17\r\n\r\n<p>First Page</p>\r\n"
      "--MSBOB--\r\n";
  if (ec || sink.out != expected || w.content_type() != "multipart/x-mixed-replace; boundary=MSBOB") {
    std::fprintf(stderr, "unexpected output:\n%s\n", sink.out.c_str());
    return 1;
  }
  std::puts("serverpush " SERVERPUSH_VERSION_STRING ": ok");
  return 0;
}

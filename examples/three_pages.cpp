// The classic server push example: three HTML pages in one
// multipart/x-mixed-replace body, written to standard output.
//
//   ./three_pages            the body, byte for byte
//   ./three_pages --head     the HTTP response head first
#include <serverpush/serverpush.hpp>

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
  const bool with_head = argc > 1 && std::strcmp(argv[1], "--head") == 0;

  serverpush::fd_sink out(1);  // standard output
  serverpush::MultipartWriter<serverpush::fd_sink&> writer(out, "MSBOB");

  std::error_code ec;
  if (with_head) {
    serverpush::http::response_options options;
    options.http_version = serverpush::http::version::http_1_0;
    const std::string head = serverpush::http::stream_response_head(writer.content_type(), options, ec);
    if (!ec) writer.write_head(head, ec);
  }
  if (!ec) writer.write_part("text/html", "<html><body><h1>First Page</h1></body></html>", ec);
  if (!ec) writer.write_part("text/html", "<html><body><h1>Second Page</h1></body></html>", ec);
  if (!ec) writer.write_last_part("text/html", "<html><body><h1>Third Page</h1></body></html>", ec);
  if (!ec) writer.close(ec);
  if (ec) {
    std::fprintf(stderr, "three_pages: %s\n", ec.message().c_str());
    return 1;
  }
  return 0;
}

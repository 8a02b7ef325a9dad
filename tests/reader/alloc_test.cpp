// MultipartReader allocates nothing per part once its header buffers have
// grown to the largest header block seen.

#include "alloc_counter.hpp"
#include "testing.hpp"

#include <serverpush/reader.hpp>

#include <string>

namespace {

struct counting_handler {
  std::size_t parts = 0;
  std::size_t bytes = 0;
  void on_part_begin(const serverpush::part_info&) { ++parts; }
  void on_part_data(std::string_view b) { bytes += b.size(); }
  void on_part_end() {}
  void on_stream_end() {}
};

}  // namespace

TEST_CASE("no heap allocation per part in steady state") {
  const std::string payload(5000, 'x');
  std::string stream;
  for (int i = 0; i < 200; ++i) {
    stream += "--MSBOB\r\nContent-Type: image/jpeg\r\nX-Timestamp: " + std::to_string(i) + "\r\n";
    if (i % 2 == 0) stream += "Content-Length: 5000\r\n";
    stream += "\r\n" + payload + "\r\n";
  }
  serverpush::MultipartReader reader("MSBOB");
  counting_handler h;
  std::error_code ec;
  const std::size_t warm = stream.find("--MSBOB", 4 * 5000);  // a few parts of each kind
  reader.feed(std::string_view(stream).substr(0, warm), h, ec);
  REQUIRE_FALSE(ec);
  const serverpush::test::allocation_scope scope;
  // Odd chunk sizes: delimiters and header blocks split across feeds.
  for (std::size_t pos = warm; pos < stream.size(); pos += 1499) {
    reader.feed(std::string_view(stream).substr(pos, 1499), h, ec);
    REQUIRE_FALSE(ec);
  }
  reader.feed("--MSBOB--", h, ec);
  REQUIRE_FALSE(ec);
  CHECK(scope.count() == 0);
  CHECK(h.parts == 200);
  CHECK(h.bytes == 200 * payload.size());
}

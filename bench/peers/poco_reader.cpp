// Poco's Net::MultipartReader over the same bodies, from a MemoryInputStream
// (no copy of the input): a MessageHeader per part, the part's stream read
// in 64 KiB blocks. Poco finds the boundary by scanning, Content-Length or not.

#include "bench_reader.hpp"

#include <Poco/MemoryStream.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/MultipartReader.h>

#include <string>
#include <vector>

namespace {

using namespace spbench;

void poco_reader(benchmark::State& state, const reader_input& in, std::size_t, bool) {
  std::vector<char> buffer(64 * 1024);
  for (auto _ : state) {
    Poco::MemoryInputStream is(in.body.data(), in.body.size());
    Poco::Net::MultipartReader reader(is, std::string(boundary));
    Poco::Net::MessageHeader header;
    std::size_t parts = 0;
    std::size_t bytes = 0;
    while (reader.hasNextPart()) {
      header.clear();
      reader.nextPart(header);
      std::istream& part = reader.stream();
      while (part.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || part.gcount() > 0) {
        bytes += static_cast<std::size_t>(part.gcount());
      }
      ++parts;
    }
    if (parts != in.parts || bytes != in.payload_bytes) {
      state.SkipWithError("wrong parse");
      return;
    }
  }
}

const bool registered = [] {
  register_reader("poco", poco_reader);
  return true;
}();

}  // namespace

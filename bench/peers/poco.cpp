// Poco's Net::MultipartWriter: a std::ostream, a MessageHeader per part, and
// the payload written to the stream. Poco sends no Content-Length.

#include "../sinks.hpp"
#include "../support.hpp"

#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/MultipartWriter.h>

#include <sstream>
#include <string>

namespace {

using namespace spbench;

void to_ostream(benchmark::State& state, std::size_t size) {
  const std::string& data = payload(size);
  std::ostringstream os;
  Poco::Net::MultipartWriter writer(os, std::string(boundary));
  auto write_one = [&] {
    Poco::Net::MessageHeader header;
    header.set("Content-Type", std::string(content_type));
    writer.nextPart(header);
    writer.stream().write(data.data(), static_cast<std::streamsize>(data.size()));
  };
  write_one();  // the steady state is a part after a part
  os.seekp(0);
  part_meter meter(state);
  for (auto _ : state) {
    write_one();
    os.seekp(0);
  }
  meter.finish(size);
  if (!os) state.SkipWithError("stream failed");
}

// The same parts into a reused std::string through a stream buffer that
// appends, the destination of bench_sinks.cpp's plain sink.
void to_plain(benchmark::State& state, std::size_t size) {
  const std::string& data = payload(size);
  string_appending_buf buf;
  std::ostream os(&buf);
  Poco::Net::MultipartWriter writer(os, std::string(boundary));
  auto write_one = [&] {
    Poco::Net::MessageHeader header;
    header.set("Content-Type", std::string(content_type));
    writer.nextPart(header);
    writer.stream().write(data.data(), static_cast<std::streamsize>(data.size()));
  };
  write_one();
  part_meter meter(state);
  for (auto _ : state) {
    buf.out.clear();
    write_one();
    benchmark::DoNotOptimize(buf.out.data());
  }
  meter.finish(size);
  if (!os) state.SkipWithError("stream failed");
}

const bool registered = [] {
  register_parts("poco", "ostream", to_ostream);
  register_parts("poco", "plain", to_plain);
  return true;
}();

}  // namespace

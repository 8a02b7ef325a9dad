// FFmpeg's mpjpeg demuxer over the same bodies through a custom AVIOContext
// reading from memory: av_read_frame per part. It jumps by Content-Length
// when the part has one and scans for the boundary otherwise.

#include "bench_reader.hpp"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
}

#include <cstring>
#include <string>

namespace {

using namespace spbench;

struct memory_source {
  const std::string* body;
  std::size_t pos;
};

int read_memory(void* opaque, std::uint8_t* buf, int size) {
  auto* src = static_cast<memory_source*>(opaque);
  const std::size_t left = src->body->size() - src->pos;
  if (left == 0) return AVERROR_EOF;
  const std::size_t n = left < static_cast<std::size_t>(size) ? left : static_cast<std::size_t>(size);
  std::memcpy(buf, src->body->data() + src->pos, n);
  src->pos += n;
  return static_cast<int>(n);
}

void ffmpeg_reader(benchmark::State& state, const reader_input& in, std::size_t, bool) {
  av_log_set_level(AV_LOG_QUIET);
  const AVInputFormat* format = av_find_input_format("mpjpeg");
  AVPacket* packet = av_packet_alloc();
  for (auto _ : state) {
    memory_source src{&in.body, 0};
    constexpr int buffer_size = 64 * 1024;
    auto* buffer = static_cast<unsigned char*>(av_malloc(buffer_size));
    AVIOContext* io = avio_alloc_context(buffer, buffer_size, 0, &src, read_memory, nullptr, nullptr);
    AVFormatContext* ctx = avformat_alloc_context();
    ctx->pb = io;
    std::size_t parts = 0;
    std::size_t bytes = 0;
    if (avformat_open_input(&ctx, nullptr, format, nullptr) == 0) {
      while (av_read_frame(ctx, packet) >= 0) {
        ++parts;
        bytes += static_cast<std::size_t>(packet->size);
        av_packet_unref(packet);
      }
      avformat_close_input(&ctx);
    } else {
      avformat_free_context(ctx);
    }
    av_freep(&io->buffer);
    avio_context_free(&io);
    // FFmpeg reads the close delimiter as one more (empty or short) part.
    if (parts < in.parts || bytes < in.payload_bytes) {
      state.SkipWithError("wrong parse");
      break;
    }
  }
  av_packet_free(&packet);
}

const bool registered = [] {
  register_reader("ffmpeg_mpjpeg", ffmpeg_reader);
  return true;
}();

}  // namespace

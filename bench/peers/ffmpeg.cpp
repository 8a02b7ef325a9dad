// FFmpeg's mpjpeg muxer writing into memory through a custom AVIOContext,
// one av_write_frame per part, flushed per packet as a live server would.

#include "../support.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
}

#include <string>

namespace {

using namespace spbench;

// AVIO write callback; its signature lost const in FFmpeg 6.1.
#if LIBAVFORMAT_VERSION_MAJOR >= 61
int append_to_string(void* opaque, const std::uint8_t* data, int size) {
#else
int append_to_string(void* opaque, std::uint8_t* data, int size) {
#endif
  static_cast<std::string*>(opaque)->append(reinterpret_cast<const char*>(data),
                                            static_cast<std::size_t>(size));
  return size;
}

struct mpjpeg_output {
  AVFormatContext* ctx = nullptr;
  AVIOContext* io = nullptr;
  AVPacket* packet = nullptr;

  ~mpjpeg_output() {
    av_packet_free(&packet);
    if (io != nullptr) av_freep(&io->buffer);
    avio_context_free(&io);
    avformat_free_context(ctx);
  }

  bool open(std::string& out) {
    av_log_set_level(AV_LOG_ERROR);
    if (avformat_alloc_output_context2(&ctx, nullptr, "mpjpeg", nullptr) < 0) return false;
    constexpr int buffer_size = 32 * 1024;
    auto* buffer = static_cast<unsigned char*>(av_malloc(buffer_size));
    if (buffer == nullptr) return false;
    io = avio_alloc_context(buffer, buffer_size, 1, &out, nullptr, append_to_string, nullptr);
    if (io == nullptr) {
      av_free(buffer);
      return false;
    }
    ctx->pb = io;
    ctx->flags |= AVFMT_FLAG_FLUSH_PACKETS;
    AVStream* stream = avformat_new_stream(ctx, nullptr);
    if (stream == nullptr) return false;
    stream->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    stream->codecpar->codec_id = AV_CODEC_ID_MJPEG;
    stream->codecpar->width = 320;
    stream->codecpar->height = 240;
    stream->time_base = AVRational{1, 25};
    AVDictionary* options = nullptr;
    av_dict_set(&options, "boundary_tag", std::string(boundary).c_str(), 0);
    const int rc = avformat_write_header(ctx, &options);
    av_dict_free(&options);
    packet = av_packet_alloc();
    return rc >= 0 && packet != nullptr;
  }
};

void to_memory(benchmark::State& state, std::size_t size) {
  const std::string& data = payload(size);
  std::string out;
  out.reserve(size + 64 * 1024);
  mpjpeg_output mux;
  if (!mux.open(out)) {
    state.SkipWithError("cannot open the mpjpeg muxer");
    return;
  }
  std::int64_t pts = 0;
  bool failed = false;
  auto write_one = [&] {
    AVPacket* p = mux.packet;
    p->data = reinterpret_cast<std::uint8_t*>(const_cast<char*>(data.data()));
    p->size = static_cast<int>(data.size());
    p->stream_index = 0;
    p->pts = p->dts = pts++;
    p->flags = AV_PKT_FLAG_KEY;
    if (av_write_frame(mux.ctx, p) < 0) failed = true;
  };
  write_one();
  out.clear();
  part_meter meter(state);
  for (auto _ : state) {
    write_one();
    out.clear();
  }
  meter.finish(size);
  if (failed) state.SkipWithError("av_write_frame failed");
}

const bool registered = [] {
  register_parts("ffmpeg_mpjpeg", "memory", to_memory);
  return true;
}();

}  // namespace

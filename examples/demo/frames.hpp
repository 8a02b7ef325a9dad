#ifndef SERVERPUSH_DEMO_FRAMES_HPP
#define SERVERPUSH_DEMO_FRAMES_HPP

#include <cstddef>

namespace demo {

// One JPEG compiled into the binary (see embed_frames.cmake).
struct embedded_frame {
  const unsigned char* data;
  std::size_t size;
};

extern const embedded_frame builtin_frames[];
extern const std::size_t builtin_frame_count;

}  // namespace demo

#endif

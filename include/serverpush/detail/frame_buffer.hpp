#ifndef SERVERPUSH_DETAIL_FRAME_BUFFER_HPP
#define SERVERPUSH_DETAIL_FRAME_BUFFER_HPP

#include <cstddef>
#include <cstring>
#include <string_view>

namespace serverpush::detail {

// Scratch space for the bytes around a payload (delimiter, header block,
// trailer). Typical header blocks fit the inline storage, so framing a part
// does not touch the heap; a larger one grows a heap block that is kept for
// the next part.
class frame_buffer {
 public:
  static constexpr std::size_t inline_capacity = 384;

  frame_buffer() noexcept = default;
  frame_buffer(const frame_buffer&) = delete;
  frame_buffer& operator=(const frame_buffer&) = delete;
  frame_buffer(frame_buffer&& other) noexcept { take(other); }
  frame_buffer& operator=(frame_buffer&& other) noexcept {
    if (this != &other) {
      delete[] heap_;
      take(other);
    }
    return *this;
  }
  ~frame_buffer() { delete[] heap_; }

  void clear() noexcept { size_ = 0; }
  std::size_t size() const noexcept { return size_; }
  const char* data() const noexcept { return heap_ ? heap_ : inline_; }
  std::string_view view(std::size_t from, std::size_t to) const noexcept {
    return {data() + from, to - from};
  }

  void append(const char* bytes, std::size_t count) {
    if (size_ + count > capacity_) grow(size_ + count);
    std::memcpy(mutable_data() + size_, bytes, count);
    size_ += count;
  }
  void append(std::string_view text) { append(text.data(), text.size()); }
  void push_back(char c) { append(&c, 1); }

 private:
  char* mutable_data() noexcept { return heap_ ? heap_ : inline_; }

  // Moves other's bytes (and heap block) here and leaves it empty.
  void take(frame_buffer& other) noexcept {
    heap_ = other.heap_;
    capacity_ = other.capacity_;
    size_ = other.size_;
    if (!heap_) std::memcpy(inline_, other.inline_, size_);
    other.heap_ = nullptr;
    other.capacity_ = inline_capacity;
    other.size_ = 0;
  }

  void grow(std::size_t needed) {
    std::size_t capacity = capacity_ * 2;
    while (capacity < needed) capacity *= 2;
    char* bigger = new char[capacity];
    std::memcpy(bigger, data(), size_);
    delete[] heap_;
    heap_ = bigger;
    capacity_ = capacity;
  }

  char inline_[inline_capacity];
  char* heap_ = nullptr;
  std::size_t capacity_ = inline_capacity;
  std::size_t size_ = 0;
};

}  // namespace serverpush::detail

#endif

#ifndef SERVERPUSH_BROADCAST_CLIENT_STATE_HPP
#define SERVERPUSH_BROADCAST_CLIENT_STATE_HPP

#include <serverpush/broadcast/shared_part.hpp>
#include <serverpush/buffer.hpp>
#include <serverpush/framer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace serverpush::detail {

// What one viewer of a broadcast is owed, without any I/O: the event loop
// asks prepare() for the buffers to send next, writes what the socket takes
// and reports it with consume(). Any loop (the POSIX driver, Asio) can drive it.
//
// Rules it keeps:
// - Order: the caller's head bytes, the framing's opening, parts, close.
// - A part whose first byte went out is finished before anything else; a part
//   not yet begun is replaced by a newer one (latest wins). So at most two
//   parts are held: the one in flight and the newest.
// - After close(), the newest part still goes out, then the close delimiter.
class client_state {
 public:
  // Enough buffers for the longest prepare(): head, opening, part head,
  // payload, tail.
  static constexpr std::size_t max_buffers = 5;

  client_state(std::string_view boundary, framing f, std::string head)
      : boundary_(boundary), head_(std::move(head)), framing_(f) {
    last_type_.reserve(64);
  }

  // Offers the newest part. Offering the part already sent again re-sends it.
  void offer(std::shared_ptr<const shared_part> part) {
    if (!part || closing_) return;
    if (last_sequence_ != 0 && part->sequence() > last_sequence_ + 1) {
      parts_skipped_ += part->sequence() - last_sequence_ - 1;
    }
    if (part->sequence() > last_sequence_) last_sequence_ = part->sequence();
    if (pending_) ++parts_skipped_;
    pending_ = std::move(part);
    staged_ = nullptr;
  }

  // Ends the stream once what is queued has gone out.
  void close() noexcept { closing_ = true; }

  // Fills `out` (room for max_buffers) with the bytes to send next and returns
  // how many buffers it used; 0 when there is nothing to send. The buffers stay
  // valid until the next consume() or offer().
  std::size_t prepare(const_buffer* out) {
    std::size_t n = 0;
    auto push = [&](std::string_view bytes) {
      if (!bytes.empty()) out[n++] = const_buffer{bytes.data(), bytes.size()};
    };
    push(std::string_view(head_).substr(head_sent_));
    if (current_) {
      push_unit(push, *current_, retype_, unit_sent_);
    } else if (pending_) {
      // Staged, not committed: a newer offer may still replace it until a
      // byte of it has been consumed.
      staged_ = pending_.get();
      staged_retype_ = needs_retype(*pending_);
      if (!opened_) {
        opening_.clear();
        framer(boundary_).open(opening_, framing_, pending_->content_type());
      }
      push_unit(push, *pending_, staged_retype_, 0);
    } else if (closing_ && !finished_) {
      if (!close_built_) {
        close_bytes_.clear();
        framer(boundary_).close(close_bytes_, position_, last_type_);
        close_built_ = true;
      }
      push(std::string_view(close_bytes_).substr(close_sent_));
    }
    return n;
  }

  // Records that the first `count` bytes of the last prepare() were sent.
  void consume(std::size_t count) {
    bytes_sent_ += count;
    const std::size_t from_head = take(count, head_.size() - head_sent_);
    head_sent_ += from_head;
    count -= from_head;
    if (count == 0) return;
    if (!current_ && pending_ && staged_ == pending_.get()) commit();
    if (current_) {
      const std::size_t size = unit_size(*current_, retype_);
      unit_sent_ += take(count, size - unit_sent_);
      if (unit_sent_ == size) {
        current_.reset();
        unit_sent_ = 0;
        opening_.clear();
        ++parts_sent_;
      }
    } else if (close_built_) {
      close_sent_ += take(count, close_bytes_.size() - close_sent_);
      if (close_sent_ == close_bytes_.size()) finished_ = true;
    }
  }

  // Something is waiting to be sent.
  bool has_output() const noexcept {
    return head_sent_ < head_.size() || current_ || pending_ || (closing_ && !finished_);
  }
  // The close delimiter is out: the connection can end.
  bool finished() const noexcept { return finished_; }
  bool closing() const noexcept { return closing_; }
  // A part is partly sent.
  bool in_part() const noexcept { return current_ != nullptr; }

  framing framing_used() const noexcept { return framing_; }
  stream_position position() const noexcept { return position_; }
  std::uint64_t parts_sent() const noexcept { return parts_sent_; }
  std::uint64_t parts_skipped() const noexcept { return parts_skipped_; }
  std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }
  // Newest sequence offered so far (0: none).
  std::uint64_t last_sequence() const noexcept { return last_sequence_; }

  // Bytes still to send, counting the waiting newest part in full (it is
  // shared with other clients, not copied).
  std::size_t bytes_queued() const noexcept {
    std::size_t queued = head_.size() - head_sent_;
    if (current_) queued += unit_size(*current_, retype_) - unit_sent_;
    if (pending_) queued += unit_size(*pending_, needs_retype(*pending_));
    if (close_built_) queued += close_bytes_.size() - close_sent_;
    return queued;
  }

 private:
  static std::size_t take(std::size_t want, std::size_t room) noexcept {
    return want < room ? want : room;
  }

  // With announce_next a header block naming the previous part's type is on
  // the wire; a part of another type cannot use it.
  bool needs_retype(const shared_part& part) const noexcept {
    return opened_ && framing_ == framing::announce_next && part.content_type() != last_type_;
  }

  std::size_t unit_size(const shared_part& part, bool retype) const noexcept {
    return opening_size(part) + part.head(framing_, retype).size() + part.payload().size() +
           part.tail(framing_).size();
  }

  std::size_t opening_size(const shared_part& part) const noexcept {
    if (opened_ && &part != current_.get()) return 0;
    return opening_.size();
  }

  template <class Push>
  void push_unit(Push& push, const shared_part& part, bool retype, std::size_t skip) const {
    const std::string_view pieces[4] = {opening_, part.head(framing_, retype), part.payload(),
                                        part.tail(framing_)};
    for (std::string_view piece : pieces) {
      if (skip >= piece.size()) {
        skip -= piece.size();
        continue;
      }
      push(piece.substr(skip));
      skip = 0;
    }
  }

  void commit() {
    current_ = std::move(pending_);
    staged_ = nullptr;
    retype_ = staged_retype_;
    opened_ = true;
    unit_sent_ = 0;
    position_ = current_->position_after(framing_);
    const std::string_view type = current_->content_type();
    last_type_.assign(type.data(), type.size());
  }

  std::string_view boundary_;
  std::string head_;
  std::size_t head_sent_ = 0;

  std::shared_ptr<const shared_part> current_;
  std::shared_ptr<const shared_part> pending_;
  const shared_part* staged_ = nullptr;
  bool retype_ = false;
  bool staged_retype_ = false;
  std::size_t unit_sent_ = 0;

  // The framing's opening, sent once before the first part.
  std::string opening_;
  bool opened_ = false;

  stream_position position_ = stream_position::start;
  std::string last_type_;

  std::string close_bytes_;
  std::size_t close_sent_ = 0;
  bool close_built_ = false;
  bool closing_ = false;
  bool finished_ = false;

  std::uint64_t last_sequence_ = 0;
  std::uint64_t parts_sent_ = 0;
  std::uint64_t parts_skipped_ = 0;
  std::uint64_t bytes_sent_ = 0;
  framing framing_;
};

}  // namespace serverpush::detail

#endif

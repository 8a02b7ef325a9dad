#ifndef SERVERPUSH_BROADCAST_SERIALIZER_HPP
#define SERVERPUSH_BROADCAST_SERIALIZER_HPP

// serverpush::stream_serializer: what one viewer of a live stream is owed,
// without any I/O. The loop that owns the transport asks prepare() for the
// buffers to send next, writes what the transport takes and reports it with
// consume(); done() is true once the close delimiter is out. Any loop can
// drive it: the POSIX driver, Asio, a pull source, a test.
//
// Rules it keeps:
// - Order: the caller's head bytes, the framing's opening, parts, close.
// - Latest frame wins: a part whose first byte went out is finished before
//   anything else; a part not begun is replaced by a newer offer. So at most
//   two parts are held: the one in flight and the newest. Never a torn part.
// - Buffers from prepare() stay valid until consume(), also when offer()
//   brings a newer part in between (an asynchronous write may be in flight):
//   the prepared part stays held until consume() says whether it went out.
// - announce_next: a part that does not continue the announced header block
//   (another content type, or extra headers) ends the announced part with an
//   empty body and goes out complete (framed_part::continues).
// - After close(), the newest part offered still goes out, then the close
//   delimiter; a part whose delimiter is already out is ended empty first.

#include <serverpush/broadcast/framed_part.hpp>
#include <serverpush/buffer.hpp>
#include <serverpush/framer.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace serverpush {

class stream_serializer {
 public:
  // Enough for the longest prepare(): head, opening, part head, payload, tail.
  static constexpr std::size_t max_buffers = 5;

  // The bytes to send next, as a gather list (valid until consume()).
  class buffers {
   public:
    const const_buffer* begin() const noexcept { return bufs_; }
    const const_buffer* end() const noexcept { return bufs_ + count_; }
    const const_buffer* data() const noexcept { return bufs_; }
    std::size_t size() const noexcept { return count_; }
    bool empty() const noexcept { return count_ == 0; }
    const const_buffer& operator[](std::size_t i) const noexcept { return bufs_[i]; }
    std::size_t total_size() const noexcept {
      std::size_t n = 0;
      for (const const_buffer& b : *this) n += b.size;
      return n;
    }

   private:
    friend class stream_serializer;
    void push(std::string_view bytes) noexcept {
      if (!bytes.empty()) bufs_[count_++] = const_buffer{bytes.data(), bytes.size()};
    }
    const_buffer bufs_[max_buffers];
    std::size_t count_ = 0;
  };

  // `boundary` is copied. `head` goes first (e.g. the HTTP response head).
  // `timestamps`: parts published with a timestamp carry X-Timestamp (with
  // announce_next every part then goes out complete after an empty one).
  // `part_headers` false: no extra header (nor X-Timestamp) reaches this
  // viewer, so announce_next keeps continuing its announced blocks.
  stream_serializer(std::string_view boundary, framing f, std::string head = {},
                    bool timestamps = false, bool part_headers = true)
      : boundary_(boundary),
        head_(std::move(head)),
        framing_(f),
        extras_(!part_headers ? part_extras::none
                : timestamps  ? part_extras::headers_and_timestamp
                              : part_extras::headers) {}

  // Offers the newest part. Offering the part already sent again re-sends it.
  // Ignored after close().
  void offer(std::shared_ptr<const framed_part> part) {
    if (!part || closing_) return;
    if (last_sequence_ != 0 && part->sequence() > last_sequence_ + 1) {
      parts_skipped_ += part->sequence() - last_sequence_ - 1;
    }
    if (part->sequence() > last_sequence_) last_sequence_ = part->sequence();
    if (pending_ && pending_ != staged_) ++parts_skipped_;
    pending_ = std::move(part);
  }

  // Ends the stream once what is queued has gone out.
  void close() noexcept { closing_ = true; }

  // The bytes to send next; empty when there is nothing to send.
  buffers prepare() {
    buffers out;
    out.push(std::string_view(head_).substr(head_sent_));
    if (current_) {
      push_unit(out, *current_, retype_, unit_sent_);
    } else if (pending_ || staged_) {
      // Staged, not committed: consume() commits it once a byte of it is
      // out; until then a newer offer may still replace it.
      if (!staged_) {
        staged_ = pending_;
        staged_retype_ = needs_retype(*staged_);
        if (!opened_) {
          // A first part that would not continue its own announced block
          // (extra headers) opens with the delimiter line only.
          opening_.clear();
          opened_complete_ = framing_ == framing::announce_next &&
                             !staged_->continues(staged_->content_type(), extras_);
          framer(boundary_).open(opening_, opened_complete_ ? framing::eager_delimiter : framing_,
                                 staged_->content_type());
        }
      }
      push_unit(out, *staged_, staged_retype_, 0);
    } else if (closing_ && !finished_) {
      if (!close_built_) {
        close_bytes_.clear();
        framer(boundary_).close(close_bytes_, position_, last_type_);
        close_built_ = true;
      }
      out.push(std::string_view(close_bytes_).substr(close_sent_));
    }
    return out;
  }

  // Records that the first `count` bytes of the last prepare() were sent.
  void consume(std::size_t count) {
    bytes_sent_ += count;
    const std::size_t from_head = take(count, head_.size() - head_sent_);
    head_sent_ += from_head;
    count -= from_head;
    if (count == 0) {
      staged_.reset();  // nothing of it went out: the newest goes next
      return;
    }
    if (!current_ && staged_) commit();
    if (current_) {
      const std::size_t size = unit_size(*current_, retype_, true);
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

  // The close delimiter is out: the connection can end.
  bool done() const noexcept { return finished_; }
  // Something is waiting to be sent.
  bool has_output() const noexcept {
    return head_sent_ < head_.size() || current_ || pending_ || staged_ || (closing_ && !finished_);
  }
  bool closing() const noexcept { return closing_; }
  // A part is partly sent.
  bool in_part() const noexcept { return current_ != nullptr; }
  // Calls f(const framed_part&) for each part this viewer holds: the one in
  // flight, the one prepared, the newest offered (each once).
  template <class F>
  void for_each_held(F f) const {
    if (current_) f(*current_);
    if (staged_ && staged_ != current_) f(*staged_);
    if (pending_ && pending_ != staged_ && pending_ != current_) f(*pending_);
  }

  framing framing_used() const noexcept { return framing_; }
  bool timestamps() const noexcept { return extras_ == part_extras::headers_and_timestamp; }
  bool part_headers() const noexcept { return extras_ != part_extras::none; }
  stream_position position() const noexcept { return position_; }
  std::uint64_t parts_sent() const noexcept { return parts_sent_; }
  std::uint64_t parts_skipped() const noexcept { return parts_skipped_; }
  std::uint64_t bytes_sent() const noexcept { return bytes_sent_; }
  // Newest sequence offered so far (0: none).
  std::uint64_t last_sequence() const noexcept { return last_sequence_; }

  // Bytes still to send, counting the waiting newest part in full (it is
  // shared with other viewers, not copied).
  std::size_t bytes_queued() const noexcept {
    std::size_t queued = head_.size() - head_sent_;
    if (current_) queued += unit_size(*current_, retype_, true) - unit_sent_;
    if (pending_ && pending_ != current_) {
      queued += unit_size(*pending_, needs_retype(*pending_), false);
    } else if (staged_) {
      queued += unit_size(*staged_, staged_retype_, false);
    }
    if (close_built_) queued += close_bytes_.size() - close_sent_;
    return queued;
  }

 private:
  static std::size_t take(std::size_t want, std::size_t room) noexcept {
    return want < room ? want : room;
  }

  // With announce_next a header block naming the previous part's type is on
  // the wire; a part that does not continue it ends that part empty first.
  bool needs_retype(const framed_part& part) const noexcept {
    return opened_ && framing_ == framing::announce_next && !part.continues(last_type_, extras_);
  }

  std::size_t unit_size(const framed_part& part, bool retype, bool in_flight) const noexcept {
    const std::size_t opening = (!opened_ || in_flight) ? opening_.size() : 0;
    return opening + head_of(part, retype, in_flight).size() + part.payload().size() +
           part.tail(framing_).size();
  }

  std::string_view head_of(const framed_part& part, bool retype, bool in_flight) const noexcept {
    const bool first = !opened_ || (in_flight && !opening_.empty());
    if (first && opened_complete_) return part.head(framing::eager_delimiter, false, extras_);
    return part.head(framing_, retype, extras_);
  }

  void push_unit(buffers& out, const framed_part& part, bool retype, std::size_t skip) const {
    const std::string_view pieces[4] = {opening_, head_of(part, retype, &part == current_.get()),
                                        part.payload(), part.tail(framing_)};
    for (std::string_view piece : pieces) {
      if (skip >= piece.size()) {
        skip -= piece.size();
        continue;
      }
      out.push(piece.substr(skip));
      skip = 0;
    }
  }

  void commit() {
    current_ = std::move(staged_);
    if (pending_ == current_) pending_.reset();
    retype_ = staged_retype_;
    opened_ = true;
    unit_sent_ = 0;
    position_ = current_->position_after(framing_);
    const std::string_view type = current_->content_type();
    last_type_.assign(type.data(), type.size());
  }

  std::string boundary_;
  std::string head_;
  std::size_t head_sent_ = 0;

  std::shared_ptr<const framed_part> current_;  // in flight: finished before anything else
  std::shared_ptr<const framed_part> pending_;  // the newest offered, not begun
  std::shared_ptr<const framed_part> staged_;   // given out by prepare(), not yet consumed
  bool retype_ = false;
  bool staged_retype_ = false;
  std::size_t unit_sent_ = 0;

  // The framing's opening, sent once before the first part.
  std::string opening_;
  bool opened_ = false;
  bool opened_complete_ = false;  // the opening was the delimiter line only

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
  part_extras extras_ = part_extras::headers;
};

}  // namespace serverpush

#endif

#ifndef SERVERPUSH_HUB_HUB_HPP
#define SERVERPUSH_HUB_HUB_HPP

// serverpush::hub: one live stream and its viewers, without any I/O, any
// thread or any clock of its own. It decides who is owed which bytes and
// when a viewer must go; a driver (broadcaster.hpp for POSIX descriptors,
// asio/broadcaster.hpp for Asio streams, pull_source for frameworks that ask
// for bytes) moves those bytes and tells the hub what happened:
//
//   add(options, now)        -> id          a viewer joins
//   publish(part, now)                      a new part: offered to every viewer
//   take_ready(ids)                         viewers that have bytes waiting
//   prepare(id) -> buffers                  what to send to one viewer next
//   consume(id, n, now)                     n bytes of it went out
//   fail(id, error)                         its transport failed
//   tick(now); next_deadline()              stalls, fps caps, resends, offline
//                                           policy, the close grace
//   take_events(events)                     first/last viewer, removals: the
//                                           driver closes that transport, then
//                                           release(id)
//
// One thread at a time (drivers hold a lock). Times are the caller's `now`,
// so tests drive it with a fake clock.

#include <serverpush/boundary.hpp>
#include <serverpush/broadcast/framed_part.hpp>
#include <serverpush/broadcast/serializer.hpp>
#include <serverpush/buffer.hpp>
#include <serverpush/error.hpp>
#include <serverpush/header.hpp>
#include <serverpush/hub/options.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace serverpush {

enum class hub_event_kind : unsigned char { first_viewer, last_viewer, removed };

struct hub_event {
  hub_event_kind kind = hub_event_kind::removed;
  client_stats viewer;     // removed: the viewer as it left
  std::error_code reason;  // removed: see hub_options::on_client_removed
};

// "1764115200.250": seconds since the epoch with milliseconds.
inline std::string unix_timestamp(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  char digits[32];
  auto r = std::to_chars(digits, digits + sizeof digits, ms / 1000);
  std::string out(digits, r.ptr);
  const auto frac = static_cast<int>(ms % 1000);
  out += '.';
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
  return out;
}

class hub {
 public:
  using clock = std::chrono::steady_clock;

  // An invalid boundary or placeholder part, or a failed random source, sets
  // `ec`; every later add/publish reports it too.
  hub(hub_options options, std::error_code& ec, clock::time_point now = clock::now())
      : options_(std::move(options)), last_activity_(now) {
    boundary_ = options_.boundary.empty() ? boundary_string::generate(ec)
                                          : boundary_string::from(options_.boundary, ec);
    if (!ec && options_.offline.action == offline_action::placeholder) {
      placeholder_ = framed_part::make(boundary_.view(), options_.offline.placeholder_type,
                                       options_.offline.placeholder, {}, frame_options{}, ec);
    }
    error_ = ec;
  }

  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;

  std::error_code error() const noexcept { return error_; }
  const hub_options& options() const noexcept { return options_; }
  std::string_view boundary() const noexcept { return boundary_.view(); }
  // "multipart/x-mixed-replace; boundary=..." for the HTTP response head.
  std::string content_type() const { return boundary_.content_type(); }

  // Validates and frames a part for this hub, with its X-Timestamp. Touches
  // no viewer: a driver calls it outside its lock, then publish(part).
  std::shared_ptr<framed_part> frame(std::string_view content_type, bytes_view payload,
                                     header_list headers, bool last, std::error_code& ec) const {
    if (error_) {
      ec = error_;
      return nullptr;
    }
    const std::string stamp = unix_timestamp(std::chrono::system_clock::now());
    frame_options o;
    o.last = last;
    o.timestamp = stamp;
    return framed_part::make(boundary_.view(), content_type, payload, headers, o, ec);
  }

  // Makes `part` the newest and offers it to every viewer. stream_closed
  // after close() or a last part (nothing changes).
  void publish(std::shared_ptr<framed_part> part, clock::time_point now, std::error_code& ec) {
    ec = error_;
    if (!ec && (closing_ || last_published_)) ec = make_error_code(errc::stream_closed);
    if (ec || !part) return;
    offline_fired_ = false;
    last_activity_ = now;
    ++parts_published_;
    install(std::move(part), now);
  }

  void publish(std::string_view content_type, bytes_view payload, header_list headers,
               clock::time_point now, std::error_code& ec) {
    auto part = frame(content_type, payload, headers, false, ec);
    if (!ec) publish(std::move(part), now, ec);
  }

  // A viewer joins; it gets the head, then the newest part at once.
  // Refused: stream_closed after close(), too_many_clients, invalid_argument
  // for a negative max_fps. `fd` is
  // only reported in stats. `id`: a driver's own number (unused so far), or
  // 0 for the next free one.
  client_id add(client_options options, clock::time_point now, std::error_code& ec, int fd = -1,
                client_id id = 0) {
    ec = error_;
    if (!ec && closing_) ec = make_error_code(errc::stream_closed);
    if (!ec && options_.max_clients != 0 && live_ >= options_.max_clients) {
      ec = make_error_code(errc::too_many_clients);
    }
    if (!ec && !(options.max_fps >= 0)) ec = std::make_error_code(std::errc::invalid_argument);
    if (!ec && id != 0 && viewers_.count(id) != 0) ec = std::make_error_code(std::errc::file_exists);
    if (ec) return 0;
    if (id == 0) id = next_id_;
    next_id_ = std::max(next_id_, id + 1);
    auto v = std::make_unique<viewer>(id, fd, boundary_.view(), std::move(options), now);
    viewer& ref = *v;
    viewers_.emplace(ref.id, std::move(v));
    if (++live_ == 1) {
      events_.push_back({hub_event_kind::first_viewer, {}, {}});
      // The offline clock runs only while someone watches: a source started
      // by on_first_viewer gets `after` to deliver its first part.
      last_activity_ = now;
      offline_fired_ = false;
    }
    if (offline_fired_ && options_.offline.action == offline_action::end_stream) {
      ref.ser.close();  // the source is offline: end at once, the page reconnects later
    } else if (newest_) {
      offer(ref, now);
    }
    mark_ready(ref);
    return ref.id;
  }

  // Every viewer gets the newest part it has not had yet, then the close
  // delimiter; after close_grace the rest are dropped. Idempotent.
  void close(clock::time_point now) {
    if (closing_) return;
    closing_ = true;
    close_deadline_ = now + std::max(options_.close_grace, std::chrono::milliseconds(0));
    for (auto& entry : viewers_) {
      viewer& v = *entry.second;
      if (v.removed) continue;
      if (v.held && newest_) v.ser.offer(newest_);  // the fps cap yields to the last part
      v.held = false;
      v.ser.close();
      mark_ready(v);
    }
  }

  // What to send to viewer `id` next (empty for an unknown or removed one).
  stream_serializer::buffers prepare(client_id id) {
    viewer* v = find(id);
    return v != nullptr ? v->ser.prepare() : stream_serializer::buffers();
  }

  // `count` bytes of the last prepare() went out. A viewer whose close
  // delimiter is out is removed (clean).
  void consume(client_id id, std::size_t count, clock::time_point now) {
    viewer* v = find(id);
    if (v == nullptr) return;
    v->ser.consume(count);
    if (count > 0) v->last_progress = now;
    if (v->ser.done()) remove(*v, {});
  }

  // The transport failed (or the host dropped the viewer): removed with `reason`.
  void fail(client_id id, std::error_code reason) {
    if (viewer* v = find(id)) remove(*v, reason);
  }

  // The driver is done with a removed viewer's transport (no write in
  // flight): its state and the parts it held are freed.
  void release(client_id id) {
    const auto it = viewers_.find(id);
    if (it != viewers_.end() && it->second->removed) viewers_.erase(it);
  }

  bool has_output(client_id id) const {
    const viewer* v = find(id);
    return v != nullptr && v->ser.has_output();
  }
  bool contains(client_id id) const { return find(id) != nullptr; }

  // Applies every deadline that has come: stalls, close_grace, fps caps,
  // resend_interval, the offline policy.
  void tick(clock::time_point now) {
    const auto stall = options_.stall_timeout;
    const bool resend = options_.resend_interval.count() > 0 && newest_ && !newest_->is_last() &&
                        !closing_;
    for (auto& entry : viewers_) {
      viewer& v = *entry.second;
      if (v.removed) continue;
      if (stall.count() > 0 && v.ser.has_output() && now - v.last_progress >= stall) {
        remove(v, std::make_error_code(std::errc::timed_out));
      } else if (closing_ && now >= close_deadline_) {
        remove(v, std::make_error_code(std::errc::timed_out));
      } else if (v.held && now >= v.next_allowed) {
        offer(v, now);
      } else if (resend && !v.ser.has_output() && v.ser.last_sequence() == newest_->sequence() &&
                 now - v.last_offer >= options_.resend_interval) {
        offer(v, now);
      }
    }
    apply_offline_policy(now);
  }

  // When tick() has something to do next; time_point::max() for never.
  clock::time_point next_deadline() const {
    clock::time_point until = clock::time_point::max();
    const auto stall = options_.stall_timeout;
    const bool resend = options_.resend_interval.count() > 0 && newest_ && !newest_->is_last() &&
                        !closing_;
    for (const auto& entry : viewers_) {
      const viewer& v = *entry.second;
      if (v.removed) continue;
      if (stall.count() > 0 && v.ser.has_output()) until = std::min(until, v.last_progress + stall);
      if (v.held) until = std::min(until, v.next_allowed);
      if (resend && !v.ser.has_output()) {
        until = std::min(until, v.last_offer + options_.resend_interval);
      }
    }
    if (closing_) until = std::min(until, close_deadline_);
    if (offline_armed()) until = std::min(until, last_activity_ + options_.offline.after);
    return until;
  }

  // Events since the last call, in order: first_viewer, removed, last_viewer.
  void take_events(std::vector<hub_event>& out) {
    out.insert(out.end(), std::make_move_iterator(events_.begin()),
               std::make_move_iterator(events_.end()));
    events_.clear();
  }

  // Viewers that got bytes to send since the last call (each once).
  void take_ready(std::vector<client_id>& out) {
    for (client_id id : ready_) {
      if (viewer* v = find(id)) v->ready_queued = false;
      out.push_back(id);
    }
    ready_.clear();
  }

  // Viewers not removed.
  std::size_t viewer_count() const noexcept { return live_; }
  bool closing() const noexcept { return closing_; }
  // close() was called and every viewer is gone.
  bool drained() const noexcept { return closing_ && live_ == 0; }
  bool last_published() const noexcept { return last_published_; }
  std::uint64_t parts_published() const noexcept { return parts_published_; }
  // Bytes of parts other than the newest that viewers hold.
  std::size_t pinned_bytes() const {
    std::size_t total = 0;
    pinned_parts([&](const framed_part& p, const viewer&) { total += p.memory_size(); }, true);
    return total;
  }

  client_stats stats(client_id id) const {
    const viewer* v = find(id);
    return v != nullptr ? snapshot(*v) : client_stats{};
  }
  broadcaster_stats stats() const {
    broadcaster_stats out;
    out.clients = live_;
    out.parts_published = parts_published_;
    out.per_client.reserve(live_);
    for (const auto& entry : viewers_) {
      if (entry.second->removed) continue;
      out.per_client.push_back(snapshot(*entry.second));
      out.bytes_queued += out.per_client.back().bytes_queued;
    }
    return out;
  }

 private:
  struct viewer {
    viewer(client_id i, int f, std::string_view boundary, client_options o, clock::time_point now)
        : id(i), fd(f), ser(boundary, o.framing, std::move(o.head), o.timestamps, o.part_headers),
          min_interval(o.max_fps > 0 ? std::chrono::duration_cast<clock::duration>(
                                           std::chrono::duration<double>(1.0 / o.max_fps))
                                     : clock::duration::zero()),
          next_allowed(now), last_progress(now), last_offer(now) {}

    client_id id;
    int fd;
    stream_serializer ser;
    clock::duration min_interval;     // fps cap; zero: none
    clock::time_point next_allowed;   // earliest offer of a new part under the cap
    clock::time_point last_progress;  // last byte out, or when output began waiting
    clock::time_point last_offer;
    bool held = false;  // a newer part waits for the fps cap
    bool removed = false;
    bool ready_queued = false;
  };

  viewer* find(client_id id) {
    const auto it = viewers_.find(id);
    return it == viewers_.end() || it->second->removed ? nullptr : it->second.get();
  }
  const viewer* find(client_id id) const {
    const auto it = viewers_.find(id);
    return it == viewers_.end() || it->second->removed ? nullptr : it->second.get();
  }

  void install(std::shared_ptr<framed_part> part, clock::time_point now) {
    // A driver that coalesces publications numbers them itself, so viewers
    // count the parts they skipped.
    if (part->sequence() <= sequence_) part->set_sequence(sequence_ + 1);
    sequence_ = part->sequence();
    last_published_ = part->is_last();
    newest_ = std::move(part);
    for (auto& entry : viewers_) {
      if (!entry.second->removed && !entry.second->ser.closing()) offer(*entry.second, now);
    }
    enforce_pinned_budget();
  }

  void offer(viewer& v, clock::time_point now) {
    if (!newest_) return;
    // A new part waits for the cap; a resend of the one sent does not count.
    const bool fresh = v.ser.last_sequence() != newest_->sequence();
    if (fresh && v.min_interval.count() > 0 && now < v.next_allowed) {
      v.held = true;
      return;
    }
    v.held = false;
    if (!v.ser.has_output()) v.last_progress = now;  // the stall clock starts now
    v.ser.offer(newest_);
    v.last_offer = now;
    if (fresh && v.min_interval.count() > 0) v.next_allowed = now + v.min_interval;
    mark_ready(v);
  }

  void mark_ready(viewer& v) {
    if (v.removed || v.ready_queued || !v.ser.has_output()) return;
    v.ready_queued = true;
    ready_.push_back(v.id);
  }

  void remove(viewer& v, std::error_code reason) {
    if (v.removed) return;
    v.removed = true;
    --live_;
    events_.push_back({hub_event_kind::removed, snapshot(v), reason});
    if (live_ == 0) events_.push_back({hub_event_kind::last_viewer, {}, {}});
  }

  bool offline_armed() const noexcept {
    if (options_.offline.after.count() <= 0 || closing_ || last_published_ || live_ == 0) {
      return false;
    }
    switch (options_.offline.action) {
      case offline_action::repeat_last:
        return newest_ != nullptr;
      case offline_action::placeholder:
      case offline_action::end_stream:
        return !offline_fired_;
      case offline_action::none:
        break;
    }
    return false;
  }

  void apply_offline_policy(clock::time_point now) {
    if (!offline_armed() || now - last_activity_ < options_.offline.after) return;
    last_activity_ = now;
    switch (options_.offline.action) {
      case offline_action::repeat_last:
        for (auto& entry : viewers_) {
          viewer& v = *entry.second;
          if (!v.removed && !v.ser.has_output() && !v.ser.closing()) offer(v, now);
        }
        break;
      case offline_action::placeholder: {
        offline_fired_ = true;
        std::error_code ec;
        auto part = framed_part::make(boundary_.view(), placeholder_->content_type(),
                                      placeholder_->payload(), {}, frame_options{}, ec);
        if (!ec) install(std::move(part), now);
        break;
      }
      case offline_action::end_stream:
        offline_fired_ = true;
        for (auto& entry : viewers_) {
          viewer& v = *entry.second;
          if (v.removed) continue;
          v.held = false;
          v.ser.close();
          mark_ready(v);
        }
        break;
      case offline_action::none:
        break;
    }
  }

  // f(part, viewer) for every part a live viewer holds that is not the newest.
  template <class F>
  void pinned_parts(F f, bool distinct) const {
    std::vector<const framed_part*> seen;
    for (const auto& entry : viewers_) {
      const viewer& v = *entry.second;
      if (v.removed) continue;
      v.ser.for_each_held([&](const framed_part& p) {
        if (&p == newest_.get()) return;
        if (distinct) {
          if (std::find(seen.begin(), seen.end(), &p) != seen.end()) return;
          seen.push_back(&p);
        }
        f(p, v);
      });
    }
  }

  // Over the budget, drop the viewers holding the oldest parts first, the
  // one that made progress longest ago first among equals, until the parts
  // still held fit.
  void enforce_pinned_budget() {
    const std::size_t budget = options_.pinned_frame_budget;
    if (budget == 0) return;
    struct holder {
      viewer* v;
      std::uint64_t oldest;
    };
    std::vector<holder> holders;
    std::unordered_map<const framed_part*, std::size_t> users;
    std::size_t total = 0;
    for (auto& entry : viewers_) {
      viewer& v = *entry.second;
      if (v.removed) continue;
      std::uint64_t oldest = 0;
      v.ser.for_each_held([&](const framed_part& p) {
        if (&p == newest_.get()) return;
        if (users[&p]++ == 0) total += p.memory_size();
        if (oldest == 0 || p.sequence() < oldest) oldest = p.sequence();
      });
      if (oldest != 0) holders.push_back({&v, oldest});
    }
    if (total <= budget) return;
    std::sort(holders.begin(), holders.end(), [](const holder& a, const holder& b) {
      if (a.oldest != b.oldest) return a.oldest < b.oldest;
      return a.v->last_progress < b.v->last_progress;
    });
    for (const holder& h : holders) {
      if (total <= budget) break;
      h.v->ser.for_each_held([&](const framed_part& p) {
        if (&p == newest_.get()) return;
        if (--users[&p] == 0) total -= p.memory_size();
      });
      remove(*h.v, make_error_code(errc::pinned_budget_exceeded));
    }
  }

  static client_stats snapshot(const viewer& v) {
    client_stats s;
    s.id = v.id;
    s.fd = v.fd;
    s.framing = v.ser.framing_used();
    s.parts_sent = v.ser.parts_sent();
    s.parts_skipped = v.ser.parts_skipped();
    s.bytes_sent = v.ser.bytes_sent();
    s.bytes_queued = v.ser.bytes_queued();
    return s;
  }

  hub_options options_;
  boundary_string boundary_;
  std::error_code error_;
  std::shared_ptr<const framed_part> placeholder_;

  std::unordered_map<client_id, std::unique_ptr<viewer>> viewers_;
  std::vector<client_id> ready_;
  std::vector<hub_event> events_;
  std::shared_ptr<const framed_part> newest_;
  std::uint64_t sequence_ = 0;
  std::uint64_t parts_published_ = 0;
  std::size_t live_ = 0;
  client_id next_id_ = 1;
  clock::time_point last_activity_;  // last publish, or the last offline action
  clock::time_point close_deadline_{};
  bool closing_ = false;
  bool last_published_ = false;
  bool offline_fired_ = false;
};

}  // namespace serverpush

#endif

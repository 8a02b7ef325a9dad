// MultipartWriter operation sequences against a model of the stream.
//
// Each step is one call: write_part, write_last_part, begin_part, write_body,
// end_part, set_framing, set_strict (anywhere, also inside a part), close,
// write_head, or arming the sink to fail or stall on a later call. After
// every call:
// - the error code is the one the model expects, and a rejected call wrote
//   zero bytes and did not reach the sink;
// - a sink failure leaves the writer failed, and every later call fails
//   without writing;
// - the writer's state (in_part, is_closed, is_failed, position, counters)
//   matches the model.
// At the end, the bytes parse (multipart_parse.hpp) into exactly the parts
// the model accepted; then the stream is finished and closed and parsed
// again. A part written entirely in strict mode never holds the delimiter.
//
// Input: the sink form, the boundary, then steps.

#include "fuzz_support.hpp"
#include "multipart_parse.hpp"
#include "test_sink.hpp"

#include <serverpush/writer.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace {

using serverpush::errc;
using serverpush::framing;
using serverpush::header;
using serverpush::make_error_code;
using serverpush::stream_position;
using serverpush::unknown_length;
using serverpush::fuzz::input;

constexpr std::size_t never = serverpush::test::scripted_sink_base::never;

struct owned_header {
  std::string name;
  std::string value;
};

struct model_part {
  std::string type;
  bool has_length = false;
  std::size_t length = 0;
  std::vector<owned_header> extras;
  std::string payload;
  bool strict_throughout = false;  // every byte passed a strict check
};

struct model {
  enum class state { open, in_part, closed, failed };
  state st = state::open;
  std::error_code failure;  // a failed construction's reason
  stream_position position = stream_position::start;
  framing current_framing = framing::content_length;
  bool strict = false;
  std::string last_type;
  std::string prologue;
  std::vector<model_part> parts;  // complete
  model_part open;                // announced (after_header_block) or in progress
  std::size_t declared = unknown_length;
  std::uint64_t parts_written = 0;

  std::error_code state_error(errc otherwise) const {
    switch (st) {
      case state::closed: return make_error_code(errc::stream_closed);
      case state::failed: return failure ? failure : make_error_code(errc::writer_failed);
      default: return make_error_code(otherwise);
    }
  }

  // The header block a new part gets. After an announced header block, a
  // part of the announced type without extra headers continues under it;
  // any other part ends the announced one with an empty body and gets its own.
  void head(const std::string& type, std::size_t length, const std::vector<owned_header>& extras) {
    if (position == stream_position::after_header_block) {
      if (extras.empty() && type == open.type) return;  // `open` holds the announcement
      parts.push_back(std::move(open));
    }
    open = model_part{};
    open.type = type;
    open.has_length = length != unknown_length;
    open.length = length;
    open.extras = extras;
  }

  // The bytes after a payload: the part is complete; what comes next depends
  // on the framing.
  void tail(framing f) {
    parts.push_back(std::move(open));
    open = model_part{};
    ++parts_written;
    switch (f) {
      case framing::content_length:
        position = stream_position::after_part;
        break;
      case framing::eager_delimiter:
        position = stream_position::after_delimiter;
        break;
      case framing::announce_next:
        position = stream_position::after_header_block;
        open.type = parts.back().type;
        break;
    }
  }

  void close() {
    if (position == stream_position::after_delimiter) {
      model_part empty;
      empty.type = last_type;
      empty.has_length = true;
      parts.push_back(std::move(empty));
    } else if (position == stream_position::after_header_block) {
      parts.push_back(std::move(open));
      open = model_part{};
    }
    st = state::closed;
  }
};

// A delimiter that ends inside `chunk`, when `chunk` follows CRLF + `before`.
bool delimiter_reaches(std::string_view before, std::string_view chunk, std::string_view boundary) {
  const std::string needle = "\r\n--" + std::string(boundary);
  const std::string all = "\r\n" + std::string(before) + std::string(chunk);
  const std::size_t seen = 2 + before.size();
  const std::size_t from = seen >= needle.size() ? seen - needle.size() + 1 : 0;
  return all.find(needle, from) != std::string::npos;
}

std::string pick_boundary(input& in) {
  static const char* const fixed[] = {
      "B", "frame", "a b", "'()+_,-./:=?", "--",
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567",
      // Invalid: the writer is failed from construction on.
      "", "trailing ", "bad\r\nchar", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678",
  };
  const std::uint8_t choice = in.byte();
  if (choice < 200) return fixed[choice % (sizeof fixed / sizeof fixed[0])];
  return std::string(in.bytes(choice % 72));
}

std::string pick_type(input& in) {
  static const char* const fixed[] = {
      "image/jpeg", "text/html", "text/plain; charset=utf-8", "image/jpeg", "text/html",
      "text", "bad type/x", "", "a/b\r\nX-Injected: 1",
  };
  const std::uint8_t choice = in.byte();
  if (choice < 240) return fixed[choice % (sizeof fixed / sizeof fixed[0])];
  return std::string(in.bytes(choice % 16));
}

std::vector<owned_header> pick_headers(input& in) {
  static const owned_header fixed[] = {
      {"X-Sequence", "1"}, {"X-Timestamp", "1700000000.123"}, {"Content-Length", "5"},
      {"Bad Name", "v"},   {"X-Empty", ""},                   {"X-Value", "a\r\nb"},
  };
  std::vector<owned_header> out;
  const std::size_t count = in.below(8);
  for (std::size_t i = 0; i < count && i < 2; ++i) {
    const std::uint8_t choice = in.byte();
    if (choice < 240) {
      out.push_back(fixed[choice % (sizeof fixed / sizeof fixed[0])]);
    } else {
      out.push_back({"X-Fuzz", std::string(in.bytes(choice % 16))});
    }
  }
  return out;
}

// SERVERPUSH_FUZZ_TRACE=1 prints each call as it is made, to read a finding.
bool tracing() {
  static const bool on = std::getenv("SERVERPUSH_FUZZ_TRACE") != nullptr;
  return on;
}

std::string shown(std::string_view bytes) {
  std::string out;
  for (char c : bytes.substr(0, 48)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (u < 0x20 || u >= 0x7f) out += "\\x" + std::to_string(u);
    else out += c;
  }
  if (bytes.size() > 48) out += "...";
  return "\"" + out + "\" (" + std::to_string(bytes.size()) + " bytes)";
}

// The line is built only when tracing.
#define TRACE(line)                                                      \
  do {                                                                   \
    if (tracing()) std::fprintf(stderr, "  %s\n", std::string(line).c_str()); \
  } while (false)

std::vector<header> view(const std::vector<owned_header>& headers) {
  std::vector<header> out;
  for (const owned_header& h : headers) out.push_back({h.name, h.value});
  return out;
}

template <class Sink>
class run {
 public:
  run(input& in, std::string boundary)
      : in_(in),
        boundary_(std::move(boundary)),
        writer_(sink_, boundary_, model_.failure) {
    if (model_.failure) model_.st = model::state::failed;
    TRACE("writer with boundary " + shown(boundary_));
  }

  void steps() {
    while (!in_.empty() && model_.parts.size() < 64) step(in_.byte());
  }

  // Compares the bytes with the model; then finishes the stream (with a sink
  // that no longer fails) and compares again.
  void finish() {
    check_parse();
    if (model_.st == model::state::failed) return;
    sink_.fail_on_call = never;
    sink_.stall_on_call = never;
    sink_.max_per_call = static_cast<std::size_t>(-1);
    if (model_.st == model::state::in_part) {
      if (model_.declared != unknown_length) {
        // NUL bytes cannot complete a delimiter, whatever came before.
        body(std::string(model_.declared - model_.open.payload.size(), '\0'));
      }
      end_part();
    }
    close();
    FUZZ_CHECK(model_.st == model::state::closed);
    check_parse();
  }

 private:
  void step(std::uint8_t op) {
    switch (op % 16) {
      case 0: case 1: write_part(false); break;
      case 2: write_part(true); break;
      case 3: case 4: begin_part(); break;
      case 5: case 6: case 7: body(serverpush::fuzz::payload(in_, boundary_)); break;
      case 8: case 9: end_part(); break;
      case 10: {
        static const framing framings[] = {framing::content_length, framing::eager_delimiter,
                                           framing::announce_next};
        const framing f = in_.pick(framings);
        TRACE("set_framing(" + std::to_string(static_cast<int>(f)) + ")");
        writer_.set_framing(f);
        model_.current_framing = f;
        break;
      }
      case 11: case 12: set_strict(in_.flag()); break;
      case 13: close(); break;
      case 14: arm_sink(); break;
      default: prologue(); break;
    }
    check_state();
  }

  void set_strict(bool on) {
    TRACE(on ? "set_strict(true)" : "set_strict(false)");
    writer_.set_strict(on);
    if (model_.st == model::state::in_part && !on) model_.open.strict_throughout = false;
    model_.strict = on;
  }

  void arm_sink() {
    const std::uint8_t how = in_.byte();
    const std::size_t later = sink_.calls + 1 + how % 4;
    switch (how / 4 % 4) {
      case 0: if (Sink::reports_errors) sink_.fail_on_call = later; break;
      case 1: if (Sink::short_writes) sink_.stall_on_call = later; break;
      default: break;
    }
    TRACE("sink: fail on call " + std::to_string(sink_.fail_on_call) + ", stall on call " +
          std::to_string(sink_.stall_on_call) + " (calls so far " + std::to_string(sink_.calls) + ")");
    if (Sink::short_writes) {
      const std::size_t limit = in_.byte();
      sink_.max_per_call = limit == 0 ? static_cast<std::size_t>(-1) : limit;
    }
  }

  // Calls `call` and checks its outcome against `want` (the model's answer
  // when the sink does not fail). Returns true when the model should apply
  // the call's effect.
  template <class Call>
  bool outcome(std::error_code want, Call&& call) {
    const std::size_t size_before = sink_.out.size();
    const std::size_t calls_before = sink_.calls;
    std::error_code ec;
    call(ec);
    const bool sink_failed = (sink_.fail_on_call != never && sink_.fail_on_call > calls_before &&
                              sink_.fail_on_call <= sink_.calls) ||
                             (sink_.stall_on_call != never && sink_.stall_on_call > calls_before &&
                              sink_.stall_on_call <= sink_.calls);
    if (want) {
      FUZZ_CHECK_EC(ec, want);
      // A refused call leaves the stream usable; a failed writer does not.
      FUZZ_CHECK(serverpush::is_fatal(ec) == (model_.st == model::state::failed));
      FUZZ_CHECK(sink_.out.size() == size_before);
      FUZZ_CHECK(sink_.calls == calls_before);
      return false;
    }
    if (sink_failed) {
      FUZZ_CHECK_EC(ec, make_error_code(errc::sink_failed));
      FUZZ_CHECK(serverpush::is_fatal(ec));
      FUZZ_CHECK(writer_.is_failed());
      FUZZ_CHECK(writer_.sink_error() == sink_.fail_with ||
                 writer_.sink_error() == errc::sink_stalled);
      // The bytes up to here are what the model describes.
      state_at_failure_ = model_.st;
      parse_limit_ = size_before;
      model_.st = model::state::failed;
      return false;
    }
    FUZZ_CHECK_EC(ec, std::error_code{});
    return true;
  }

  std::error_code check_part(const std::string& type, const std::vector<owned_header>& extras,
                             errc state_otherwise) const {
    if (model_.st != model::state::open) return model_.state_error(state_otherwise);
    const bool same = !model_.last_type.empty() && type == model_.last_type;
    const std::vector<header> list = view(extras);
    return same ? serverpush::validate_headers(list) : serverpush::validate_headers(type, list);
  }

  void write_part(bool last) {
    const std::string type = pick_type(in_);
    const std::vector<owned_header> extras = pick_headers(in_);
    const std::string payload = serverpush::fuzz::payload(in_, boundary_);
    std::error_code want = check_part(type, extras, errc::part_in_progress);
    if (!want && model_.strict && serverpush::fuzz::has_delimiter(payload, boundary_)) {
      want = make_error_code(errc::payload_contains_delimiter);
    }
    const std::vector<header> list = view(extras);
    TRACE(std::string(last ? "write_last_part(" : "write_part(") + shown(type) + ", " +
          shown(payload) + ", " + std::to_string(extras.size()) + " headers)");
    const bool applied = outcome(want, [&](std::error_code& ec) {
      if (last) {
        writer_.write_last_part(type, payload, list, ec);
      } else if (list.empty() && in_.flag()) {
        writer_.write_part(type, payload.data(), payload.size(), ec);
      } else {
        writer_.write_part(type, payload, list, ec);
      }
    });
    if (!applied) return;
    model_.head(type, payload.size(), extras);
    model_.open.payload = payload;
    model_.open.strict_throughout = model_.strict;
    model_.last_type = type;
    model_.tail(last ? framing::content_length : model_.current_framing);
  }

  void begin_part() {
    const std::string type = pick_type(in_);
    const std::size_t length = in_.flag() ? unknown_length : in_.u16() % 1024;
    const std::vector<owned_header> extras = pick_headers(in_);
    const std::error_code want = check_part(type, extras, errc::part_in_progress);
    const std::vector<header> list = view(extras);
    TRACE("begin_part(" + shown(type) + ", " +
          (length == unknown_length ? std::string("unknown length") : std::to_string(length)) + ", " +
          std::to_string(extras.size()) + " headers)");
    const bool applied = outcome(want, [&](std::error_code& ec) {
      if (length == unknown_length && list.empty()) {
        writer_.begin_part(type, ec);
      } else {
        writer_.begin_part(type, length, list, ec);
      }
    });
    if (!applied) return;
    model_.head(type, length, extras);
    model_.open.strict_throughout = model_.strict;
    model_.last_type = type;
    model_.declared = length;
    model_.st = model::state::in_part;
    model_.position = stream_position::after_header_block;
  }

  void body(const std::string& chunk) {
    std::error_code want;
    if (model_.st != model::state::in_part) {
      want = model_.state_error(errc::no_part_in_progress);
    } else if (model_.declared != unknown_length &&
               chunk.size() > model_.declared - model_.open.payload.size()) {
      want = make_error_code(errc::length_exceeded);
    } else if (model_.strict && delimiter_reaches(model_.open.payload, chunk, boundary_)) {
      // Strict mode looks at every chunk written while it is on, joined with
      // the bytes before it, whenever it came on.
      want = make_error_code(errc::payload_contains_delimiter);
    }
    TRACE("write_body(" + shown(chunk) + ")");
    const bool applied = outcome(want, [&](std::error_code& ec) {
      writer_.write_body(chunk, ec);
    });
    if (applied) model_.open.payload += chunk;
  }

  void end_part() {
    std::error_code want;
    if (model_.st != model::state::in_part) {
      want = model_.state_error(errc::no_part_in_progress);
    } else if (model_.declared != unknown_length &&
               model_.open.payload.size() != model_.declared) {
      want = make_error_code(errc::length_mismatch);
    }
    TRACE("end_part()");
    const bool applied = outcome(want, [&](std::error_code& ec) { writer_.end_part(ec); });
    if (!applied) return;
    model_.st = model::state::open;
    model_.tail(model_.current_framing);
  }

  void close() {
    TRACE("close()");
    if (model_.st == model::state::closed) {
      const std::size_t size_before = sink_.out.size();
      outcome({}, [&](std::error_code& ec) { writer_.close(ec); });
      FUZZ_CHECK(sink_.out.size() == size_before);
      return;
    }
    const std::error_code want =
        model_.st == model::state::open ? std::error_code{} : model_.state_error(errc::part_in_progress);
    if (outcome(want, [&](std::error_code& ec) { writer_.close(ec); })) model_.close();
  }

  void prologue() {
    const std::string bytes(in_.short_string());
    std::error_code want;
    if (model_.st != model::state::open) {
      want = model_.state_error(errc::part_in_progress);
    } else if (model_.position != stream_position::start) {
      want = make_error_code(errc::body_started);
    }
    TRACE("write_head(" + shown(bytes) + ")");
    if (outcome(want, [&](std::error_code& ec) { writer_.write_head(bytes, ec); })) {
      model_.prologue += bytes;
    }
  }

  void check_state() const {
    FUZZ_CHECK(writer_.in_part() == (model_.st == model::state::in_part));
    FUZZ_CHECK(writer_.is_closed() == (model_.st == model::state::closed));
    FUZZ_CHECK(writer_.is_failed() == (model_.st == model::state::failed));
    FUZZ_CHECK(writer_.bytes_written() == sink_.out.size());
    if (model_.st != model::state::failed) {
      FUZZ_CHECK(writer_.position() == model_.position);
      FUZZ_CHECK(writer_.parts_written() == model_.parts_written);
    }
  }

  static std::vector<std::pair<std::string, std::string>> header_lines(const model_part& part) {
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back("Content-Type", part.type);
    if (part.has_length) out.emplace_back("Content-Length", std::to_string(part.length));
    for (const owned_header& h : part.extras) out.emplace_back(h.name, h.value);
    return out;
  }

  static void check_part_equal(const serverpush::fuzz::parsed_part& got, const model_part& want) {
    FUZZ_CHECK(got.headers == header_lines(want));
    FUZZ_CHECK(got.payload == want.payload);
  }

  void check_parse() const {
    using serverpush::fuzz::parsed_end;
    const std::string_view out = std::string_view(sink_.out).substr(0, parse_limit_);
    FUZZ_CHECK(out.substr(0, model_.prologue.size()) == model_.prologue);
    if (model_.failure) {
      FUZZ_CHECK(sink_.out.empty());
      return;
    }

    std::vector<model_part> parts = model_.parts;
    model_part open = model_.open;
    parsed_end end = parsed_end::in_part;
    const model::state st = model_.st == model::state::failed ? state_at_failure_ : model_.st;
    if (st == model::state::closed) {
      end = parsed_end::closed;
    } else if (st != model::state::in_part) {
      switch (model_.position) {
        case stream_position::start: end = parsed_end::start; break;
        case stream_position::after_delimiter: end = parsed_end::after_delimiter; break;
        case stream_position::after_header_block: end = parsed_end::in_part; break;
        case stream_position::after_part:
          end = parsed_end::after_part;
          if (!parts.back().has_length) {
            // Without a length, nothing yet says the CRLF ends the payload.
            open = parts.back();
            open.payload += "\r\n";
            parts.pop_back();
            end = parsed_end::in_part;
          }
          break;
      }
    }
    for (const model_part& part : parts) {
      if (part.strict_throughout) FUZZ_CHECK(!serverpush::fuzz::has_delimiter(part.payload, boundary_));
    }
    // A payload without length that holds the delimiter (strict mode off) is
    // cut there by any reader: nothing more to compare.
    for (const model_part& part : parts) {
      if (!part.has_length && serverpush::fuzz::has_delimiter(part.payload, boundary_)) return;
    }
    if (end == parsed_end::in_part && !open.has_length &&
        serverpush::fuzz::has_delimiter(open.payload, boundary_)) {
      return;
    }

    const serverpush::fuzz::parsed_stream parsed =
        serverpush::fuzz::parse_multipart(out.substr(model_.prologue.size()), boundary_);
    if (!parsed.error.empty()) std::fprintf(stderr, "parse error: %s\n", parsed.error.c_str());
    FUZZ_CHECK(parsed.error.empty());
    FUZZ_CHECK(parsed.end == end);
    FUZZ_CHECK(parsed.parts.size() == parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) check_part_equal(parsed.parts[i], parts[i]);
    if (end == parsed_end::in_part) check_part_equal(parsed.open, open);
  }

  input& in_;
  std::string boundary_;
  Sink sink_;
  model model_;
  serverpush::MultipartWriter<Sink&> writer_;
  std::size_t parse_limit_ = static_cast<std::size_t>(-1);
  model::state state_at_failure_ = model::state::open;
};

template <class Sink>
void fuzz_with(input& in) {
  run<Sink> r(in, pick_boundary(in));
  r.steps();
  r.finish();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  switch (in.below(5)) {
    case 0: fuzz_with<serverpush::test::writev_ec_sink>(in); break;
    case 1: fuzz_with<serverpush::test::write_count_sink>(in); break;
    case 2: fuzz_with<serverpush::test::write_ec_sink>(in); break;
    case 3: fuzz_with<serverpush::test::writev_void_sink>(in); break;
    default: fuzz_with<serverpush::test::write_plain_sink>(in); break;
  }
  return 0;
}

#ifndef SERVERPUSH_CORE_HPP
#define SERVERPUSH_CORE_HPP

// The writer and every sink, nothing else: no threads, no event loop, no
// <mutex> or <functional>. For programs that frame streams themselves; the
// fan-out lives in broadcaster.hpp.

#include <serverpush/boundary.hpp>
#include <serverpush/buffer.hpp>
#include <serverpush/error.hpp>
#include <serverpush/framer.hpp>
#include <serverpush/header.hpp>
#include <serverpush/sink.hpp>
#include <serverpush/sinks/callable.hpp>
#include <serverpush/sinks/chunked.hpp>
#include <serverpush/sinks/fd.hpp>
#include <serverpush/sinks/memory.hpp>
#include <serverpush/sinks/ostream.hpp>
#include <serverpush/version.hpp>
#include <serverpush/writer.hpp>

#endif

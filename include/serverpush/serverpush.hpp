#ifndef SERVERPUSH_SERVERPUSH_HPP
#define SERVERPUSH_SERVERPUSH_HPP

#include <serverpush/boundary.hpp>
#include <serverpush/broadcaster.hpp>
#include <serverpush/buffer.hpp>
#include <serverpush/error.hpp>
#include <serverpush/framer.hpp>
#include <serverpush/header.hpp>
#include <serverpush/http.hpp>
#include <serverpush/reader.hpp>
#include <serverpush/reader/http_response.hpp>
#include <serverpush/sink.hpp>
#include <serverpush/sinks/callable.hpp>
#include <serverpush/sinks/chunked.hpp>
#include <serverpush/sinks/fd.hpp>
#include <serverpush/sinks/memory.hpp>
#include <serverpush/sinks/ostream.hpp>
#include <serverpush/version.hpp>
#include <serverpush/writer.hpp>

#endif

// SPDX-License-Identifier: Apache-2.0
// Logging: Boost.Log to stderr, one line per record, redacted. Under journald
// (JOURNAL_STREAM set) lines carry <N> priority prefixes and no timestamp.
#pragma once

#include <boost/log/sources/record_ostream.hpp>
#include <boost/log/sources/severity_logger.hpp>

#include "daemon/log/level.hpp"

namespace complyd::log {

void init(Level min_level);
void set_level(Level min_level);
void shutdown();  // removes sinks; call before exit

using Logger = boost::log::sources::severity_logger_mt<Level>;
Logger& logger();

}  // namespace complyd::log

#define CLOG(lvl) BOOST_LOG_SEV(::complyd::log::logger(), ::complyd::log::Level::lvl)

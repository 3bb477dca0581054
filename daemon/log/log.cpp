// SPDX-License-Identifier: Apache-2.0
#include "daemon/log/log.hpp"

#include <boost/core/null_deleter.hpp>
#include <boost/log/attributes/clock.hpp>
#include <boost/log/core.hpp>
#include <boost/log/expressions.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/support/date_time.hpp>
#include <boost/shared_ptr.hpp>
#include <cstdlib>
#include <iostream>

#include "daemon/log/redact.hpp"

namespace complyd::log {
namespace {

namespace bl = boost::log;
using Sink = bl::sinks::synchronous_sink<bl::sinks::text_ostream_backend>;

boost::shared_ptr<Sink>& sink() {
  static boost::shared_ptr<Sink> s;
  return s;
}

const char* name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::notice: return "notice";
    case Level::warning: return "warning";
    case Level::error: return "error";
  }
  return "?";
}

int journald_priority(Level l) {
  switch (l) {
    case Level::debug: return 7;
    case Level::info: return 6;
    case Level::notice: return 5;
    case Level::warning: return 4;
    case Level::error: return 3;
  }
  return 6;
}

BOOST_LOG_ATTRIBUTE_KEYWORD(severity_kw, "Severity", Level)

}  // namespace

std::optional<Level> level_from(std::string_view s) {
  for (auto l : {Level::debug, Level::info, Level::notice, Level::warning, Level::error}) {
    if (s == name(l)) return l;
  }
  return std::nullopt;
}

Logger& logger() {
  static Logger lg;
  return lg;
}

void set_level(Level min_level) {
  if (sink()) sink()->set_filter(severity_kw >= min_level);
}

void init(Level min_level) {
  shutdown();
  const bool journald = std::getenv("JOURNAL_STREAM") != nullptr;
  auto backend = boost::make_shared<bl::sinks::text_ostream_backend>();
  backend->add_stream(boost::shared_ptr<std::ostream>(&std::clog, boost::null_deleter()));
  backend->auto_flush(true);
  auto s = boost::make_shared<Sink>(backend);
  s->set_formatter([journald](const bl::record_view& rec, bl::formatting_ostream& out) {
    const auto ref = rec[severity_kw];
    const Level lvl = ref ? ref.get() : Level::info;
    const auto msg = rec[bl::expressions::smessage];
    const std::string text = redact(msg ? *msg : std::string());
    if (journald) {
      out << '<' << journald_priority(lvl) << '>' << text;
    } else {
      const auto ts = rec["TimeStamp"].extract<boost::posix_time::ptime>();
      if (ts) out << boost::posix_time::to_iso_extended_string(*ts) << "Z ";
      out << name(lvl) << ": " << text;
    }
  });
  bl::core::get()->add_global_attribute("TimeStamp", bl::attributes::utc_clock());
  sink() = s;
  set_level(min_level);
  bl::core::get()->add_sink(s);
}

void shutdown() {
  if (sink()) {
    bl::core::get()->remove_sink(sink());
    sink()->flush();
    sink().reset();
  }
}

}  // namespace complyd::log

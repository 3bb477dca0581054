// Time as data: parsing, formatting and the injectable clock.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "checks/facts.hpp"

namespace complyd {

// The clock is injected everywhere time matters, so tests control it.
using Clock = std::function<Time()>;
Clock system_clock();
Clock fixed_clock(Time t);

// RFC 3339 / ISO 8601: 2026-11-22T10:00:00Z, with offset, fractional seconds
// (dropped), or a bare date (midnight UTC).
std::optional<Time> parse_time(std::string_view s);

// Integer unix seconds: how the state database stores time.
inline std::int64_t to_unix(Time t) { return t.time_since_epoch().count(); }
inline Time from_unix(std::int64_t s) { return Time{Duration{s}}; }
std::string format_time(Time t);

// "90d", "1h30m", "45s", "2w", "1y" (365 days). Rejects empty, negative and
// unitless values.
std::optional<Duration> parse_duration(std::string_view s);

}  // namespace complyd

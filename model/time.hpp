// SPDX-License-Identifier: Apache-2.0
// Time as data: the types, parsing, formatting and the injectable clock.
// Every stage measures time in whole seconds of UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace complyd {

using Time = std::chrono::sys_seconds;
using Duration = std::chrono::seconds;

inline constexpr std::int64_t kSecondsPerDay = 86400;
constexpr Duration days(std::int64_t n) { return Duration{n * kSecondsPerDay}; }
constexpr Duration hours(std::int64_t n) { return Duration{n * 3600}; }
constexpr Duration minutes(std::int64_t n) { return Duration{n * 60}; }

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
std::string format_time(Time t);  // 2026-11-22T10:00:00Z (RFC 3339, UTC)
std::string date_only(Time t);    // 2026-11-22
std::string age_text(Duration d); // "205 days", "3 hours", "45 minutes"
// Human-friendly duration text: 90d, 1h, 10m, 30s.
std::string format_duration(Duration d);

// "90d", "1h30m", "45s", "2w", "1y" (365 days). Rejects empty, negative and
// unitless values.
std::optional<Duration> parse_duration(std::string_view s);

}  // namespace complyd

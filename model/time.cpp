// SPDX-License-Identifier: Apache-2.0
#include "model/time.hpp"

#include <date/date.h>

#include <array>
#include <cctype>
#include <sstream>

namespace complyd {

Clock system_clock() {
  return [] { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); };
}

Clock fixed_clock(Time t) {
  return [t] { return t; };
}

namespace {
// The common shape, 2026-11-22T10:00:00Z, without iostreams: the inventory
// holds millions of timestamps and std::istream parsing dominated a cycle.
std::optional<Time> parse_time_fast(std::string_view s) {
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':' || s[19] != 'Z') {
    return std::nullopt;
  }
  auto num = [&](std::size_t pos, std::size_t len) -> int {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  const int y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2), mi = num(14, 2), se = num(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 60) {
    return std::nullopt;
  }
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return Time{date::sys_days{ymd}} + Duration{h * 3600 + mi * 60 + se};
}
// Whether `s` has the shape of one of parse_time's formats: DATE, DATE'T'TIME,
// then an optional 'Z' or +hh:mm. date::parse's %T leaves its seconds
// uninitialised when the minutes parse and the seconds do not ("10:051"),
// then rounds them: undefined behaviour (found by tests/fuzz/duration_fuzz).
// Only text of this shape is handed to it.
bool time_shaped(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&](std::size_t min, std::size_t max) {
    std::size_t n = 0;
    while (i < s.size() && n < max && s[i] >= '0' && s[i] <= '9') ++i, ++n;
    return n >= min;
  };
  auto lit = [&](char c) { return i < s.size() && s[i] == c && (++i, true); };
  if (!(digits(1, 4) && lit('-') && digits(1, 2) && lit('-') && digits(1, 2))) return false;
  if (i == s.size()) return true;
  if (!(lit('T') && digits(1, 2) && lit(':') && digits(1, 2) && lit(':') && digits(1, 2))) return false;
  if (lit('.') && !digits(1, 18)) return false;
  if (lit('Z')) return i == s.size();
  if (lit('+') || lit('-')) {  // an offset of at most 23:59
    const std::size_t h = i;
    if (!digits(2, 2) || s.substr(h, 2) > "23") return false;
    lit(':');
    const std::size_t m = i;
    if (!digits(2, 2) || s.substr(m, 2) > "59") return false;
  }
  return i == s.size();
}
}  // namespace

std::optional<Time> parse_time(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (auto t = parse_time_fast(s)) return t;
  std::string text(s);
  // SQLite's datetime('now') style uses a space separator.
  if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
  if (!time_shaped(text)) return std::nullopt;
  const char* formats[] = {"%FT%TZ", "%FT%T%Ez", "%FT%T", "%F"};
  for (const char* fmt : formats) {
    std::istringstream in(text);
    date::sys_time<std::chrono::milliseconds> tp;
    in >> date::parse(fmt, tp);
    if (in.fail()) continue;
    // Whole input consumed?
    in.peek();
    if (!in.eof()) continue;
    return std::chrono::time_point_cast<Duration>(tp);
  }
  return std::nullopt;
}

std::string format_time(Time t) {
  // Four-digit years without iostreams (a finding's text and evidence carry
  // several times: 0.15 s of date::format at 100k customers); anything else
  // as date::format writes it.
  const auto day = std::chrono::floor<date::days>(t);
  const date::year_month_day ymd{day};
  const int y = static_cast<int>(ymd.year());
  if (y < 1000 || y > 9999) return date::format("%Y-%m-%dT%H:%M:%SZ", t);
  const auto secs = (t - day).count();
  char buf[20];
  auto two = [&](int pos, unsigned v) {
    buf[pos] = static_cast<char>('0' + v / 10);
    buf[pos + 1] = static_cast<char>('0' + v % 10);
  };
  two(0, static_cast<unsigned>(y / 100));
  two(2, static_cast<unsigned>(y % 100));
  buf[4] = '-';
  two(5, static_cast<unsigned>(ymd.month()));
  buf[7] = '-';
  two(8, static_cast<unsigned>(ymd.day()));
  buf[10] = 'T';
  two(11, static_cast<unsigned>(secs / 3600));
  buf[13] = ':';
  two(14, static_cast<unsigned>(secs / 60 % 60));
  buf[16] = ':';
  two(17, static_cast<unsigned>(secs % 60));
  buf[19] = 'Z';
  return std::string(buf, 20);
}

std::string date_only(Time t) {
  const int y = static_cast<int>(date::year_month_day{std::chrono::floor<date::days>(t)}.year());
  if (y < 1000 || y > 9999) return date::format("%Y-%m-%d", t);
  return format_time(t).substr(0, 10);
}

std::string age_text(Duration d) {
  const auto s = d.count();
  auto plural = [](std::int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
  };
  if (s >= 2 * kSecondsPerDay || s <= -2 * kSecondsPerDay) return plural(s / kSecondsPerDay, "day");
  if (s >= 2 * 3600 || s <= -2 * 3600) return plural(s / 3600, "hour");
  if (s >= 120 || s <= -120) return plural(s / 60, "minute");
  return plural(s, "second");
}

std::string format_duration(Duration d) {
  auto s = d.count();
  std::string sign;
  if (s < 0) {
    sign = "-";
    s = -s;
  }
  struct Unit { std::int64_t secs; const char* name; };
  static constexpr std::array<Unit, 4> units{{{kSecondsPerDay, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}};
  if (s == 0) return "0s";
  for (const auto& u : units) {
    if (s % u.secs == 0) return sign + std::to_string(s / u.secs) + u.name;
  }
  return sign + std::to_string(s) + "s";
}

// Totals above 1e9 years are refused: far from overflowing a Time.
constexpr std::int64_t kMaxDurationSeconds = std::int64_t{1'000'000'000} * 365 * kSecondsPerDay;

std::optional<Duration> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    std::int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      n = n * 10 + (s[i] - '0');
      if (n > kMaxDurationSeconds) return std::nullopt;
      ++i;
    }
    if (i == s.size()) return std::nullopt;  // a unit is required
    std::int64_t unit = 0;
    switch (s[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = kSecondsPerDay; break;
      case 'w': unit = 7 * kSecondsPerDay; break;
      case 'y': unit = 365 * kSecondsPerDay; break;
      default: return std::nullopt;
    }
    // Each term and the sum are at most 1e9 years, or a long compound (584
    // terms of "1000000000y") would wrap around to a small duration. Any
    // duration format_duration writes parses back, in whatever unit.
    if (n > kMaxDurationSeconds / unit) return std::nullopt;
    total += n * unit;
    if (total > kMaxDurationSeconds) return std::nullopt;
    ++i;
  }
  return Duration{total};
}

}  // namespace complyd

#include "daemon/util/time.hpp"

#include "checks/support.hpp"

#include <date/date.h>

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
}  // namespace

std::optional<Time> parse_time(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (auto t = parse_time_fast(s)) return t;
  std::string text(s);
  // SQLite's datetime('now') style uses a space separator.
  if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
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

std::string format_time(Time t) { return rfc3339(t); }

std::optional<Duration> parse_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    std::int64_t n = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      n = n * 10 + (s[i] - '0');
      if (n > 1'000'000'000) return std::nullopt;
      ++i;
    }
    if (i == s.size()) return std::nullopt;  // a unit is required
    std::int64_t unit = 0;
    switch (s[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      case 'y': unit = 365 * 86400; break;
      default: return std::nullopt;
    }
    total += n * unit;
    ++i;
  }
  return Duration{total};
}

}  // namespace complyd

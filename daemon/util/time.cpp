#include "daemon/util/time.hpp"

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

std::optional<Time> parse_time(std::string_view s) {
  if (s.empty()) return std::nullopt;
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

std::string format_time(Time t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

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

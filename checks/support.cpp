#include "checks/support.hpp"

#include <date/date.h>

namespace complyd {

std::string rfc3339(Time t) {
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
  return rfc3339(t).substr(0, 10);
}

std::string age_text(Duration d) {
  const auto s = d.count();
  auto plural = [](std::int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
  };
  if (s >= 2 * 86400 || s <= -2 * 86400) return plural(s / 86400, "day");
  if (s >= 2 * 3600 || s <= -2 * 3600) return plural(s / 3600, "hour");
  if (s >= 120 || s <= -120) return plural(s / 60, "minute");
  return plural(s, "second");
}

std::string credential_subject(const Credential& c) {
  if (!c.storage_path.empty()) return c.storage_path;
  if (c.role == CredentialRole::current) return c.kind;
  return c.kind + "." + to_string(c.role);
}

CustomerIndex::CustomerIndex(const Facts& facts) {
  by_id_.reserve(facts.customers.size());
  for (const auto& c : facts.customers) by_id_.emplace(c.id, &c);
}

const Customer* CustomerIndex::find(std::string_view id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

}  // namespace complyd

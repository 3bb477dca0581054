#include "checks/support.hpp"

#include <date/date.h>

namespace complyd {

std::string rfc3339(Time t) { return date::format("%Y-%m-%dT%H:%M:%SZ", t); }

std::string date_only(Time t) { return date::format("%Y-%m-%d", t); }

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

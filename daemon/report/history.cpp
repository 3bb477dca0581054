#include "daemon/report/history.hpp"

#include <map>
#include <nlohmann/json.hpp>

#include "daemon/config/config.hpp"

namespace complyd {

namespace {

std::int64_t secs(Time t) { return t.time_since_epoch().count(); }
nlohmann::json opt_time(const std::optional<Time>& t) { return t ? nlohmann::json(secs(*t)) : nlohmann::json(nullptr); }

// The rotation limits credential-age uses, so due dates agree with findings.
DurationMap rotation_limits(const Config& config) {
  auto it = config.checks.find("credential-age");
  if (it == config.checks.end()) return {};
  try {
    return it->second.params.duration_map("max_age");
  } catch (const ParamError&) {
    return {};
  }
}

}  // namespace

ReportHistory summarize_for_report(const Facts& facts, Time now, const Config& config,
                                   const std::set<std::string>& checks_complete,
                                   const std::set<std::string>& checks_disabled) {
  ReportHistory h;
  h.checks_complete = checks_complete;
  h.checks_disabled = checks_disabled;
  const auto limits = rotation_limits(config);

  std::map<std::string, nlohmann::json> states;
  for (const auto& c : facts.customers) {
    states[c.id] = {{"name", c.name},
                    {"status", to_string(c.status)},
                    {"environment", c.environment},
                    {"jurisdiction", c.jurisdiction},
                    {"offboarded_at", opt_time(c.offboarded_at)},
                    {"credentials", nlohmann::json::array()},
                    {"webhooks", nlohmann::json::array()},
                    {"deliveries", false}};
  }
  auto state_of = [&](const std::string& id) -> nlohmann::json* {
    auto it = states.find(id);
    return it == states.end() ? nullptr : &it->second;
  };
  for (const auto& c : facts.credentials) {
    auto* s = state_of(c.customer_id);
    if (s == nullptr) continue;
    // Age basis and due date as credential-age computes them; no value, no
    // fingerprint, no last use (it changes every cycle and is not shown).
    const auto basis = c.rotated_at ? c.rotated_at : c.created_at;
    auto lim = limits.find(c.kind);
    nlohmann::json due = nullptr, limit = nullptr;
    if (lim != limits.end()) {
      limit = lim->second.count();
      if (basis) due = secs(*basis + lim->second);
    }
    (*s)["credentials"].push_back({{"path", c.storage_path},
                                   {"kind", c.kind},
                                   {"role", to_string(c.role)},
                                   {"environment", c.environment},
                                   {"basis_at", opt_time(basis)},
                                   {"limit", limit},
                                   {"due_at", due}});
  }
  for (const auto& w : facts.webhooks) {
    auto* s = state_of(w.customer_id);
    if (s == nullptr) continue;
    (*s)["webhooks"].push_back({{"id", w.id},
                                {"platform", w.platform},
                                {"status", to_string(w.status)},
                                {"https", w.notification_url.starts_with("https://")}});
  }
  const std::int64_t from_minute = secs(now - kSignatureRateWindow) / 60;
  const std::int64_t to_minute = secs(now) / 60;
  for (const auto& series : facts.verifications) {
    SignatureRateRow r{series.customer_id};
    for (const auto& m : series.minutes) {
      if (m.minute < from_minute || m.minute >= to_minute) continue;
      r.ok += m.ok;
      r.fail += m.fail;
      r.unsigned_processed += m.unsigned_processed;
    }
    if (auto* s = state_of(series.customer_id); s != nullptr && r.ok + r.fail + r.unsigned_processed > 0) {
      (*s)["deliveries"] = true;
    }
    if (r.fail + r.unsigned_processed > 0) h.signature_rates.push_back(std::move(r));
  }
  h.customers.reserve(states.size());
  for (auto& [id, j] : states) {
    // Stable order inside arrays so an unchanged state has an unchanged digest.
    for (const char* k : {"credentials", "webhooks"}) {
      auto& a = j[k];
      std::sort(a.begin(), a.end(), [](const nlohmann::json& x, const nlohmann::json& y) { return x.dump() < y.dump(); });
    }
    h.customers.push_back({id, j.dump()});
  }
  return h;
}

}  // namespace complyd

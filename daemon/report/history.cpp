#include "daemon/report/history.hpp"
#include "daemon/util/time.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <nlohmann/json.hpp>

#include "daemon/config/config.hpp"

namespace complyd {

namespace {

nlohmann::json opt_time(const std::optional<Time>& t) { return t ? nlohmann::json(to_unix(*t)) : nlohmann::json(nullptr); }

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

  // One customer's state is built, serialised and dropped at a time: at
  // 100k customers a tree of every state at once costs hundreds of MB.
  std::unordered_map<std::string_view, std::vector<const Credential*>> creds;
  for (const auto& c : facts.credentials) creds[c.customer_id].push_back(&c);
  std::unordered_map<std::string_view, std::vector<const WebhookSubscription*>> hooks;
  for (const auto& w : facts.webhooks) hooks[w.customer_id].push_back(&w);

  std::unordered_set<std::string_view> delivering;
  const std::int64_t from_minute = to_unix(now - kSignatureRateWindow) / 60;
  const std::int64_t to_minute = to_unix(now) / 60;
  for (const auto& series : facts.verifications) {
    SignatureRateRow r{series.customer_id};
    for (const auto& m : series.minutes) {
      if (m.minute < from_minute || m.minute >= to_minute) continue;
      r.ok += m.ok;
      r.fail += m.fail;
      r.unsigned_processed += m.unsigned_processed;
    }
    if (r.ok + r.fail + r.unsigned_processed > 0) delivering.insert(series.customer_id);
    if (r.fail + r.unsigned_processed > 0) h.signature_rates.push_back(std::move(r));
  }

  std::vector<const Customer*> customers;
  customers.reserve(facts.customers.size());
  for (const auto& c : facts.customers) customers.push_back(&c);
  std::sort(customers.begin(), customers.end(), [](auto* a, auto* b) { return a->id < b->id; });
  h.customers.reserve(customers.size());
  for (const Customer* cp : customers) {
    const Customer& c = *cp;
    nlohmann::json j = {{"name", c.name},
                        {"status", to_string(c.status)},
                        {"environment", c.environment},
                        {"jurisdiction", c.jurisdiction},
                        {"offboarded_at", opt_time(c.offboarded_at)},
                        {"credentials", nlohmann::json::array()},
                        {"webhooks", nlohmann::json::array()},
                        {"deliveries", delivering.contains(c.id)}};
    // Stable order inside arrays so an unchanged state has an unchanged digest.
    if (auto it = creds.find(c.id); it != creds.end()) {
      auto& list = it->second;
      std::sort(list.begin(), list.end(), [](const Credential* a, const Credential* b) {
        return std::tie(a->storage_path, a->kind, a->environment, a->role) <
               std::tie(b->storage_path, b->kind, b->environment, b->role);
      });
      for (const Credential* cr : list) {
        // Age basis and due date as credential-age computes them; no value, no
        // fingerprint, no last use (it changes every cycle and is not shown).
        const auto basis = cr->rotated_at ? cr->rotated_at : cr->created_at;
        auto lim = limits.find(cr->kind);
        nlohmann::json due = nullptr, limit = nullptr;
        if (lim != limits.end()) {
          limit = lim->second.count();
          if (basis) due = to_unix(*basis + lim->second);
        }
        j["credentials"].push_back({{"path", cr->storage_path},
                                    {"kind", cr->kind},
                                    {"role", to_string(cr->role)},
                                    {"environment", cr->environment},
                                    {"basis_at", opt_time(basis)},
                                    {"limit", limit},
                                    {"due_at", due}});
      }
    }
    if (auto it = hooks.find(c.id); it != hooks.end()) {
      auto& list = it->second;
      std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->id < b->id; });
      for (const WebhookSubscription* w : list) {
        j["webhooks"].push_back({{"id", w->id},
                                 {"platform", w->platform},
                                 {"status", to_string(w->status)},
                                 {"https", w->notification_url.starts_with("https://")}});
      }
    }
    h.customers.push_back({c.id, j.dump()});
  }
  return h;
}

}  // namespace complyd

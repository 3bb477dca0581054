// SPDX-License-Identifier: Apache-2.0
// rotation-leftover: what a rotation leaves behind. A previous credential kept
// past its grace window, a pending credential never activated, and a revoked
// credential that is still stored ("deleted, not just marked inactive").
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {


// Customer + kind + environment: the slot a rotation replaces a value in.
struct SlotKey {
  std::string_view customer, kind, environment;
  bool operator==(const SlotKey&) const = default;
};
struct SlotHash {
  std::size_t operator()(const SlotKey& k) const noexcept {
    std::hash<std::string_view> h;
    std::size_t seed = h(k.customer);
    seed ^= h(k.kind) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    seed ^= h(k.environment) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
    return seed;
  }
};

// Hour-scale windows need the time of day; day-scale ones read better as dates.
std::string when(Time t, Duration window) { return window < days(2) ? format_time(t) : date_only(t); }

std::string previous_remediation(const std::string& kind) {
  if (kind == "api_token") {
    return "Confirm the workers use the current token, have the old token revoked on the platform, then delete "
           "the previous token from the secrets manager.";
  }
  if (kind == "webhook_secret") {
    return "Confirm deliveries verify with the current secret, then delete the previous secret from the secrets "
           "manager; the dual-verify window should close within about an hour.";
  }
  return "Confirm consumers use the current credential, revoke the old value where it was issued, then delete the "
         "previous credential from the secrets manager.";
}

std::vector<Finding> evaluate(const CheckContext& ctx, const RotationLeftoverParams& params) {
  std::vector<Finding> out;
  const auto& grace_by_kind = params.grace;
  const Duration default_grace = params.default_grace;
  const Duration pending_max_age = params.pending_max_age;
  const CustomerIndex customers(ctx.facts);

  // When each slot's current value went live: the latest rotated_at among its
  // current credentials. One pass, only when there is something to measure.
  std::unordered_map<SlotKey, std::optional<Time>, SlotHash> went_live;
  const bool any_previous = std::any_of(ctx.facts.credentials.begin(), ctx.facts.credentials.end(),
                                        [](const Credential& c) { return c.role == CredentialRole::previous; });
  if (any_previous) {
    for (const auto& c : ctx.facts.credentials) {
      if (c.role != CredentialRole::current) continue;
      auto& slot = went_live[SlotKey{c.customer_id, c.kind, c.environment}];
      if (c.rotated_at && (!slot || *c.rotated_at > *slot)) slot = c.rotated_at;
    }
  }

  for (const auto& c : ctx.facts.credentials) {
    if (c.role == CredentialRole::current) continue;
    const Customer* cust = customers.find(c.customer_id);
    // Offboarded customers' credentials belong to offboarding-completeness.
    if (cust != nullptr && cust->status == CustomerStatus::offboarded) continue;

    const std::string subject = credential_subject(c);
    const char* role = to_string(c.role);
    auto make = [&](std::string title, std::string detail, std::string remediation) {
      Finding f;
      f.severity = ctx.severity;
      f.customer_id = c.customer_id;
      f.subject = subject;
      f.title = std::move(title);
      f.detail = std::move(detail);
      f.remediation = std::move(remediation);
      f.evidence.emplace_back("kind", c.kind);
      f.evidence.emplace_back("role", role);
      return f;
    };

    switch (c.role) {
      case CredentialRole::current:
        break;

      case CredentialRole::revoked: {
        auto f = make(fmt::format("revoked {} still stored", c.kind),
                      fmt::format("A revoked {} of customer {} is still stored at {}; rotated and revoked "
                                  "credentials must be deleted, not just marked inactive.",
                                  c.kind, c.customer_id, subject),
                      "Confirm the credential is revoked where it was issued, then delete it from the secrets "
                      "manager; keep only the audit record of its deletion.");
        if (c.created_at) f.evidence.emplace_back("created_at", format_time(*c.created_at));
        if (c.last_used_at) f.evidence.emplace_back("last_used_at", format_time(*c.last_used_at));
        out.push_back(std::move(f));
        break;
      }

      case CredentialRole::pending: {
        if (c.activated_at) break;  // it went live; a stale role label is not a leftover
        if (!c.created_at) {
          auto f = make(fmt::format("pending {} with unknown creation time", c.kind),
                        fmt::format("The pending {} of customer {} at {} was never activated and has no creation "
                                    "time, so nobody can tell whether its rotation was abandoned.",
                                    c.kind, c.customer_id, subject),
                        "Finish the rotation now (switch consumers to the pending credential and confirm it "
                        "works) or delete it; record creation times in the secrets manager metadata.");
          out.push_back(std::move(f));
          break;
        }
        if (dated_in_future(*c.created_at, ctx.now)) {
          auto f = make(fmt::format("pending {} creation time in the future", c.kind),
                        fmt::format("The pending {} at {} claims it was created on {}, after the evaluation time; "
                                    "its age cannot be trusted.",
                                    c.kind, subject, format_time(*c.created_at)),
                        "Correct the credential's creation metadata (check the source's clock).");
          f.evidence.emplace_back("created_at", format_time(*c.created_at));
          out.push_back(std::move(f));
          break;
        }
        const Duration age = ctx.now - *c.created_at;
        if (age <= pending_max_age) break;
        auto f = make(fmt::format("pending {} never activated", c.kind),
                      fmt::format("A pending {} of customer {} at {} was stored on {} ({} ago) and never went "
                                  "live; a rotation left unfinished for more than {} leaves an extra valid "
                                  "credential behind.",
                                  c.kind, c.customer_id, subject, when(*c.created_at, pending_max_age),
                                  age_text(age), format_duration(pending_max_age)),
                      "Finish the rotation (switch consumers to the pending credential and confirm it works), or "
                      "revoke it where it was issued and delete it from the secrets manager.");
        f.evidence.emplace_back("created_at", format_time(*c.created_at));
        f.evidence.emplace_back("pending_for", age_text(age));
        f.evidence.emplace_back("pending_max_age", format_duration(pending_max_age));
        out.push_back(std::move(f));
        break;
      }

      case CredentialRole::previous: {
        auto g = grace_by_kind.find(c.kind);
        const Duration grace = g != grace_by_kind.end() ? g->second : default_grace;

        // When it stopped being current: the replacement's rotation time,
        // else the previous value's last use, else unknown.
        std::optional<Time> retired;
        const char* basis = nullptr;
        if (auto it = went_live.find(SlotKey{c.customer_id, c.kind, c.environment});
            it != went_live.end() && it->second) {
          retired = it->second;
          basis = "current_rotated_at";
        } else if (c.last_used_at) {
          retired = c.last_used_at;
          basis = "previous_last_used_at";
        }

        if (!retired) {
          auto f = make(fmt::format("previous {} with unknown retirement time", c.kind),
                        fmt::format("A previous {} of customer {} is still stored at {}, and neither the current "
                                    "credential's rotation time nor the previous one's last use is known, so "
                                    "nobody can tell whether its {} grace window has passed.",
                                    c.kind, c.customer_id, subject, format_duration(grace)),
                        previous_remediation(c.kind));
          f.evidence.emplace_back("grace", format_duration(grace));
          out.push_back(std::move(f));
          break;
        }
        if (dated_in_future(*retired, ctx.now)) {
          auto f = make(fmt::format("previous {} retirement time in the future", c.kind),
                        fmt::format("The previous {} at {} appears to have been replaced on {}, after the "
                                    "evaluation time; its grace window cannot be judged.",
                                    c.kind, subject, format_time(*retired)),
                        "Correct the rotation/last-use metadata of the credential and its replacement (check the "
                        "source's clock).");
          f.evidence.emplace_back(basis, format_time(*retired));
          out.push_back(std::move(f));
          break;
        }
        const Duration kept = ctx.now - *retired;
        if (kept <= grace) break;
        auto f = make(fmt::format("previous {} kept past its {} grace window", c.kind, format_duration(grace)),
                      fmt::format("The previous {} of customer {} at {} is still stored {} after it was replaced "
                                  "on {}; it should have been deleted by {}.",
                                  c.kind, c.customer_id, subject, age_text(kept), when(*retired, grace),
                                  when(*retired + grace, grace)),
                      previous_remediation(c.kind));
        f.evidence.emplace_back(basis, format_time(*retired));
        f.evidence.emplace_back("kept_for", age_text(kept));
        f.evidence.emplace_back("grace", format_duration(grace));
        out.push_back(std::move(f));
        break;
      }
    }
  }
  return out;
}

}  // namespace

const CheckDef& rotation_leftover_check() {
  static const CheckDef def = make_check<RotationLeftoverParams>(
      CheckInfo{
          .id = "rotation-leftover",
          .title = "Rotations finish and old credentials are deleted",
          .default_severity = Severity::medium,
          .checklist_items = {"Webhook secret rotation uses the dual-verify pattern",
                              "Support key rotation with overlap periods"},
          .rationale = "A rotation only reduces exposure once the old value is gone: the reference pages keep a "
                       "previous API token for a 7-day rollback window and a previous webhook secret for about an "
                       "hour, and say old rotated credentials should be deleted, not just marked inactive. A "
                       "pending credential that never went live is an abandoned rotation holding an extra "
                       "valid value.",
          .remediation = "Finish or abandon the rotation, revoke the old value where it was issued, and delete "
                         "previous, pending and revoked values from the secrets manager.",
          .frameworks = {{"SOC 2", "CC6.1"},
                         {"SOC 2", "CC6.3"},
                         {"PCI DSS v4.0", "8.6.3"},
                         {"GDPR", "Art. 32"}},
          .needs = {FactKind::customers, FactKind::credentials},
      },
      {{.name = "grace",
        .member = &RotationLeftoverParams::grace,
        .description = "How long a previous credential may stay stored after its "
                       "replacement went live, per credential kind",
        .min = 0},
       {.name = "default_grace",
        .member = &RotationLeftoverParams::default_grace,
        .description = "Grace window for credential kinds not listed in grace",
        .min = 0},
       {.name = "pending_max_age",
        .member = &RotationLeftoverParams::pending_max_age,
        .description = "How long a pending credential may wait for activation after it was created",
        .min = 0}},
      evaluate);
  return def;
}

}  // namespace complyd

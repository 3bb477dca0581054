// SPDX-License-Identifier: Apache-2.0
// credential-age: a current credential older than its kind's rotation limit,
// or one whose age cannot be established.
#include <fmt/format.h>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/rotation.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

std::string remediation_for(const std::string& kind) {
  if (kind == "api_token") {
    return "Ask the customer's platform administrator to generate a new API token, store it beside the "
           "current one, switch the workers to it and confirm requests succeed, then have the old token "
           "revoked on the platform and delete it from the secrets manager.";
  }
  if (kind == "webhook_secret") {
    return "Generate a new 32-byte random webhook secret, store it beside the current one (dual-verify), "
           "update the platform's webhook subscription with it, confirm deliveries verify, then delete the "
           "old secret.";
  }
  return "Rotate the credential: issue a new value, store it, switch consumers to it, then revoke and "
         "delete the old value.";
}

std::vector<Finding> evaluate(const CheckContext& ctx, const CredentialAgeParams& params) {
  std::vector<Finding> out;
  const auto& limits = params.max_age;
  const CustomerIndex customers(ctx.facts);

  for (const auto& c : ctx.facts.credentials) {
    if (c.role != CredentialRole::current) continue;
    const Customer* cust = customers.find(c.customer_id);
    // Offboarded customers' credentials belong to offboarding-completeness.
    if (cust != nullptr && cust->status == CustomerStatus::offboarded) continue;

    const std::string subject = c.storage_path.empty() ? c.kind : c.storage_path;
    auto make = [&](std::string title, std::string detail) {
      Finding f;
      f.severity = ctx.severity;
      f.customer_id = c.customer_id;
      f.subject = subject;
      f.title = std::move(title);
      f.detail = std::move(detail);
      f.remediation = remediation_for(c.kind);
      f.evidence.emplace_back("kind", c.kind);
      return f;
    };

    const auto st = rotation_status(c, limits, Duration{0}, ctx.now);
    switch (st.stage) {
      case RotationStage::unknown_age: {
        auto f = make(fmt::format("{} with unknown age", c.kind),
                      fmt::format("The current {} of customer {} at {} has neither a creation nor a rotation "
                                  "time, so nobody can tell whether it is overdue for rotation.",
                                  c.kind, c.customer_id, subject));
        f.remediation = "Record when the credential was created or last rotated (secrets manager metadata), "
                        "or rotate it now so its age is known.";
        out.push_back(std::move(f));
        break;
      }
      case RotationStage::no_limit: {
        auto f = make(fmt::format("no rotation limit for credential kind {}", c.kind),
                      fmt::format("The current credential at {} is of kind '{}', for which no rotation limit "
                                  "is configured, so its age cannot be judged.",
                                  subject, c.kind));
        f.severity = Severity::low;
        f.remediation = fmt::format(
            "Add a limit for '{}' under [checks.credential-age.max_age], or correct the credential's kind.",
            c.kind);
        out.push_back(std::move(f));
        break;
      }
      case RotationStage::due:
      case RotationStage::overdue: {
        auto f = make(fmt::format("{} older than {}", c.kind, format_duration(*st.limit)),
                      fmt::format("The current {} of customer {} at {} was last rotated on {} ({} ago), past "
                                  "its {} rotation limit; it was due on {}.",
                                  c.kind, c.customer_id, subject, date_only(*st.rotated_at), age_text(st.age),
                                  format_duration(*st.limit), date_only(*st.due_at)));
        f.evidence.emplace_back("last_rotated", format_time(*st.rotated_at));
        f.evidence.emplace_back("age_days", std::to_string(st.age.count() / kSecondsPerDay));
        f.evidence.emplace_back("due", format_time(*st.due_at));
        out.push_back(std::move(f));
        break;
      }
      case RotationStage::ok:
      case RotationStage::warning:
        if (dated_in_future(*st.rotated_at, ctx.now)) {
          auto f = make(fmt::format("{} rotation time in the future", c.kind),
                        fmt::format("The current {} at {} claims it was rotated on {}, after the evaluation "
                                    "time; its age cannot be trusted.",
                                    c.kind, subject, format_time(*st.rotated_at)));
          f.remediation = "Correct the credential's creation/rotation metadata (check the source's clock).";
          out.push_back(std::move(f));
        }
        break;
    }
  }
  return out;
}

}  // namespace

const CheckDef& credential_age_check() {
  static const CheckDef def = make_check<CredentialAgeParams>(
      CheckInfo{
          .id = "credential-age",
          .title = "Credentials rotated on time",
          .default_severity = Severity::high,
          .checklist_items = {"Token rotation tracked centrally with reminders",
                              "Webhook secret rotation uses the dual-verify pattern"},
          .rationale = "A long-lived credential stays usable by whoever copied it; the reference pages rotate API "
                       "tokens and webhook secrets every 90 days for high-stakes integrations.",
          .remediation = "Rotate the credential following the platform's rotation flow, then delete the old value.",
          .frameworks = {{"SOC 2", "CC6.1"}, {"PCI DSS v4.0", "8.3.9"}, {"PCI DSS v4.0", "8.6.3"}},
          .needs = {FactKind::customers, FactKind::credentials},
      },
      {{.name = "max_age",
        .member = &CredentialAgeParams::max_age,
        .description = "Rotation limit per credential kind",
        .min = 3600}},
      evaluate);
  return def;
}

const CredentialAgeParams& credential_age_params(const CheckConfigs& checks) {
  return configured_params<CredentialAgeParams>(checks, credential_age_check());
}

}  // namespace complyd

// SPDX-License-Identifier: Apache-2.0
// webhook-secret-strength: a stored webhook secret (current, previous or
// pending) with less entropy than the reference pages require, or whose
// entropy was never measured.
#include <fmt/format.h>

#include <cmath>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

std::string remediation_for(CredentialRole role) {
  if (role == CredentialRole::previous) {
    return "Delete the previous secret once deliveries verify with the current one, and make sure the current "
           "secret is generated from 32 cryptographically random bytes.";
  }
  if (role == CredentialRole::pending) {
    return "Replace the pending secret with one generated from 32 cryptographically random bytes before it goes "
           "live, and delete the weak value.";
  }
  return "Generate a new secret from 32 cryptographically random bytes (e.g. crypto.randomBytes(32)), rotate the "
         "subscription to it with the dual-verify pattern, then delete the weak secret.";
}

std::vector<Finding> evaluate(const CheckContext& ctx, const WebhookSecretStrengthParams& params) {
  std::vector<Finding> out;
  const auto min_bytes = params.min_entropy_bytes;
  const auto critical_bytes = params.critical_below_bytes;
  const CustomerIndex customers(ctx.facts);

  for (const auto& c : ctx.facts.credentials) {
    if (c.kind != "webhook_secret" || c.role == CredentialRole::revoked) continue;
    const Customer* cust = customers.find(c.customer_id);
    // Offboarded customers' secrets must be deleted, not strengthened:
    // offboarding-completeness reports them.
    if (cust != nullptr && cust->status == CustomerStatus::offboarded) continue;

    const std::string subject = credential_subject(c);
    const char* role = to_string(c.role);
    auto make = [&](Severity severity, std::string title, std::string detail) {
      Finding f;
      f.severity = severity;
      f.customer_id = c.customer_id;
      f.subject = subject;
      f.title = std::move(title);
      f.detail = std::move(detail);
      f.remediation = remediation_for(c.role);
      f.evidence.emplace_back("kind", c.kind);
      f.evidence.emplace_back("role", role);
      return f;
    };

    if (!c.entropy_bytes) {
      auto f = make(Severity::low, "webhook_secret entropy not measured",
                    fmt::format("The {} webhook secret of customer {} at {} has no entropy measurement, so nobody "
                                "can tell whether it meets the {}-byte minimum.",
                                role, c.customer_id, subject, min_bytes));
      f.remediation = "Have the collector measure the secret's entropy, or rotate to a secret generated from 32 "
                      "cryptographically random bytes and record that.";
      out.push_back(std::move(f));
      continue;
    }
    const double bytes = *c.entropy_bytes;
    if (!std::isfinite(bytes) || bytes < 0) {
      auto f = make(Severity::low, "webhook_secret entropy measurement invalid",
                    fmt::format("The {} webhook secret of customer {} at {} has an impossible entropy measurement "
                                "({}), so its strength is unknown.",
                                role, c.customer_id, subject, bytes));
      f.remediation = "Fix the collector's entropy measurement for this secret, or rotate to a secret generated "
                      "from 32 cryptographically random bytes.";
      f.evidence.emplace_back("entropy_bytes", fmt::format("{}", bytes));
      out.push_back(std::move(f));
      continue;
    }
    if (bytes >= static_cast<double>(min_bytes)) continue;

    const bool critical = bytes < static_cast<double>(critical_bytes);
    const auto limit = critical ? critical_bytes : min_bytes;
    auto f = make(critical ? Severity::critical : ctx.severity,
                  fmt::format("webhook_secret below {} bytes of entropy", limit),
                  critical ? fmt::format("The {} webhook secret of customer {} at {} has about {:g} bytes of "
                                         "entropy, below the {}-byte floor, so forged webhook signatures are within "
                                         "reach of brute force.",
                                         role, c.customer_id, subject, bytes, critical_bytes)
                           : fmt::format("The {} webhook secret of customer {} at {} has about {:g} bytes of "
                                         "entropy, below the {} bytes of cryptographic randomness the reference "
                                         "pages require.",
                                         role, c.customer_id, subject, bytes, min_bytes));
    f.evidence.emplace_back("entropy_bytes", fmt::format("{:g}", bytes));
    f.evidence.emplace_back("required_bytes", std::to_string(min_bytes));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

const CheckDef& webhook_secret_strength_check() {
  static const CheckDef def = make_check<WebhookSecretStrengthParams>(
      CheckInfo{
          .id = "webhook-secret-strength",
          .title = "Webhook secrets are strong",
          .default_severity = Severity::high,
          .checklist_items = {"Webhook secrets generated with 32 bytes of cryptographic random"},
          .rationale = "Signature verification is only as strong as the shared secret: the reference pages "
                       "require at least 32 bytes (256 bits) of cryptographic randomness and say never to go "
                       "below 16 bytes (128 bits); a short or human-chosen secret can be guessed and forged "
                       "deliveries then pass verification.",
          .remediation = "Rotate to a secret generated from 32 cryptographically random bytes with the "
                         "dual-verify pattern, then delete the weak secret.",
          .frameworks = {{"SOC 2", "CC6.1"}, {"SOC 2", "CC6.6"}, {"PCI DSS v4.0", "8.6.3"}, {"GDPR", "Art. 32"}},
          .needs = {FactKind::customers, FactKind::credentials},
      },
      {{.name = "min_entropy_bytes",
        .member = &WebhookSecretStrengthParams::min_entropy_bytes,
        .description = "Minimum entropy of a webhook secret, in bytes",
        .min = 1,
        .max = 1024},
       {.name = "critical_below_bytes",
        .member = &WebhookSecretStrengthParams::critical_below_bytes,
        .description = "Entropy below which a weak webhook secret is critical, in bytes",
        .min = 0,
        .max = 1024}},
      evaluate);
  return def;
}

}  // namespace complyd

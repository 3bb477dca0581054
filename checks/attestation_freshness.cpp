// SPDX-License-Identifier: Apache-2.0
// attestation-freshness: the checklist items no collector can observe (IAM/RBAC
// design, PCI scope decision, DPAs, incident runbook, access review, encryption
// at rest) are attested by a person; each must exist and be renewed in time.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

struct Control {
  const char* name;
  const char* what;  // what is attested, as a noun phrase
  const char* remediation;
};

constexpr Control kKnownControls[] = {
    {"incident_runbook", "incident-response runbook for credential compromise",
     "Review the credential-compromise runbook (rotate immediately, audit recent writes, check token access logs, "
     "report to the customer, 72-hour breach notification) and record the attestation with its document reference."},
    {"access_review", "access review (who can read production credentials and data)",
     "Review every identity with access to production credentials and data, remove what is not needed, and record "
     "the attestation with the review's reference."},
    {"pci_scope", "PCI scope decision (no card data on the partner side; the platform tokenizes)",
     "Confirm that card tokenization stays with the platform's hosted form (no raw card data anywhere on the partner "
     "side), and record the scope decision with its reference (e.g. the SAQ)."},
    {"iam_rbac_review",
     "IAM/RBAC review (only the production sync workers read credentials; developers have no direct production "
     "access)",
     "Review the IAM/RBAC policies of the secrets manager and production, and record the attestation with the "
     "review's reference."},
    {"encryption_at_rest", "encryption at rest of sensitive donor data (email, name, address)",
     "Confirm database and application-level encryption of donor e-mail, name, phone and address, and record the "
     "attestation with its reference."},
    {"dpa", "data processing agreement",
     "Sign a data processing agreement (GDPR Art. 28) with the customer, or renew it, and record it with the "
     "contract reference."},
};

const Control* known(std::string_view name) {
  for (const auto& c : kKnownControls) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The newest trustworthy attestation of one control (for one customer or the
// whole integration), and the newest one dated in the future.
struct Latest {
  const Attestation* valid = nullptr;
  const Attestation* future = nullptr;
};

std::vector<Finding> evaluate(const CheckContext& ctx, const AttestationFreshnessParams& params) {
  std::vector<Finding> out;
  const Duration max_age = params.max_age;
  const auto& controls = params.controls;
  const auto& customer_controls = params.customer_controls;
  const auto& regulated = params.regulated_jurisdictions;

  std::map<std::pair<std::string_view, std::string_view>, Latest> latest;  // (customer, control)
  for (const auto& a : ctx.facts.attestations) {
    auto& l = latest[{a.customer_id, a.control}];
    if (dated_in_future(a.attested_at, ctx.now)) {
      if (l.future == nullptr || a.attested_at > l.future->attested_at) l.future = &a;
    } else if (l.valid == nullptr || a.attested_at > l.valid->attested_at) {
      l.valid = &a;
    }
  }

  auto check_control = [&](const std::string& control, const Customer* customer) {
    const Control* k = known(control);
    const std::string what = k != nullptr ? k->what : fmt::format("'{}' control", control);
    const std::string remediation =
        k != nullptr
            ? k->remediation
            : fmt::format("Carry out the '{}' control and record the attestation with its reference.", control);
    const std::string customer_id = customer != nullptr ? customer->id : std::string();
    const std::string scope = customer != nullptr
                                  ? fmt::format("customer {} ({})", customer->id, customer->jurisdiction)
                                  : std::string("the integration");
    auto make = [&](std::string subject, std::string title, std::string detail) {
      Finding f;
      f.severity = ctx.severity;
      f.customer_id = customer_id;
      f.subject = std::move(subject);
      f.title = std::move(title);
      f.detail = std::move(detail);
      f.remediation = remediation;
      f.evidence.emplace_back("control", control);
      if (customer != nullptr) f.evidence.emplace_back("jurisdiction", customer->jurisdiction);
      return f;
    };
    auto attested = [](Finding& f, const Attestation& a) {
      f.evidence.emplace_back("attested_at", format_time(a.attested_at));
      f.evidence.emplace_back("attested_by", a.attested_by);
      f.evidence.emplace_back("evidence_ref", a.evidence_ref);
    };

    auto it = latest.find({customer_id, control});
    const Latest l = it == latest.end() ? Latest{} : it->second;
    const std::string subject = "attestation:" + control;
    if (l.valid == nullptr && l.future == nullptr) {
      auto f = make(subject, fmt::format("{} not attested", control),
                    fmt::format("Nobody has attested the {} for {}, so this checklist item has no status.", what,
                                scope));
      f.evidence.emplace_back("max_age", format_duration(max_age));
      out.push_back(std::move(f));
    }
    if (l.future != nullptr) {
      auto f = make(subject + ":future-dated", fmt::format("{} attestation dated in the future", control),
                    fmt::format("The {} attestation for {} is dated {}, after the evaluation time, so it cannot "
                                "count as evidence{}.",
                                control, scope, format_time(l.future->attested_at),
                                l.valid == nullptr ? "; the control has no valid attestation" : ""));
      f.remediation = "Correct the attestation's date (check the source's clock) or attest again with the real date.";
      attested(f, *l.future);
      out.push_back(std::move(f));
    }
    if (l.valid != nullptr) {
      const Duration age = ctx.now - l.valid->attested_at;
      if (age > max_age) {
        auto f = make(subject, fmt::format("{} attestation out of date", control),
                      fmt::format("The last attestation of the {} for {} dates from {} ({} ago), older than the "
                                  "{} review interval.",
                                  what, scope, date_only(l.valid->attested_at), age_text(age),
                                  format_duration(max_age)));
        attested(f, *l.valid);
        f.evidence.emplace_back("age_days", std::to_string(age.count() / kSecondsPerDay));
        f.evidence.emplace_back("max_age", format_duration(max_age));
        out.push_back(std::move(f));
      }
    }
  };

  for (const auto& control : controls) check_control(control, nullptr);
  if (!customer_controls.empty()) {
    for (const auto& c : ctx.facts.customers) {
      if (c.status == CustomerStatus::offboarded) continue;
      const bool in_scope = std::any_of(regulated.begin(), regulated.end(),
                                        [&](const std::string& j) { return iequals(j, c.jurisdiction); });
      if (!in_scope) continue;
      for (const auto& control : customer_controls) check_control(control, &c);
    }
  }
  return out;
}

}  // namespace

const CheckDef& attestation_freshness_check() {
  static const CheckDef def = make_check<AttestationFreshnessParams>(
      CheckInfo{
          .id = "attestation-freshness",
          .title = "Manual controls attested and current",
          .default_severity = Severity::medium,
          .checklist_items = {"Production access controlled by IAM/RBAC; developers don’t have direct production "
                              "access",
                              "PCI scope is out — Raise handles all card tokenization",
                              "Data processing agreements signed with customers in regulated jurisdictions",
                              "Incident response runbook exists for credential compromise",
                              "Sensitive donor data (email, name, address) encrypted at rest"},
          .rationale = "Some checklist items are decisions and documents, not observable state; an attestation "
                       "renewed every review interval gives each of them a status, and the reference pages require "
                       "DPAs with customers in regulated jurisdictions (GDPR Art. 28) and a credential-compromise "
                       "runbook.",
          .remediation = "Carry out the review (or sign the agreement) and record the attestation with who, when and "
                         "a reference to the evidence.",
          .frameworks = {{"SOC 2", "CC4.1"},
                         {"SOC 2", "CC7.4"},
                         {"PCI DSS v4.0", "12.5.2"},
                         {"PCI DSS v4.0", "12.10.1"},
                         {"GDPR", "Art. 28"},
                         {"GDPR", "Art. 32"},
                         {"GDPR", "Art. 33"}},
          .needs = {FactKind::customers, FactKind::attestations},
      },
      {{.name = "max_age",
        .member = &AttestationFreshnessParams::max_age,
        .description = "Review interval: an attestation older than this is stale",
        .min = kSecondsPerDay},
       {.name = "controls",
        .member = &AttestationFreshnessParams::controls,
        .description = "Integration-wide controls that must be attested"},
       {.name = "customer_controls",
        .member = &AttestationFreshnessParams::customer_controls,
        .description = "Controls attested per customer in a regulated jurisdiction (not offboarded)"},
       {.name = "regulated_jurisdictions",
        .member = &AttestationFreshnessParams::regulated_jurisdictions,
        .description = "Customer jurisdictions that require the customer controls"}},
      evaluate);
  return def;
}

const AttestationFreshnessParams& attestation_freshness_params(const CheckConfigs& checks) {
  return configured_params<AttestationFreshnessParams>(checks, attestation_freshness_check());
}

}  // namespace complyd

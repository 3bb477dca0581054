// SPDX-License-Identifier: Apache-2.0
// credential-shared: one credential value (same keyed fingerprint) held by two
// customers, by one customer in two environments, or used by one customer for
// two credential kinds (a webhook secret equal to the API token).
//
// Linear by construction: one hash-map pass groups credentials by fingerprint
// (singly linked through an index array, no per-credential allocation), and
// only the rare groups of two or more are examined; no pair is ever compared.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "checks/check.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

constexpr std::uint32_t kNone = 0xffffffffu;
constexpr std::size_t kListedCustomers = 5;  // other customers named in evidence
constexpr std::size_t kListedValues = 8;     // environments / kinds kept per customer

// A few distinct values (environments, kinds); counts past kListedValues are
// still recorded as "more than one".
struct Distinct {
  std::vector<std::string_view> values;
  bool overflow = false;
  void add(std::string_view v) {
    if (std::find(values.begin(), values.end(), v) != values.end()) return;
    if (values.size() < kListedValues) values.push_back(v); else overflow = true;
  }
  bool many() const { return values.size() > 1 || overflow; }
  std::string others(std::string_view self) const {
    std::vector<std::string_view> o;
    for (auto v : values) if (v != self) o.push_back(v);
    std::sort(o.begin(), o.end());
    return fmt::format("{}{}", fmt::join(o, ", "), overflow ? ", ..." : "");
  }
};

struct Holder {
  Distinct environments;  // non-empty environments only
  Distinct kinds;
  bool has_api_token = false;
};

std::string shared_remediation(const std::string& kind) {
  if (kind == "webhook_secret") {
    return "Generate a new random 32-byte webhook secret for each affected customer, rotate each subscription to "
           "it with the dual-verify pattern, delete the shared value, and find out how it was copied.";
  }
  if (kind == "api_token") {
    return "Have each affected customer's administrator issue a token for this integration only, switch to it, "
           "then revoke and delete the shared token, and find out how it was copied.";
  }
  return "Issue a separate value for each customer, switch consumers to it, then revoke and delete the shared "
         "value, and find out how it was copied.";
}

std::vector<Finding> evaluate(const CheckContext& ctx) {
  std::vector<Finding> out;
  const auto& creds = ctx.facts.credentials;
  const CustomerIndex customers(ctx.facts);

  // Pass 1: group by fingerprint. heads[fp] = last index seen, next[i] = the
  // previous index with the same fingerprint.
  struct Group {
    std::uint32_t head = kNone;
    std::uint32_t size = 0;
  };
  std::unordered_map<Fingerprint, Group, Fingerprint::Hash> groups;
  groups.reserve(creds.size());
  std::vector<std::uint32_t> next(creds.size(), kNone);
  for (std::uint32_t i = 0; i < creds.size(); ++i) {
    const auto& fp = creds[i].fingerprint;
    if (fp.empty()) continue;  // not fingerprinted: unknown, nothing to compare
    auto& g = groups[fp];
    next[i] = g.head;
    g.head = i;
    ++g.size;
  }

  // Pass 2: only groups with two or more holders. Work per group is linear in
  // its size, so the whole pass is linear in the number of credentials.
  std::vector<std::uint32_t> members;
  std::unordered_map<std::string_view, Holder> holders;
  std::vector<std::string_view> customer_ids;
  std::unordered_set<std::string> reported;  // customer \n subject, within a group
  for (const auto& [fp, g] : groups) {
    if (g.size < 2) continue;
    members.clear();
    for (auto i = g.head; i != kNone; i = next[i]) members.push_back(i);
    std::reverse(members.begin(), members.end());  // input order, for stable output

    holders.clear();
    customer_ids.clear();
    for (auto i : members) {
      const auto& c = creds[i];
      auto [it, fresh] = holders.try_emplace(c.customer_id);
      if (fresh) customer_ids.push_back(c.customer_id);
      if (!c.environment.empty()) it->second.environments.add(c.environment);
      it->second.kinds.add(c.kind);
      if (c.kind == "api_token") it->second.has_api_token = true;
    }
    std::sort(customer_ids.begin(), customer_ids.end());
    const bool cross_customer = customer_ids.size() > 1;

    reported.clear();
    for (auto i : members) {
      const auto& c = creds[i];
      const Customer* cust = customers.find(c.customer_id);
      // Offboarded customers' leftovers count as holders (they make the others'
      // findings) but get no finding of their own: offboarding-completeness has it.
      if (cust != nullptr && cust->status == CustomerStatus::offboarded) continue;

      const Holder& h = holders.at(c.customer_id);
      const bool cross_env = !c.environment.empty() && h.environments.many();
      // A value shared between kinds is reported on the kind that should be
      // replaced, not on the anchor: the API token, else the first kind by name.
      std::string_view anchor = "api_token";
      if (!h.has_api_token) anchor = *std::min_element(h.kinds.values.begin(), h.kinds.values.end());
      const bool kind_reuse = h.kinds.many() && c.kind != anchor;
      if (!cross_customer && !cross_env && !kind_reuse) continue;

      const std::string subject = credential_subject(c);
      if (!reported.insert(c.customer_id + "\n" + subject).second) continue;

      Finding f;
      f.severity = ctx.severity;
      f.customer_id = c.customer_id;
      f.subject = subject;
      f.evidence.emplace_back("kind", c.kind);
      f.evidence.emplace_back("role", to_string(c.role));
      if (!c.environment.empty()) f.evidence.emplace_back("environment", c.environment);
      // Enough to tell findings of one group apart, never the whole fingerprint.
      f.evidence.emplace_back("fingerprint_prefix", std::string(fp.prefix()));
      f.evidence.emplace_back("holders", std::to_string(members.size()));

      if (cross_customer) {
        // Blast radius beyond one customer: always critical.
        f.severity = Severity::critical;
        std::vector<std::string_view> others;
        for (auto id : customer_ids) {
          if (id == c.customer_id) continue;
          if (others.size() == kListedCustomers) break;
          others.push_back(id);
        }
        const std::size_t n_others = customer_ids.size() - 1;
        f.title = fmt::format("{} shared with another customer", c.kind);
        f.detail = fmt::format("The {} of customer {} at {} has the same value as credentials of {} other "
                               "customer{}, so one compromise exposes them all.",
                               c.kind, c.customer_id, subject, n_others, n_others == 1 ? "" : "s");
        f.remediation = shared_remediation(c.kind);
        f.evidence.emplace_back("other_customers",
                                fmt::format("{}{}", fmt::join(others, ", "),
                                            n_others > others.size()
                                                ? fmt::format(" (+{} more)", n_others - others.size())
                                                : std::string()));
        f.evidence.emplace_back("customers_sharing", std::to_string(customer_ids.size()));
      } else if (cross_env) {
        const std::string other_envs = h.environments.others(c.environment);
        f.title = fmt::format("{} shared across environments", c.kind);
        f.detail = fmt::format("The {} {} of customer {} at {} has the same value as its credential in {}, so a "
                               "leak from the less protected environment exposes the other.",
                               c.environment, c.kind, c.customer_id, subject, other_envs);
        f.remediation = "Use separate credentials for sandbox and production: issue a new value for one "
                        "environment, switch that environment to it, then revoke and delete the shared value "
                        "there.";
        f.evidence.emplace_back("other_environments", other_envs);
      } else {
        f.title = fmt::format("{} equal to {}", c.kind, anchor);
        f.detail = fmt::format("The {} of customer {} at {} has the same value as its {}, so whoever holds one "
                               "credential holds both.",
                               c.kind, c.customer_id, subject, h.kinds.others(c.kind));
        f.remediation =
            c.kind == "webhook_secret"
                ? "Generate a separate random 32-byte webhook secret, rotate the subscription to it with the "
                  "dual-verify pattern, then delete the old value."
                : fmt::format("Issue a separate value for the {}, switch consumers to it, then revoke and delete "
                              "the reused value.",
                              c.kind);
      }
      if (kind_reuse) f.evidence.emplace_back("same_value_kinds", h.kinds.others(c.kind));
      out.push_back(std::move(f));
    }
  }
  // Hash-map order is arbitrary; report in a stable order.
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return std::tie(a.customer_id, a.subject) < std::tie(b.customer_id, b.subject);
  });
  return out;
}

}  // namespace

const CheckDef& credential_shared_check() {
  static const CheckDef def{
      CheckInfo{
          .id = "credential-shared",
          .title = "Credentials are per customer, per environment and per purpose",
          .default_severity = Severity::high,
          .checklist_items = {"Per-customer credentials — no shared tokens across customers",
                              "Use separate tokens for sandbox and production"},
          .rationale = "The blast radius of a compromise should be one customer, not all of them; a value shared "
                       "with sandbox leaks through the weaker environment, and a webhook secret equal to the API "
                       "token means a leaked webhook secret also authenticates API calls.",
          .remediation = "Issue a separate value per customer, per environment and per credential kind; rotate "
                         "the shared ones and delete the shared value.",
          .params = {},
          .frameworks = {{"SOC 2", "CC6.1"},
                         {"SOC 2", "CC6.6"},
                         {"PCI DSS v4.0", "8.2.2"},
                         {"PCI DSS v4.0", "6.5.3"},
                         {"GDPR", "Art. 32"}},
          .needs = {FactKind::customers, FactKind::credentials},
      },
      evaluate};
  return def;
}

}  // namespace complyd

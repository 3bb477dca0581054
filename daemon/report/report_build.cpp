// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "checks/registry.hpp"
#include "checks/rotation.hpp"
#include "daemon/report/report_model.hpp"
#include "model/facts.hpp"
#include "model/time.hpp"

namespace complyd::report {

namespace {

// The checklists of the reference pages (shared/reference/), verbatim.
const ChecklistLine kReferenceChecklist[] = {
    {"Raise integration: credential security", "Raise API tokens stored in a secrets manager, never in code or environment files"},
    {"Raise integration: credential security", "Webhook secrets generated with 32 bytes of cryptographic random"},
    {"Raise integration: credential security", "Per-customer credentials — no shared tokens across customers"},
    {"Raise integration: credential security", "HTTPS everywhere — API calls and webhook deliveries"},
    {"Raise integration: credential security", "Signature verification on every incoming webhook before any processing"},
    {"Raise integration: credential security", "Logging framework includes credential redaction by default"},
    {"Raise integration: credential security", "No raw card data ever stored on the partner side"},
    {"Raise integration: credential security", "Customer offboarding deletes credentials and the webhook subscription"},
    {"Raise integration: credential security", "Token rotation tracked centrally with reminders"},
    {"Raise integration: credential security", "Webhook secret rotation uses the dual-verify pattern"},
    {"Raise integration: credential security", "Sensitive donor data (email, name, address) encrypted at rest"},
    {"Raise integration: credential security", "Audit logs for all credential access and customer lifecycle events"},
    {"Raise integration: credential security", "Production access controlled by IAM/RBAC; developers don’t have direct production access"},
    {"Raise integration: credential security", "PCI scope is out — Raise handles all card tokenization"},
    {"Raise integration: credential security", "Data processing agreements signed with customers in regulated jurisdictions"},
    {"Raise integration: credential security", "Incident response runbook exists for credential compromise"},
    {"Revolv3: security best practices", "Never expose tokens in client-side code"},
    {"Revolv3: security best practices", "Store tokens in a secrets manager (not in code)"},
    {"Revolv3: security best practices", "Always use HTTPS for API requests"},
    {"Revolv3: security best practices", "Make API calls from your backend server only"},
    {"Revolv3: security best practices", "Rotate tokens periodically and after exposure"},
    {"Revolv3: security best practices", "Log only non-sensitive metadata"},
    {"Revolv3: security best practices", "Validate webhook signatures"},
    {"Revolv3: security best practices", "Monitor for unusual activity"},
    {"Revolv3: security best practices", "Use separate tokens for sandbox and production"},
    {"Customer portals: API keys, tokens and webhooks", "Generate API keys with cryptographic randomness"},
    {"Customer portals: API keys, tokens and webhooks", "Store only hashed API keys in the database"},
    {"Customer portals: API keys, tokens and webhooks", "Implement permission scoping for every key"},
    {"Customer portals: API keys, tokens and webhooks", "Support key rotation with overlap periods"},
    {"Customer portals: API keys, tokens and webhooks", "Use short-lived access tokens with refresh token rotation"},
    {"Customer portals: API keys, tokens and webhooks", "Sign all webhook payloads with HMAC-SHA256"},
    {"Customer portals: API keys, tokens and webhooks", "Include timestamps for replay protection"},
    {"Customer portals: API keys, tokens and webhooks", "Enforce HTTPS for webhook endpoints"},
    {"Customer portals: API keys, tokens and webhooks", "Log all credential lifecycle events and API actions"},
    {"Customer portals: API keys, tokens and webhooks", "Apply rate limiting per key and per customer"},
    {"Customer portals: API keys, tokens and webhooks", "Provide customers with activity logs and key management UI"},
};

// attestation-freshness reports per control (subject attestation:<control>);
// this maps a control to the checklist line it attests, so one stale control
// fails its own line only. Unknown controls count against all its lines.
const std::map<std::string, std::string, std::less<>>& attested_lines() {
  static const std::map<std::string, std::string, std::less<>> m{
      {"iam_rbac_review", "Production access controlled by IAM/RBAC; developers don’t have direct production access"},
      {"access_review", "Production access controlled by IAM/RBAC; developers don’t have direct production access"},
      {"pci_scope", "PCI scope is out — Raise handles all card tokenization"},
      {"dpa", "Data processing agreements signed with customers in regulated jurisdictions"},
      {"incident_runbook", "Incident response runbook exists for credential compromise"},
      {"encryption_at_rest", "Sensitive donor data (email, name, address) encrypted at rest"},
  };
  return m;
}

constexpr std::string_view kAttestationCheck = "attestation-freshness";

std::string attestation_control(const std::string& subject) {
  constexpr std::string_view prefix = "attestation:";
  if (!subject.starts_with(prefix)) return {};
  auto rest = subject.substr(prefix.size());
  return rest.substr(0, rest.find(':'));
}

// leak-scan covers four checklist lines; its subject ends in "(<kind>)"
// (checks/leak_scan.cpp), and each kind belongs to some of them: a card
// number in a log fails the card-data line, not the secrets-manager line.
constexpr std::string_view kLeakScanCheck = "leak-scan";
constexpr std::string_view kSecretsLine =
    "Raise API tokens stored in a secrets manager, never in code or environment files";
constexpr std::string_view kRedactionLine = "Logging framework includes credential redaction by default";

bool leak_counts_against(const std::string& subject, std::string_view item) {
  const auto open = subject.rfind('(');
  if (open == std::string::npos || !subject.ends_with(")")) return true;
  const auto kind = leak_kind_from(std::string_view(subject).substr(open + 1, subject.size() - open - 2));
  if (!kind) return true;  // "(more)" and anything unknown: every line
  switch (*kind) {
    case LeakKind::card_number: return item == "No raw card data ever stored on the partner side";
    case LeakKind::donor_email: return item == "Log only non-sensitive metadata";
    default: return item == kSecretsLine || item == kRedactionLine;
  }
}

// What a finding's owner and due date are looked up in: per customer with
// findings, from its state at as_of.
struct OwnerFacts {
  std::string admin_email;
  std::unordered_map<std::string, Time> rotation_due;  // current credential's path -> due date
  std::unordered_map<std::string, Time> review_due;    // control -> review date
};

OwnerFacts owner_facts(const CustomerStateRow& row) {
  OwnerFacts o;
  if (row.unreadable) return o;
  const auto& j = row.state;
  try {
    if (auto it = j.find("admin_email"); it != j.end() && it->is_string()) o.admin_email = it->get<std::string>();
    for (const auto& c : j.value("credentials", nlohmann::json::array())) {
      const auto due = c.value("due_at", nlohmann::json());
      if (!due.is_number_integer() || c.value("role", "") != "current") continue;
      const std::string path = c.value("path", "");
      o.rotation_due.emplace(path.empty() ? c.value("kind", "") : path, from_unix(due.get<std::int64_t>()));
    }
    for (const auto& a : j.value("attestations", nlohmann::json::array())) {
      const auto due = a.value("review_due", nlohmann::json());
      if (due.is_number_integer()) o.review_due[a.value("control", "")] = from_unix(due.get<std::int64_t>());
    }
  } catch (const nlohmann::json::exception&) {  // a mistyped field: no owner or due date from it
  }
  return o;
}

// A rule's mute reason ends in "(rule <id>, owner <owner>)" (lifecycle.cpp).
std::string rule_owner(const ReportFinding& f) {
  if (!f.muted_by.starts_with("mutelist:") || !f.mute_reason.ends_with(")")) return {};
  const auto at = f.mute_reason.rfind(", owner ");
  if (at == std::string::npos) return {};
  return f.mute_reason.substr(at + 8, f.mute_reason.size() - at - 9);
}

void assign_owner_and_due(ReportFinding& f, const OwnerFacts* customer, const std::map<std::string, Time>& reviews,
                          const std::string& default_owner) {
  if (auto owner = rule_owner(f); !owner.empty()) {
    f.owner = std::move(owner);
    f.owner_from = "mutelist";
  } else if (customer != nullptr && !customer->admin_email.empty()) {
    f.owner = customer->admin_email;
    f.owner_from = "customer";
  } else if (!default_owner.empty()) {
    f.owner = default_owner;
    f.owner_from = "default";
  }
  if (f.status == FindingStatus::resolved) return;  // nothing left to do by a date
  if (f.status == FindingStatus::muted && f.muted_until) {
    f.due_at = f.muted_until;
    f.due_for = "mute_expiry";
  } else if (f.check_id == "credential-age" && customer != nullptr) {
    if (auto it = customer->rotation_due.find(f.subject); it != customer->rotation_due.end()) {
      f.due_at = it->second;
      f.due_for = "rotation";
    }
  } else if (f.check_id == kAttestationCheck && f.subject == "attestation:" + attestation_control(f.subject)) {
    const auto control = attestation_control(f.subject);
    const auto* list = f.customer_id.empty() ? &reviews : nullptr;
    std::optional<Time> due;
    if (list != nullptr) {
      if (auto it = list->find(control); it != list->end()) due = it->second;
    } else if (customer != nullptr) {
      if (auto it = customer->review_due.find(control); it != customer->review_due.end()) due = it->second;
    }
    if (due) {
      f.due_at = due;
      f.due_for = "attestation_review";
    }
  }
}

bool counts_against(const ReportFinding& f, const std::string& item) {
  return finding_counts_against(f.check_id, f.subject, item);
}

struct Replay {
  FindingStatus status = FindingStatus::open;
  Severity severity = Severity::medium;
  std::optional<Time> resolved_at, muted_until, muted_at;
  std::string mute_reason, muted_by;
};

// Mute events carry "reason (until T)" (StateStore::mute).
void parse_mute(const EventRow& e, Replay& r) {
  r.mute_reason = e.reason;
  r.muted_until.reset();
  const auto pos = e.reason.rfind(" (until ");
  if (pos != std::string::npos && e.reason.ends_with(")")) {
    r.mute_reason = e.reason.substr(0, pos);
    const auto t = e.reason.substr(pos + 8, e.reason.size() - pos - 9);
    r.muted_until = parse_time(t);
  }
  r.muted_by = e.actor;
  r.muted_at = e.at;
}

void apply(const EventRow& e, Replay& r) {
  r.status = finding_status_from(e.to_status).value_or(FindingStatus::open);
  r.severity = severity_from(e.severity).value_or(r.severity);
  if (e.event == "muted") parse_mute(e, r);
  if (r.status != FindingStatus::muted) {
    r.mute_reason.clear();
    r.muted_by.clear();
    r.muted_until.reset();
    r.muted_at.reset();
  }
  if (r.status == FindingStatus::resolved) r.resolved_at = e.at; else r.resolved_at.reset();
}

bool applies_before(const EventRow& e, const CycleRow& c) {
  return e.cycle_id ? *e.cycle_id <= c.id : e.at <= c.at;
}

std::string rotation_stage(const nlohmann::json& c, Time as_of, std::optional<Time>& basis,
                           std::optional<Time>& due, std::optional<Duration>& age) {
  if (c.value("basis_at", nlohmann::json()).is_number_integer()) basis = Time{Duration{c["basis_at"].get<std::int64_t>()}};
  if (c.value("due_at", nlohmann::json()).is_number_integer()) due = Time{Duration{c["due_at"].get<std::int64_t>()}};
  if (basis) age = as_of - *basis;
  Credential cred;
  cred.kind = c.value("kind", "");
  cred.rotated_at = basis;
  DurationMap limits;
  if (c.value("limit", nlohmann::json()).is_number_integer()) limits[cred.kind] = Duration{c["limit"].get<std::int64_t>()};
  return to_string(rotation_status(cred, limits, days(10), as_of).stage);
}

// A customer's view from its stored state and the counts of its findings.
// Holds only counts: the customers stream through it one by one.
struct CustomerViews {
  explicit CustomerViews(Time as_of) : as_of(as_of) {}
  Time as_of;
  struct Counts {
    int open = 0, signature_failing = 0, webhook_attention = 0, offboarding_open = 0;
  };
  std::unordered_map<std::string, Counts> counts;
  std::unordered_map<std::string, std::pair<std::int64_t, std::int64_t>> last_rates;  // ok, fail in the last cycle

  void count(const ReportFinding& f) {
    auto& c = counts[f.customer_id];
    ++c.open;
    if (f.check_id == "signature-failures") ++c.signature_failing;
    if (f.check_id == "transport-https" || f.check_id == "webhook-secret-strength") ++c.webhook_attention;
    if (f.check_id == "offboarding-completeness") ++c.offboarding_open;
  }

  CustomerView view(const CustomerStateRow& row) const {
    const auto found = counts.find(row.customer_id);
    const Counts counts_of = found == counts.end() ? Counts{} : found->second;
    CustomerView v;
    v.id = row.customer_id;
    v.open_findings = counts_of.open;
    // A damaged state shows as "unreadable", never as an empty (clean) one.
    auto unreadable = [](CustomerView& v) {
      v = CustomerView{.id = std::move(v.id), .open_findings = v.open_findings, .unreadable = true};
      v.status = v.offboarding = v.webhook_health = "unreadable";
    };
    if (row.unreadable) {
      unreadable(v);
      return v;
    }
    const auto& j = row.state;
    try {
      v.name = j.value("name", "");
      v.status = j.value("status", "");
      v.environment = j.value("environment", "");
      v.jurisdiction = j.value("jurisdiction", "");
      if (j.value("offboarded_at", nlohmann::json()).is_number_integer())
        v.offboarded_at = Time{Duration{j["offboarded_at"].get<std::int64_t>()}};
      for (const auto& c : j.value("credentials", nlohmann::json::array())) {
        CredentialView cv{c.value("path", ""), c.value("kind", ""), c.value("role", ""), c.value("environment", "")};
        cv.stage = rotation_stage(c, as_of, cv.basis_at, cv.due_at, cv.age);
        v.credentials.push_back(std::move(cv));
      }
      for (const auto& w : j.value("webhooks", nlohmann::json::array())) {
        v.webhooks.push_back({w.value("id", ""), w.value("platform", ""), w.value("status", ""), w.value("https", false)});
      }
      const bool deliveries = j.value("deliveries", false);
      if (auto it = last_rates.find(v.id); it != last_rates.end()) {
        const auto [ok, fail] = it->second;
        const auto total = ok + fail;
        v.failure_rate = total > 0 ? static_cast<double>(fail) / static_cast<double>(total) : 0.0;
      } else if (deliveries) {
        v.failure_rate = 0.0;
      }
      if (v.webhooks.empty()) v.webhook_health = "no subscriptions";
      else if (counts_of.signature_failing > 0) v.webhook_health = "failing";
      else if (counts_of.webhook_attention > 0) v.webhook_health = "attention";
      else if (!deliveries && !v.failure_rate) v.webhook_health = "no deliveries";
      else v.webhook_health = "ok";
      if (v.status == "active") v.offboarding = "active";
      else v.offboarding = counts_of.offboarding_open > 0 ? "incomplete" : "complete";
    } catch (const nlohmann::json::exception&) {  // a mistyped field of a stored state
      unreadable(v);
    }
    return v;
  }
};

}  // namespace

bool finding_counts_against(const std::string& check_id, const std::string& subject, const std::string& item) {
  if (check_id == kLeakScanCheck) return leak_counts_against(subject, item);
  if (check_id != kAttestationCheck) return true;
  auto it = attested_lines().find(attestation_control(subject));
  return it == attested_lines().end() || it->second == item;
}

bool subject_matters_for_checklist(std::string_view check_id) {
  return check_id == kLeakScanCheck || check_id == kAttestationCheck;
}

const std::vector<ChecklistLine>& checklist_lines() {
  static const std::vector<ChecklistLine> lines = [] {
    std::vector<ChecklistLine> out(std::begin(kReferenceChecklist), std::end(kReferenceChecklist));
    for (const CheckDef* def : all_checks()) {
      for (const auto& item : def->info.checklist_items) {
        if (std::none_of(out.begin(), out.end(), [&](const ChecklistLine& l) { return l.item == item; })) {
          out.push_back({"Reference pages (other sections)", item});
        }
      }
    }
    return out;
  }();
  return lines;
}

bool natural_less(std::string_view a, std::string_view b) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      std::size_t ei = i, ej = j;
      while (ei < a.size() && digit(a[ei])) ++ei;
      while (ej < b.size() && digit(b[ej])) ++ej;
      // Leading zeros aside, a longer run of digits is the larger number.
      auto na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      while (na.size() > 1 && na.front() == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb.front() == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  if ((a.size() - i) != (b.size() - j)) return a.size() - i < b.size() - j;
  return a < b;  // equal but for leading zeros: still a strict order
}

ReportModel build_report(History h, const ReportOptions& opt) {
  ReportModel m;
  m.generated_at = opt.generated_at;
  m.chain_seq = h.chain_seq;
  m.chain_hash = h.chain_hash;
  m.as_of = opt.as_of;
  m.period_start = opt.as_of - opt.period;
  m.customer = opt.customer;
  const auto in_scope = [&](const std::string& customer_id) {
    return opt.customer.empty() || customer_id == opt.customer;
  };

  // Finding id -> its row (the views point into h.findings, which stays put).
  std::unordered_map<std::string_view, std::size_t> rows;
  rows.reserve(h.findings.size());
  for (std::size_t i = 0; i < h.findings.size(); ++i) {
    if (in_scope(h.findings[i].customer_id)) rows.emplace(h.findings[i].id, i);
  }

  // Replay the history: the state of every finding after each cycle of the
  // period (the trend) and at as_of (the tables). One pass over the events,
  // in recording order, each applied before the first cycle it precedes.
  std::vector<std::optional<Replay>> state(h.findings.size());
  std::array<int, kSeverities> open_counts{};
  auto bucket = [&](const Replay& r, int delta) {
    if (r.status == FindingStatus::open) open_counts[static_cast<int>(r.severity)] += delta;
  };
  std::size_t next_cycle = 0;
  auto close_cycle = [&] {
    const auto& c = h.cycles[next_cycle++];
    if (c.at >= m.period_start) m.trend.push_back({c.id, c.at, open_counts});
  };
  const auto on_event = [&](const EventRow& e) {
    while (next_cycle < h.cycles.size() && !applies_before(e, h.cycles[next_cycle])) close_cycle();
    const auto row = rows.find(e.finding_id);
    if (row == rows.end()) return;
    auto& r = state[row->second];
    if (r) bucket(*r, -1); else r.emplace();
    apply(e, *r);
    bucket(*r, +1);
  };
  if (h.each_event) {
    h.each_event(on_event);
  } else {
    for (const auto& e : h.events) on_event(e);
  }
  while (next_cycle < h.cycles.size()) close_cycle();

  for (std::size_t i = 0; i < state.size(); ++i) {
    if (!state[i]) continue;
    Replay& r = *state[i];
    if (r.status == FindingStatus::resolved && !(r.resolved_at && *r.resolved_at >= m.period_start)) continue;
    FindingRow& row = h.findings[i];
    ReportFinding f{std::move(row.id), std::move(row.check_id), std::move(row.customer_id), std::move(row.subject),
                    std::move(row.title), std::move(row.remediation)};
    f.severity = r.severity;
    f.status = r.status;
    f.first_seen = row.first_seen;
    f.age = opt.as_of - row.first_seen;
    f.resolved_at = r.resolved_at;
    f.mute_reason = std::move(r.mute_reason);
    f.muted_by = std::move(r.muted_by);
    f.muted_until = r.muted_until;
    f.muted_at = r.muted_at;
    switch (f.status) {
      case FindingStatus::open: m.open.push_back(std::move(f)); break;
      case FindingStatus::muted: m.muted.push_back(std::move(f)); break;
      case FindingStatus::resolved: m.resolved.push_back(std::move(f)); break;
    }
  }
  rows.clear();  // its keys were the moved ids
  state.clear();
  state.shrink_to_fit();
  const auto by_severity = [](const ReportFinding& a, const ReportFinding& b) {
    return std::tie(b.severity, a.check_id, a.customer_id, a.subject, a.id) <
           std::tie(a.severity, b.check_id, b.customer_id, b.subject, b.id);
  };
  std::sort(m.open.begin(), m.open.end(), by_severity);
  std::sort(m.muted.begin(), m.muted.end(), by_severity);
  std::sort(m.resolved.begin(), m.resolved.end(), [](const ReportFinding& a, const ReportFinding& b) {
    return std::tie(*a.resolved_at, a.check_id, a.id) < std::tie(*b.resolved_at, b.check_id, b.id);
  });
  for (const auto& f : m.open) ++m.open_by_severity[static_cast<int>(f.severity)];
  m.muted_total = static_cast<int>(m.muted.size());
  m.resolved_in_period = static_cast<int>(m.resolved.size());

  // The last cycle at as_of: which checks were evaluated, which sources up.
  const CycleRow* last = h.cycles.empty() ? nullptr : &h.cycles.back();
  std::set<std::string> complete, disabled;
  if (last != nullptr) {
    m.last_cycle_id = last->id;
    m.last_cycle_at = last->at;
    m.last_cycle_status = last->status;
    for (const auto& s : last->sources) m.sources.push_back({s.name, s.type, s.ok});
    if (last->checks_complete) {
      complete = *last->checks_complete;
      disabled = last->checks_disabled.value_or(std::set<std::string>{});
    } else {
      // Cycles recorded before migration 4: derive from the sources' kinds.
      std::set<FactKind> missing;
      for (const auto& s : last->sources) {
        if (!s.ok) missing.insert(s.provides.begin(), s.provides.end());
      }
      for (const CheckDef* def : all_checks()) {
        if (std::none_of(def->info.needs.begin(), def->info.needs.end(),
                         [&](FactKind k) { return missing.contains(k); })) {
          complete.insert(def->info.id);
        }
      }
    }
  }
  const auto evaluated = [&](const std::string& id) { return complete.contains(id) && !disabled.contains(id); };

  // Owners and due dates, from the states of the customers with findings
  // (one extra pass over a streamed history's cursor).
  {
    std::unordered_map<std::string, OwnerFacts> facts;
    for (const auto* list : {&m.open, &m.muted, &m.resolved}) {
      for (const auto& f : *list) {
        if (!f.customer_id.empty()) facts.try_emplace(f.customer_id);
      }
    }
    const auto take = [&](const CustomerStateRow& row) {
      if (auto it = facts.find(row.customer_id); it != facts.end()) it->second = owner_facts(row);
    };
    if (!facts.empty()) {
      if (h.each_customer) {
        h.each_customer([&](CustomerStateRow&& row) { take(row); });
      } else {
        for (const auto& row : h.customers) take(row);
      }
    }
    static const std::map<std::string, Time> no_reviews;
    const auto& reviews = last != nullptr ? last->attestation_reviews : no_reviews;
    for (auto* list : {&m.open, &m.muted, &m.resolved}) {
      for (auto& f : *list) {
        auto it = f.customer_id.empty() ? facts.end() : facts.find(f.customer_id);
        assign_owner_and_due(f, it == facts.end() ? nullptr : &it->second, reviews, opt.default_owner);
      }
    }
  }

  // Checks and their status.
  std::map<std::string, std::pair<int, int>> per_check;  // open, muted
  for (const auto& f : m.open) ++per_check[f.check_id].first;
  for (const auto& f : m.muted) ++per_check[f.check_id].second;
  for (const CheckDef* def : all_checks()) {
    const auto& [o, mu] = per_check[def->info.id];
    std::string status = !evaluated(def->info.id) ? "not_evaluated" : (o + mu > 0 ? "fail" : "pass");
    m.checks.push_back({def->info.id, def->info.title, status, o, mu});
  }

  // Checklist: every line, with the checks behind it and their evidence.
  for (const auto& line : checklist_lines()) {
    ChecklistEntry e{line.page, line.item};
    bool any_evaluated = false, attested = false;
    std::set<std::string> customers;
    for (const CheckDef* def : all_checks()) {
      const auto& items = def->info.checklist_items;
      if (std::find(items.begin(), items.end(), line.item) == items.end()) continue;
      e.checks.push_back(def->info.id);
      if (!evaluated(def->info.id)) continue;
      any_evaluated = true;
      if (def->info.id == kAttestationCheck) attested = true;
    }
    auto count = [&](const std::vector<ReportFinding>& list, int& n) {
      for (const auto& f : list) {
        if (std::find(e.checks.begin(), e.checks.end(), f.check_id) == e.checks.end() || !evaluated(f.check_id) ||
            !counts_against(f, line.item)) {
          continue;
        }
        ++n;
        if (!f.customer_id.empty()) customers.insert(f.customer_id);
        if (!e.oldest || f.age > *e.oldest) e.oldest = f.age;
      }
    };
    count(m.open, e.open);
    count(m.muted, e.muted);
    e.customers = static_cast<int>(customers.size());
    if (!any_evaluated) e.status = "not_evaluated";
    else if (e.open + e.muted > 0) e.status = "fail";
    else if (attested) e.status = "attested";
    else e.status = "pass";
    m.checklist.push_back(std::move(e));
  }

  // Framework mapping, in catalogue order within each reference.
  for (const char* fw : {"SOC 2", "PCI DSS v4.0", "GDPR"}) {
    FrameworkGroup g{fw};
    std::map<std::string, std::vector<std::string>, decltype(&natural_less)> refs(&natural_less);
    for (const CheckDef* def : all_checks()) {
      for (const auto& r : def->info.frameworks) {
        if (r.framework == fw) refs[r.reference].push_back(def->info.id);
      }
    }
    for (auto& [ref, checks] : refs) g.refs.push_back({ref, std::move(checks)});
    m.frameworks.push_back(std::move(g));
  }

  // Signature failure rate per customer over the period.
  std::map<std::string, SignatureTrend> sig;
  std::map<std::int64_t, Time> cycle_at;
  for (const auto& c : h.cycles) cycle_at[c.id] = c.at;
  for (const auto& s : h.signatures) {
    if (!in_scope(s.customer_id) || !cycle_at.contains(s.cycle_id)) continue;
    const auto at = cycle_at[s.cycle_id];
    if (at < m.period_start) continue;
    const auto total = s.ok + s.fail;
    const double rate = total > 0 ? static_cast<double>(s.fail) / static_cast<double>(total) : 0.0;
    auto& t = sig[s.customer_id];
    t.customer_id = s.customer_id;
    t.points.push_back({s.cycle_id, at, rate});
    t.peak = std::max(t.peak, rate);
  }
  for (auto& [id, t] : sig) m.signature_trends.push_back(std::move(t));
  std::sort(m.signature_trends.begin(), m.signature_trends.end(), [](const SignatureTrend& a, const SignatureTrend& b) {
    return std::tie(b.peak, a.customer_id) < std::tie(a.peak, b.customer_id);
  });

  // Per customer: the counts from the findings now, the views from the
  // states (all of them, or one at a time from a streamed history's cursor).
  auto views = std::make_shared<CustomerViews>(opt.as_of);
  for (const auto& f : m.open) views->count(f);
  if (last != nullptr) {
    for (const auto& s : h.signatures) {
      if (s.cycle_id == last->id) views->last_rates.emplace(s.customer_id, std::pair{s.ok, s.fail});
    }
  }
  if (h.each_customer) {
    m.streamed_customers = h.customer_count;
    m.stream_customers = [views, each = std::move(h.each_customer), scope = opt.customer](
                             const std::function<void(const CustomerView&)>& fn) {
      each([&](CustomerStateRow&& row) {
        if (scope.empty() || row.customer_id == scope) fn(views->view(row));
      });
    };
  } else {
    for (const auto& row : h.customers) {
      if (in_scope(row.customer_id)) m.customers.push_back(views->view(row));
    }
  }
  return m;
}

void for_each_customer(const ReportModel& m, const std::function<void(const CustomerView&)>& fn) {
  if (m.stream_customers) {
    m.stream_customers(fn);
  } else {
    for (const auto& c : m.customers) fn(c);
  }
}

std::size_t customer_count(const ReportModel& m) {
  return m.stream_customers ? m.streamed_customers : m.customers.size();
}

}  // namespace complyd::report

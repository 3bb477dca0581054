#include "daemon/notify/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "daemon/util/crypto.hpp"
#include "daemon/store/state_store.hpp"
#include "model/time.hpp"

namespace complyd::notify {

namespace {

// A storage path in an idempotency key, as a hash: a path may hold a
// credential (`?token=`), and keys are listed and stored unredacted.
std::string path_ref(const std::string& storage_path) { return sha256_hex(storage_path).substr(0, 24); }

// Keys enqueued before keys hashed the path: as they were, or, where they
// held a credential, as the state store rewrote them.
bool already_enqueued(const std::set<std::string>& keys, const std::string& key, const std::string& legacy) {
  return keys.contains(key) || keys.contains(legacy) || keys.contains(outbox_key_without_credentials(legacy));
}

int rank(Severity s) { return static_cast<int>(s); }

struct Item {
  const StoredFinding* f;
  std::string event;  // new, reopened, escalated, mute ended, still open, resolved
};

std::string join(const std::vector<std::string>& v, const char* sep) { return fmt::format("{}", fmt::join(v, sep)); }

nlohmann::json digest_context(std::int64_t cycle_id, Time now, std::vector<Item> items) {
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.f->severity != b.f->severity) return rank(a.f->severity) > rank(b.f->severity);
    if (a.f->check_id != b.f->check_id) return a.f->check_id < b.f->check_id;
    if (a.f->customer_id != b.f->customer_id) return a.f->customer_id < b.f->customer_id;
    return a.f->subject < b.f->subject;
  });
  std::map<std::string, int> counts;
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& it : items) {
    ++counts[it.event];
    const std::string sev = to_string(it.f->severity);
    if (groups.empty() || groups.back()["severity"] != sev) {
      groups.push_back({{"severity", sev}, {"checks", nlohmann::json::array()}});
    }
    auto& checks = groups.back()["checks"];
    if (checks.empty() || checks.back()["check_id"] != it.f->check_id) {
      checks.push_back({{"check_id", it.f->check_id}, {"items", nlohmann::json::array()}});
    }
    checks.back()["items"].push_back({{"id", it.f->id},
                                      {"event", it.event},
                                      {"customer", it.f->customer_id.empty() ? "(integration-wide)" : it.f->customer_id},
                                      {"subject", it.f->subject},
                                      {"title", it.f->title},
                                      {"detail", it.f->detail},
                                      {"remediation", it.f->remediation}});
  }
  std::vector<std::string> parts;
  for (const char* e : {"new", "reopened", "escalated", "mute ended", "still open", "resolved"}) {
    if (counts.contains(e)) parts.push_back(fmt::format("{} {}", counts[e], e));
  }
  return {{"cycle_id", cycle_id},
          {"generated_at", format_time(now)},
          {"count", items.size()},
          {"summary", join(parts, ", ")},
          {"groups", groups}};
}

void plan_digests(const PlanInput& in, Plan& plan) {
  // Minimum severity per recipient: the lowest list it is on.
  std::map<std::string, Severity> threshold;
  for (const auto& [sev, addrs] : in.alerts.recipients) {
    for (const auto& a : addrs) {
      auto it = threshold.find(a);
      if (it == threshold.end() || rank(sev) < rank(it->second)) threshold[a] = sev;
    }
  }
  std::unordered_map<std::string, std::vector<const Transition*>> events;
  for (const auto& t : in.transitions) events[t.finding_id].push_back(&t);
  auto had = [&](const std::string& id, const char* ev) {
    auto it = events.find(id);
    if (it == events.end()) return false;
    return std::any_of(it->second.begin(), it->second.end(), [&](const Transition* t) { return t->event == ev; });
  };
  std::map<std::pair<std::string, std::string>, const AlertLedgerEntry*> ledger;
  std::unordered_map<std::string, std::vector<const AlertLedgerEntry*>> by_finding;
  for (const auto& e : in.ledger) {
    ledger[{e.finding_id, e.recipient}] = &e;
    by_finding[e.finding_id].push_back(&e);
  }

  std::map<std::string, std::vector<Item>> per_recipient;
  for (const auto& f : in.findings) {
    if (f.status == FindingStatus::resolved) {
      if (!had(f.id, "resolved")) continue;
      // Everyone alerted about it learns it is gone, whatever happened in between.
      for (const auto* e : by_finding[f.id]) {
        if (!e->active) continue;
        per_recipient[e->recipient].push_back({&f, "resolved"});
        AlertLedgerEntry u = *e;
        u.active = false;
        plan.ledger_upserts.push_back(u);
      }
      continue;
    }
    if (f.status == FindingStatus::muted) continue;  // silent until the mute ends
    for (const auto& [addr, min] : threshold) {
      if (rank(f.severity) < rank(min) && !always_alerts(f.check_id)) continue;
      auto it = ledger.find({f.id, addr});
      const AlertLedgerEntry* e = it == ledger.end() ? nullptr : it->second;
      std::string event;
      if (e == nullptr || !e->active) {
        event = had(f.id, "reopened") ? "reopened" : "new";
      } else if (had(f.id, "escalated")) {
        event = "escalated";
      } else if (had(f.id, "mute_expired")) {
        event = "mute ended";
      } else if (in.now - e->last_alerted_at >= in.alerts.repeat_interval) {
        event = "still open";
      } else {
        continue;
      }
      per_recipient[addr].push_back({&f, event});
      AlertLedgerEntry u;
      u.finding_id = f.id;
      u.recipient = addr;
      u.first_alerted_at = e != nullptr && e->active ? e->first_alerted_at : in.now;
      u.last_alerted_at = in.now;
      u.active = true;
      plan.ledger_upserts.push_back(u);
    }
  }
  // Recipients with the same items share one message.
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<Item>>> groups;
  for (auto& [addr, items] : per_recipient) {
    std::vector<std::string> sig;
    for (const auto& i : items) sig.push_back(i.f->id + "/" + i.event);
    std::sort(sig.begin(), sig.end());
    auto& g = groups[join(sig, ",")];
    g.first.push_back(addr);
    g.second = items;
  }
  for (auto& [sig, g] : groups) {
    PlannedMessage m;
    m.kind = "digest";
    m.template_name = "digest";
    m.to = g.first;
    m.key = fmt::format("digest:{}:{}", in.cycle_id, join(g.first, ","));
    m.context = digest_context(in.cycle_id, in.now, std::move(g.second));
    plan.messages.push_back(std::move(m));
  }
}

struct Candidate {
  const Customer* customer;
  const Credential* cred;
  RotationStatus st;
  std::string stage;
  int urgency;  // higher first
};

void plan_reminders(const PlanInput& in, Plan& plan) {
  const auto& r = in.reminders;
  if (!r.enabled) return;
  std::unordered_map<std::string, const Customer*> customers;
  for (const auto& c : in.customers) customers[c.id] = &c;
  std::vector<std::string> admins;
  for (const auto& [sev, addrs] : in.alerts.recipients) admins.insert(admins.end(), addrs.begin(), addrs.end());
  std::sort(admins.begin(), admins.end());
  admins.erase(std::unique(admins.begin(), admins.end()), admins.end());

  std::vector<Candidate> cands;
  for (const auto& cred : in.credentials) {
    if (cred.role != CredentialRole::current) continue;
    if (std::find(r.kinds.begin(), r.kinds.end(), cred.kind) == r.kinds.end()) continue;
    auto it = customers.find(cred.customer_id);
    if (it == customers.end() || it->second->status == CustomerStatus::offboarded) continue;
    const Customer* cust = it->second;
    const auto st = rotation_status(cred, in.rotation_limits, r.warn_before, in.now);
    const auto stage = reminder_stage(st, r, in.now);
    if (stage.empty()) continue;
    const std::string version = std::to_string(st.rotated_at->time_since_epoch().count());
    // Escalation to the admins: once per credential version, uncapped (few).
    if (r.escalate && st.stage == RotationStage::overdue && in.now - *st.due_at >= r.escalate_after &&
        !admins.empty()) {
      const auto key = fmt::format("escalation:{}:{}:{}", cust->id, path_ref(cred.storage_path), version);
      if (!already_enqueued(in.existing_keys, key,
                            fmt::format("escalation:{}:{}:{}", cust->id, cred.storage_path, version))) {
        PlannedMessage m{key, "escalation", cust->id, admins, "escalation",
                         reminder_context(*cust, cred, st, stage, in.now)};
        plan.messages.push_back(std::move(m));
      }
    }
    if (cust->admin_email.empty()) continue;
    const bool enabled = stage == "warning" ? r.warning : stage == "due" ? r.due : r.overdue;  // overdue:<n>
    if (!enabled) continue;
    if (already_enqueued(in.existing_keys,
                         fmt::format("reminder:{}:{}:{}:{}", cust->id, path_ref(cred.storage_path), version, stage),
                         fmt::format("reminder:{}:{}:{}:{}", cust->id, cred.storage_path, version, stage)))
      continue;
    const int urgency = stage == "warning" ? 0 : stage == "due" ? 1 : 2;
    cands.push_back({cust, &cred, st, stage, urgency});
  }
  std::stable_sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
    if (a.urgency != b.urgency) return a.urgency > b.urgency;
    if (a.customer->id != b.customer->id) return a.customer->id < b.customer->id;
    return a.cred->storage_path < b.cred->storage_path;
  });
  std::map<std::string, std::int64_t> per_recipient;
  std::int64_t total = 0;
  for (const auto& c : cands) {
    auto& n = per_recipient[c.customer->admin_email];
    if (n >= r.per_recipient_cap || total >= r.max_per_cycle) {
      ++plan.deferred_reminders;  // not in the outbox yet: a later cycle sends it
      continue;
    }
    ++n;
    ++total;
    const std::string version = std::to_string(c.st.rotated_at->time_since_epoch().count());
    PlannedMessage m;
    m.key = fmt::format("reminder:{}:{}:{}:{}", c.customer->id, path_ref(c.cred->storage_path), version, c.stage);
    m.kind = "reminder";
    m.customer_id = c.customer->id;
    m.to = {c.customer->admin_email};
    m.template_name = "reminder";
    m.context = reminder_context(*c.customer, *c.cred, c.st, c.stage, in.now);
    plan.messages.push_back(std::move(m));
  }
}

}  // namespace

bool always_alerts(const std::string& check_id) {
  return check_id == "source-unavailable" || check_id == "notification-delivery";
}

std::string reminder_stage(const RotationStatus& st, const RemindersConfig& r, Time now) {
  switch (st.stage) {
    case RotationStage::warning: return "warning";
    case RotationStage::due: return "due";
    case RotationStage::overdue: break;
    default: return {};
  }
  // Until the first overdue_every has passed the due reminder stands (a
  // daemon that starts late still sends "due" rather than nothing).
  const auto n = (now - *st.due_at) / r.overdue_every;
  return n == 0 ? "due" : fmt::format("overdue:{}", n);
}

Plan plan_notifications(const PlanInput& in) {
  Plan plan;
  if (!in.alerts.recipients.empty()) plan_digests(in, plan);
  plan_reminders(in, plan);
  return plan;
}

const std::vector<std::string>& rotation_steps(const std::string& kind) {
  // The platform guide's API token rotation flow (docs: reference pages).
  static const std::vector<std::string> api_token{
      "Generate a new API token in the platform's admin UI (the old token stays valid during the rotation "
      "window).",
      "Provide the new token to us through the integration's onboarding or settings flow, never by e-mail.",
      "We store the new token beside the old one; both are valid in our credential store.",
      "We switch the sync workers to the new token.",
      "We confirm that requests succeed with the new token (no 401 errors).",
      "Revoke the old token in the platform once we confirm the new one works.",
      "We remove the old token from our secrets manager, completing the rotation."};
  static const std::vector<std::string> other{
      "Issue a new value for the credential.", "Provide it through the integration's settings flow, never by e-mail.",
      "We switch to the new value and confirm it works.", "Revoke the old value; we delete our copy."};
  return kind == "api_token" ? api_token : other;
}

nlohmann::json reminder_context(const Customer& c, const Credential& cred, const RotationStatus& st,
                                const std::string& stage, Time now) {
  const std::string kind_label = cred.kind == "api_token" ? "platform API token" : cred.kind;
  nlohmann::json steps = nlohmann::json::array();
  int n = 0;
  for (const auto& s : rotation_steps(cred.kind)) steps.push_back({{"n", ++n}, {"text", s}});
  const auto due = st.due_at.value_or(now);
  const auto days_left = (due - now).count() / kSecondsPerDay;
  const auto days_over = std::max<std::int64_t>(0, (now - due).count() / kSecondsPerDay);
  std::string title, sentence, phrase;
  if (stage == "warning") {
    title = "Rotation due soon";
    phrase = fmt::format("due {}", format_time(due).substr(0, 10));
    sentence = fmt::format("The {} of {} is due for rotation in {} day(s), on {}. Please generate a new one "
                           "before then.",
                           kind_label, c.name, days_left, format_time(due).substr(0, 10));
  } else if (stage == "due") {  // the due day, or within overdue_every of it
    title = "Rotation due";
    phrase = days_over == 0 ? "due today" : fmt::format("{} day(s) overdue", days_over);
    sentence = fmt::format("The {} of {} reached its rotation date on {}. Please generate a new one now.", kind_label,
                           c.name, format_time(due).substr(0, 10));
  } else {
    title = "Rotation overdue";
    phrase = fmt::format("{} days overdue", days_over);
    sentence = fmt::format("The {} of {} is {} days past its rotation date ({}). Please generate a new one now; "
                           "an old token is a standing risk to your donor data.",
                           kind_label, c.name, days_over, format_time(due).substr(0, 10));
  }
  return {{"customer_id", c.id},
          {"customer_name", c.name.empty() ? c.id : c.name},
          {"admin_email", c.admin_email},
          {"kind", cred.kind},
          {"kind_label", kind_label},
          {"storage_path", cred.storage_path},
          {"environment", cred.environment.empty() ? c.environment : cred.environment},
          {"rotated_at", st.rotated_at ? format_time(*st.rotated_at) : "unknown"},
          {"due_at", format_time(due)},
          {"limit", st.limit ? format_duration(*st.limit) : "n/a"},
          {"stage", stage},
          {"stage_title", title},
          {"stage_sentence", sentence},
          {"due_phrase", phrase},
          {"days_overdue", days_over},
          {"steps", steps}};
}

}  // namespace complyd::notify

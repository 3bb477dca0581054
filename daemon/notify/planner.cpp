// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
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

// Mail clients drop <style> blocks and external CSS: colours travel inline.
const char* severity_colour(Severity s) {
  switch (s) {
    case Severity::critical: return "#b00020";
    case Severity::high: return "#d9480f";
    case Severity::medium: return "#b08800";
    case Severity::low: return "#1c7ed6";
    default: return "#5c677d";
  }
}

constexpr std::array<const char*, 6> kEvents{"new", "reopened", "escalated", "mute ended", "still open", "resolved"};

// "3 critical, 12 high open; 5 new, 1 resolved": what a subject line must say.
std::string headline(const std::array<int, kSeverityCount>& open, const std::map<std::string, int>& changes) {
  std::vector<std::string> sev;
  for (int s = kSeverityCount - 1; s >= 0; --s) {
    if (open[s] > 0 && sev.size() < 2) sev.push_back(fmt::format("{} {}", open[s], to_string(static_cast<Severity>(s))));
  }
  std::string out = sev.empty() ? "nothing open" : join(sev, ", ") + " open";
  std::vector<std::string> ch;
  for (const char* e : kEvents) {
    if (std::string_view(e) == "still open") continue;
    if (auto it = changes.find(e); it != changes.end()) ch.push_back(fmt::format("{} {}", it->second, e));
  }
  if (!ch.empty()) out += "; " + join(ch, ", ");
  return out;
}

// The digest: a summary a person reads in a minute (counts by severity and
// event, the top checks and customers, one line per check), then every
// finding in full. `open` counts every open finding the recipient follows.
nlohmann::json digest_context(std::int64_t cycle_id, Time now, std::vector<Item> items,
                              const std::array<int, kSeverityCount>& open) {
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.f->severity != b.f->severity) return rank(a.f->severity) > rank(b.f->severity);
    if (a.f->check_id != b.f->check_id) return a.f->check_id < b.f->check_id;
    if (a.f->customer_id != b.f->customer_id) return a.f->customer_id < b.f->customer_id;
    return a.f->subject < b.f->subject;
  });
  std::map<std::string, int> counts;
  std::map<std::pair<int, std::string>, int> by_sev_event;
  std::map<std::string, int> by_check, by_customer;
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& it : items) {
    ++counts[it.event];
    ++by_sev_event[{rank(it.f->severity), it.event}];
    ++by_check[it.f->check_id];
    if (!it.f->customer_id.empty()) ++by_customer[it.f->customer_id];
    const std::string sev = to_string(it.f->severity);
    if (groups.empty() || groups.back()["severity"] != sev) {
      groups.push_back({{"severity", sev}, {"colour", severity_colour(it.f->severity)}, {"checks", nlohmann::json::array()}});
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
  // One line per (severity, check): "12 credential-age: cust_1 a/b, ... and 9 more".
  nlohmann::json check_lines = nlohmann::json::array();
  for (const auto& g : groups) {
    for (const auto& c : g["checks"]) {
      std::vector<std::string> examples;
      std::map<std::string, int> events;
      for (const auto& i : c["items"]) {
        ++events[i["event"].get<std::string>()];
        if (examples.size() < 3) {
          const auto& cust = i["customer"].get_ref<const std::string&>();
          examples.push_back(cust.starts_with("(") ? i["subject"].get<std::string>()
                                                  : cust + " " + i["subject"].get<std::string>());
        }
      }
      const auto n = c["items"].size();
      std::vector<std::string> ev;
      for (const char* e : kEvents) {
        if (events.contains(e)) ev.push_back(fmt::format("{} {}", events[e], e));
      }
      std::string ex = join(examples, "; ");
      if (n > examples.size()) ex += fmt::format("; and {} more", n - examples.size());
      check_lines.push_back({{"severity", g["severity"]},
                             {"colour", g["colour"]},
                             {"check_id", c["check_id"]},
                             {"count", n},
                             {"events", join(ev, ", ")},
                             {"examples", ex}});
    }
  }
  nlohmann::json rows = nlohmann::json::array();
  for (int s = kSeverityCount - 1; s >= 0; --s) {
    nlohmann::json row{{"severity", to_string(static_cast<Severity>(s))},
                       {"colour", severity_colour(static_cast<Severity>(s))},
                       {"open", open[s]}};
    int any = open[s];
    for (const char* e : kEvents) {
      const int n = by_sev_event.contains({s, e}) ? by_sev_event[{s, e}] : 0;
      row[std::string(e) == "mute ended" ? "mute_ended" : std::string(e) == "still open" ? "still_open" : e] = n;
      any += n;
    }
    if (any > 0) rows.push_back(std::move(row));
  }
  auto top = [](const std::map<std::string, int>& m) {
    std::vector<std::pair<std::string, int>> v(m.begin(), m.end());
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (v.size() > 5) v.resize(5);
    std::vector<std::string> out;
    for (const auto& [k, n] : v) out.push_back(fmt::format("{} ({})", k, n));
    return join(out, ", ");
  };
  std::vector<std::string> parts;
  for (const char* e : kEvents) {
    if (counts.contains(e)) parts.push_back(fmt::format("{} {}", counts[e], e));
  }
  return {{"cycle_id", cycle_id},
          {"generated_at", format_time(now)},
          {"count", items.size()},
          {"headline", headline(open, counts)},
          {"summary", join(parts, ", ")},
          {"severity_rows", rows},
          {"top_checks", top(by_check)},
          {"top_customers", by_customer.empty() ? "none" : top(by_customer)},
          {"check_lines", check_lines},
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
  // Every open finding each recipient follows, for the digest's headline.
  std::map<std::string, std::array<int, kSeverityCount>> open_for;
  for (const auto& f : in.findings) {
    if (f.status != FindingStatus::open) continue;
    for (const auto& [addr, min] : threshold) {
      if (rank(f.severity) >= rank(min) || always_alerts(f.check_id)) ++open_for[addr][rank(f.severity)];
    }
  }
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
  // Recipients with the same items (and the same open counts) share one message.
  struct Group {
    std::vector<std::string> to;
    std::vector<Item> items;
    std::array<int, kSeverityCount> open{};
  };
  std::map<std::string, Group> groups;
  for (auto& [addr, items] : per_recipient) {
    std::vector<std::string> sig;
    for (const auto& i : items) sig.push_back(i.f->id + "/" + i.event);
    std::sort(sig.begin(), sig.end());
    const auto& open = open_for[addr];
    for (int n : open) sig.push_back(std::to_string(n));
    auto& g = groups[join(sig, ",")];
    g.to.push_back(addr);
    g.items = items;
    g.open = open;
  }
  for (auto& [sig, g] : groups) {
    PlannedMessage m;
    m.kind = "digest";
    m.template_name = "digest";
    m.to = g.to;
    m.key = fmt::format("digest:{}:{}", in.cycle_id, join(g.to, ","));
    m.context = digest_context(in.cycle_id, in.now, std::move(g.items), g.open);
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

int urgency_of(const std::string& stage) { return stage == "warning" ? 0 : stage == "due" ? 1 : 2; }

void plan_reminders(const PlanInput& in, Plan& plan) {
  const auto& r = in.reminders;
  if (!r.enabled) return;
  std::unordered_map<std::string, const Customer*> customers;
  for (const auto& c : in.customers) customers[c.id] = &c;
  std::vector<std::string> admins;
  for (const auto& [sev, addrs] : in.alerts.recipients) admins.insert(admins.end(), addrs.begin(), addrs.end());
  std::sort(admins.begin(), admins.end());
  admins.erase(std::unique(admins.begin(), admins.end()), admins.end());
  auto platform_of = [&](const std::string& id) {
    auto it = in.platforms.find(id);
    return it == in.platforms.end() ? std::string() : it->second;
  };

  // One candidate per (customer, storage path): two rows of one credential
  // (two sources, or a half-finished rotation) never make two reminders.
  std::map<std::pair<std::string, std::string>, Candidate> cands_by_cred;
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
    const auto ref = credential_ref(cust->id, cred.storage_path, *st.rotated_at);
    const auto led = in.reminded.find(ref);
    const ReminderLedgerEntry* e = led == in.reminded.end() ? nullptr : &led->second;
    // Escalation to the admins: once per credential version, uncapped (few),
    // and only once the customer had escalate_after to act on a reminder.
    // Without an address on file nobody can be reminded: escalate_after
    // counts from the due date, and the message says so.
    const bool no_address = cust->admin_email.empty();
    if (r.escalate && st.stage == RotationStage::overdue && !admins.empty() &&
        (no_address ? in.now - *st.due_at >= r.escalate_after
                    : e != nullptr && in.now - e->first_reminded_at >= r.escalate_after)) {
      const auto key = fmt::format("escalation:{}:{}:{}", cust->id, path_ref(cred.storage_path), version);
      if (!already_enqueued(in.existing_keys, key,
                            fmt::format("escalation:{}:{}:{}", cust->id, cred.storage_path, version))) {
        PlannedMessage m{key, "escalation", cust->id, admins, "escalation",
                         reminder_context(*cust, cred, st, stage, in.now, r, platform_of(cust->id), !no_address)};
        plan.messages.push_back(std::move(m));
      }
    }
    if (no_address) continue;
    const bool enabled = stage == "warning" ? r.warning : stage == "due" ? r.due : r.overdue;  // overdue:<n>
    if (!enabled) continue;
    if (already_enqueued(in.existing_keys,
                         fmt::format("reminder:{}:{}:{}:{}", cust->id, path_ref(cred.storage_path), version, stage),
                         fmt::format("reminder:{}:{}:{}:{}", cust->id, cred.storage_path, version, stage)))
      continue;
    const int urgency = urgency_of(stage);
    if (e != nullptr && e->urgency > urgency) continue;  // never step back to a milder stage
    Candidate c{cust, &cred, st, stage, urgency};
    auto [slot, inserted] = cands_by_cred.try_emplace({cust->id, cred.storage_path}, c);
    if (!inserted && urgency > slot->second.urgency) slot->second = c;
  }
  std::vector<Candidate> cands;
  for (auto& [k, c] : cands_by_cred) cands.push_back(c);
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
    m.context = reminder_context(*c.customer, *c.cred, c.st, c.stage, in.now, r, platform_of(c.customer->id));
    plan.messages.push_back(std::move(m));
    const auto ref = credential_ref(c.customer->id, c.cred->storage_path, *c.st.rotated_at);
    const auto led = in.reminded.find(ref);
    ReminderLedgerEntry u{ref, c.customer->id, in.now, c.urgency};
    if (led != in.reminded.end()) {
      u.first_reminded_at = led->second.first_reminded_at;
      u.urgency = std::max(u.urgency, led->second.urgency);
    }
    plan.reminder_upserts.push_back(std::move(u));
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

std::string mutelist_expiry_key(const MuteRule& rule) {
  return fmt::format("mutelist:{}:{}", rule.id, format_time(rule.expires));
}

namespace {

// An expired rule's owner learns it once: which findings it let go (they
// reopened this cycle and reach the digests as "mute ended") and that the
// rule can go from the file or be renewed with a new date.
void plan_mutelist_expiries(const PlanInput& in, Plan& plan) {
  std::unordered_map<std::string, const StoredFinding*> by_id;
  for (const auto& f : in.findings) by_id[f.id] = &f;
  for (const auto& rule : in.mutelist) {
    if (in.now < rule.expires) continue;
    const auto key = mutelist_expiry_key(rule);
    if (in.existing_keys.contains(key)) continue;
    const std::string actor = mutelist_actor(rule);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& t : in.transitions) {
      if (t.event != "mute_expired" || t.actor != actor) continue;
      const auto it = by_id.find(t.finding_id);
      if (it == by_id.end()) continue;
      const StoredFinding& f = *it->second;
      items.push_back({{"id", f.id},
                       {"check_id", f.check_id},
                       {"severity", to_string(f.severity)},
                       {"customer", f.customer_id.empty() ? "(integration-wide)" : f.customer_id},
                       {"subject", f.subject},
                       {"title", f.title}});
    }
    PlannedMessage m;
    m.key = key;
    m.kind = "mutelist";
    m.template_name = "mutelist";
    m.to = {rule.owner};
    m.context = {{"rule_id", rule.id},
                 {"reason", rule.reason},
                 {"check", rule.check},
                 {"customer", rule.customer},
                 {"subject", rule.subject},
                 {"expired_at", format_time(rule.expires)},
                 {"count", items.size()},
                 {"any", !items.empty()},
                 {"findings", items}};
    plan.messages.push_back(std::move(m));
  }
}

}  // namespace

Plan plan_notifications(const PlanInput& in) {
  Plan plan;
  if (!in.alerts.recipients.empty()) plan_digests(in, plan);
  plan_reminders(in, plan);
  plan_mutelist_expiries(in, plan);
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

std::string credential_ref(const std::string& customer_id, const std::string& storage_path, Time rotated_at) {
  return sha256_hex(fmt::format("{}\n{}\n{}", customer_id, storage_path, rotated_at.time_since_epoch().count()));
}

std::map<std::string, std::string> customer_platforms(const std::vector<WebhookSubscription>& webhooks) {
  std::map<std::string, std::string> out;
  std::set<std::string> mixed;
  for (const auto& w : webhooks) {
    if (w.platform.empty() || w.status == SubscriptionStatus::deleted) continue;
    auto [it, inserted] = out.try_emplace(w.customer_id, w.platform);
    if (!inserted && it->second != w.platform) mixed.insert(w.customer_id);
  }
  for (const auto& id : mixed) out.erase(id);  // several platforms: none is "the" platform
  return out;
}

namespace {

// "raise" -> "Raise", "revolv3" -> "Revolv3": how the platforms write their names.
std::string platform_name(const std::string& p) {
  if (p.empty()) return p;
  std::string out = p;
  out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// "api_token" -> "API token", "webhook_secret" -> "webhook secret".
std::string kind_words(const std::string& kind) {
  if (kind == "api_token") return "API token";
  std::string out = kind;
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

}  // namespace

nlohmann::json reminder_context(const Customer& c, const Credential& cred, const RotationStatus& st,
                                const std::string& stage, Time now, const RemindersConfig& r,
                                const std::string& platform, bool reminded) {
  const std::string environment = cred.environment.empty() ? c.environment : cred.environment;
  // "Raise production API token": what the customer's administrator calls it.
  std::string label;
  if (!platform.empty()) label += platform_name(platform) + " ";
  if (!environment.empty()) label += environment + " ";
  label += kind_words(cred.kind);
  const std::string kind_label = label;
  nlohmann::json steps = nlohmann::json::array();
  int n = 0;
  for (const auto& s : rotation_steps(cred.kind)) steps.push_back({{"n", ++n}, {"text", s}});
  const auto due = st.due_at.value_or(now);
  const auto days_left = (due - now).count() / kSecondsPerDay;
  const auto days_over = std::max<std::int64_t>(0, (now - due).count() / kSecondsPerDay);
  const std::string due_date = format_time(due).substr(0, 10);
  std::string title, sentence, phrase;
  if (stage == "warning") {
    title = "Rotation due soon";
    phrase = fmt::format("due {}", due_date);
    sentence = fmt::format("Your {} is due for rotation in {} day{}, on {}. Please generate a new one before then.",
                           kind_label, days_left, days_left == 1 ? "" : "s", due_date);
  } else if (stage == "due") {  // the due day, or within overdue_every of it
    title = "Rotation due";
    phrase = days_over == 0 ? "due today" : fmt::format("{} day{} overdue", days_over, days_over == 1 ? "" : "s");
    sentence = fmt::format("Your {} reached its rotation date on {}. Please generate a new one now.", kind_label,
                           due_date);
  } else {
    title = "Rotation overdue";
    phrase = fmt::format("{} days overdue", days_over);
    sentence = fmt::format("Your {} is {} days past its rotation date ({}). Please generate a new one now; an old "
                           "token is a standing risk to your donor data.",
                           kind_label, days_over, due_date);
  }
  nlohmann::json ctx{{"customer_id", c.id},
                     {"customer_name", c.name.empty() ? c.id : c.name},
                     {"admin_email", c.admin_email},
                     {"kind", cred.kind},
                     {"kind_label", kind_label},
                     {"platform", platform_name(platform)},
                     // The escalation goes to the partner's own admins: the path helps them act.
                     {"internal_storage_path", cred.storage_path},
                     {"environment", environment},
                     {"rotated_at", st.rotated_at ? date_only(*st.rotated_at) : "unknown"},
                     {"due_at", due_date},
                     {"limit", st.limit ? age_text(*st.limit) : "n/a"},
                     {"stage", stage},
                     {"stage_title", title},
                     {"stage_sentence", sentence},
                     {"due_phrase", phrase},
                     {"days_overdue", days_over},
                     {"reminded", reminded},
                     {"steps", steps}};
  // Customer reminders name the credential, never the partner's storage layout, unless asked to.
  if (r.show_storage_path) ctx["storage_path"] = cred.storage_path;
  if (!r.contact.empty()) ctx["contact"] = r.contact;
  return ctx;
}

}  // namespace complyd::notify

// SPDX-License-Identifier: Apache-2.0
// audit-coverage: credential lifecycle events (creation, rotation, customer
// offboarding) without an audit event, and credential reads by an actor that
// is not an allowed reader.
//
// Events are indexed once (hash maps of sorted times), so each credential is
// matched in O(log n): never all events x all credentials.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "checks/check.hpp"
#include "checks/params.hpp"
#include "checks/support.hpp"

namespace complyd {
namespace {

// Shell-style glob: '*' any run of characters, '?' one character.
bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool contains(const std::vector<std::string>& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

// Times of one kind of event, by resource and by customer: flat vectors
// sorted by (key hash, time), so building is one sort of integers and each
// lookup one binary search (no allocation per key).
class EventIndex {
 public:
  void add(const AuditEvent& e) {
    if (!e.resource.empty()) by_resource_.push_back({hash(e.resource), e.at, e.resource});
    if (!e.customer_id.empty()) by_customer_.push_back({hash(e.customer_id), e.at, e.customer_id});
  }
  void reserve(std::size_t n) {
    by_resource_.reserve(n);
    by_customer_.reserve(n);
  }
  void sort() {
    for (auto* v : {&by_resource_, &by_customer_}) std::sort(v->begin(), v->end(), before);
  }
  // An event for the credential's storage path, or for its customer, within tol of t.
  bool covers(const Credential& c, Time t, Duration tol) const {
    return near(by_resource_, c.storage_path, t, tol) || near(by_customer_, c.customer_id, t, tol);
  }

 private:
  struct Entry {
    std::size_t key;
    Time at;
    std::string_view name;
  };
  static std::size_t hash(std::string_view s) { return std::hash<std::string_view>{}(s); }
  static bool before(const Entry& a, const Entry& b) { return a.key != b.key ? a.key < b.key : a.at < b.at; }
  static bool near(const std::vector<Entry>& v, std::string_view name, Time t, Duration tol) {
    if (name.empty()) return false;
    const std::size_t key = hash(name);
    // Entries of colliding names interleave by time: compare names within the range.
    for (auto it = std::lower_bound(v.begin(), v.end(), Entry{key, t - tol, {}}, before);
         it != v.end() && it->key == key && it->at <= t + tol; ++it) {
      if (it->name == name) return true;
    }
    return false;
  }
  std::vector<Entry> by_resource_, by_customer_;
};

struct Reads {
  std::int64_t count = 0;
  Time first = Time::max(), last = Time::min();
  std::vector<std::string_view> resources;  // the first few distinct ones
};

// "once, on T" or "N times between T1 and T2".
std::string when_read(const Reads& r) {
  return r.count == 1 ? "once, on " + format_time(r.first)
                      : fmt::format("{} times between {} and {}", r.count, format_time(r.first), format_time(r.last));
}

void add_read_evidence(Finding& f, const std::string& actor, const Reads& r) {
  f.evidence.emplace_back("actor", actor);
  f.evidence.emplace_back("reads", std::to_string(r.count));
  f.evidence.emplace_back("first_read", format_time(r.first));
  f.evidence.emplace_back("last_read", format_time(r.last));
  std::string resources;
  for (auto res : r.resources) resources += (resources.empty() ? "" : ", ") + std::string(res);
  f.evidence.emplace_back("resources", resources);
}

std::vector<Finding> evaluate(const CheckContext& ctx, const AuditCoverageParams& params) {
  std::vector<Finding> out;
  const auto& create_actions = params.create_actions;
  const auto& rotate_actions = params.rotate_actions;
  const auto& offboard_actions = params.offboard_actions;
  const auto& read_actions = params.read_actions;
  const auto& allowed_readers = params.allowed_readers;
  const Duration tol = params.match_tolerance;
  const Severity gap_severity = std::min(ctx.severity, Severity::medium);

  auto finding = [&](std::string customer, std::string subject, std::string title, std::string detail,
                     std::string remediation) {
    Finding f;
    f.severity = gap_severity;
    f.customer_id = std::move(customer);
    f.subject = std::move(subject);
    f.title = std::move(title);
    f.detail = std::move(detail);
    f.remediation = std::move(remediation);
    return f;
  };

  // A secrets store that audits nothing: reads of every token it holds go unrecorded.
  for (const auto& st : ctx.facts.secret_stores) {
    if (st.checked && st.audit_enabled) continue;
    const std::string subject = st.source + ":sys/audit";
    if (!st.checked) {
      auto f = finding("", subject, "secret store audit devices unknown",
                       fmt::format("complyd could not read the audit devices of the secrets store {} (source {}), "
                                   "so nobody can tell whether credential reads there are audited.",
                                   st.store, st.source),
                       "Grant complyd's policy \"read\" and \"sudo\" on sys/audit (or check the audit devices by "
                       "hand and disable check_audit_devices for this source).");
      out.push_back(std::move(f));
      continue;
    }
    auto f = finding("", subject, "secret store without an audit device",
                     fmt::format("The secrets store {} (source {}) has no audit device enabled, so no read, "
                                 "rotation or deletion of the credentials it holds is recorded.",
                                 st.store, st.source),
                     "Enable an audit device (e.g. 'vault audit enable file file_path=/var/log/vault/audit.log', "
                     "better two, one shipping to a separate log store) and alert when it stops.");
    f.severity = ctx.severity;
    f.evidence.emplace_back("store", st.store);
    out.push_back(std::move(f));
  }

  bool any_offboarded = false;
  for (const auto& c : ctx.facts.customers) any_offboarded |= c.status == CustomerStatus::offboarded;
  if (ctx.facts.audit_events.empty()) {
    if (!ctx.facts.credentials.empty() || any_offboarded) {
      auto f = finding("", "audit:events", "no audit events recorded",
                       fmt::format("The inventory holds {} credential(s) but not a single audit event, so no "
                                   "credential creation, rotation, read or offboarding can be traced.",
                                   ctx.facts.credentials.size()),
                       "Make the credential store and the onboarding/offboarding procedures write audit events "
                       "(actor, action, resource, time) to a separate, tamper-resistant audit log, and feed it "
                       "to complyd.");
      f.evidence.emplace_back("credentials", std::to_string(ctx.facts.credentials.size()));
      out.push_back(std::move(f));
    }
    return out;
  }

  // One pass over the events: indexes, the audit log's horizon and reads.
  EventIndex created, rotated;
  std::unordered_set<std::string_view> offboard_recorded;
  std::unordered_map<std::string_view, bool> reader_allowed;
  std::map<std::pair<std::string_view, std::string_view>, Reads> foreign_reads;  // (customer, actor)
  std::map<std::pair<std::string_view, std::string_view>, Reads> unscoped_reads;  // (customer, actor)
  // The latest read of each storage path and of each customer (an event for
  // the credential's path or its customer covers it, as for creation).
  std::unordered_map<std::string_view, Time> last_read_of_path, last_read_of_customer;
  // Reader -> the customers it is scoped to (readers without rows: unscoped).
  std::unordered_map<std::string_view, std::unordered_set<std::string_view>> scopes;
  for (const auto& s : ctx.facts.reader_scopes) scopes[s.reader].insert(s.customer_id);
  auto record = [](Reads& r, const AuditEvent& e) {
    ++r.count;
    r.first = std::min(r.first, e.at);
    r.last = std::max(r.last, e.at);
    if (r.resources.size() < 3 &&
        std::find(r.resources.begin(), r.resources.end(), e.resource) == r.resources.end()) {
      r.resources.push_back(e.resource);
    }
  };
  Time horizon = Time::max();  // the oldest event the audit log still holds
  // Reads are incidents, judged once: those after the newest event a
  // committed cycle judged (all of them on a first run).
  const auto wm = ctx.facts.judged_through.find(kAuditEventsStream);
  const bool has_watermark = wm != ctx.facts.judged_through.end();
  const std::int64_t judged_through = has_watermark ? wm->second : 0;
  auto unjudged = [&](Time t) {
    return !has_watermark || floor_div(t.time_since_epoch().count(), 60) > judged_through;
  };
  {
    // Sized exactly: grown by doubling, the indexes of 650k events would
    // briefly need up to three times their size.
    std::size_t n_created = 0, n_rotated = 0;
    for (const auto& e : ctx.facts.audit_events) {
      n_created += contains(create_actions, e.action);
      n_rotated += contains(rotate_actions, e.action);
    }
    created.reserve(n_created);
    rotated.reserve(n_rotated);
  }
  for (const auto& e : ctx.facts.audit_events) {
    horizon = std::min(horizon, e.at);
    if (contains(create_actions, e.action)) created.add(e);
    if (contains(rotate_actions, e.action)) rotated.add(e);
    if (contains(offboard_actions, e.action)) offboard_recorded.insert(e.customer_id);
    if (contains(read_actions, e.action)) {
      for (auto [index, key] : {std::pair{&last_read_of_path, std::string_view(e.resource)},
                                std::pair{&last_read_of_customer, std::string_view(e.customer_id)}}) {
        if (key.empty()) continue;
        auto [it, fresh] = index->try_emplace(key, e.at);
        if (!fresh) it->second = std::max(it->second, e.at);
      }
      // Who read what happened once: judged in the first cycle that sees it.
      if (!unjudged(e.at)) continue;
      if (auto s = scopes.find(e.actor); s != scopes.end() && !s->second.contains(e.customer_id)) {
        record(unscoped_reads[{e.customer_id, e.actor}], e);
      }
      auto [it, inserted] = reader_allowed.try_emplace(e.actor, false);
      if (inserted) {
        it->second = std::any_of(allowed_readers.begin(), allowed_readers.end(),
                                 [&](const std::string& p) { return glob_match(p, e.actor); });
      }
      if (it->second) continue;
      record(foreign_reads[{e.customer_id, e.actor}], e);
    }
  }
  created.sort();
  rotated.sort();
  // The log no longer holds the newest event the last judging cycle saw:
  // whatever was recorded after it and deleted before this cycle was never
  // judged (the daemon was down longer than the log keeps events).
  if (has_watermark && horizon != Time::max() &&
      floor_div(horizon.time_since_epoch().count(), 60) > judged_through) {
    const Time from = minute_start(judged_through + 1);
    auto f = finding("", "audit:unjudged:" + format_time(from), "audit events possibly deleted unjudged",
                     fmt::format("The audit log's oldest event is from {}, but complyd last judged events up to {}: "
                                 "reads of credentials by the wrong actor recorded in the {} between them, and "
                                 "deleted before this cycle, went unseen.",
                                 format_time(horizon), format_time(from), format_duration(horizon - from)),
                     "Keep audit events longer than the longest time complyd may be down (retention-window's "
                     "audit_log_min), and review that period in the audit log's archive by hand.");
    f.severity = ctx.severity;
    f.evidence.emplace_back("judged_through", format_time(from));
    f.evidence.emplace_back("oldest_event", format_time(horizon));
    out.push_back(std::move(f));
  }
  // A lifecycle moment is judged only if its audit event would still be held.
  auto judged = [&](Time t) { return t - tol >= horizon && !dated_in_future(t, ctx.now); };

  for (const auto& c : ctx.facts.credentials) {
    if (!c.created_at) continue;  // credential-age reports credentials of unknown age
    if (judged(*c.created_at) && !created.covers(c, *c.created_at, tol)) {
      const std::string path = credential_subject(c);
      auto f = finding(c.customer_id, "audit:created:" + path, fmt::format("{} creation not audited", c.kind),
                       fmt::format("The {} {} at {} was created on {} but the audit log has no {} event for it "
                                   "within {} of that time.",
                                   to_string(c.role), c.kind, path, format_time(*c.created_at),
                                   fmt::join(create_actions, "/"), format_duration(tol)),
                       "Make the credential store write an audit event (actor, action, resource, time) for every "
                       "credential it creates, and record this creation after the fact with its source.");
      f.evidence.emplace_back("kind", c.kind);
      f.evidence.emplace_back("created_at", format_time(*c.created_at));
      out.push_back(std::move(f));
    }
    if (c.rotated_at && *c.rotated_at > *c.created_at && judged(*c.rotated_at) &&
        !rotated.covers(c, *c.rotated_at, tol)) {
      const std::string path = credential_subject(c);
      auto f = finding(c.customer_id, "audit:rotated:" + path, fmt::format("{} rotation not audited", c.kind),
                       fmt::format("The {} {} at {} was rotated on {} but the audit log has no {} event for it "
                                   "within {} of that time.",
                                   to_string(c.role), c.kind, path, format_time(*c.rotated_at),
                                   fmt::join(rotate_actions, "/"), format_duration(tol)),
                       "Make the rotation procedure write a rotation audit event (as the reference rotation helper "
                       "does: audit.log({customerId, action: 'token_rotated'})), and record this rotation after "
                       "the fact.");
      f.evidence.emplace_back("kind", c.kind);
      f.evidence.emplace_back("rotated_at", format_time(*c.rotated_at));
      out.push_back(std::move(f));
    }
  }

  // Used since its last rotation, but no read of it recorded since then:
  // every read of a customer's token should be logged. Judged only if the
  // audit log still holds the time of the rotation.
  for (const auto& c : ctx.facts.credentials) {
    if (!c.last_used_at) continue;
    const std::optional<Time> since = c.rotated_at ? c.rotated_at : c.created_at;
    if (!since || *c.last_used_at < *since || !judged(*since) || !judged(*c.last_used_at)) continue;
    const auto read_since = [&](const auto& index, std::string_view key) {
      auto it = index.find(key);
      return it != index.end() && it->second >= *since - tol;
    };
    if (read_since(last_read_of_path, c.storage_path) || read_since(last_read_of_customer, c.customer_id)) continue;
    const std::string path = credential_subject(c);
    auto f = finding(c.customer_id, "audit:read:" + path, fmt::format("{} read not audited", c.kind),
                     fmt::format("The {} {} at {} was last used on {} but the audit log has no {} event for it "
                                 "since its {} on {}.",
                                 to_string(c.role), c.kind, path, format_time(*c.last_used_at),
                                 fmt::join(read_actions, "/"), c.rotated_at ? "rotation" : "creation",
                                 format_time(*since)),
                     "Make the credential store write an audit event (actor, action, resource, time) for every read "
                     "of a customer's credential, as Vault's audit device or CloudTrail's GetSecretValue do.");
    f.evidence.emplace_back("kind", c.kind);
    f.evidence.emplace_back("last_used_at", format_time(*c.last_used_at));
    f.evidence.emplace_back(c.rotated_at ? "rotated_at" : "created_at", format_time(*since));
    out.push_back(std::move(f));
  }

  for (const auto& c : ctx.facts.customers) {
    if (c.status != CustomerStatus::offboarded || offboard_recorded.contains(c.id)) continue;
    if (c.offboarded_at && !judged(*c.offboarded_at)) continue;
    auto f = finding(c.id, "audit:offboarded", "offboarding not audited",
                     fmt::format("Customer {} is offboarded{} but the audit log has no {} event recording when, by "
                                 "whom and why.",
                                 c.id, c.offboarded_at ? " since " + date_only(*c.offboarded_at) : std::string(),
                                 fmt::join(offboard_actions, "/")),
                     "Write the offboarding audit record (time, actor, reason) and make the offboarding procedure "
                     "emit it.");
    if (c.offboarded_at) f.evidence.emplace_back("offboarded_at", format_time(*c.offboarded_at));
    out.push_back(std::move(f));
  }

  for (const auto& [key, r] : foreign_reads) {
    const auto& [customer, actor] = key;
    const std::string who = actor.empty() ? std::string("(no actor)") : std::string(actor);
    auto f = finding(std::string(customer), "reader:" + who, "credential read by an actor outside the allowed readers",
                     fmt::format("{} read credentials{} {}, but only {} may read credentials; a human or "
                                 "unfamiliar service holding a customer's token is a potential compromise.",
                                 who, customer.empty() ? std::string() : " of customer " + std::string(customer),
                                 when_read(r),
                                 fmt::join(allowed_readers, ", ")),
                     "Find out why this actor read the credential; if it was not an approved break-glass access, "
                     "rotate the credential now and remove the actor's read permission (only the production sync "
                     "workers should be able to read tokens).");
    f.severity = ctx.severity;
    add_read_evidence(f, who, r);
    out.push_back(std::move(f));
  }

  // A reader scoped to some customers read another customer's credential.
  for (const auto& [key, r] : unscoped_reads) {
    const auto& [customer, actor] = key;
    const auto& scoped = scopes.at(actor);
    std::vector<std::string_view> list(scoped.begin(), scoped.end());
    std::sort(list.begin(), list.end());
    auto f = finding(std::string(customer), "reader-scope:" + std::string(actor),
                     "credential read outside the reader's customer scope",
                     fmt::format("{} read credentials of customer {} {}, but it is scoped to {} only; the submitter "
                                 "for one customer must not read another customer's token.",
                                 actor, customer.empty() ? std::string("(none)") : std::string(customer),
                                 when_read(r),
                                 fmt::join(list, ", ")),
                     "Find out why this reader read another customer's credential; rotate that credential and "
                     "restrict the reader's policy to the customers it serves (or correct its scope in the "
                     "inventory's reader_scopes).");
    f.severity = ctx.severity;
    add_read_evidence(f, std::string(actor), r);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

const CheckDef& audit_coverage_check() {
  static const CheckDef def = make_check<AuditCoverageParams>(
      CheckInfo{
          .id = "audit-coverage",
          .title = "Credential lifecycle and access audited",
          .default_severity = Severity::high,
          .checklist_items = {"Audit logs for all credential access and customer lifecycle events",
                              "Log all credential lifecycle events and API actions",
                              "Production access controlled by IAM/RBAC; developers don’t have direct production "
                              "access"},
          .rationale = "Every credential read, rotation and customer offboarding should produce an audit entry, "
                       "and only the production sync workers should read tokens; without the entries a compromise "
                       "cannot be traced, and a read by anyone else is an anomaly to alert on.",
          .remediation = "Emit audit events from the credential store and the lifecycle procedures, and restrict "
                         "credential reads to the sync workers.",
          .frameworks = {{"SOC 2", "CC6.1"},
                         {"SOC 2", "CC7.2"},
                         {"PCI DSS v4.0", "10.2.1"},
                         {"PCI DSS v4.0", "10.2.1.5"},
                         {"GDPR", "Art. 32"}},
          .needs = {FactKind::customers, FactKind::credentials, FactKind::audit_events, FactKind::secret_stores},
          .incident_prefixes = {"reader:", "reader-scope:", "audit:unjudged:"},
      },
      {{.name = "create_actions",
        .member = &AuditCoverageParams::create_actions,
        .description = "Audit event actions that record a credential's creation"},
       {.name = "rotate_actions",
        .member = &AuditCoverageParams::rotate_actions,
        .description = "Audit event actions that record a credential's rotation"},
       {.name = "offboard_actions",
        .member = &AuditCoverageParams::offboard_actions,
        .description = "Audit event actions that record a customer's offboarding"},
       {.name = "read_actions",
        .member = &AuditCoverageParams::read_actions,
        .description = "Audit event actions that record a credential read"},
       {.name = "allowed_readers",
        .member = &AuditCoverageParams::allowed_readers,
        .description = "Glob patterns ('*', '?') of the actors allowed to read credentials"},
       {.name = "match_tolerance",
        .member = &AuditCoverageParams::match_tolerance,
        .description = "How far an audit event's time may be from the credential's creation or rotation time",
        .min = 0}},
      evaluate);
  return def;
}

std::optional<std::int64_t> audit_events_judged_through(const std::vector<AuditEvent>& events, Time now) {
  std::optional<Time> newest;
  for (const auto& e : events) {
    if (!dated_in_future(e.at, now) && (!newest || e.at > *newest)) newest = e.at;
  }
  if (!newest) return std::nullopt;
  return floor_div(newest->time_since_epoch().count(), 60);
}

}  // namespace complyd

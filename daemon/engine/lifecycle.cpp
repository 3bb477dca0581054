// SPDX-License-Identifier: Apache-2.0
#include "daemon/engine/lifecycle.hpp"

#include <fmt/format.h>

#include <unordered_set>

#include "checks/registry.hpp"
#include "daemon/util/crypto.hpp"

namespace complyd {

std::string finding_id(const std::string& check_id, const std::string& customer_id, const std::string& subject) {
  std::string key = check_id;
  key.push_back('\0');
  key += customer_id;
  key.push_back('\0');
  key += subject;
  return "F" + sha256_hex(key).substr(0, 15);
}

namespace {

bool mute_expired(const StoredFinding& f, Time now) {
  return f.status == FindingStatus::muted && f.muted_until && *f.muted_until <= now;
}

bool same_but_last_seen(const StoredFinding& a, const StoredFinding& b) {
  return a.status == b.status && a.severity == b.severity && a.first_seen == b.first_seen &&
         a.resolved_at == b.resolved_at && a.muted_until == b.muted_until && a.check_id == b.check_id &&
         a.customer_id == b.customer_id && a.subject == b.subject && a.title == b.title && a.detail == b.detail &&
         a.remediation == b.remediation && a.evidence_json == b.evidence_json && a.mute_reason == b.mute_reason &&
         a.muted_by == b.muted_by && a.id == b.id;
}

void clear_mute(StoredFinding& f) {
  f.mute_reason.reset();
  f.muted_by.reset();
  f.muted_until.reset();
}

// A rule's mute ends in the rule's name, so the history says which rule it was.
std::string expiry_actor(const StoredFinding& f) {
  return mutelist_rule_id(f.muted_by.value_or("")) ? *f.muted_by : std::string();
}

// As the report replays a mute event: "<reason> (until <time>)".
std::string rule_mute_reason(const MuteRule& r) {
  return fmt::format("{} (rule {}, owner {}) (until {})", r.reason, r.id, r.owner, format_time(r.expires));
}

}  // namespace

bool apply_mutelist(StoredFinding& f, const Mutelist& mutelist, Time now, std::vector<Transition>& out) {
  bool changed = false;
  if (f.status == FindingStatus::muted) {
    const auto rule_id = mutelist_rule_id(f.muted_by.value_or(""));
    if (!rule_id) return false;  // a person's mute
    const MuteRule* r = find_rule(mutelist, *rule_id);
    if (r != nullptr && now < r->expires && rule_matches(*r, f.check_id, f.customer_id, f.subject)) {
      if (f.mute_reason == r->reason && f.muted_until == r->expires) return false;
      // The rule's terms changed (reason, a later or earlier expiry): recorded again.
      out.push_back({f.id, "muted", FindingStatus::muted, FindingStatus::muted, f.severity, rule_mute_reason(*r),
                     mutelist_actor(*r)});
      f.mute_reason = r->reason;
      f.muted_until = r->expires;
      return true;
    }
    out.push_back({f.id, "unmuted", FindingStatus::muted, FindingStatus::open, f.severity,
                   fmt::format("mutelist rule {} no longer covers this finding", *rule_id),
                   std::string(kMutelistActorPrefix) + *rule_id});
    f.status = FindingStatus::open;
    clear_mute(f);
    changed = true;
  }
  if (f.status != FindingStatus::open) return changed;
  const MuteRule* r = matching_rule(mutelist, f.check_id, f.customer_id, f.subject, now);
  if (r == nullptr) return changed;
  out.push_back({f.id, "muted", FindingStatus::open, FindingStatus::muted, f.severity, rule_mute_reason(*r),
                 mutelist_actor(*r)});
  f.status = FindingStatus::muted;
  f.mute_reason = r->reason;
  f.muted_by = mutelist_actor(*r);
  f.muted_until = r->expires;
  return true;
}

LifecycleResult apply_lifecycle(const std::unordered_map<std::string, StoredFinding>& stored,
                                std::vector<Observed> observed, const std::set<std::string>& complete_checks,
                                const std::set<std::string>& disabled_checks, Time now,
                                const Mutelist& mutelist) {
  LifecycleResult r;
  std::unordered_set<std::string_view> seen;
  seen.reserve(observed.size());
  r.changed.reserve(observed.size());
  r.only_last_seen.reserve(observed.size());

  for (auto& o : observed) {
    if (!seen.insert(o.id).second) continue;  // a check reported the same subject twice
    Finding& f = o.finding;  // its texts are moved, not copied: 86k findings at 100k customers
    auto it = stored.find(o.id);
    StoredFinding s;
    if (it == stored.end()) {
      s.id = o.id;
      s.first_seen = now;
      s.status = FindingStatus::open;
      r.transitions.push_back({o.id, "opened", std::nullopt, FindingStatus::open, f.severity, ""});
      ++r.opened;
    } else {
      // The stored state, without its texts: this cycle's replace them (a
      // copy of 86k findings' texts only to overwrite them costs a second).
      const StoredFinding& old = it->second;
      s.id = old.id;
      s.severity = old.severity;
      s.status = old.status;
      s.first_seen = old.first_seen;
      s.last_seen = old.last_seen;
      s.resolved_at = old.resolved_at;
      s.mute_reason = old.mute_reason;
      s.muted_by = old.muted_by;
      s.muted_until = old.muted_until;
      if (s.status == FindingStatus::resolved) {
        s.status = FindingStatus::open;
        s.resolved_at.reset();
        clear_mute(s);
        r.transitions.push_back({o.id, "reopened", FindingStatus::resolved, FindingStatus::open, f.severity, ""});
        ++r.reopened;
      } else if (mute_expired(s, now)) {
        r.transitions.push_back({o.id, "mute_expired", FindingStatus::muted, FindingStatus::open, f.severity,
                                 s.mute_reason.value_or(""), expiry_actor(s)});
        s.status = FindingStatus::open;
        clear_mute(s);
        ++r.mute_expired;
      }
      if (f.severity != s.severity && s.status != FindingStatus::resolved) {
        const bool up = static_cast<int>(f.severity) > static_cast<int>(s.severity);
        r.transitions.push_back({o.id, up ? "escalated" : "deescalated", s.status, s.status, f.severity,
                                 std::string("was ") + to_string(s.severity)});
      }
    }
    s.check_id = std::move(f.check_id);
    s.severity = f.severity;
    s.customer_id = std::move(f.customer_id);
    s.subject = std::move(f.subject);
    s.title = std::move(f.title);
    s.detail = std::move(f.detail);
    s.remediation = std::move(f.remediation);
    s.evidence_json = std::move(o.evidence_json);
    s.last_seen = now;
    apply_mutelist(s, mutelist, now, r.transitions);
    const bool same = it != stored.end() && same_but_last_seen(s, it->second);
    r.changed.push_back(std::move(s));
    r.only_last_seen.push_back(same ? 1 : 0);
  }

  for (const auto& [id, s0] : stored) {
    if (s0.status == FindingStatus::resolved || seen.contains(id)) continue;
    const bool disabled = disabled_checks.contains(s0.check_id);
    // An incident happened: not seeing it again does not undo it. It stays
    // until acknowledged (StateStore::ack), or its check is disabled.
    const bool expires = disabled || finding_kind(s0.check_id, s0.subject) == FindingKind::state;
    if (complete_checks.contains(s0.check_id) && expires) {
      StoredFinding s = s0;
      r.transitions.push_back({id, "resolved", s.status, FindingStatus::resolved, s.severity,
                               disabled ? "check disabled" : "not seen in a complete cycle"});
      s.status = FindingStatus::resolved;
      s.resolved_at = now;
      clear_mute(s);
      ++r.resolved;
      r.changed.push_back(std::move(s));
      r.only_last_seen.push_back(0);
    } else if (!expires && complete_checks.contains(s0.check_id) && !mute_expired(s0, now)) {
      // An incident kept as it is: listed so the cycle's current findings
      // hold it (a check that ran hands on only its changed rows).
      StoredFinding s = s0;
      const bool muted_now = apply_mutelist(s, mutelist, now, r.transitions);
      r.changed.push_back(std::move(s));
      r.only_last_seen.push_back(muted_now ? 0 : 1);
    } else if (mute_expired(s0, now)) {
      // Blind for this check, but a mute's end is a matter of time alone.
      StoredFinding s = s0;
      r.transitions.push_back({id, "mute_expired", FindingStatus::muted, FindingStatus::open, s.severity,
                               s.mute_reason.value_or(""), expiry_actor(s)});
      s.status = FindingStatus::open;
      clear_mute(s);
      ++r.mute_expired;
      apply_mutelist(s, mutelist, now, r.transitions);
      r.changed.push_back(std::move(s));
      r.only_last_seen.push_back(0);
    } else if (!mutelist.empty() || mutelist_rule_id(s0.muted_by.value_or(""))) {
      // Blind for this check: the rules are a matter of the file alone.
      // (Without rules and rule mutes nothing can change: no copy.)
      StoredFinding s = s0;
      if (apply_mutelist(s, mutelist, now, r.transitions)) {
        r.changed.push_back(std::move(s));
        r.only_last_seen.push_back(0);
      }
    }
  }
  return r;
}

}  // namespace complyd

// SPDX-License-Identifier: Apache-2.0
// Which e-mails a cycle causes, as a pure function of the cycle's
// transitions, the findings, the customers' credentials, the ledgers and the
// configuration. No I/O, no clock: the outbox module feeds it and stores the
// result in the cycle's transaction.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checks/rotation.hpp"
#include "daemon/config/config.hpp"
#include "daemon/engine/lifecycle.hpp"

namespace complyd::notify {

// One (finding, recipient) pair that was alerted.
struct AlertLedgerEntry {
  std::string finding_id;
  std::string recipient;
  Time first_alerted_at{};
  Time last_alerted_at{};
  bool active = true;  // false once the resolution was announced
};

// A credential version a customer was reminded about (reminder_ledger).
struct ReminderLedgerEntry {
  std::string credential_ref;  // credential_ref(): a hash, never the storage path
  std::string customer_id;
  Time first_reminded_at{};
  int urgency = 0;  // most urgent stage sent: 0 warning, 1 due, 2 overdue
};

// The ledger's key for one version of one credential.
std::string credential_ref(const std::string& customer_id, const std::string& storage_path, Time rotated_at);

struct PlanInput {
  std::int64_t cycle_id = 0;
  Time now{};
  std::vector<Transition> transitions;   // this cycle's
  std::vector<StoredFinding> findings;   // state after the cycle (open, muted, resolved this cycle)
  std::vector<Customer> customers;
  std::vector<Credential> credentials;   // current credentials of the reminder kinds
  DurationMap rotation_limits;           // credential-age's max_age: one due date for both
  std::vector<AlertLedgerEntry> ledger;
  std::set<std::string> existing_keys;   // idempotency keys of reminders/escalations already enqueued
  std::map<std::string, ReminderLedgerEntry> reminded;  // by credential_ref
  std::map<std::string, std::string> platforms;          // customer id -> platform (raise, virtuous, ...)
  AlertsConfig alerts;
  RemindersConfig reminders;
  Mutelist mutelist;  // the rules now: an expired one tells its owner once
};

struct PlannedMessage {
  std::string key;       // idempotency key
  std::string kind;      // digest | reminder | escalation | mutelist
  std::string customer_id;
  std::vector<std::string> to;
  std::string template_name;  // digest | reminder | escalation | mutelist
  nlohmann::json context;
};

struct Plan {
  std::vector<PlannedMessage> messages;
  std::vector<AlertLedgerEntry> ledger_upserts;
  std::vector<ReminderLedgerEntry> reminder_upserts;
  int deferred_reminders = 0;  // over a cap: enqueued by a later cycle
};

// Checks whose findings reach every alert recipient whatever the severity.
bool always_alerts(const std::string& check_id);

Plan plan_notifications(const PlanInput& in);

// The reminder stage of a credential now: "warning", "due", "overdue:<n>",
// or empty when no reminder applies. Built on rotation_status().
std::string reminder_stage(const RotationStatus& st, const RemindersConfig& r, Time now);

// The idempotency key of a mutelist rule's expiry notice: one per rule and
// expiry (a rule extended and expiring again is told again).
std::string mutelist_expiry_key(const MuteRule& rule);

// The rotation steps the reminders quote (the platform guide's rotation flow).
const std::vector<std::string>& rotation_steps(const std::string& kind);

// Context for the reminder and escalation templates (also used by preview).
// `platform` may be empty (unknown); `reminded`: whether the customer was
// reminded before (an escalation says so, or that no address is on file).
nlohmann::json reminder_context(const Customer& c, const Credential& cred, const RotationStatus& st,
                                const std::string& stage, Time now, const RemindersConfig& r,
                                const std::string& platform, bool reminded = true);

// The platform of each customer, when its webhook subscriptions name one.
std::map<std::string, std::string> customer_platforms(const std::vector<WebhookSubscription>& webhooks);

}  // namespace complyd::notify

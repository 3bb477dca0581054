// SPDX-License-Identifier: Apache-2.0
// The outbox in the state database: messages are enqueued inside the
// cycle's IMMEDIATE transaction (OutboxParticipant), delivered by the
// notifier, and listed or requeued by `complyd notify`.
#pragma once

#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/engine/cycle_sink.hpp"
#include "daemon/util/sqlite.hpp"
#include "model/finding.hpp"

namespace complyd::notify {

// What the reminder planner needs from the facts, taken before the cycle
// drops its snapshot: customers and current credentials of reminder kinds.
struct ReminderFacts {
  std::vector<Customer> customers;
  std::vector<Credential> credentials;
  std::map<std::string, std::string> platforms;  // customer id -> platform
};
ReminderFacts reminder_facts(const Facts& facts, const Config& config);

// Dead messages for the notification-delivery check.
OutboxHealth outbox_health(sql::Db& db);

// Plans, renders and inserts this cycle's messages and updates the alert
// ledger. Call inside the cycle's transaction. Returns messages enqueued.
int enqueue_cycle(const Config& config, sql::Db& db, std::int64_t cycle_id, Time now,
                  const std::vector<Transition>& transitions, const std::vector<StoredFinding>& changed,
                  const std::unordered_map<std::string, StoredFinding>& stored, const ReminderFacts& facts);

// The cycle's Alertmanager alerts and webhook batches ([notify]), in the
// cycle's transaction, with the alert ledger's changes. Returns messages enqueued.
int enqueue_channels(const Config& config, sql::Db& db, std::int64_t cycle_id, Time now,
                     const std::vector<Transition>& transitions, const std::vector<StoredFinding>& changed,
                     const std::unordered_map<std::string, StoredFinding>& stored);

// Enqueues the report to every [alerts] recipient, once per key (e.g. one per
// report date), in its own IMMEDIATE transaction. Returns false when the key
// was already enqueued; throws std::runtime_error without recipients.
bool enqueue_report(const Config& config, sql::Db& db, const std::string& key, const std::string& subject,
                    const std::string& text, const std::string& html, Time now);

struct OutboxRow {
  std::int64_t id = 0;
  std::string key, kind, customer_id, recipients, subject, message_id, status, last_reply;
  std::int64_t attempts = 0;
  Time next_attempt_at{}, expires_at{}, created_at{};
  std::optional<Time> sent_at;
  std::string message;  // only filled by due()
};

std::vector<OutboxRow> list_outbox(sql::Db& db, const std::vector<std::string>& statuses, std::int64_t limit);
// Requeues a dead or failed message; throws std::runtime_error with a message for the CLI.
OutboxRow retry_message(sql::Db& db, std::int64_t id, Time now, const SmtpConfig& smtp);
OutboxRow retry_message(sql::Db& db, std::int64_t id, Time now, const Config& config);

// Marks messages past their expiry dead; returns how many.
int expire_messages(sql::Db& db, Time now);
std::vector<OutboxRow> due_messages(sql::Db& db, Time now, std::int64_t limit);
// Claims the next due message that no live lease holds, in one IMMEDIATE
// transaction: lease_owner = owner, lease_until = lease_now + lease. Leases run
// on the wall clock (lease_now), due times on the audit clock (now), so a
// deliverer with an injected clock cannot shorten another's lease.
std::optional<OutboxRow> claim_message(sql::Db& db, Time now, const std::string& owner, Time lease_now,
                                       Duration lease);
// Which messages a deliverer may claim. The HTTP channels' messages go out in
// order per channel: one waits while an older one of its channel is
// undelivered (an old alert batch must not overwrite a newer one).
struct ClaimFilter {
  bool email = true;                // e-mail kinds (digest, reminder, escalation, report)
  std::vector<std::string> skip;    // HTTP channels as "kind/name": down for this run
};
std::optional<OutboxRow> claim_message(sql::Db& db, Time now, const std::string& owner, Time lease_now,
                                       Duration lease, const ClaimFilter& filter);
// How long a claim holds: one send (connect plus the whole transfer) twice
// over, plus a minute for the commit that marks it.
Duration delivery_lease(const SmtpConfig& smtp);
// The longest of e-mail's and every HTTP channel's.
Duration delivery_lease(const Config& config);
// The one path that marks a message sent (and releases its lease).
void mark_sent(sql::Db& db, std::int64_t id, Time now, const std::string& reply);
void mark_failed(sql::Db& db, std::int64_t id, Time now, const std::string& reply, const SmtpConfig& smtp);
// Backoff from retry_initial doubling to retry_max, and at least `at_least`
// (a Retry-After).
void mark_failed(sql::Db& db, std::int64_t id, Time now, const std::string& reply, Duration retry_initial,
                 Duration retry_max, std::optional<Duration> at_least = {});
// Dead at once: the receiver refused the request itself (a 4xx other than 429).
void mark_dead(sql::Db& db, std::int64_t id, const std::string& reply);
// Empties the bodies of messages sent at least `retention` before now and
// stamps pruned_at; the rows stay. Returns how many.
int prune_sent(sql::Db& db, Time now, Duration retention);

// The outbox's part in every cycle: the outbox's health as facts
// (notification-delivery), the reminder facts taken beside the checks, and
// the cycle's e-mails enqueued in its transaction, with their cause or not at
// all. One per cycle; `db` is the cycle's writer connection.
class OutboxParticipant : public CycleParticipant {
 public:
  OutboxParticipant(const Config& config, sql::Db& db) : config_(config), db_(db) {}
  void collected(Facts& facts, Time at) override;
  std::vector<FactsReader> readers(const Facts& facts, Time at, const Writer& writer) override;
  void in_transaction(const CycleResults& results) override;

 private:
  const Config& config_;
  sql::Db& db_;
  ReminderFacts reminders_;
};

}  // namespace complyd::notify

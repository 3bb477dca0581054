// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/outbox.hpp"
#include "model/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "checks/params.hpp"
#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/notify/channels.hpp"
#include "daemon/notify/mime.hpp"
#include "daemon/notify/planner.hpp"
#include "daemon/notify/templates.hpp"
#include "daemon/store/chain.hpp"
#include "daemon/store/state_store.hpp"

namespace complyd::notify {

namespace {


constexpr const char* kColumns =
    "id, idempotency_key, kind, customer_id, recipients, subject, message_id, status, coalesce(last_reply,''), "
    "attempts, next_attempt_at, expires_at, created_at, sent_at";

OutboxRow read_row(const sql::Stmt& s) {
  OutboxRow r;
  r.id = s.i64(0);
  r.key = s.text(1);
  r.kind = s.text(2);
  r.customer_id = s.text(3);
  r.recipients = s.text(4);
  r.subject = s.text(5);
  r.message_id = s.text(6);
  r.status = s.text(7);
  r.last_reply = s.text(8);
  r.attempts = s.i64(9);
  r.next_attempt_at = from_unix(s.i64(10));
  r.expires_at = from_unix(s.i64(11));
  r.created_at = from_unix(s.i64(12));
  if (auto v = s.opt_i64(13)) r.sent_at = from_unix(*v);
  return r;
}

}  // namespace

ReminderFacts reminder_facts(const Facts& facts, const Config& config) {
  ReminderFacts out;
  if (config.smtp.url.empty() || !config.reminders.enabled) return out;
  out.customers = facts.customers;
  out.platforms = customer_platforms(facts.webhooks);
  for (const auto& c : facts.credentials) {
    if (c.role != CredentialRole::current) continue;
    const auto& kinds = config.reminders.kinds;
    if (std::find(kinds.begin(), kinds.end(), c.kind) != kinds.end()) out.credentials.push_back(c);
  }
  return out;
}

OutboxHealth outbox_health(sql::Db& db) {
  OutboxHealth h;
  {
    sql::Stmt s(db, "SELECT count(*) FROM outbox WHERE status IN ('pending','failed')");
    s.step();
    h.pending = s.i64(0);
  }
  sql::Stmt s(db,
              "SELECT id, kind, customer_id, recipients, attempts, coalesce(last_reply,''), created_at FROM outbox "
              "WHERE status = 'dead' ORDER BY id");
  while (s.step()) {
    h.dead.push_back({s.i64(0), s.text(1), s.text(2), s.text(3), s.i64(4), s.text(5), from_unix(s.i64(6))});
  }
  return h;
}

int enqueue_cycle(const Config& config, sql::Db& db, std::int64_t cycle_id, Time now,
                  const std::vector<Transition>& transitions, const std::vector<StoredFinding>& changed,
                  const std::unordered_map<std::string, StoredFinding>& stored, const ReminderFacts& facts) {
  if (config.smtp.url.empty()) return 0;
  PlanInput in;
  in.cycle_id = cycle_id;
  in.now = now;
  in.transitions = transitions;
  std::unordered_map<std::string, const StoredFinding*> merged;
  for (const auto& [id, f] : stored) merged[id] = &f;
  for (const auto& f : changed) merged[f.id] = &f;
  std::unordered_map<std::string, bool> resolved_now;
  for (const auto& t : transitions) {
    if (t.event == "resolved") resolved_now[t.finding_id] = true;
  }
  for (const auto& [id, f] : merged) {
    if (f->status != FindingStatus::resolved || resolved_now.contains(id)) in.findings.push_back(*f);
  }
  in.customers = facts.customers;
  in.credentials = facts.credentials;
  in.platforms = facts.platforms;
  in.rotation_limits = credential_age_params(config.checks).max_age;
  in.alerts = config.alerts;
  in.reminders = config.reminders;
  in.mutelist = config.mutelist;
  {
    // The Alertmanager channels' entries (no '@') are theirs alone.
    sql::Stmt s(db,
                "SELECT finding_id, recipient, first_alerted_at, last_alerted_at, active FROM alert_ledger "
                "WHERE recipient NOT LIKE 'alertmanager:%'");
    while (s.step()) {
      in.ledger.push_back({s.text(0), s.text(1), from_unix(s.i64(2)), from_unix(s.i64(3)), s.i64(4) != 0});
    }
  }
  {
    sql::Stmt s(db, "SELECT idempotency_key FROM outbox WHERE kind IN ('reminder','escalation','mutelist')");
    while (s.step()) in.existing_keys.insert(s.text(0));
  }
  {
    sql::Stmt s(db, "SELECT credential_ref, customer_id, first_reminded_at, urgency FROM reminder_ledger");
    while (s.step()) {
      in.reminded[s.text(0)] = {s.text(0), s.text(1), from_unix(s.i64(2)), static_cast<int>(s.i64(3))};
    }
  }
  const Plan plan = plan_notifications(in);

  std::vector<std::string> problems;
  const Templates templates = Templates::load(config.smtp.templates_dir, &problems);
  for (const auto& p : problems) CLOG(error) << "template override: " << p;

  sql::Stmt ins(db,
                "INSERT INTO outbox(idempotency_key, kind, cycle_id, customer_id, recipients, subject, message_id, "
                "message, status, attempts, next_attempt_at, expires_at, created_at) "
                "VALUES (?,?,?,?,?,?,?,?,'pending',0,?,?,?) ON CONFLICT(idempotency_key) DO NOTHING");
  int n = 0;
  for (const auto& m : plan.messages) {
    Rendered r = templates.render(m.template_name, m.context);
    // Defence in depth: nothing secret-shaped leaves in an e-mail.
    MimeMessage mm{config.smtp.from, m.to, redact(r.subject), redact(r.text), redact(r.html), now,
                   make_message_id(m.key, config.smtp.from)};
    ins.reset();
    ins.bind(1, m.key)
        .bind(2, m.kind)
        .bind(3, cycle_id)
        .bind(4, m.customer_id)
        .bind(5, fmt::format("{}", fmt::join(m.to, ",")))
        .bind(6, mm.subject)
        .bind(7, mm.message_id)
        .bind(8, build_mime(mm))
        .bind(9, to_unix(now))
        .bind(10, to_unix(now + config.smtp.dead_after))
        .bind(11, to_unix(now));
    ins.run();
    n += db.changes();
  }
  sql::Stmt up(db,
               "INSERT INTO alert_ledger(finding_id, recipient, first_alerted_at, last_alerted_at, active) "
               "VALUES (?,?,?,?,?) ON CONFLICT(finding_id, recipient) DO UPDATE SET "
               "first_alerted_at=excluded.first_alerted_at, last_alerted_at=excluded.last_alerted_at, "
               "active=excluded.active");
  for (const auto& e : plan.ledger_upserts) {
    up.reset();
    up.bind(1, e.finding_id).bind(2, e.recipient).bind(3, to_unix(e.first_alerted_at)).bind(4, to_unix(e.last_alerted_at));
    up.bind(5, e.active ? 1 : 0);
    up.run();
  }
  sql::Stmt rem(db,
                "INSERT INTO reminder_ledger(credential_ref, customer_id, first_reminded_at, urgency) VALUES (?,?,?,?) "
                "ON CONFLICT(credential_ref) DO UPDATE SET urgency = max(urgency, excluded.urgency)");
  for (const auto& e : plan.reminder_upserts) {
    rem.reset();
    rem.bind(1, e.credential_ref).bind(2, e.customer_id).bind(3, to_unix(e.first_reminded_at)).bind(4, e.urgency);
    rem.run();
  }
  if (n > 0 || plan.deferred_reminders > 0) {
    CLOG(info) << fmt::format("cycle {}: {} e-mail(s) enqueued{}", cycle_id, n,
                              plan.deferred_reminders > 0
                                  ? fmt::format(", {} reminder(s) deferred by the caps", plan.deferred_reminders)
                                  : std::string());
  }
  return n;
}

namespace {

void insert_channel_messages(sql::Db& db, const std::vector<ChannelMessage>& messages, std::int64_t cycle_id,
                             Time now, Duration dead_after, int& n) {
  sql::Stmt ins(db,
                "INSERT INTO outbox(idempotency_key, kind, cycle_id, customer_id, recipients, subject, message_id, "
                "message, status, attempts, next_attempt_at, expires_at, created_at) "
                "VALUES (?,?,?,'',?,?,?,?,'pending',0,?,?,?) ON CONFLICT(idempotency_key) DO NOTHING");
  for (const auto& m : messages) {
    ins.reset();
    ins.bind(1, m.key)
        .bind(2, m.kind)
        .bind(3, cycle_id)
        .bind(4, m.channel)
        .bind(5, m.summary)
        .bind(6, m.key)  // X-Complyd-Delivery: the receiver's deduplication key
        .bind(7, m.body)
        .bind(8, to_unix(now))
        .bind(9, to_unix(now + dead_after))
        .bind(10, to_unix(now));
    ins.run();
    n += db.changes();
  }
}

}  // namespace

int enqueue_channels(const Config& config, sql::Db& db, std::int64_t cycle_id, Time now,
                     const std::vector<Transition>& transitions, const std::vector<StoredFinding>& changed,
                     const std::unordered_map<std::string, StoredFinding>& stored) {
  if (!config.notify.any()) return 0;
  std::unordered_map<std::string, const StoredFinding*> merged;
  for (const auto& [id, f] : stored) merged[id] = &f;
  for (const auto& f : changed) merged[f.id] = &f;
  int n = 0;
  if (!config.notify.alertmanager.empty()) {
    std::vector<AlertLedgerEntry> ledger;
    {
      sql::Stmt s(db,
                  "SELECT finding_id, recipient, first_alerted_at, last_alerted_at, active FROM alert_ledger "
                  "WHERE recipient LIKE 'alertmanager:%' AND active = 1");
      while (s.step()) {
        ledger.push_back({s.text(0), s.text(1), from_unix(s.i64(2)), from_unix(s.i64(3)), s.i64(4) != 0});
      }
    }
    // An active alert whose finding this cycle did not touch (e.g. resolved
    // by an operator since): its labels come from the findings table.
    std::vector<StoredFinding> extra;
    {
      std::set<std::string> missing;
      for (const auto& e : ledger) {
        if (!merged.contains(e.finding_id)) missing.insert(e.finding_id);
      }
      for (const auto& id : missing) {
        if (auto f = find_stored_finding(db, id)) extra.push_back(std::move(*f));
      }
    }
    for (const auto& f : extra) merged[f.id] = &f;
    sql::Stmt up(db,
                 "INSERT INTO alert_ledger(finding_id, recipient, first_alerted_at, last_alerted_at, active) "
                 "VALUES (?,?,?,?,?) ON CONFLICT(finding_id, recipient) DO UPDATE SET "
                 "last_alerted_at=excluded.last_alerted_at, active=excluded.active");
    for (const auto& am : config.notify.alertmanager) {
      const ChannelPlan plan = plan_alertmanager(am, cycle_id, now, merged, ledger);
      insert_channel_messages(db, plan.messages, cycle_id, now, am.delivery.dead_after, n);
      for (const auto& e : plan.ledger_upserts) {
        up.reset();
        up.bind(1, e.finding_id).bind(2, e.recipient).bind(3, to_unix(e.first_alerted_at));
        up.bind(4, to_unix(e.last_alerted_at)).bind(5, e.active ? 1 : 0);
        up.run();
      }
    }
    for (const auto& f : extra) merged.erase(f.id);
  }
  for (const auto& w : config.notify.webhook) {
    const ChannelPlan plan = plan_webhook(w, cycle_id, now, transitions, merged);
    insert_channel_messages(db, plan.messages, cycle_id, now, w.delivery.dead_after, n);
  }
  if (n > 0) CLOG(info) << fmt::format("cycle {}: {} notification request(s) enqueued", cycle_id, n);
  return n;
}

bool enqueue_report(const Config& config, sql::Db& db, const std::string& key, const std::string& subject,
                    const std::string& text, const std::string& html, Time now) {
  std::vector<std::string> to;
  for (const auto& [sev, list] : config.alerts.recipients) {
    for (const auto& r : list) {
      if (std::find(to.begin(), to.end(), r) == to.end()) to.push_back(r);
    }
  }
  if (config.smtp.url.empty() || to.empty()) {
    throw std::runtime_error("--email needs [smtp] url and at least one [alerts] recipient");
  }
  MimeMessage mm{config.smtp.from, to, redact(subject), redact(text), redact(html), now,
                 make_message_id(key, config.smtp.from)};
  sql::Transaction tx(db);
  sql::Stmt ins(db,
                "INSERT INTO outbox(idempotency_key, kind, cycle_id, customer_id, recipients, subject, message_id, "
                "message, status, attempts, next_attempt_at, expires_at, created_at) "
                "VALUES (?,'report',NULL,'',?,?,?,?,'pending',0,?,?,?) ON CONFLICT(idempotency_key) DO NOTHING");
  ins.bind(1, key)
      .bind(2, fmt::format("{}", fmt::join(to, ",")))
      .bind(3, mm.subject)
      .bind(4, mm.message_id)
      .bind(5, build_mime(mm))
      .bind(6, to_unix(now))
      .bind(7, to_unix(now + config.smtp.dead_after))
      .bind(8, to_unix(now));
  ins.run();
  const bool added = db.changes() > 0;
  tx.commit();
  return added;
}

std::vector<OutboxRow> list_outbox(sql::Db& db, const std::vector<std::string>& statuses, std::int64_t limit) {
  std::string q = fmt::format("SELECT {} FROM outbox", kColumns);
  if (!statuses.empty()) {
    std::vector<std::string> qs(statuses.size(), "?");
    q += fmt::format(" WHERE status IN ({})", fmt::join(qs, ","));
  }
  q += " ORDER BY id LIMIT ?";
  sql::Stmt s(db, q);
  int i = 1;
  for (const auto& st : statuses) s.bind(i++, st);
  s.bind(i, limit);
  std::vector<OutboxRow> out;
  while (s.step()) out.push_back(read_row(s));
  return out;
}

OutboxRow retry_message(sql::Db& db, std::int64_t id, Time now, const Config& config) {
  Duration dead_after = config.smtp.dead_after;
  {
    sql::Stmt s(db, "SELECT kind, recipients FROM outbox WHERE id = ?");
    s.bind(1, id);
    if (s.step()) {
      for (const auto& a : config.notify.alertmanager)
        if (s.text(0) == kAlertmanagerKind && s.text(1) == a.name) dead_after = a.delivery.dead_after;
      for (const auto& w : config.notify.webhook)
        if (s.text(0) == kWebhookKind && s.text(1) == w.name) dead_after = w.delivery.dead_after;
    }
  }
  SmtpConfig policy = config.smtp;
  policy.dead_after = dead_after;
  return retry_message(db, id, now, policy);
}

OutboxRow retry_message(sql::Db& db, std::int64_t id, Time now, const SmtpConfig& smtp) {
  sql::Transaction tx(db);
  sql::Stmt s(db, fmt::format("SELECT {} FROM outbox WHERE id = ?", kColumns));
  s.bind(1, id);
  if (!s.step()) throw std::runtime_error(fmt::format("no outbox message with id {}", id));
  auto row = read_row(s);
  if (row.status == "sent") throw std::runtime_error(fmt::format("message {} was already sent", id));
  if (row.status == "pending") throw std::runtime_error(fmt::format("message {} is already pending", id));
  sql::Stmt u(db,
              "UPDATE outbox SET status='pending', next_attempt_at=?, expires_at=?, lease_owner=NULL, lease_until=NULL "
              "WHERE id=?");
  u.bind(1, to_unix(now)).bind(2, to_unix(now + smtp.dead_after)).bind(3, id).run();
  tx.commit();
  row.status = "pending";
  row.next_attempt_at = now;
  return row;
}

int expire_messages(sql::Db& db, Time now) {
  sql::Transaction tx(db);
  sql::Stmt s(db, "UPDATE outbox SET status='dead' WHERE status IN ('pending','failed') AND expires_at <= ?");
  s.bind(1, to_unix(now)).run();
  const int n = db.changes();
  tx.commit();
  return n;
}

std::vector<OutboxRow> due_messages(sql::Db& db, Time now, std::int64_t limit) {
  sql::Stmt s(db, fmt::format("SELECT {}, message FROM outbox WHERE status IN ('pending','failed') AND "
                              "next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?",
                              kColumns));
  s.bind(1, to_unix(now)).bind(2, limit);
  std::vector<OutboxRow> out;
  while (s.step()) {
    out.push_back(read_row(s));
    out.back().message = s.text(14);
  }
  return out;
}

Duration delivery_lease(const SmtpConfig& smtp) { return 2 * (smtp.connect_timeout + smtp.timeout) + Duration{60}; }

std::optional<OutboxRow> claim_message(sql::Db& db, Time now, const std::string& owner, Time lease_now,
                                       Duration lease) {
  return claim_message(db, now, owner, lease_now, lease, ClaimFilter{});
}

std::optional<OutboxRow> claim_message(sql::Db& db, Time now, const std::string& owner, Time lease_now,
                                       Duration lease, const ClaimFilter& filter) {
  // Per channel in order: a newer request of a channel waits for the older.
  std::string where = fmt::format(
      "status IN ('pending','failed') AND next_attempt_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?2) AND "
      "(kind NOT IN ('{0}','{1}') OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = outbox.kind AND "
      "o.recipients = outbox.recipients AND o.status IN ('pending','failed') AND o.id < outbox.id))",
      kAlertmanagerKind, kWebhookKind);
  if (!filter.email) where += fmt::format(" AND kind IN ('{}','{}')", kAlertmanagerKind, kWebhookKind);
  for (std::size_t i = 0; i < filter.skip.size(); ++i) where += fmt::format(" AND kind || '/' || recipients != ?{}", i + 3);
  sql::Transaction tx(db);
  std::optional<OutboxRow> out;
  {
    sql::Stmt s(db, fmt::format("SELECT {}, message FROM outbox WHERE {} ORDER BY next_attempt_at, id LIMIT 1",
                                kColumns, where));
    s.bind(1, to_unix(now)).bind(2, to_unix(lease_now));
    for (std::size_t i = 0; i < filter.skip.size(); ++i) s.bind(static_cast<int>(i + 3), filter.skip[i]);
    if (s.step()) {
      out = read_row(s);
      out->message = s.text(14);
    }
  }
  if (out) {
    sql::Stmt u(db, "UPDATE outbox SET lease_owner=?, lease_until=? WHERE id=?");
    u.bind(1, owner).bind(2, to_unix(lease_now + lease)).bind(3, out->id).run();
  }
  tx.commit();
  return out;
}

Duration delivery_lease(const Config& config) {
  Duration d = delivery_lease(config.smtp);
  auto of = [&](const HttpDeliveryConfig& h) { d = std::max(d, 2 * (h.connect_timeout + h.timeout) + Duration{60}); };
  for (const auto& a : config.notify.alertmanager) of(a.delivery);
  for (const auto& w : config.notify.webhook) of(w.delivery);
  return d;
}

int prune_sent(sql::Db& db, Time now, Duration retention) {
  sql::Transaction tx(db);
  sql::Stmt s(db,
              "UPDATE outbox SET message='', pruned_at=? WHERE status='sent' AND pruned_at IS NULL AND sent_at <= ?");
  s.bind(1, to_unix(now)).bind(2, to_unix(now - retention)).run();
  const int n = db.changes();
  tx.commit();
  return n;
}

void mark_sent(sql::Db& db, std::int64_t id, Time now, const std::string& reply) {
  sql::Transaction tx(db);
  sql::Stmt s(db,
              "UPDATE outbox SET status='sent', sent_at=?, attempts=attempts+1, last_reply=?, lease_owner=NULL, "
              "lease_until=NULL WHERE id=?");
  s.bind(1, to_unix(now)).bind(2, redact(reply)).bind(3, id).run();
  // A sent message is evidence: it joins the history chain with the marking.
  chain::chain_sent_message(db, id);
  tx.commit();
}

void mark_failed(sql::Db& db, std::int64_t id, Time now, const std::string& reply, const SmtpConfig& smtp) {
  mark_failed(db, id, now, reply, smtp.retry_initial, smtp.retry_max);
}

void mark_dead(sql::Db& db, std::int64_t id, const std::string& reply) {
  sql::Transaction tx(db);
  sql::Stmt s(db,
              "UPDATE outbox SET status='dead', attempts=attempts+1, last_reply=?, lease_owner=NULL, lease_until=NULL "
              "WHERE id=?");
  s.bind(1, redact(reply)).bind(2, id).run();
  tx.commit();
}

void mark_failed(sql::Db& db, std::int64_t id, Time now, const std::string& reply, Duration retry_initial,
                 Duration retry_max, std::optional<Duration> at_least) {
  sql::Transaction tx(db);
  std::int64_t attempts = 0;
  {
    sql::Stmt s(db, "SELECT attempts FROM outbox WHERE id=?");
    s.bind(1, id);
    if (s.step()) attempts = s.i64(0);
  }
  // Exponential backoff: retry_initial, doubling, at most retry_max.
  auto delay = retry_initial;
  for (std::int64_t i = 0; i < attempts && delay < retry_max; ++i) delay *= 2;
  delay = std::min(delay, retry_max);
  if (at_least) delay = std::max(delay, *at_least);
  sql::Stmt s(db,
              "UPDATE outbox SET status='failed', attempts=attempts+1, next_attempt_at=?, last_reply=?, "
              "lease_owner=NULL, lease_until=NULL WHERE id=?");
  s.bind(1, to_unix(now + delay)).bind(2, redact(reply)).bind(3, id).run();
  tx.commit();
}

void OutboxParticipant::collected(Facts& facts, Time) {
  if (!config_.smtp.url.empty() || config_.notify.any()) facts.outbox = outbox_health(db_);
}

std::vector<FactsReader> OutboxParticipant::readers(const Facts& facts, Time, const Writer&) {
  // Webhooks too: customer_platforms reads them (undeclared, they could be freed first).
  return {{"reminder facts", {FactKind::customers, FactKind::credentials, FactKind::webhooks},
           [this, &facts] { reminders_ = reminder_facts(facts, config_); }}};
}

void OutboxParticipant::in_transaction(const CycleResults& r) {
  enqueue_cycle(config_, db_, r.cycle_id, r.at, r.lifecycle.transitions, r.lifecycle.changed, r.untouched,
                reminders_);
  enqueue_channels(config_, db_, r.cycle_id, r.at, r.lifecycle.transitions, r.lifecycle.changed, r.untouched);
}

}  // namespace complyd::notify

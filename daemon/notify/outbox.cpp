// SPDX-License-Identifier: Apache-2.0
#include "daemon/notify/outbox.hpp"
#include "model/time.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "checks/params.hpp"
#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "daemon/notify/mime.hpp"
#include "daemon/notify/planner.hpp"
#include "daemon/notify/templates.hpp"
#include "daemon/store/chain.hpp"

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
    sql::Stmt s(db, "SELECT finding_id, recipient, first_alerted_at, last_alerted_at, active FROM alert_ledger");
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
  sql::Transaction tx(db);
  std::optional<OutboxRow> out;
  {
    sql::Stmt s(db, fmt::format("SELECT {}, message FROM outbox WHERE status IN ('pending','failed') AND "
                                "next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?) "
                                "ORDER BY next_attempt_at, id LIMIT 1",
                                kColumns));
    s.bind(1, to_unix(now)).bind(2, to_unix(lease_now));
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
  sql::Transaction tx(db);
  std::int64_t attempts = 0;
  {
    sql::Stmt s(db, "SELECT attempts FROM outbox WHERE id=?");
    s.bind(1, id);
    if (s.step()) attempts = s.i64(0);
  }
  // Exponential backoff: retry_initial, doubling, at most retry_max.
  auto delay = smtp.retry_initial;
  for (std::int64_t i = 0; i < attempts && delay < smtp.retry_max; ++i) delay *= 2;
  delay = std::min(delay, smtp.retry_max);
  sql::Stmt s(db,
              "UPDATE outbox SET status='failed', attempts=attempts+1, next_attempt_at=?, last_reply=?, "
              "lease_owner=NULL, lease_until=NULL WHERE id=?");
  s.bind(1, to_unix(now + delay)).bind(2, redact(reply)).bind(3, id).run();
  tx.commit();
}

void OutboxParticipant::collected(Facts& facts, Time) {
  if (!config_.smtp.url.empty()) facts.outbox = outbox_health(db_);
}

std::vector<FactsReader> OutboxParticipant::readers(const Facts& facts, Time, const Writer&) {
  return {{"reminder facts", {FactKind::customers, FactKind::credentials},
           [this, &facts] { reminders_ = reminder_facts(facts, config_); }}};
}

void OutboxParticipant::in_transaction(const CycleResults& r) {
  enqueue_cycle(config_, db_, r.cycle_id, r.at, r.lifecycle.transitions, r.lifecycle.changed, r.untouched,
                reminders_);
}

}  // namespace complyd::notify

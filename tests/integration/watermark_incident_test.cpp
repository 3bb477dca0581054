// SPDX-License-Identifier: Apache-2.0
// No blind minutes (issue 15 §3): counters are judged from the last minute a
// committed cycle judged, however long ago, and an incident stays open until a
// person acknowledges it. The real binary on a demo inventory, time injected.
#include <gtest/gtest.h>

#include <pwd.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "daemon/util/sqlite.hpp"
#include "harness.hpp"

namespace complyd::itest {
namespace {

using nlohmann::json;

class BlindMinutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = run(dir_, {"demo", dir_.path().string(), "--now", kDemoNow});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    config_ = (dir_ / "complyd.toml").string();
  }

  // One minute of counters, `at` the minute's start.
  void counters(const std::string& customer, Time at, int ok, int unsigned_processed) {
    sql::Db db(dir_ / "inventory.db", sql::OpenMode::read_write_create);
    sql::Stmt s(db, "INSERT OR REPLACE INTO webhook_verifications(customer_id, minute, ok, fail, unsigned) "
                    "VALUES (?, ?, ?, 0, ?)");
    s.bind(1, customer).bind(2, at.time_since_epoch().count()).bind(3, ok).bind(4, unsigned_processed).run();
  }

  // A demo customer without an unsigned-request finding in `doc`.
  std::string quiet_customer(const json& doc) {
    const auto keys = finding_keys(doc, "signature-failures");
    sql::Db db(dir_ / "inventory.db", sql::OpenMode::read_only);
    sql::Stmt s(db, "SELECT id FROM customers ORDER BY id");
    while (s.step()) {
      if (!keys.contains(s.text(0) + " webhooks:unsigned")) return s.text(0);
    }
    return {};
  }

  json show(const std::string& id) {
    auto r = run(dir_, {"findings", "show", id, "--format", "json", "--config", config_, "--state", sim_state(dir_)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }

  // The id of `customer`'s finding with `subject` in `doc`, or "".
  static std::string id_of(const json& doc, const std::string& customer, const std::string& subject) {
    for (const auto& f : doc["findings"]) {
      if (f["customer_id"] == customer && f["subject"] == subject) return f["id"];
    }
    return {};
  }

  TempDir dir_;
  std::string config_;
};

TEST_F(BlindMinutes, ThreeHourGapWithAnUnsignedRequestIsJudgedOnTheNextCycle) {
  const json first = audit_json(dir_, kDemoNow, 3);
  const std::string customer = quiet_customer(first);
  ASSERT_FALSE(customer.empty());
  // The daemon is down for three hours; an unsigned request is processed
  // an hour into the gap (two hours before the next cycle, outside any 1 h
  // lookback), and traffic goes on.
  counters(customer, kNow + hours(1), 40, 1);
  counters(customer, kNow + hours(3) - minutes(1), 40, 0);
  const std::string later = format_time(kNow + hours(3));
  const json next = audit_json(dir_, later, 3);
  EXPECT_TRUE(finding_keys(next, "signature-failures").contains(customer + " webhooks:unsigned"))
      << next["findings"].dump(1);
  const std::string id = id_of(next, customer, "webhooks:unsigned");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(show(id)["detail"].get<std::string>().find("processed 1 request(s)") != std::string::npos, true);
  // The minute is judged once: the next cycle does not see it again (and the
  // finding stays open, an incident, below).
  const json again = audit_json(dir_, format_time(kNow + hours(4)), 3);
  const auto h = show(id)["history"];
  ASSERT_EQ(h.size(), 1u) << h.dump(1);
  EXPECT_EQ(h[0]["event"], "opened");
}

TEST_F(BlindMinutes, UnsignedFindingStaysOpenUntilAcknowledged) {
  const json first = audit_json(dir_, kDemoNow, 3);
  const std::string customer = quiet_customer(first);
  ASSERT_FALSE(customer.empty());
  counters(customer, kNow + minutes(10), 40, 2);
  const json seen = audit_json(dir_, format_time(kNow + minutes(20)), 3);
  const std::string id = id_of(seen, customer, "webhooks:unsigned");
  ASSERT_FALSE(id.empty()) << seen["findings"].dump(1);

  // Two days of cycles later, with fresh clean traffic: nothing undid what
  // happened, so the finding is still open.
  for (int h : {1, 24, 48}) {
    counters(customer, kNow + hours(h) - minutes(1), 40, 0);
    audit_json(dir_, format_time(kNow + hours(h)), 3);
  }
  auto f = show(id);
  EXPECT_EQ(f["status"], "open") << f.dump(1);
  EXPECT_EQ(f["kind"], "incident");

  // Acknowledged with a reason (required): resolved, and in the history.
  auto no_reason = run(dir_, {"findings", "ack", id, "--config", config_, "--state", sim_state(dir_)});
  EXPECT_NE(no_reason.exit_code, 0);
  auto ack = run(dir_, {"findings", "ack", id, "--reason", "receiver fixed, forged gifts reversed", "--config",
                        config_, "--state", sim_state(dir_)});
  ASSERT_EQ(ack.exit_code, 0) << ack.err;
  f = show(id);
  EXPECT_EQ(f["status"], "resolved");
  const auto& last = f["history"].back();
  EXPECT_EQ(last["event"], "acknowledged");
  EXPECT_EQ(last["actor"], getpwuid(getuid())->pw_name);  // the OS account that ran it
  EXPECT_EQ(last["reason"], "receiver fixed, forged gifts reversed");
  EXPECT_TRUE(last["cycle_id"].is_null());

  // It stays resolved while nothing new happens, and reopens when it recurs.
  counters(customer, kNow + hours(49) - minutes(1), 40, 0);
  audit_json(dir_, format_time(kNow + hours(49)), 3);
  EXPECT_EQ(show(id)["status"], "resolved");
  counters(customer, kNow + hours(50) - minutes(1), 40, 1);
  audit_json(dir_, format_time(kNow + hours(50)), 3);
  f = show(id);
  EXPECT_EQ(f["status"], "open");
  EXPECT_EQ(f["history"].back()["event"], "reopened");
}

TEST_F(BlindMinutes, AcknowledgingAStateIsRefused) {
  const json doc = audit_json(dir_, kDemoNow, 3);
  std::string id;
  for (const auto& f : doc["findings"]) {
    if (f["check_id"] == "credential-age") id = f["id"];
  }
  ASSERT_FALSE(id.empty());
  auto r = run(dir_, {"findings", "ack", id, "--reason", "rotated", "--config", config_, "--state", sim_state(dir_)});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not an incident"), std::string::npos) << r.err;
  EXPECT_EQ(show(id)["status"], "open");
}

// Audit events (issue 15 §3, every event stream): a read by the wrong actor
// is judged once and stays open after the log rotates the event away; a log
// that dropped events before any cycle judged them says so.
class AuditEventsWatermark : public BlindMinutes {
 protected:
  void sql_exec(const std::string& statement) {
    sql::Db db(dir_ / "inventory.db", sql::OpenMode::read_write_create);
    db.exec(statement);
  }
  static std::set<std::string> unjudged_subjects(const json& doc) {
    std::set<std::string> out;
    for (const auto& f : doc["findings"]) {
      const std::string subject = f["subject"];
      if (f["check_id"] == "audit-coverage" && subject.starts_with("audit:unjudged:")) out.insert(subject);
    }
    return out;
  }
};

TEST_F(AuditEventsWatermark, ForeignReadStaysOpenAfterTheLogRotatesItAway) {
  const json first = audit_json(dir_, kDemoNow, 3);
  std::string id, customer;
  for (const auto& f : first["findings"]) {
    if (f["check_id"] == "audit-coverage" && f["subject"] == "reader:laptop:jsmith") {
      id = f["id"];
      customer = f["customer_id"];
      break;
    }
  }
  ASSERT_FALSE(id.empty()) << "the demo plants reads by laptop:jsmith";
  // Judged once: the next cycle, with the read still in the log, keeps the
  // finding as it is, and an acknowledgement is not undone by the old read.
  const json next = audit_json(dir_, format_time(kNow + hours(1)), 3);
  EXPECT_TRUE(unjudged_subjects(next).empty()) << "the newest judged event is still held";
  auto f = show(id);
  EXPECT_EQ(f["status"], "open") << f.dump(1);
  EXPECT_EQ(f["kind"], "incident");
  EXPECT_EQ(f["history"].size(), 1u);
  auto ack = run(dir_, {"findings", "ack", id, "--reason", "break-glass access, ticket SEC-12", "--config", config_,
                        "--state", sim_state(dir_)});
  ASSERT_EQ(ack.exit_code, 0) << ack.err;
  audit_json(dir_, format_time(kNow + hours(2)), 3);
  EXPECT_EQ(show(id)["status"], "resolved");

  // A new read by the same actor is a new incident: the finding reopens,
  sql_exec("INSERT INTO audit_events(customer_id, actor, action, resource, at) VALUES ('" + customer +
           "', 'laptop:jsmith', 'token_read', 'x', '" + format_time(kNow + hours(2) + minutes(30)) + "')");
  sql_exec("INSERT INTO audit_events(customer_id, actor, action, resource, at) VALUES ('', 'sync-worker-prod-1', "
           "'token_read', 'x', '" + format_time(kNow + hours(2) + minutes(45)) + "')");
  audit_json(dir_, format_time(kNow + hours(3)), 3);
  f = show(id);
  EXPECT_EQ(f["status"], "open");
  EXPECT_EQ(f["history"].back()["event"], "reopened");
  // and stays open once the audit log rotates it away.
  sql_exec("DELETE FROM audit_events WHERE at < '" + format_time(kNow + hours(2) + minutes(40)) + "'");
  const json later = audit_json(dir_, format_time(kNow + hours(4)), 3);
  f = show(id);
  EXPECT_EQ(f["status"], "open") << f.dump(1);
  EXPECT_EQ(f["history"].back()["event"], "reopened");
  EXPECT_TRUE(unjudged_subjects(later).empty()) << later["findings"].dump(1);
}

TEST_F(AuditEventsWatermark, EventsDeletedBeforeAnyCycleJudgedThemAreReported) {
  audit_json(dir_, kDemoNow, 3);
  // The daemon is down for three days; the audit log keeps one day.
  sql_exec("INSERT INTO audit_events(customer_id, actor, action, resource, at) VALUES ('', 'sync-worker-prod-1', "
           "'token_read', 'x', '" + format_time(kNow + days(2) + hours(12)) + "')");
  sql_exec("DELETE FROM audit_events WHERE at < '" + format_time(kNow + days(2)) + "'");
  const json next = audit_json(dir_, format_time(kNow + days(3)), 3);
  const auto gaps = unjudged_subjects(next);
  ASSERT_EQ(gaps.size(), 1u) << next["findings"].dump(1);
  // Reported once, and kept open (an incident) until acknowledged.
  const json again = audit_json(dir_, format_time(kNow + days(3) + hours(1)), 3);
  EXPECT_EQ(unjudged_subjects(again), gaps);
  for (const auto& f : again["findings"]) {
    if (f["subject"] == *gaps.begin()) {
      EXPECT_EQ(show(f["id"])["history"].size(), 1u);
    }
  }
}

}  // namespace
}  // namespace complyd::itest

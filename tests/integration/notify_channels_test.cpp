// SPDX-License-Identifier: Apache-2.0
// Issue 16 §1-2 end to end: the demo's findings reach a real Alertmanager
// (exactly the open, unmuted ones at or above min_severity, resolved once
// fixed or muted, nothing lost while it is down) and a real loopback webhook
// receiver that verifies every signature (each batch once across an outage,
// nothing lost to kill -9, a refusal is a dead message and a finding).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <set>

#include "daemon/util/sqlite.hpp"
#include "model/finding.hpp"
#include "model/time.hpp"
#include "notify_channels.hpp"
#include "process.hpp"

namespace complyd::itest {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kBearerCanary = "CANARYamBearer5e4d3c2b1a09f8e7";

std::string channels_replace(std::string s, const std::string& from, const std::string& to) {
  const auto pos = s.find(from);
  if (pos == std::string::npos) throw std::runtime_error("not found in config: " + from);
  return s.replace(pos, from.size(), to);
}

// Every byte the state database holds, WAL included.
std::string state_db_bytes(const fs::path& db) {
  std::string all = read_file(db);
  std::error_code ec;
  if (fs::exists(db.string() + "-wal", ec)) all += read_file(db.string() + "-wal");
  return all;
}

class ChannelsE2E : public ::testing::Test {
 protected:
  void demo(const std::vector<std::string>& extra) {
    std::vector<std::string> args{"demo", dir_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run(dir_, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    config_ = (dir_ / "complyd.toml").string();
  }
  void edit_config(const std::string& from, const std::string& to) {
    write_file(config_, channels_replace(read_file(config_), from, to));
  }
  // A live cycle (the demo is built around now): Alertmanager needs real times.
  Result live_audit(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"audit", "--config", config_};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(dir_, args);
  }
  json outbox(const std::string& state, const std::string& status = "") {
    std::vector<std::string> args{"notify", "outbox", "--state", state, "--config", config_, "--format", "json",
                                  "--limit", "100000"};
    if (!status.empty()) args.insert(args.end(), {"--status", status});
    auto r = run(dir_, args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out);
  }
  // finding id -> "check severity customer" of the open findings at or above `min`.
  static std::map<std::string, std::string> expected_alerts(const json& doc, Severity min) {
    std::map<std::string, std::string> out;
    for (const auto& f : doc["findings"]) {
      if (f["status"] != "open" || *severity_from(f["severity"].get<std::string>()) < min) continue;
      out[f["id"].get<std::string>()] = fmt::format("{} {} {}", f["check_id"].get<std::string>(), f["severity"].get<std::string>(),
                                 f["customer_id"].get<std::string>());
    }
    return out;
  }
  static std::map<std::string, std::string> listed(const json& alerts) {
    std::map<std::string, std::string> out;
    for (const auto& a : alerts) {
      const auto& l = a["labels"];
      EXPECT_EQ(l["alertname"], l["check"]);
      EXPECT_TRUE(a["annotations"].contains("summary") && a["annotations"].contains("remediation")) << a.dump();
      out[l["finding_id"].get<std::string>()] = fmt::format("{} {} {}", l["check"].get<std::string>(), l["severity"].get<std::string>(),
                                         l.value("customer", ""));
    }
    return out;
  }

  TempDir dir_;
  std::string config_;
};

TEST_F(ChannelsE2E, AlertmanagerListsExactlyTheOpenFindingsAndResolvesFixedAndMutedOnes) {
  AlertmanagerServer am(dir_ / "am");
  am.start();
  ASSERT_TRUE(am.ready()) << read_file(am.log());
  demo({"--alertmanager", am.url()});
  write_file(dir_ / "am.token", std::string(kBearerCanary) + "\n");
  // The demo's findings are medium and above: "high" leaves some out.
  edit_config("min_severity = \"medium\"\n", "min_severity = \"high\"\nbearer_token_file = \"am.token\"\n");
  auto r = live_audit({"--format", "json"});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const json doc = json::parse(r.out);
  const auto expected = expected_alerts(doc, Severity::high);
  ASSERT_GT(expected.size(), 5u);
  ASSERT_LT(expected.size(), doc["findings"].size()) << "the severity filter is not exercised";
  EXPECT_EQ(listed(am.alerts()), expected);

  // Fix one (its credential rotated now) and mute another: both end.
  std::string fixed, muted;
  for (const auto& f : doc["findings"]) {
    if (!expected.contains(f["id"].get<std::string>())) continue;
    if (fixed.empty() && f["check_id"] == "credential-age") fixed = f["id"].get<std::string>();
    else if (muted.empty() && f["check_id"] != "credential-age") muted = f["id"].get<std::string>();
  }
  ASSERT_FALSE(fixed.empty());
  ASSERT_FALSE(muted.empty());
  std::string subject;
  for (const auto& f : doc["findings"]) {
    if (f["id"] == fixed) subject = f["subject"].get<std::string>();
  }
  {
    sql::Db inv(dir_ / "inventory.db", sql::OpenMode::read_write_create);
    sql::Stmt s(inv, "UPDATE credentials SET rotated_at = ? WHERE storage_path = ?");
    s.bind(1, format_time(system_clock()())).bind(2, subject).run();
  }
  r = run(dir_, {"findings", "mute", muted, "--reason", "accepted for the test", "--until", "2099-01-01", "--config",
                 config_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = live_audit({"--format", "json"});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  auto after = expected_alerts(json::parse(r.out), Severity::high);
  EXPECT_FALSE(after.contains(fixed));
  EXPECT_FALSE(after.contains(muted));
  for (const auto& [id, what] : after) EXPECT_TRUE(expected.contains(id)) << id << " " << what;
  EXPECT_EQ(listed(am.alerts()), after);

  // The bearer token was sent, never stored or logged.
  const auto state = dir_ / "state.db";
  EXPECT_EQ(state_db_bytes(state).find(kBearerCanary), std::string::npos);
  EXPECT_EQ(r.err.find(kBearerCanary), std::string::npos);
  for (const auto& m : outbox(state.string())) EXPECT_EQ(m["status"], "sent") << m.dump();
}

TEST_F(ChannelsE2E, AlertmanagerDownLosesNothingAndTheAlertsArriveWhenItIsBack) {
  AlertmanagerServer am(dir_ / "am");  // not started yet: its port refuses
  demo({"--alertmanager", am.url()});
  edit_config("min_severity = \"medium\"\n", "min_severity = \"medium\"\nretry_initial = \"1s\"\n");
  auto r = live_audit({"--format", "json"});
  ASSERT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("delivery to alertmanager/demo"), std::string::npos) << r.err;
  const auto expected = expected_alerts(json::parse(r.out), Severity::medium);
  const auto state = (dir_ / "state.db").string();
  ASSERT_FALSE(outbox(state, "failed").empty());
  am.start();
  ASSERT_TRUE(am.ready()) << read_file(am.log());
  // Once the retry is due (1 s backoff), a delivery run sends what waited.
  ASSERT_TRUE(wait_until([&] {
    run(dir_, {"notify", "send", "--config", config_});
    return outbox(state, "failed").empty();
  }, 30s, 200ms));
  EXPECT_EQ(listed(am.alerts()), expected);
  EXPECT_TRUE(outbox(state, "failed").empty());
}

class WebhookE2E : public ChannelsE2E {
 protected:
  void SetUp() override {
    receiver_ = std::make_unique<WebhookReceiver>(dir_ / "receiver", dir_ / "webhook.secret");
  }
  std::unique_ptr<WebhookReceiver> receiver_;
};

TEST_F(WebhookE2E, EveryRequestIsSignedAndADownReceiverGetsEveryBatchExactlyOnce) {
  demo({"--webhook", receiver_->url(), "--now", kDemoNow});
  edit_config("max_findings = 50\n", "max_findings = 7\n");
  const std::string secret = read_file(dir_ / "webhook.secret").substr(0, 64);
  ASSERT_EQ(secret.size(), 64u);
  // The receiver is down: the batches wait in the outbox.
  Result first;
  const json doc = audit_json(dir_, kDemoNow, 3, &first);
  EXPECT_NE(first.err.find("delivery to webhook/demo-hook"), std::string::npos) << first.err;
  const auto state = sim_state(dir_);
  const json queued = outbox(state);
  ASSERT_GT(queued.size(), 3u);
  auto r = run(dir_, {"notify", "send", "--state", state, "--config", config_, "--now", "2026-11-22T12:02:00Z"});
  EXPECT_EQ(r.exit_code, 1) << "still down, retried later: " << r.err;
  receiver_->start();
  ASSERT_TRUE(receiver_->ready());
  // Due again after the backoff: every batch arrives, in order, once.
  for (int i = 0; i < 3; ++i) {
    r = run(dir_, {"notify", "send", "--state", state, "--config", config_, "--now", "2026-11-22T13:00:00Z"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  const auto got = receiver_->received();
  std::vector<std::string> keys;
  std::size_t events = 0;
  for (const auto& g : got) {
    EXPECT_TRUE(g["verified"].get<bool>()) << g.dump();
    EXPECT_EQ(g["content_type"], "application/json");
    const json body = json::parse(g["body"].get<std::string>());
    EXPECT_EQ(body["delivery"], g["delivery"]);
    EXPECT_LE(body["events"].size(), 7u);
    events += body["events"].size();
    keys.push_back(g["delivery"].get<std::string>());
    EXPECT_EQ(g["body"].get<std::string>().find(secret), std::string::npos);
  }
  std::vector<std::string> want;
  for (const auto& m : queued) want.push_back(m["key"].get<std::string>());
  EXPECT_EQ(keys, want);  // each once, in the order enqueued
  std::size_t opened = 0;
  for (const auto& f : doc["findings"]) opened += f["severity"] != "info";
  EXPECT_EQ(events, opened);
  EXPECT_EQ(state_db_bytes(state).find(secret), std::string::npos);
}

// min_severity end to end: exactly the findings opened at or above it
// arrive, the ones below never leave the outbox planner.
TEST_F(WebhookE2E, OnlyFindingsAtOrAboveMinSeverityArrive) {
  demo({"--webhook", receiver_->url(), "--now", kDemoNow});
  edit_config("min_severity = \"low\"\nmax_findings = 50\n", "min_severity = \"high\"\nmax_findings = 50\n");
  receiver_->start();
  ASSERT_TRUE(receiver_->ready());
  Result audited;
  const json doc = audit_json(dir_, kDemoNow, 3, &audited);
  const auto want = expected_alerts(doc, Severity::high);
  ASSERT_FALSE(want.empty());
  ASSERT_LT(want.size(), expected_alerts(doc, Severity::low).size()) << "the demo must have findings below high";
  const auto r = run(dir_, {"notify", "send", "--state", sim_state(dir_), "--config", config_, "--now", kDemoNow});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> got;
  for (const auto& g : receiver_->received()) {
    EXPECT_TRUE(g["verified"].get<bool>()) << g.dump();
    const json body = json::parse(g["body"].get<std::string>());  // outlives the loop below
    for (const auto& e : body["events"]) {
      EXPECT_EQ(e["event"], "opened") << e.dump();
      got[e["finding_id"].get<std::string>()] = fmt::format("{} {} {}", e["check"].get<std::string>(),
                                                            e["severity"].get<std::string>(),
                                                            e["customer"].get<std::string>());
    }
  }
  EXPECT_EQ(got, want) << audited.err << r.err;
}

TEST_F(WebhookE2E, AForgedOrRefusedRequestIsDeadAtOnceAndANotificationDeliveryFinding) {
  demo({"--webhook", receiver_->url(), "--now", kDemoNow});
  receiver_->mode("gone");
  receiver_->start();
  ASSERT_TRUE(receiver_->ready());
  audit_json(dir_, kDemoNow, 3);
  const auto state = sim_state(dir_);
  const auto dead = outbox(state, "dead");
  ASSERT_FALSE(dead.empty());
  EXPECT_EQ(outbox(state, "dead").size(), outbox(state).size());
  for (const auto& m : dead) EXPECT_EQ(m["attempts"], 1) << m.dump();  // not retried
  const json doc = audit_json(dir_, "2026-11-22T13:00:00Z", 3);
  EXPECT_EQ(finding_keys(doc, "notification-delivery").size(), dead.size());

  // A forgery (another key than the receiver's) is refused with 401: dead too.
  write_file(dir_ / "webhook.secret", std::string(64, 'a') + "\n");
  receiver_->mode("ok");
  const auto id = std::to_string(dead[0]["id"].get<int>());
  auto r = run(dir_, {"notify", "retry", "--state", state, id, "--config", config_, "--now", "2026-11-22T14:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = run(dir_, {"notify", "send", "--state", state, "--config", config_, "--now", "2026-11-22T14:00:00Z"});
  const auto got = receiver_->received();
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back()["delivery"], dead[0]["key"]);
  EXPECT_FALSE(got.back()["verified"].get<bool>());
  EXPECT_EQ(got.back()["status"], 401);
  EXPECT_EQ(outbox(state, "dead").size(), outbox(state).size());
}

TEST_F(WebhookE2E, KillNineDuringDeliveryLosesNothing) {
  demo({"--webhook", receiver_->url(), "--customers", "300"});
  edit_config("max_findings = 50\n", "max_findings = 1\n");
  receiver_->mode("slow");  // the kill should land in the middle of the requests
  receiver_->start();
  ASSERT_TRUE(receiver_->ready());
  Process daemon({"run", "--config", config_}, dir_ / "daemon.err");
  ASSERT_TRUE(wait_until([&] { return receiver_->received().size() >= 20; }, 120s, 5ms)) << read_file(dir_ / "daemon.err");
  daemon.signal(SIGKILL);
  daemon.wait_exit(10s);
  const auto state = (dir_ / "state.db").string();
  const auto total = outbox(state).size();
  ASSERT_GT(total, 100u);
  ASSERT_LT(outbox(state, "sent").size(), total) << "the batch finished before the kill; the test proves nothing";
  receiver_->mode("ok");
  auto r = run(dir_, {"notify", "send", "--config", config_});
  // The request the killed daemon had claimed waits for its lease (moved to the past here).
  {
    sql::Db db(dir_ / "state.db", sql::OpenMode::read_write_create);
    db.exec("UPDATE outbox SET lease_until = 0 WHERE status != 'sent' AND lease_owner IS NOT NULL");
  }
  r = run(dir_, {"notify", "send", "--config", config_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(outbox(state, "sent").size(), total);
  std::map<std::string, int> copies;
  for (const auto& g : receiver_->received()) {
    EXPECT_TRUE(g["verified"].get<bool>());
    ++copies[g["delivery"].get<std::string>()];
  }
  EXPECT_EQ(copies.size(), total);  // every request arrived
  int twice = 0;
  for (const auto& [k, n] : copies) twice += n - 1;
  EXPECT_LE(twice, 1);  // at most the one in the documented window twice
}

}  // namespace
}  // namespace complyd::itest

// SPDX-License-Identifier: Apache-2.0
// The HTTP channels ([[notify.alertmanager]], [[notify.webhook]]): their
// configuration, what a cycle sends (pure planning), the signature, the
// Slack message's shape, and the outbox rules their delivery follows.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <set>

#include "config_text.hpp"
#include "daemon/notify/channels.hpp"
#include "daemon/notify/http_post.hpp"
#include "daemon/notify/outbox.hpp"
#include "daemon/store/state_store.hpp"
#include "fact_builders.hpp"
#include "temp_dir.hpp"

namespace complyd::testing {
namespace {

using nlohmann::json;
using notify::AlertLedgerEntry;
using notify::ChannelPlan;
using notify::alertmanager_ledger_recipient;
using notify::plan_alertmanager;
using notify::plan_webhook;
using notify::webhook_signature;

ConfigResult channels_config(const std::string& text) {
  return parse_toml("[inventory]\npath = \"inventory.db\"\n" + text);
}

std::string channel_problems(const ConfigResult& r) {
  std::string out;
  for (const auto& m : messages(r)) out += m + "\n";
  return out;
}

TEST(NotifyChannelsConfig, BothTablesWithEveryKey) {
  TempDir t;
  const auto secret = t.path / "hook.secret";
  std::ofstream(secret) << "whsec-CANARYchannel0123456789\n";
  auto r = channels_config(fmt::format(R"(
[schedule]
interval = "10m"
[[notify.alertmanager]]
url = "https://am.example.com:9093/"
min_severity = "high"
console_url = "https://complyd.example.com/findings/"
max_alerts = 100
timeout = "20s"
[[notify.alertmanager]]
name = "local"
url = "http://127.0.0.1:9093"
ends_after = "2h"
[[notify.webhook]]
name = "soc"
url = "https://hooks.example.com/complyd"
secret_file = "{}"
min_severity = "medium"
max_findings = 10
retry_initial = "30s"
dead_after = "1d"
[[notify.webhook]]
name = "chat"
url = "https://hooks.slack.com/services/T0/B0/X"
format = "slack"
max_findings = 40
)",
                                       secret.string()));
  ASSERT_TRUE(r.ok()) << channel_problems(r);
  const auto& n = r.config->notify;
  ASSERT_EQ(n.alertmanager.size(), 2u);
  EXPECT_EQ(n.alertmanager[0].name, "alertmanager");
  EXPECT_EQ(n.alertmanager[0].min_severity, Severity::high);
  EXPECT_EQ(n.alertmanager[0].ends_after, Duration{2400});  // 4 x schedule.interval
  EXPECT_EQ(n.alertmanager[0].max_alerts, 100);
  EXPECT_EQ(n.alertmanager[0].delivery.timeout, Duration{20});
  EXPECT_EQ(n.alertmanager[1].ends_after, Duration{7200});
  ASSERT_EQ(n.webhook.size(), 2u);
  EXPECT_EQ(n.webhook[0].secret_file, secret);
  EXPECT_EQ(n.webhook[0].max_findings, 10);
  EXPECT_EQ(n.webhook[0].delivery.dead_after, days(1));
  EXPECT_EQ(n.webhook[1].format, "slack");
  EXPECT_EQ(n.webhook[1].max_findings, 40);
}

TEST(NotifyChannelsConfig, ProblemsNameFileLineColumn) {
  auto r = channels_config(R"(
[[notify.alertmanager]]
url = "http://am.example.com:9093"
severity = "high"
[[notify.webhook]]
url = "https://hooks.example.com/x"
[[notify.webhook]]
name = "webhook"
url = "https://user:pw@hooks.example.com/x"
secret_file = "/nonexistent/secret"
format = "xml"
[[notify.webhook]]
name = "chat"
url = "https://hooks.slack.com/services/T0/B0/X"
format = "slack"
max_findings = 50
)");
  ASSERT_FALSE(r.ok());
  const std::string all = channel_problems(r);
  EXPECT_NE(all.find("/etc/complyd/complyd.toml:5:7: notify.alertmanager[1].url: must be https://"), std::string::npos)
      << all;
  EXPECT_NE(all.find(":6:1: unknown key 'notify.alertmanager[1].severity'"), std::string::npos) << all;
  EXPECT_NE(all.find("notify.webhook[1]: 'secret_file' is required for format \"json\""), std::string::npos) << all;
  EXPECT_NE(all.find("another notify channel is named 'webhook'"), std::string::npos) << all;
  EXPECT_NE(all.find("must not carry credentials"), std::string::npos) << all;
  EXPECT_NE(all.find("cannot open '/nonexistent/secret'"), std::string::npos) << all;
  EXPECT_NE(all.find("'xml' is not one of: json, slack"), std::string::npos) << all;
  EXPECT_NE(all.find("notify.webhook[3].max_findings"), std::string::npos) << "Slack takes 50 blocks: " << all;
  EXPECT_EQ(all.find("pw@"), std::string::npos) << "a URL with credentials is never echoed: " << all;
}

StoredFinding channel_finding(const std::string& id, Severity sev, FindingStatus status = FindingStatus::open) {
  StoredFinding f;
  f.id = id;
  f.check_id = "credential-age";
  f.severity = sev;
  f.status = status;
  f.customer_id = "cust-" + id;
  f.subject = "kv/raise/" + id;
  f.title = "API token older than 90 days";
  f.detail = "The token was rotated 120 days ago.";
  f.remediation = "Rotate it.";
  f.first_seen = kNow - days(2);
  f.last_seen = kNow;
  return f;
}

std::unordered_map<std::string, const StoredFinding*> by_id(const std::vector<StoredFinding>& fs) {
  std::unordered_map<std::string, const StoredFinding*> out;
  for (const auto& f : fs) out[f.id] = &f;
  return out;
}

AlertmanagerConfig am_channel() {
  AlertmanagerConfig c;
  c.name = "am";
  c.url = "http://127.0.0.1:9093";
  c.min_severity = Severity::medium;
  c.ends_after = Duration{4 * 3600};
  c.console_url = "https://complyd.example.com/f/";
  return c;
}

json all_alerts(const ChannelPlan& p) {
  json out = json::array();
  for (const auto& m : p.messages) {
    for (auto& a : json::parse(m.body)) out.push_back(a);
  }
  return out;
}

TEST(AlertmanagerPlan, OpenUnmutedFindingsAtOrAboveTheMinimumFireWithTheirLabels) {
  const std::vector<StoredFinding> fs{channel_finding("F1", Severity::high), channel_finding("F2", Severity::low),
                                      channel_finding("F3", Severity::critical, FindingStatus::muted),
                                      channel_finding("F4", Severity::medium)};
  const auto plan = plan_alertmanager(am_channel(), 7, kNow, by_id(fs), {});
  const json alerts = all_alerts(plan);
  ASSERT_EQ(alerts.size(), 2u) << alerts.dump(2);
  std::set<std::string> ids;
  for (const auto& a : alerts) {
    ids.insert(a["labels"]["finding_id"]);
    EXPECT_EQ(a["labels"]["alertname"], "credential-age");
    EXPECT_EQ(a["labels"]["check"], "credential-age");
    EXPECT_EQ(a["labels"]["customer"], "cust-" + a["labels"]["finding_id"].get<std::string>());
    EXPECT_EQ(a["endsAt"], format_time(kNow + Duration{4 * 3600}));
    EXPECT_EQ(a["startsAt"], format_time(kNow - days(2)));
    EXPECT_EQ(a["annotations"]["summary"], "API token older than 90 days");
    EXPECT_EQ(a["annotations"]["remediation"], "Rotate it.");
    EXPECT_EQ(a["annotations"]["link"], "https://complyd.example.com/f/" + a["labels"]["finding_id"].get<std::string>());
    EXPECT_EQ(a["generatorURL"], a["annotations"]["link"]);
  }
  EXPECT_EQ(ids, (std::set<std::string>{"F1", "F4"}));
  EXPECT_EQ(plan.messages[0].key, "alertmanager:am:7:1");
  ASSERT_EQ(plan.ledger_upserts.size(), 2u);
  EXPECT_TRUE(plan.ledger_upserts[0].active);
}

TEST(AlertmanagerPlan, AlertsThatLeftTheSetEndNowAndASeverityChangeEndsTheOldLabels) {
  // F1 resolved, F2 muted, F3 escalated from medium to high, F4 still firing.
  const std::vector<StoredFinding> fs{channel_finding("F1", Severity::high, FindingStatus::resolved),
                                      channel_finding("F2", Severity::high, FindingStatus::muted),
                                      channel_finding("F3", Severity::high), channel_finding("F4", Severity::high)};
  std::vector<AlertLedgerEntry> ledger;
  for (const auto& [id, sev] : std::vector<std::pair<std::string, Severity>>{
           {"F1", Severity::high}, {"F2", Severity::high}, {"F3", Severity::medium}, {"F4", Severity::high}}) {
    ledger.push_back({id, alertmanager_ledger_recipient("am", sev), kNow - days(1), kNow - Duration{3600}, true});
  }
  ledger.push_back({"F9", "alertmanager:other:high", kNow, kNow, true});  // another channel's
  const auto plan = plan_alertmanager(am_channel(), 8, kNow, by_id(fs), ledger);
  std::map<std::string, std::string> ends;  // finding:severity -> endsAt
  for (const auto& a : all_alerts(plan)) {
    ends[a["labels"]["finding_id"].get<std::string>() + ":" + a["labels"]["severity"].get<std::string>()] = a["endsAt"];
  }
  const std::string now = format_time(kNow), later = format_time(kNow + Duration{4 * 3600});
  EXPECT_EQ(ends, (std::map<std::string, std::string>{
                      {"F1:high", now}, {"F2:high", now}, {"F3:medium", now}, {"F3:high", later}, {"F4:high", later}}));
  int active = 0, inactive = 0;
  for (const auto& e : plan.ledger_upserts) {
    EXPECT_TRUE(e.recipient.starts_with("alertmanager:am:")) << e.recipient;
    (e.active ? active : inactive)++;
    if (e.finding_id == "F4") {
      EXPECT_EQ(e.first_alerted_at, kNow - days(1));
    }
  }
  EXPECT_EQ(active, 2);
  EXPECT_EQ(inactive, 3);
}

TEST(AlertmanagerPlan, SplitsIntoRequestsOfMaxAlertsAndSendsNothingWhenThereIsNothing) {
  std::vector<StoredFinding> fs;
  for (int i = 0; i < 5; ++i) fs.push_back(channel_finding(fmt::format("F{}", i), Severity::high));
  auto c = am_channel();
  c.max_alerts = 2;
  const auto plan = plan_alertmanager(c, 9, kNow, by_id(fs), {});
  ASSERT_EQ(plan.messages.size(), 3u);
  EXPECT_EQ(plan.messages[2].key, "alertmanager:am:9:3");
  EXPECT_EQ(json::parse(plan.messages[2].body).size(), 1u);
  EXPECT_TRUE(plan_alertmanager(c, 9, kNow, {}, {}).messages.empty());
}

WebhookConfig hook_channel(const std::string& format = "json") {
  WebhookConfig c;
  c.name = "soc";
  c.url = "https://hooks.example.com/x";
  c.format = format;
  c.min_severity = Severity::medium;
  c.max_findings = 2;
  c.console_url = "https://complyd.example.com/f/";
  return c;
}

std::vector<Transition> hook_transitions() {
  return {{"F1", "opened", std::nullopt, FindingStatus::open, Severity::high, ""},
          {"F2", "resolved", FindingStatus::open, FindingStatus::resolved, Severity::medium, "no longer observed"},
          {"F3", "opened", std::nullopt, FindingStatus::open, Severity::low, ""},  // below the minimum
          {"F4", "deescalated", FindingStatus::open, FindingStatus::open, Severity::medium, ""},  // not a webhook event
          {"F5", "mute_expired", FindingStatus::muted, FindingStatus::open, Severity::critical, ""}};
}

TEST(WebhookPlan, OneRequestPerBatchOfTransitionsAtOrAboveTheMinimum) {
  const std::vector<StoredFinding> fs{channel_finding("F1", Severity::high),
                                      channel_finding("F2", Severity::medium, FindingStatus::resolved),
                                      channel_finding("F3", Severity::low), channel_finding("F4", Severity::medium),
                                      channel_finding("F5", Severity::critical)};
  const auto plan = plan_webhook(hook_channel(), 12, kNow, hook_transitions(), by_id(fs));
  ASSERT_EQ(plan.messages.size(), 2u);
  const json first = json::parse(plan.messages[0].body), second = json::parse(plan.messages[1].body);
  EXPECT_EQ(first["delivery"], "webhook:soc:12:1");
  EXPECT_EQ(plan.messages[0].key, "webhook:soc:12:1");
  EXPECT_EQ(first["parts"], 2);
  ASSERT_EQ(first["events"].size(), 2u);
  EXPECT_EQ(first["events"][0]["finding_id"], "F5");  // most severe first
  EXPECT_EQ(first["events"][0]["event"], "reopened");
  EXPECT_EQ(first["events"][1]["finding_id"], "F1");
  EXPECT_EQ(first["events"][1]["link"], "https://complyd.example.com/f/F1");
  ASSERT_EQ(second["events"].size(), 1u);
  EXPECT_EQ(second["events"][0]["event"], "resolved");
  EXPECT_EQ(second["events"][0]["reason"], "no longer observed");
  EXPECT_EQ(second["counts"], json({{"resolved", 1}}));
}

TEST(WebhookPlan, SlackFormatIsAnIncomingWebhookMessageOfBlocks) {
  std::vector<StoredFinding> fs{channel_finding("F1", Severity::high), channel_finding("F5", Severity::critical)};
  fs[0].title = "Token <script> & more";
  const auto plan = plan_webhook(hook_channel("slack"), 12, kNow, hook_transitions(), by_id(fs));
  ASSERT_EQ(plan.messages.size(), 1u);
  const json m = json::parse(plan.messages[0].body);
  ASSERT_TRUE(m["text"].is_string());
  EXPECT_EQ(m["text"], "complyd: 1 opened, 1 reopened") << m.dump(2);
  const auto& blocks = m["blocks"];
  ASSERT_EQ(blocks.size(), 4u) << m.dump(2);  // header, one section per finding, context
  EXPECT_EQ(blocks[0]["type"], "header");
  EXPECT_EQ(blocks[0]["text"]["type"], "plain_text");
  EXPECT_LE(blocks[0]["text"]["text"].get<std::string>().size(), 150u);
  for (int i : {1, 2}) {
    EXPECT_EQ(blocks[i]["type"], "section");
    EXPECT_EQ(blocks[i]["text"]["type"], "mrkdwn");
    EXPECT_LE(blocks[i]["text"]["text"].get<std::string>().size(), 3000u);
  }
  const std::string f1 = blocks[2]["text"]["text"];
  EXPECT_NE(f1.find("<https://complyd.example.com/f/F1|Token &lt;script&gt; &amp; more>"), std::string::npos) << f1;
  EXPECT_NE(f1.find("*high*"), std::string::npos) << f1;
  EXPECT_NE(f1.find("Rotate it."), std::string::npos) << f1;
  EXPECT_EQ(blocks[3]["type"], "context");
  EXPECT_EQ(blocks[3]["elements"][0]["type"], "mrkdwn");
}

TEST(WebhookSignature, IsHmacSha256OverTimestampDotBody) {
  // Computed independently: Python's hmac.new(b"whsec-test", b'1700000000.{"a":1}', sha256).
  EXPECT_EQ(webhook_signature("whsec-test", 1700000000, R"({"a":1})"),
            "sha256=fed7a1a6c799a6367d73724d76bc70c16678908a32a879cd1ded6565ac05cece");
  EXPECT_NE(webhook_signature("whsec-test", 1700000001, R"({"a":1})"),
            webhook_signature("whsec-test", 1700000000, R"({"a":1})"));
}

TEST(HttpChannelDelivery, TwoXxIsSentFourXxOtherThan429IsDeadTheRestRetries) {
  using O = notify::HttpPostResult::Outcome;
  for (long s : {200L, 202L, 204L}) EXPECT_EQ(notify::outcome_of_status(s), O::sent) << s;
  for (long s : {400L, 401L, 403L, 404L, 410L, 413L, 301L}) EXPECT_EQ(notify::outcome_of_status(s), O::dead) << s;
  for (long s : {429L, 500L, 502L, 503L, 504L}) EXPECT_EQ(notify::outcome_of_status(s), O::retry) << s;
}

void enqueue_channel_row(sql::Db& db, const std::string& key, const std::string& kind, const std::string& channel,
                         Time at) {
  sql::Stmt s(db,
              "INSERT INTO outbox(idempotency_key, kind, recipients, subject, message_id, message, status, "
              "next_attempt_at, expires_at, created_at) VALUES (?,?,?,'s',?,'[]','pending',?,?,?)");
  s.bind(1, key).bind(2, kind).bind(3, channel).bind(4, key).bind(5, to_unix(at)).bind(6, to_unix(at + days(3)));
  s.bind(7, to_unix(at)).run();
}

TEST(HttpChannelDelivery, AChannelsRequestsGoOutInOrderAndRetryAfterIsHonoured) {
  TempDir t;
  StateStore store(t.path / "state.db");
  auto& db = store.db();
  enqueue_channel_row(db, "alertmanager:am:1:1", "alertmanager", "am", kNow);
  enqueue_channel_row(db, "alertmanager:am:2:1", "alertmanager", "am", kNow);
  enqueue_channel_row(db, "webhook:soc:2:1", "webhook", "soc", kNow);
  const Duration lease{300};
  auto a = notify::claim_message(db, kNow, "h:1:a", kNow, lease, {});
  ASSERT_TRUE(a);
  EXPECT_EQ(a->key, "alertmanager:am:1:1");
  // Alertmanager answered 503 with Retry-After: 10 minutes (more than the backoff).
  notify::mark_failed(db, a->id, kNow, "HTTP 503, Retry-After 600 s", Duration{60}, Duration{3600}, Duration{600});
  // The newer batch of the same channel waits for the older; another channel does not.
  auto b = notify::claim_message(db, kNow + Duration{1}, "h:1:a", kNow + Duration{1}, lease, {});
  ASSERT_TRUE(b);
  EXPECT_EQ(b->key, "webhook:soc:2:1");
  notify::mark_dead(db, b->id, "HTTP 410");
  EXPECT_FALSE(notify::claim_message(db, kNow + Duration{599}, "h:1:a", kNow + Duration{599}, lease, {}));
  auto c = notify::claim_message(db, kNow + Duration{600}, "h:1:a", kNow + Duration{600}, lease, {});
  ASSERT_TRUE(c);
  EXPECT_EQ(c->key, "alertmanager:am:1:1");
  notify::mark_sent(db, c->id, kNow + Duration{600}, "HTTP 200");
  auto d = notify::claim_message(db, kNow + Duration{600}, "h:1:a", kNow + Duration{600}, lease, {});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->key, "alertmanager:am:2:1");
  // A channel down for this run is skipped; e-mail off skips e-mail.
  notify::ClaimFilter skip;
  skip.skip.push_back("alertmanager/am");
  skip.email = false;
  EXPECT_FALSE(notify::claim_message(db, kNow + days(1), "h:2:b", kNow + days(1), lease, skip));
  const auto dead = notify::outbox_health(db).dead;
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].kind, "webhook");
}

}  // namespace
}  // namespace complyd::testing

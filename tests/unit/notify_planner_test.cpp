// SPDX-License-Identifier: Apache-2.0
// The pure notification planner: which e-mails a cycle causes.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "daemon/notify/planner.hpp"
#include "daemon/notify/templates.hpp"
#include "daemon/store/state_store.hpp"
#include "daemon/util/crypto.hpp"
#include <fmt/format.h>

#include "model/time.hpp"

namespace complyd::notify {
namespace {

const Time kNow = *parse_time("2026-11-22T12:00:00Z");
Time days_ago(std::int64_t d) { return kNow - Duration{d * kSecondsPerDay}; }

StoredFinding finding(const std::string& id, Severity sev, FindingStatus st = FindingStatus::open,
                      const std::string& check = "credential-age") {
  StoredFinding f;
  f.id = id;
  f.check_id = check;
  f.severity = sev;
  f.status = st;
  f.customer_id = "cust_1";
  f.subject = "raise/production/cust_1/api_token";
  f.title = "api_token older than 90d";
  f.detail = "detail";
  f.remediation = "rotate";
  return f;
}

Transition tr(const std::string& id, const char* event) {
  Transition t;
  t.finding_id = id;
  t.event = event;
  return t;
}

PlanInput base() {
  PlanInput in;
  in.cycle_id = 7;
  in.now = kNow;
  in.alerts.recipients[Severity::low] = {"ops@x.org"};
  in.rotation_limits = {{"api_token", days(90)}};
  return in;
}

std::vector<PlannedMessage> of_kind(const Plan& p, const std::string& kind) {
  std::vector<PlannedMessage> out;
  for (const auto& m : p.messages) {
    if (m.kind == kind) out.push_back(m);
  }
  return out;
}

std::vector<std::string> events(const PlannedMessage& m) {
  std::vector<std::string> out;
  for (const auto& g : m.context["groups"])
    for (const auto& c : g["checks"])
      for (const auto& i : c["items"]) out.push_back(i["event"].get<std::string>() + ":" + i["id"].get<std::string>());
  return out;
}

AlertLedgerEntry ledger(const std::string& id, const std::string& who, Time last, bool active = true) {
  return {id, who, last, last, active};
}

TEST(NotifyPlanner, QuietCycleSendsNothing) {
  auto in = base();
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  // An open finding alerted an hour ago: nothing either.
  in.findings = {finding("F1", Severity::high)};
  in.ledger = {ledger("F1", "ops@x.org", kNow - Duration{3600})};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
}

TEST(NotifyPlanner, NewFindingsMakeOneDigestGroupedBySeverityThenCheck) {
  auto in = base();
  in.findings = {finding("F1", Severity::low), finding("F2", Severity::critical),
                 finding("F3", Severity::critical, FindingStatus::open, "audit-coverage")};
  in.transitions = {tr("F1", "opened"), tr("F2", "opened"), tr("F3", "opened")};
  auto p = plan_notifications(in);
  ASSERT_EQ(p.messages.size(), 1u);
  const auto& m = p.messages[0];
  EXPECT_EQ(m.key, "digest:7:ops@x.org");
  EXPECT_EQ(m.context["groups"][0]["severity"], "critical");
  EXPECT_EQ(m.context["groups"][0]["checks"][0]["check_id"], "audit-coverage");
  EXPECT_EQ(m.context["groups"][0]["checks"][1]["check_id"], "credential-age");
  EXPECT_EQ(m.context["groups"][1]["severity"], "low");
  EXPECT_EQ(m.context["summary"], "3 new");
  EXPECT_EQ(p.ledger_upserts.size(), 3u);
}

TEST(NotifyPlanner, RecipientsGetFindingsAtOrAboveTheirSeverity) {
  auto in = base();
  in.alerts.recipients[Severity::high] = {"lead@x.org"};
  in.findings = {finding("F1", Severity::low), finding("F2", Severity::high)};
  auto p = plan_notifications(in);
  ASSERT_EQ(p.messages.size(), 2u);  // different contents: two digests
  for (const auto& m : p.messages) {
    if (m.to == std::vector<std::string>{"lead@x.org"}) EXPECT_EQ(events(m), (std::vector<std::string>{"new:F2"}));
    else EXPECT_EQ(events(m).size(), 2u);
  }
  // Same thresholds: one message to both.
  in.alerts.recipients.clear();
  in.alerts.recipients[Severity::low] = {"a@x.org", "b@x.org"};
  p = plan_notifications(in);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].to, (std::vector<std::string>{"a@x.org", "b@x.org"}));
  EXPECT_EQ(p.messages[0].key, "digest:7:a@x.org,b@x.org");
}

TEST(NotifyPlanner, RepeatInterval) {
  auto in = base();
  in.findings = {finding("F1", Severity::high)};
  in.ledger = {ledger("F1", "ops@x.org", kNow - Duration{23 * 3600})};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  in.ledger = {ledger("F1", "ops@x.org", kNow - Duration{24 * 3600})};
  auto p = plan_notifications(in);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(events(p.messages[0]), (std::vector<std::string>{"still open:F1"}));
  in.alerts.repeat_interval = Duration{48 * 3600};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
}

TEST(NotifyPlanner, EscalationAndReopenAreAnnounced) {
  auto in = base();
  in.findings = {finding("F1", Severity::critical)};
  in.ledger = {ledger("F1", "ops@x.org", kNow - Duration{60})};
  in.transitions = {tr("F1", "escalated")};
  auto p = plan_notifications(in);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(events(p.messages[0]), (std::vector<std::string>{"escalated:F1"}));
  in.ledger = {ledger("F1", "ops@x.org", kNow - Duration{60}, false)};
  in.transitions = {tr("F1", "reopened")};
  p = plan_notifications(in);
  EXPECT_EQ(events(p.messages.at(0)), (std::vector<std::string>{"reopened:F1"}));
}

TEST(NotifyPlanner, ResolvedGoesToThoseAlertedEvenAfterAMute) {
  auto in = base();
  // Alerted to ops and to a recipient since removed from the config; muted
  // since, resolved now.
  in.findings = {finding("F1", Severity::high, FindingStatus::resolved)};
  in.transitions = {tr("F1", "resolved")};
  in.ledger = {ledger("F1", "ops@x.org", days_ago(5)), ledger("F1", "former@x.org", days_ago(5)),
               ledger("F1", "done@x.org", days_ago(5), false)};
  auto p = plan_notifications(in);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(p.messages[0].to, (std::vector<std::string>{"former@x.org", "ops@x.org"}));
  EXPECT_EQ(events(p.messages[0]), (std::vector<std::string>{"resolved:F1"}));
  ASSERT_EQ(p.ledger_upserts.size(), 2u);
  for (const auto& u : p.ledger_upserts) EXPECT_FALSE(u.active);
  // Never alerted: no resolved notice.
  in.ledger.clear();
  EXPECT_TRUE(plan_notifications(in).messages.empty());
}

TEST(NotifyPlanner, MutedSendsNothingUntilTheMuteEnds) {
  auto in = base();
  in.findings = {finding("F1", Severity::high, FindingStatus::muted)};
  in.ledger = {ledger("F1", "ops@x.org", days_ago(10))};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  in.transitions = {tr("F1", "escalated")};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  in.findings[0].status = FindingStatus::open;
  in.ledger = {ledger("F1", "ops@x.org", kNow - Duration{60})};
  in.transitions = {tr("F1", "mute_expired")};
  auto p = plan_notifications(in);
  ASSERT_EQ(p.messages.size(), 1u);
  EXPECT_EQ(events(p.messages[0]), (std::vector<std::string>{"mute ended:F1"}));
}

TEST(NotifyPlanner, SourceUnavailableAndDeadMessagesAlwaysAlert) {
  auto in = base();
  in.alerts.recipients.clear();
  in.alerts.recipients[Severity::critical] = {"lead@x.org"};
  in.findings = {finding("F1", Severity::medium, FindingStatus::open, "source-unavailable"),
                 finding("F2", Severity::low, FindingStatus::open, "notification-delivery"),
                 finding("F3", Severity::high)};
  auto p = plan_notifications(in);
  ASSERT_EQ(p.messages.size(), 1u);
  auto ev = events(p.messages[0]);
  std::sort(ev.begin(), ev.end());
  EXPECT_EQ(ev, (std::vector<std::string>{"new:F1", "new:F2"}));
}

// ---- reminders --------------------------------------------------------------

struct Population {
  std::vector<Customer> customers;
  std::vector<Credential> credentials;
};

Credential token(const std::string& cust, std::optional<Time> rotated, const std::string& kind = "api_token") {
  Credential c;
  c.customer_id = cust;
  c.kind = kind;
  c.storage_path = "raise/production/" + cust + "/" + kind;
  c.rotated_at = rotated;
  c.created_at = rotated;
  return c;
}

PlanInput with_token(std::int64_t age_days, CustomerStatus status = CustomerStatus::active) {
  auto in = base();
  Customer c;
  c.id = "cust_1";
  c.name = "Hope Trust";
  c.status = status;
  c.admin_email = "admin@cust1.example.org";
  c.environment = "production";
  in.customers = {c};
  in.credentials = {token("cust_1", days_ago(age_days))};
  return in;
}

std::vector<std::string> reminder_keys(const Plan& p, const char* kind = "reminder") {
  std::vector<std::string> out;
  for (const auto& m : of_kind(p, kind)) out.push_back(m.key);
  return out;
}

// Keys name the storage path by its hash (a path may hold a credential).
std::string key(std::int64_t age_days, const std::string& stage) {
  return fmt::format("reminder:cust_1:{}:{}:{}", sha256_hex("raise/production/cust_1/api_token").substr(0, 24),
                     days_ago(age_days).time_since_epoch().count(), stage);
}
// As keys were recorded before.
std::string legacy_key(const std::string& path, std::int64_t age_days, const std::string& stage) {
  return fmt::format("reminder:cust_1:{}:{}:{}", path, days_ago(age_days).time_since_epoch().count(), stage);
}

TEST(NotifyPlanner, ReminderLadder) {
  EXPECT_TRUE(plan_notifications(with_token(79)).messages.empty());
  EXPECT_EQ(reminder_keys(plan_notifications(with_token(80))), (std::vector<std::string>{key(80, "warning")}));
  EXPECT_EQ(reminder_keys(plan_notifications(with_token(90))), (std::vector<std::string>{key(90, "warning")}));
  // The due day (rotation_status: the 24 h after due_at) and the days after
  // until the first overdue reminder.
  auto in = with_token(90);
  in.now += Duration{3600};
  in.credentials = {token("cust_1", kNow - days(90))};
  EXPECT_EQ(reminder_keys(plan_notifications(in)), (std::vector<std::string>{key(90, "due")}));
  EXPECT_EQ(reminder_keys(plan_notifications(with_token(96))), (std::vector<std::string>{key(96, "due")}));
  EXPECT_EQ(reminder_keys(plan_notifications(with_token(97))), (std::vector<std::string>{key(97, "overdue:1")}));
  EXPECT_EQ(reminder_keys(plan_notifications(with_token(103))), (std::vector<std::string>{key(103, "overdue:1")}));
  EXPECT_EQ(reminder_keys(plan_notifications(with_token(104))), (std::vector<std::string>{key(104, "overdue:2")}));
  const auto m = of_kind(plan_notifications(with_token(80)), "reminder").at(0);
  EXPECT_EQ(m.to, (std::vector<std::string>{"admin@cust1.example.org"}));
  // The partner's storage layout is not the customer's business, unless configured.
  EXPECT_FALSE(m.context.contains("storage_path")) << m.context.dump();
  EXPECT_EQ(m.context["steps"].size(), 7u);
  auto shown = with_token(80);
  shown.reminders.show_storage_path = true;
  EXPECT_EQ(of_kind(plan_notifications(shown), "reminder").at(0).context["storage_path"],
            "raise/production/cust_1/api_token");
}

TEST(NotifyPlanner, ReminderNamesThePlatformAndEnvironmentAndAContact) {
  auto in = with_token(85);
  in.platforms = {{"cust_1", "raise"}};
  in.reminders.contact = "integrations@partner.example.com";
  const auto m = of_kind(plan_notifications(in), "reminder").at(0);
  EXPECT_EQ(m.context["kind_label"], "Raise production API token");
  EXPECT_EQ(m.context["contact"], "integrations@partner.example.com");
  EXPECT_NE(m.context["stage_sentence"].get<std::string>().find("Your Raise production API token is due"),
            std::string::npos)
      << m.context["stage_sentence"];
  // Several platforms for one customer: none is named rather than a wrong one.
  WebhookSubscription a, b;
  a.customer_id = b.customer_id = "cust_1";
  a.platform = "raise";
  b.platform = "virtuous";
  EXPECT_FALSE(customer_platforms({a, b}).contains("cust_1"));
  EXPECT_EQ(customer_platforms({a}).at("cust_1"), "raise");
}

TEST(NotifyPlanner, TwoRowsOfOneCredentialMakeOneReminderTheMostUrgent) {
  auto in = with_token(85);  // due soon
  in.credentials.push_back(token("cust_1", days_ago(100)));  // the same path, overdue
  const auto keys = reminder_keys(plan_notifications(in));
  EXPECT_EQ(keys, (std::vector<std::string>{key(100, "overdue:1")}));
}

TEST(NotifyPlanner, NeverStepsBackToAMilderStage) {
  auto in = with_token(85);  // warning today (a longer max_age, say)...
  const auto ref = credential_ref("cust_1", "raise/production/cust_1/api_token", days_ago(85));
  in.reminded[ref] = {ref, "cust_1", days_ago(3), 2};  // ...but "overdue" was already sent
  EXPECT_TRUE(reminder_keys(plan_notifications(in)).empty());
  in.reminded[ref].urgency = 0;
  EXPECT_EQ(reminder_keys(plan_notifications(in)).size(), 1u);
}

TEST(NotifyPlanner, ARemindedCredentialIsLedgeredOnceWithItsFirstTime) {
  auto in = with_token(85);
  auto p = plan_notifications(in);
  ASSERT_EQ(p.reminder_upserts.size(), 1u);
  const auto& e = p.reminder_upserts[0];
  EXPECT_EQ(e.credential_ref, credential_ref("cust_1", "raise/production/cust_1/api_token", days_ago(85)));
  EXPECT_EQ(e.credential_ref.find("raise/"), std::string::npos) << "a hash, never the path";
  EXPECT_EQ(e.first_reminded_at, kNow);
  EXPECT_EQ(e.urgency, 0);
  // A later stage keeps the first time.
  in = with_token(100);
  const auto ref = credential_ref("cust_1", "raise/production/cust_1/api_token", days_ago(100));
  in.reminded[ref] = {ref, "cust_1", days_ago(9), 0};
  p = plan_notifications(in);
  ASSERT_EQ(p.reminder_upserts.size(), 1u);
  EXPECT_EQ(p.reminder_upserts[0].first_reminded_at, days_ago(9));
  EXPECT_EQ(p.reminder_upserts[0].urgency, 2);
}

TEST(NotifyPlanner, OneReminderPerVersionAndStage) {
  auto in = with_token(85);
  in.existing_keys = {key(85, "warning")};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  // Rotation: a new version starts the ladder again (nothing until day 80).
  in.credentials = {token("cust_1", days_ago(1))};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  in.credentials = {token("cust_1", days_ago(82))};
  EXPECT_EQ(reminder_keys(plan_notifications(in)), (std::vector<std::string>{key(82, "warning")}));
}

TEST(NotifyPlanner, AStoragePathWithACredentialNeverReachesTheKey) {
  auto in = with_token(85);
  in.credentials[0].storage_path = "vault://kv/cust_1/api_token?token=CANARYkeyPW";
  in.now += days(30);  // overdue, and reminded long enough ago to escalate too
  const auto ref = credential_ref("cust_1", in.credentials[0].storage_path, days_ago(85));
  in.reminded[ref] = {ref, "cust_1", in.now - days(20), 1};
  const auto p = plan_notifications(in);
  ASSERT_FALSE(reminder_keys(p).empty());
  ASSERT_FALSE(reminder_keys(p, "escalation").empty());
  for (const auto& m : p.messages) EXPECT_EQ(m.key.find("CANARYkeyPW"), std::string::npos) << m.key;
}

TEST(NotifyPlanner, KeysRecordedBeforeHashingStillCountAsSent) {
  const std::string plain = "raise/production/cust_1/api_token";
  auto in = with_token(85);
  in.existing_keys = {legacy_key(plain, 85, "warning")};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  // A legacy key that held a credential was rewritten to its hash (migration 8).
  in.credentials[0].storage_path = plain + "?token=CANARYkeyPW";
  in.existing_keys = {outbox_key_without_credentials(legacy_key(plain + "?token=CANARYkeyPW", 85, "warning"))};
  EXPECT_EQ(in.existing_keys.begin()->find("CANARY"), std::string::npos);
  EXPECT_TRUE(plan_notifications(in).messages.empty());
}

TEST(NotifyPlanner, EscalationOnlyAfterEscalateAfterSinceTheFirstReminder) {
  // First seen 30 days overdue: the customer is reminded now; escalating in
  // the same cycle would claim reminders went unanswered.
  auto in = with_token(120);
  auto p = plan_notifications(in);
  EXPECT_EQ(reminder_keys(p).size(), 1u);
  EXPECT_TRUE(reminder_keys(p, "escalation").empty());
  const auto ref = credential_ref("cust_1", "raise/production/cust_1/api_token", days_ago(120));
  in.reminded[ref] = {ref, "cust_1", days_ago(13), 2};  // first reminded 13 days ago
  EXPECT_TRUE(reminder_keys(plan_notifications(in), "escalation").empty());
  in.reminded[ref].first_reminded_at = days_ago(14);
  p = plan_notifications(in);
  ASSERT_EQ(reminder_keys(p, "escalation").size(), 1u);
  EXPECT_EQ(of_kind(p, "escalation")[0].to, (std::vector<std::string>{"ops@x.org"}));
  EXPECT_EQ(of_kind(p, "escalation")[0].context["reminded"], true);
  in.existing_keys = {reminder_keys(p, "escalation")[0]};
  EXPECT_TRUE(reminder_keys(plan_notifications(in), "escalation").empty());
  in.reminders.escalate = false;
  in.existing_keys.clear();
  EXPECT_TRUE(reminder_keys(plan_notifications(in), "escalation").empty());
}

TEST(NotifyPlanner, WithoutAnAdminAddressEscalationCountsFromTheDueDateAndSaysSo) {
  auto in = with_token(103);  // 13 days overdue
  in.customers[0].admin_email.clear();
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  in = with_token(104);
  in.customers[0].admin_email.clear();
  auto p = plan_notifications(in);
  EXPECT_TRUE(reminder_keys(p).empty());
  ASSERT_EQ(reminder_keys(p, "escalation").size(), 1u);
  EXPECT_EQ(of_kind(p, "escalation")[0].context["reminded"], false);
}

TEST(NotifyPlanner, NothingForOffboardedUnknownOrOtherKinds) {
  EXPECT_TRUE(plan_notifications(with_token(85, CustomerStatus::offboarded)).messages.empty());
  EXPECT_FALSE(plan_notifications(with_token(85, CustomerStatus::offboarding)).messages.empty());
  auto in = with_token(85);
  in.credentials = {token("cust_1", std::nullopt)};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  in.credentials = {token("cust_1", days_ago(85), "webhook_secret")};
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  in.credentials = {token("cust_1", days_ago(85))};
  in.credentials[0].role = CredentialRole::previous;
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  in = with_token(85);
  in.reminders.enabled = false;
  EXPECT_TRUE(plan_notifications(in).messages.empty());
}

TEST(NotifyPlanner, StageToggles) {
  auto in = with_token(85);
  in.reminders.warning = false;
  EXPECT_TRUE(plan_notifications(in).messages.empty());
  in = with_token(110);
  in.reminders.overdue = false;
  EXPECT_TRUE(reminder_keys(plan_notifications(in)).empty());
}

TEST(NotifyPlanner, PerRecipientCapAndGlobalLimitDeferTheRest) {
  auto in = base();
  for (int i = 0; i < 10; ++i) {
    Customer c;
    c.id = fmt::format("cust_{:02d}", i);
    c.name = c.id;
    c.admin_email = i < 6 ? "shared@agency.org" : c.id + "@x.org";  // one agency administers six
    in.customers.push_back(c);
    in.credentials.push_back(token(c.id, days_ago(i == 5 ? 120 : 85)));
  }
  in.reminders.per_recipient_cap = 2;
  auto p = plan_notifications(in);
  const auto rs = of_kind(p, "reminder");
  EXPECT_EQ(rs.size(), 6u);  // 2 to the agency + 4 others
  EXPECT_EQ(p.deferred_reminders, 4);
  // The most urgent first: the overdue one is among the two.
  EXPECT_EQ(rs[0].customer_id, "cust_05");
  in.reminders.max_per_cycle = 3;
  p = plan_notifications(in);
  EXPECT_EQ(of_kind(p, "reminder").size(), 3u);
  EXPECT_EQ(p.deferred_reminders, 7);
}

// Every default template with realistic data, as the planner builds it:
// both parts carry the message, nothing is left unrendered.
TEST(NotifyPlanner, EveryTemplateRendersBothPartsFromRealisticData) {
  const auto t = Templates::load({});
  auto in = with_token(120);
  in.platforms = {{"cust_1", "raise"}};
  in.findings = {finding("F1", Severity::critical), finding("F2", Severity::high),
                 finding("F3", Severity::medium, FindingStatus::open, "audit-coverage")};
  const auto ref = credential_ref("cust_1", "raise/production/cust_1/api_token", days_ago(120));
  in.reminded[ref] = {ref, "cust_1", days_ago(20), 2};
  const auto p = plan_notifications(in);
  std::set<std::string> seen;
  for (const auto& m : p.messages) {
    seen.insert(m.template_name);
    const auto r = t.render(m.template_name, m.context);
    SCOPED_TRACE(m.template_name);
    EXPECT_FALSE(r.subject.empty());
    for (const auto* part : {&r.subject, &r.text, &r.html}) {
      EXPECT_EQ(part->find("{{"), std::string::npos) << *part;
      EXPECT_EQ(part->find("()"), std::string::npos) << "an empty value in: " << *part;
    }
    if (m.template_name == "digest") {
      EXPECT_EQ(r.subject, "[complyd] 1 critical, 1 high open; 3 new");
      EXPECT_TRUE(r.text.starts_with("1 critical, 1 high open; 3 new\n")) << r.text;
      EXPECT_NE(r.html.find("1 critical, 1 high open; 3 new"), std::string::npos);
      for (const auto* part : {&r.text, &r.html}) EXPECT_NE(part->find("audit-coverage"), std::string::npos);
    } else if (m.template_name == "reminder") {
      EXPECT_EQ(r.subject, "Rotation overdue: rotate your Raise production API token (30 days overdue)");
      for (const auto* part : {&r.text, &r.html}) {
        EXPECT_NE(part->find("Your Raise production API token is 30 days past its rotation date"), std::string::npos)
            << *part;
        EXPECT_EQ(part->find("raise/production/cust_1"), std::string::npos) << "no storage path by default";
        EXPECT_NE(part->find("every 90 days"), std::string::npos) << *part;
      }
    } else {
      for (const auto* part : {&r.text, &r.html}) {
        EXPECT_NE(part->find("has been reminded without effect"), std::string::npos) << *part;
        EXPECT_NE(part->find("raise/production/cust_1/api_token"), std::string::npos) << "the admins' own path";
      }
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"digest", "reminder", "escalation"}));
}

}  // namespace
}  // namespace complyd::notify

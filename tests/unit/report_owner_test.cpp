// SPDX-License-Identifier: Apache-2.0
// Owners and due dates in the report's findings tables: who acts on a
// finding (a mutelist rule's owner, the customer's admin contact, the
// configured default) and by when (a mute's expiry, a rotation due date, an
// attestation's review date), from the history as of the report's time.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "checks/support.hpp"
#include "daemon/config/config.hpp"
#include "daemon/report/history.hpp"
#include "daemon/report/report_model.hpp"
#include "daemon/report/report_store.hpp"
#include "daemon/store/state_store.hpp"
#include "commit_cycle.hpp"
#include "fact_builders.hpp"
#include "model/time.hpp"
#include "temp_dir.hpp"

namespace complyd::testing {
namespace {

const Time kOwnerOpened = *parse_time("2026-11-01T00:00:00Z");
const Time kRotationDue = *parse_time("2026-12-10T00:00:00Z");
const Time kDpaReview = *parse_time("2026-10-15T00:00:00Z");
const Time kRunbookReview = *parse_time("2026-09-30T00:00:00Z");
const Time kMuteEnds = *parse_time("2026-12-31T00:00:00Z");

// cust_1 has an admin contact, a credential with a rotation due date and a
// DPA attestation; cust_2 has neither contact nor attestation.
report::History owner_history() {
  using nlohmann::json;
  report::History h;
  const Time t = kOwnerOpened;
  h.findings = {
      {"F1", "credential-age", "cust_1", "raise/production/cust_1/api_token", "api_token over age", "rotate", t},
      {"F2", "attestation-freshness", "cust_1", "attestation:dpa", "dpa attestation out of date", "renew", t},
      {"F3", "attestation-freshness", "", "attestation:incident_runbook", "runbook out of date", "review", t},
      {"F4", "transport-https", "cust_1", "wh_1", "plain http", "use https", t},
      {"F5", "credential-age", "cust_2", "raise/production/cust_2/api_token", "api_token over age", "rotate", t},
      {"F6", "retention-window", "cust_2", "dead_letters", "kept too long", "purge", t},
      {"F7", "leak-scan", "", "logs/app.log:3 (api_token)", "a token in a log", "purge", t},
  };
  h.cycles.push_back({1, t, t, "ok", {}, std::set<std::string>{}, std::set<std::string>{}});
  h.cycles.back().attestation_reviews = {{"incident_runbook", kRunbookReview}};
  for (const auto& f : h.findings) h.events.push_back({f.id, 1, t, "opened", "open", "high", "complyd", ""});
  // F5: muted by a mutelist rule; F6: muted by a person.
  h.events.push_back({"F5", std::nullopt, t + hours(1), "muted", "muted", "high", "mutelist:q4-vault",
                      "moving to the vault (rule q4-vault, owner vault-team@example.org) (until 2026-12-31T00:00:00Z)"});
  h.events.push_back({"F6", std::nullopt, t + hours(2), "muted", "muted", "high", "alice",
                      "legal hold (until 2026-12-31T00:00:00Z)"});
  json c1 = {{"status", "active"},
             {"name", "Cust 1"},
             {"admin_email", "admin@cust1.example"},
             {"credentials",
              json::array({{{"path", "raise/production/cust_1/api_token"}, {"kind", "api_token"}, {"role", "current"},
                            {"due_at", to_unix(kRotationDue)}},
                           {{"path", "raise/production/cust_1/api_token"}, {"kind", "api_token"}, {"role", "previous"},
                            {"due_at", to_unix(kRotationDue - days(90))}}})},
             {"attestations", json::array({{{"control", "dpa"}, {"review_due", to_unix(kDpaReview)}}})}};
  json c2 = {{"status", "active"}, {"name", "Cust 2"}, {"admin_email", nullptr}, {"credentials", json::array()}};
  h.customers.push_back({"cust_1", c1});
  h.customers.push_back({"cust_2", c2});
  return h;
}

const report::ReportFinding& by_id(const report::ReportModel& m, const std::string& id) {
  for (const auto* list : {&m.open, &m.muted, &m.resolved}) {
    for (const auto& f : *list) {
      if (f.id == id) return f;
    }
  }
  throw std::runtime_error("no finding " + id);
}

report::ReportOptions owner_options(std::string default_owner) {
  report::ReportOptions o{kOwnerOpened + days(5), days(30), "", {}};
  o.default_owner = std::move(default_owner);
  return o;
}

TEST(ReportOwners, EachFindingHasTheOwnerAndDueDateThatApply) {
  const auto m = report::build_report(owner_history(), owner_options("secops@partner.example"));
  // The customer's admin contact, and the current credential's rotation due date (not the previous one's).
  EXPECT_EQ(by_id(m, "F1").owner, "admin@cust1.example");
  EXPECT_EQ(by_id(m, "F1").owner_from, "customer");
  EXPECT_EQ(by_id(m, "F1").due_at, kRotationDue);
  EXPECT_EQ(by_id(m, "F1").due_for, "rotation");
  // A customer's attestation: its review date from the customer's state.
  EXPECT_EQ(by_id(m, "F2").due_at, kDpaReview);
  EXPECT_EQ(by_id(m, "F2").due_for, "attestation_review");
  // An integration-wide attestation: the default owner, the review date the cycle recorded.
  EXPECT_EQ(by_id(m, "F3").owner, "secops@partner.example");
  EXPECT_EQ(by_id(m, "F3").owner_from, "default");
  EXPECT_EQ(by_id(m, "F3").due_at, kRunbookReview);
  // No due date applies: due now.
  EXPECT_EQ(by_id(m, "F4").owner, "admin@cust1.example");
  EXPECT_FALSE(by_id(m, "F4").due_at);
  EXPECT_EQ(by_id(m, "F4").due_for, "");
  // A rule's mute: the rule's owner, due when the mute ends.
  EXPECT_EQ(by_id(m, "F5").owner, "vault-team@example.org");
  EXPECT_EQ(by_id(m, "F5").owner_from, "mutelist");
  EXPECT_EQ(by_id(m, "F5").due_at, kMuteEnds);
  EXPECT_EQ(by_id(m, "F5").due_for, "mute_expiry");
  // A person's mute on a customer without a contact: the default owner.
  EXPECT_EQ(by_id(m, "F6").owner, "secops@partner.example");
  EXPECT_EQ(by_id(m, "F6").due_for, "mute_expiry");
  EXPECT_EQ(by_id(m, "F7").owner_from, "default");
}

TEST(ReportOwners, WithoutADefaultOwnerTheRestHaveNoneAndJsonSaysNull) {
  const auto m = report::build_report(owner_history(), owner_options(""));
  EXPECT_EQ(by_id(m, "F3").owner, "");
  EXPECT_EQ(by_id(m, "F3").owner_from, "");
  const auto doc = nlohmann::json::parse(*report::render(m, "json"));
  bool saw_runbook = false, saw_https = false;
  for (const auto& f : doc["findings"]["open"]) {
    for (const char* key : {"owner", "owner_from", "due_at", "due_for"}) {
      ASSERT_TRUE(f.contains(key)) << key;
      EXPECT_NE(f[key], "") << key << " is null when absent, never \"\"";
    }
    if (f["id"] == "F3") {
      saw_runbook = true;
      EXPECT_TRUE(f["owner"].is_null());
      EXPECT_EQ(f["due_at"], format_time(kRunbookReview));
      EXPECT_EQ(f["due_for"], "attestation_review");
    }
    if (f["id"] == "F4") {
      saw_https = true;
      EXPECT_EQ(f["owner"], "admin@cust1.example");
      EXPECT_TRUE(f["due_at"].is_null());
    }
  }
  EXPECT_TRUE(saw_runbook && saw_https);
}

TEST(ReportOwners, EveryTableShowsOwnerAndDue) {
  const auto m = report::build_report(owner_history(), owner_options("secops@partner.example"));
  const auto md = *report::render(m, "md");
  EXPECT_NE(md.find("| owner | due |"), std::string::npos);
  EXPECT_NE(md.find("| admin@cust1.example | 2026-12-10 rotation |"), std::string::npos) << md;
  EXPECT_NE(md.find("| secops@partner.example | 2026-09-30 review |"), std::string::npos);
  EXPECT_NE(md.find("vault-team@example.org"), std::string::npos);
  const auto html = *report::render(m, "html");
  EXPECT_NE(html.find("<th>owner</th><th>due</th>"), std::string::npos);
  EXPECT_NE(html.find("<td>admin@cust1.example</td><td class=\"due\">2026-12-10 rotation</td>"), std::string::npos);
  const auto csv = *report::render(m, "csv");
  EXPECT_NE(csv.find(",remediation,owner,due_at,due_for\r\n"), std::string::npos) << "appended, never inserted";
  EXPECT_NE(csv.find(",admin@cust1.example,2026-12-10T00:00:00Z,rotation\r\n"), std::string::npos) << csv;
}

// A streamed history gives the same owners (its states are read from the cursor once more).
TEST(ReportOwners, AStreamedHistoryGivesTheSameOwnersAndDueDates) {
  auto streamed = owner_history();
  auto states = std::move(streamed.customers);
  streamed.customers.clear();
  streamed.customer_count = states.size();
  streamed.each_customer = [states](const std::function<void(report::CustomerStateRow&&)>& fn) {
    for (auto row : states) fn(std::move(row));
  };
  const auto a = report::build_report(owner_history(), owner_options("d@x.example"));
  const auto b = report::build_report(std::move(streamed), owner_options("d@x.example"));
  for (const char* id : {"F1", "F2", "F3", "F4", "F5", "F6", "F7"}) {
    EXPECT_EQ(by_id(a, id).owner, by_id(b, id).owner) << id;
    EXPECT_EQ(by_id(a, id).due_at, by_id(b, id).due_at) << id;
  }
  EXPECT_EQ(*report::render(a, "csv"), *report::render(b, "csv"));
}

// What the cycle records: the admin contact and the newest trustworthy
// attestations (a customer's in its state, the integration's with the
// cycle), read back as of a time.
TEST(ReportOwners, TheCycleRecordsContactsAndReviewDatesForPastReports) {
  TempDir t;
  StateStore store(t.path / "state.db", StateUse::simulated);
  const Config config;  // attestation-freshness max_age: 365 days
  Facts facts;
  facts.customers = {customer("c1")};
  facts.customers[0].admin_email = "admin@c1.example";
  facts.credentials = {credential("c1", "api_token")};
  facts.attestations = {{"dpa", "c1", "legal", ago(days(400)), "DPA-1"},
                        {"dpa", "c1", "legal", ago(days(100)), "DPA-2"},
                        {"dpa", "c1", "legal", kNow + days(30), "future: not trusted"},
                        {"incident_runbook", "", "secops", ago(days(200)), "RB-3"}};
  auto h = summarize_for_report(facts, {}, config, {}, kNow);
  CycleRecord c;
  c.started_at = kNow;
  c.finished_at = kNow;
  c.status = "ok";
  ASSERT_GT(commit_cycle(store, c, LifecycleResult{}, {}, nullptr, &h), 0);

  auto back = load_report_history(store.db(), kNow + hours(1), kNow - days(30));
  ASSERT_EQ(back.customers.size(), 1u);
  const auto& state = back.customers[0].state;
  EXPECT_EQ(state["admin_email"], "admin@c1.example");
  ASSERT_EQ(state["attestations"].size(), 1u);
  EXPECT_EQ(state["attestations"][0]["control"], "dpa");
  EXPECT_EQ(state["attestations"][0]["review_due"], to_unix(ago(days(100)) + days(365)));
  ASSERT_FALSE(back.cycles.empty());
  const auto& reviews = back.cycles.back().attestation_reviews;
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_EQ(reviews.at("incident_runbook"), ago(days(200)) + days(365));
}

// A state written before the contact and attestations were recorded reads them as none.
TEST(ReportOwners, AnOlderStateRowHasNoContactOrReviewDates) {
  const auto old = expand_report_state(nlohmann::json::parse(
      R"([2,"active","production","EU","C",null,false,[["p","api_token","production","current",1,2]],[]])"));
  EXPECT_TRUE(old["admin_email"].is_null());
  EXPECT_TRUE(old["attestations"].empty());
  EXPECT_EQ(old["credentials"][0]["due_at"], 3);
}

// The report's review dates and attestation-freshness trust the same
// attestations: one dated up to the skew tolerance ahead counts for both,
// one a second later counts for neither.
TEST(ReportOwners, TheReportTrustsExactlyTheAttestationsTheCheckTrusts) {
  const Config config;  // attestation-freshness max_age: 365 days
  Facts facts;
  for (const char* control : {"incident_runbook", "access_review", "pci_scope", "iam_rbac_review",
                              "encryption_at_rest"}) {
    facts.attestations.push_back({control, "", "secops", ago(days(10)), "OLD"});
  }
  facts.attestations.push_back({"incident_runbook", "", "secops", kNow + kFutureSkew, "AT-THE-EDGE"});
  facts.attestations.push_back({"access_review", "", "secops", kNow + kFutureSkew + Duration{1}, "TOO-FAR"});

  std::set<std::string> future_dated;
  for (const auto& f : run_check("attestation-freshness", facts)) {
    if (f.subject.ends_with(":future-dated")) future_dated.insert(f.subject);
  }
  EXPECT_EQ(future_dated, std::set<std::string>{"attestation:access_review:future-dated"});

  const auto h = summarize_for_report(facts, {}, config, {}, kNow);
  std::map<std::string, Time> attested;
  for (const auto& a : h.attestations) attested[a.control] = a.attested_at;
  EXPECT_EQ(attested.at("incident_runbook"), kNow + kFutureSkew);
  EXPECT_EQ(attested.at("access_review"), ago(days(10)));
}

}  // namespace
}  // namespace complyd::testing
